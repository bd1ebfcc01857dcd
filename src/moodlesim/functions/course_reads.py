"""core_course_get_courses, core_course_get_courses_by_field and core_course_search_courses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, or_, select

from ..call import SITE_COURSE_ID, Call
from ..db import schema
from ..php.params import clean_param, php_int
from ..php.text import format_string, format_text
from ..ws.errors import invalid_parameter, php_error
from .common import chunks, rows_by_id
from .enrolstate import active_condition, course_context_map, enabled_methods

crs = schema.course
cat = schema.course_categories
FILTERS = [
    "displayh5p",
    "activitynames",
    "mathjaxloader",
    "emoticon",
    "mediaplugin",
    "urltolink",
    "oembed",
]
EDITING_TEACHER = 3


def sortorders(conn: Connection, rows: Sequence[Any]) -> dict[int, int]:
    """Moodle's course sortorder: the category's sortorder plus the rank inside it."""
    categories = sorted({row.category for row in rows if row.category})
    result = {row.id: 1 for row in rows if not row.category}
    if not categories:
        return result
    base = {row.id: row.sortorder for row in rows_by_id(conn, cat, categories).values()}
    wanted = {row.id for row in rows}
    rank = func.row_number().over(partition_by=crs.c.category, order_by=crs.c.sortkey)
    for part in chunks(categories):
        query = select(crs.c.id, crs.c.category, rank).where(crs.c.category.in_(part))
        for course_id, category, position in conn.execute(query):
            if course_id in wanted:
                result[course_id] = base.get(category, 0) + position
    return result


def _format_options(row: Any, for_external: bool) -> list[dict[str, Any]]:
    if row.format == "site":
        return [{"name": "numsections", "value": row.numsections}]
    options: list[dict[str, Any]] = [
        {"name": "hiddensections", "value": row.hiddensections},
        {"name": "coursedisplay", "value": row.coursedisplay},
    ]
    if for_external:
        if row.format == "weeks":
            options.append({"name": "automaticenddate", "value": 1})
        options.append({"name": "indentation", "value": "1"})
    return options


def _course_info(row: Any, sortorder: int) -> dict[str, Any]:
    summary, summary_format = format_text(row.summary, row.summaryformat)
    site = row.format == "site"
    info: dict[str, Any] = {
        "id": row.id,
        "shortname": format_string(row.shortname),
        "categoryid": row.category,
        "categorysortorder": sortorder,
        "fullname": format_string(row.fullname),
        "displayname": format_string(row.fullname),
        "idnumber": row.idnumber,
        "summary": summary,
        "summaryformat": summary_format,
        "format": row.format,
        "showgrades": row.showgrades,
        "newsitems": row.newsitems,
        "startdate": row.startdate,
        "enddate": row.enddate,
        "numsections": row.numsections,
        "maxbytes": row.maxbytes,
        "showreports": row.showreports,
        "visible": row.visible,
        "groupmode": row.groupmode,
        "groupmodeforce": row.groupmodeforce,
        "defaultgroupingid": row.defaultgroupingid,
        "timecreated": row.timecreated,
        "timemodified": row.timemodified,
        "enablecompletion": row.enablecompletion,
        "completionnotify": row.completionnotify,
        "lang": clean_param(row.lang, "lang"),
        "forcetheme": clean_param(row.theme, "theme"),
        "courseformatoptions": _format_options(row, for_external=False),
        "showactivitydates": False,
        "showcompletionconditions": None if site else True,
    }
    if not site:
        info["hiddensections"] = row.hiddensections
    return info


def get_courses(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    ids = params["options"].get("ids") or []
    if ids:
        rows = sorted(rows_by_id(conn, crs, ids).values(), key=lambda r: r.id)
    else:
        rows = list(conn.execute(select(crs).order_by(crs.c.id)))
    orders = sortorders(conn, rows)
    call.cost.charge(len(rows))
    return [_course_info(row, orders[row.id]) for row in rows]


def _contacts(call: Call, course_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Course contacts: editing teachers with an active enrolment, by name."""
    conn = call.conn
    contexts = course_context_map(conn, course_ids)
    by_context = {context_id: course_id for course_id, context_id in contexts.items()}
    ra, ue, en, usr = schema.role_assignments, schema.user_enrolments, schema.enrol, schema.user
    teachers: dict[int, set[int]] = {}
    for part in chunks(sorted(by_context)):
        query = select(ra.c.contextid, ra.c.userid).where(
            ra.c.contextid.in_(part), ra.c.roleid == EDITING_TEACHER
        )
        for context_id, user_id in conn.execute(query):
            teachers.setdefault(by_context[context_id], set()).add(user_id)
    if not teachers:
        return {}
    active: set[tuple[int, int]] = set()
    for part in chunks(sorted(teachers)):
        query = (
            select(en.c.courseid, ue.c.userid)
            .join(en, en.c.id == ue.c.enrolid)
            .where(en.c.courseid.in_(part), active_condition(call.now))
        )
        active.update((c, u) for c, u in conn.execute(query))
    user_ids = {u for users in teachers.values() for u in users}
    users = rows_by_id(conn, usr, user_ids)
    result: dict[int, list[dict[str, Any]]] = {}
    for course_id, members in teachers.items():
        people = [users[u] for u in members if (course_id, u) in active and u in users]
        people.sort(key=lambda u: (u.lastname, u.firstname, u.id))
        result[course_id] = [
            {"id": u.id, "fullname": f"{u.firstname} {u.lastname}"} for u in people
        ]
    return result


