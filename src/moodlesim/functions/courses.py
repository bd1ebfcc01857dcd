"""core_course_create_courses, core_course_update_courses, core_course_delete_courses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, or_, select

from ..call import SITE_COURSE_ID, Call
from ..db import schema
from ..db.sequences import COURSE_ORDER
from ..php.params import LANGUAGES, php_int
from ..ws.errors import (
    MoodleError,
    category_context_invalid,
    invalid_param_named,
    missing_record,
    moodle_exception,
)
from .common import (
    check_lengths,
    chunks,
    context_row,
    count_by,
    insert_rows,
    rows_by_id,
    validate_format,
)
from .enrolstate import (
    course_context_map,
    default_instances,
)

crs = schema.course
cat = schema.course_categories
_PHP_TRIM = " \t\n\r\0\x0b"
_SETTABLE = (
    "fullname",
    "shortname",
    "idnumber",
    "summary",
    "summaryformat",
    "format",
    "showgrades",
    "newsitems",
    "startdate",
    "enddate",
    "numsections",
    "maxbytes",
    "showreports",
    "visible",
    "hiddensections",
    "groupmode",
    "groupmodeforce",
    "defaultgroupingid",
    "enablecompletion",
    "completionnotify",
    "lang",
)
_FORMAT_OPTIONS = ("hiddensections", "coursedisplay", "numsections")


def shortname_taken(shortname: str) -> MoodleError:
    return moodle_exception(
        "shortnametaken", f"Short name is already used for another course ({shortname})"
    )


def idnumber_taken(idnumber: str) -> MoodleError:
    return moodle_exception(
        "courseidnumbertaken", f"ID number is already used for another course ({idnumber})"
    )


def validate_dates(values: dict[str, Any]) -> None:
    """course_validate_dates on the values sent (not merged with the stored course)."""
    start, end = values.get("startdate"), values.get("enddate")
    if start and end and end < start:
        raise moodle_exception(
            "enddatebeforestartdate", "The course end date must be after the start date."
        )
    if not start and end:
        raise moodle_exception(
            "nostartdatenoenddate", "This course has no start date, so it cannot have an end date."
        )


def append_courses(call: Call, course_ids: Sequence[int], category: int) -> None:
    """Moves courses to the end of `category`."""
    for course_id in course_ids:
        call.conn.execute(
            crs.update()
            .where(crs.c.id == course_id)
            .values(category=category, sortkey=call.new_id(COURSE_ORDER))
        )


def _php_trim(text: str) -> str:
    return text.strip(_PHP_TRIM)


def _format_option_values(item: dict[str, Any]) -> dict[str, int]:
    values: dict[str, int] = {}
    for option in item.get("courseformatoptions") or []:
        if option["name"] in _FORMAT_OPTIONS:
            values[option["name"]] = php_int(str(option["value"]))
    return values


def _taken(conn: Connection, column: Any, values: set[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(sorted(values)):
        found.update(v for (v,) in conn.execute(select(column).where(column.in_(part))))
    return found


def create_courses(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    items = params["courses"]
    category_ids = {item["categoryid"] for item in items}
    categories = set(rows_by_id(conn, cat, category_ids))
    in_category = count_by(conn, crs.c.category, category_ids)
    shortnames = _taken(conn, crs.c.shortname, {item["shortname"] for item in items})
    idnumbers = _taken(conn, crs.c.idnumber, {item.get("idnumber") or "" for item in items} - {""})
    created: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    contexts: list[dict[str, Any]] = []
    instances: list[dict[str, Any]] = []
    for item in items:
        call.cost.charge()
        category_id = item["categoryid"]
        if category_id not in categories:
            raise category_context_invalid(category_id)
        if _php_trim(item["fullname"]) == "":
            raise invalid_param_named("fullname")
        if _php_trim(item["shortname"]) == "":
            raise invalid_param_named("shortname")
        if "lang" in item and item["lang"] not in LANGUAGES:
            raise invalid_param_named("lang")
        validate_format(item["summaryformat"])
        shortname, idnumber = item["shortname"], item.get("idnumber") or ""
        if shortname in shortnames:
            raise shortname_taken(shortname)
        if idnumber and idnumber in idnumbers:
            raise idnumber_taken(idnumber)
        validate_dates(item)
        values = {key: item[key] for key in _SETTABLE if key in item}
        values.update(_format_option_values(item))
        check_lengths("course", values)
        call.cost.charge_ms(call.cost.model.course_in_category(in_category.get(category_id, 0)))
        in_category[category_id] = in_category.get(category_id, 0) + 1
        course_id = call.new_id("course")
        visible = values.get("visible", 1)
        values.setdefault("enablecompletion", 1)
        rows.append(
            {
                "id": course_id,
                "category": category_id,
                "sortkey": -call.new_id(COURSE_ORDER),
                "visibleold": visible,
                "timecreated": call.now,
                "timemodified": call.now,
                "cacherev": call.now,
                **values,
            }
        )
        contexts.append(context_row(call, schema.CONTEXT_COURSE, course_id))
        instances += default_instances(call, course_id)
        shortnames.add(shortname)
        if idnumber:
            idnumbers.add(idnumber)
        created.append({"id": course_id, "shortname": shortname})
    insert_rows(conn, crs, rows)
    insert_rows(conn, schema.context, contexts)
    insert_rows(conn, schema.enrol, instances)
    return created


def _update_one(call: Call, item: dict[str, Any]) -> None:
    conn = call.conn
    row = conn.execute(select(crs).where(crs.c.id == item["id"])).first()
    if row is None:
        raise missing_record("course")
    if row.id == SITE_COURSE_ID:
        raise moodle_exception("invalidcourse", "You are trying to use an invalid course ID")
    changes = {key: item[key] for key in _SETTABLE if key in item}
    changes.update(_format_option_values(item))
    if "fullname" in item and item["fullname"] != row.fullname and not _php_trim(item["fullname"]):
        raise invalid_param_named("fullname")
    if (
        "shortname" in item
        and item["shortname"] != row.shortname
        and not _php_trim(item["shortname"])
    ):
        raise invalid_param_named("shortname")
    if "summaryformat" in item:
        validate_format(item["summaryformat"])
    if "lang" in item and item["lang"] != row.lang and item["lang"] not in LANGUAGES:
        raise invalid_param_named("lang")
    shortname = item.get("shortname")
    if shortname and shortname != row.shortname:
        clash = select(crs.c.id).where(crs.c.shortname == shortname, crs.c.id != row.id).limit(1)
        if conn.execute(clash).first() is not None:
            raise shortname_taken(shortname)
    idnumber = item.get("idnumber")
    if idnumber and idnumber != row.idnumber:
        clash = select(crs.c.id).where(crs.c.idnumber == idnumber, crs.c.id != row.id).limit(1)
        if conn.execute(clash).first() is not None:
            raise idnumber_taken(idnumber)
    validate_dates(item)
    check_lengths("course", changes)
    category = int(item.get("categoryid") or 0)
    moving = bool(category) and category != row.category
    if moving and conn.execute(select(cat.c.id).where(cat.c.id == category)).first() is None:
        raise missing_record("course_categories")
    if "visible" in changes:
        changes["visibleold"] = changes["visible"]
    changes.update(timemodified=call.now, cacherev=max(call.now, row.cacherev + 1))
    conn.execute(crs.update().where(crs.c.id == row.id).values(**changes))
    if moving:
        append_courses(call, [row.id], category)


def update_courses(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    warnings: list[dict[str, Any]] = []
    for item in params["courses"]:
        call.cost.charge()
        try:
            _update_one(call, item)
        except MoodleError as error:
            warnings.append(
                {
                    "item": "course",
                    "itemid": item["id"],
                    "warningcode": error.errorcode or "",
                    "message": error.message,
                }
            )
    return {"warnings": warnings}


def delete_course_data(conn: Connection, course_id: int) -> None:
    """Everything of a course: enrolments, roles, groups, groupings, context, the course."""
    en, ue, ra = schema.enrol, schema.user_enrolments, schema.role_assignments
    grp, gm = schema.groups, schema.groups_members
    instance_ids = select(en.c.id).where(en.c.courseid == course_id)
    conn.execute(ue.delete().where(ue.c.enrolid.in_(instance_ids)))
    conn.execute(en.delete().where(en.c.courseid == course_id))
    contexts = course_context_map(conn, [course_id])
    if course_id in contexts:
        conn.execute(ra.delete().where(ra.c.contextid == contexts[course_id]))
    group_ids = select(grp.c.id).where(grp.c.courseid == course_id)
    conn.execute(gm.delete().where(gm.c.groupid.in_(group_ids)))
    grouping_ids = select(schema.groupings.c.id).where(schema.groupings.c.courseid == course_id)
    gg = schema.groupings_groups
    conn.execute(
        gg.delete().where(or_(gg.c.groupid.in_(group_ids), gg.c.groupingid.in_(grouping_ids)))
    )
    conn.execute(grp.delete().where(grp.c.courseid == course_id))
    conn.execute(schema.groupings.delete().where(schema.groupings.c.courseid == course_id))
    ctx = schema.context
    conn.execute(
        ctx.delete().where(
            ctx.c.contextlevel == schema.CONTEXT_COURSE, ctx.c.instanceid == course_id
        )
    )
    conn.execute(crs.delete().where(crs.c.id == course_id))


def delete_courses(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    conn = call.conn
    warnings: list[dict[str, Any]] = []
    for course_id in params["courseids"]:
        call.cost.charge()
        exists = conn.execute(select(crs.c.id).where(crs.c.id == course_id)).first()
        if exists is None:
            warnings.append(
                {
                    "item": "course",
                    "itemid": course_id,
                    "warningcode": "unknowncourseidnumber",
                    "message": f"Unknown course ID {course_id}",
                }
            )
            continue
        if course_id == SITE_COURSE_ID:
            warnings.append(
                {
                    "item": "course",
                    "itemid": course_id,
                    "warningcode": "cannotdeletecourse",
                    "message": f"You do not have the permission to delete this course{course_id}",
                }
            )
            continue
        delete_course_data(conn, course_id)
    return {"warnings": warnings}