def public_infos(call: Call, rows: Sequence[Any], extra: bool) -> list[dict[str, Any]]:
    """get_course_public_information, plus the manager fields of get_courses_by_field."""
    conn = call.conn
    course_ids = [row.id for row in rows]
    orders = sortorders(conn, rows)
    categories = rows_by_id(conn, cat, {row.category for row in rows if row.category})
    contacts = _contacts(call, course_ids)
    methods = enabled_methods(conn, course_ids)
    infos: list[dict[str, Any]] = []
    for row in rows:
        summary, summary_format = format_text(row.summary, row.summaryformat)
        category = categories.get(row.category)
        info: dict[str, Any] = {
            "id": row.id,
            "fullname": format_string(row.fullname),
            "displayname": format_string(row.fullname),
            "shortname": format_string(row.shortname),
            "categoryid": row.category,
            "categoryname": format_string(category.name) if category else "",
            "sortorder": orders[row.id],
            "summary": summary,
            "summaryformat": summary_format,
            "summaryfiles": [],
            "overviewfiles": [],
            "showactivitydates": False,
            "showcompletionconditions": row.format != "site",
            "contacts": contacts.get(row.id, []),
            "enrollmentmethods": methods.get(row.id, []),
        }
        if extra:
            info.update(
                {
                    "idnumber": row.idnumber,
                    "format": row.format,
                    "showgrades": row.showgrades,
                    "newsitems": row.newsitems,
                    "startdate": row.startdate,
                    "enddate": row.enddate,
                    "maxbytes": row.maxbytes,
                    "showreports": row.showreports,
                    "visible": row.visible,
                    "groupmode": row.groupmode,
                    "groupmodeforce": row.groupmodeforce,
                    "defaultgroupingid": row.defaultgroupingid,
                    "enablecompletion": row.enablecompletion,
                    "completionnotify": row.completionnotify,
                    "lang": clean_param(row.lang, "lang"),
                    "theme": clean_param(row.theme, "theme"),
                    "marker": row.marker,
                    "legacyfiles": row.legacyfiles,
                    "calendartype": row.calendartype,
                    "timecreated": row.timecreated,
                    "timemodified": row.timemodified,
                    "requested": row.requested,
                    "cacherev": row.cacherev,
                    "filters": [
                        {"filter": name, "localstate": 0, "inheritedstate": 1} for name in FILTERS
                    ],
                    "courseformatoptions": _format_options(row, for_external=True),
                }
            )
        infos.append(info)
    return infos


def get_courses_by_field(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    conn = call.conn
    field, value = params["field"], params["value"]
    if not field:
        rows = list(conn.execute(select(crs).order_by(crs.c.id)))
    elif field == "ids":
        wanted = str(clean_param(value, "sequence")).split(",")
        found = {
            str(row.id): row
            for row in rows_by_id(conn, crs, [php_int(v) for v in wanted if v]).values()
        }
        rows = []
        for course_id in dict.fromkeys(wanted):
            if course_id not in found:
                # external_util::validate_courses dereferences a missing course.
                raise php_error('Attempt to assign property "contextvalidated" on null')
            rows.append(found[course_id])
    elif field in ("id", "category"):
        column = crs.c.id if field == "id" else crs.c.category
        rows = list(conn.execute(select(crs).where(column == php_int(value)).order_by(crs.c.id)))
    elif field == "shortname":
        text = clean_param(value, "text")
        rows = list(conn.execute(select(crs).where(crs.c.shortname == text).order_by(crs.c.id)))
    elif field == "idnumber":
        rows = list(conn.execute(select(crs).where(crs.c.idnumber == value).order_by(crs.c.id)))
    else:
        raise invalid_parameter("Invalid field name")
    call.cost.charge(len(rows))
    return {"courses": public_infos(call, rows, extra=True), "warnings": []}


def search_courses(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    conn = call.conn
    allowed = ("search", "modulelist", "blocklist", "tagid")
    name = params["criterianame"]
    if name not in allowed:
        raise invalid_parameter(
            f"Invalid value for criterianame parameter (value: {name}),"
            f"allowed values are: {','.join(allowed)}"
        )
    rows: list[Any] = []
    if name == "search":
        query = select(crs).where(crs.c.id != SITE_COURSE_ID)
        for word in str(params["criteriavalue"]).split():
            pattern = f"%{word.lower()}%"
            query = query.where(
                or_(
                    func.lower(crs.c.fullname).like(pattern),
                    func.lower(crs.c.shortname).like(pattern),
                    func.lower(crs.c.idnumber).like(pattern),
                    func.lower(func.coalesce(crs.c.summary, "")).like(pattern),
                )
            )
        rows = list(conn.execute(query))
        orders = sortorders(conn, rows)
        rows.sort(key=lambda r: orders[r.id])
    total = len(rows)
    if params["perpage"]:
        start = params["page"] * params["perpage"]
        rows = rows[start : start + params["perpage"]]
    call.cost.charge(len(rows))
    return {"total": total, "courses": public_infos(call, rows, extra=False), "warnings": []}
