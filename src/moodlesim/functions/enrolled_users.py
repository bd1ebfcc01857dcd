"""core_enrol_get_enrolled_users, get_course_enrolment_methods and get_users_courses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from ..call import SITE_ADMINS, Call
from ..db import schema
from ..php.params import clean_param, php_int
from ..php.text import format_string, format_text
from ..ws.errors import invalid_parameter, missing_record
from .common import chunks, rows_by_id
from .course_reads import sortorders
from .enrolstate import active_condition, course_context_map
from .users import user_details

ue, en, ra = schema.user_enrolments, schema.enrol, schema.role_assignments
crs, usr = schema.course, schema.user
grp, gm = schema.groups, schema.groups_members
# Roles that hold moodle/course:viewhiddencourses in a course.
SEES_HIDDEN = frozenset({1, 3, 4})
# A few capabilities and the standard roles that hold them in a course.
_CAPABILITY_ROLES = {
    "moodle/course:update": {1, 3},
    "moodle/course:manageactivities": {1, 3},
    "moodle/grade:edit": {1, 3, 4},
    "moodle/course:viewparticipants": {1, 3, 4, 5},
    "mod/assign:submit": {5},
    "moodle/course:isincompletionreports": {5},
}


def _options(options: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "withcapability": "",
        "groupid": 0,
        "onlyactive": False,
        "userfields": [],
        "limitfrom": 0,
        "limitnumber": 0,
        "sortby": "id",
        "sortdirection": "ASC",
    }
    for option in options:
        name, value = option["name"], option["value"]
        if name == "withcapability":
            result[name] = value
        elif name == "groupid":
            result[name] = php_int(value)
        elif name == "onlyactive":
            result[name] = value not in ("", "0")
        elif name == "userfields":
            result[name] = [str(clean_param(f, "alphanumext")) for f in value.split(",")]
        elif name in ("limitfrom", "limitnumber"):
            result[name] = php_int(value)
        elif name == "sortby":
            allowed = ("id", "firstname", "lastname", "siteorder")
            if value not in allowed:
                raise invalid_parameter(
                    f"Invalid value for sortby parameter (value: {value}),allowed values are: "
                    + ",".join(allowed)
                )
            result[name] = value
        elif name == "sortdirection":
            direction = value.upper()
            if direction not in ("ASC", "DESC"):
                raise invalid_parameter(
                    f"Invalid value for sortdirection parameter\n                        "
                    f"(value: {direction}),allowed values are: ASC,DESC"
                )
            result[name] = direction
    return result


def enrolled_user_ids(conn: Connection, course_id: int, onlyactive: bool, now: int) -> set[int]:
    query = (
        select(ue.c.userid)
        .join(en, en.c.id == ue.c.enrolid)
        .join(usr, usr.c.id == ue.c.userid)
        .where(en.c.courseid == course_id, usr.c.deleted == 0)
    )
    if onlyactive:
        query = query.where(active_condition(now))
    return {user_id for (user_id,) in conn.execute(query)}


def _user_groups(conn: Connection, course_id: int, user_ids: set[int]) -> dict[int, list[Any]]:
    result: dict[int, list[Any]] = {}
    for part in chunks(sorted(user_ids)):
        query = (
            select(gm.c.userid, grp)
            .join(grp, grp.c.id == gm.c.groupid)
            .where(grp.c.courseid == course_id, gm.c.userid.in_(part))
        )
        for row in conn.execute(query):
            result.setdefault(row.userid, []).append(row)
    for groups in result.values():
        groups.sort(key=lambda g: (g.name, g.id))
    return result


def _user_roles(conn: Connection, context_id: int, user_ids: set[int]) -> dict[int, list[Any]]:
    result: dict[int, list[Any]] = {}
    role = schema.role
    for part in chunks(sorted(user_ids)):
        query = (
            select(
                ra.c.id, ra.c.userid, ra.c.roleid, role.c.name, role.c.shortname, role.c.sortorder
            )
            .join(role, role.c.id == ra.c.roleid)
            .where(ra.c.contextid == context_id, ra.c.userid.in_(part))
        )
        for row in conn.execute(query):
            result.setdefault(row.userid, []).append(row)
    for roles in result.values():
        roles.sort(key=lambda r: (r.sortorder, r.id))
    return result


def _enrolled_courses(call: Call, user_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    """enrol_get_all_users_courses(onlyactive) minus hidden courses the user may not see."""
    conn = call.conn
    pairs: list[tuple[int, int]] = []
    for part in chunks(sorted(user_ids)):
        query = (
            select(ue.c.userid, en.c.courseid)
            .join(en, en.c.id == ue.c.enrolid)
            .where(ue.c.userid.in_(part), active_condition(call.now))
        )
        pairs.extend((u, c) for u, c in conn.execute(query))
    if not pairs:
        return {}
    courses = rows_by_id(conn, crs, {c for _, c in pairs})
    hidden = [cid for cid, row in courses.items() if not row.visible]
    seeing: set[tuple[int, int]] = set()
    if hidden:
        contexts = course_context_map(conn, hidden)
        by_context = {ctx: cid for cid, ctx in contexts.items()}
        for part in chunks(sorted(by_context)):
            query = select(ra.c.contextid, ra.c.userid).where(
                ra.c.contextid.in_(part), ra.c.roleid.in_(SEES_HIDDEN)
            )
            seeing.update((u, by_context[c]) for c, u in conn.execute(query))
    orders = sortorders(conn, list(courses.values()))
    result: dict[int, list[Any]] = {}
    for user_id, course_id in set(pairs):
        row = courses[course_id]
        if row.category and (
            row.visible or (user_id, course_id) in seeing or user_id in SITE_ADMINS
        ):
            result.setdefault(user_id, []).append(row)
    return {
        user_id: [
            {
                "id": r.id,
                "fullname": format_string(r.fullname),
                "shortname": format_string(r.shortname),
            }
            for r in sorted(rows, key=lambda r: (-r.visible, orders[r.id]))
        ]
        for user_id, rows in result.items()
    }


def _user_sort_key(sortby: str) -> Any:
    if sortby == "firstname":
        return lambda u: (u.firstname, u.id)
    if sortby == "lastname":
        return lambda u: (u.lastname, u.id)
    if sortby == "siteorder":
        return lambda u: (u.lastname, u.firstname, u.id)
    return lambda u: u.id


def get_enrolled_users(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    course_id = params["courseid"]
    options = _options(params["options"])
    if conn.execute(select(crs.c.id).where(crs.c.id == course_id)).first() is None:
        raise missing_record("course")
    user_ids = enrolled_user_ids(conn, course_id, options["onlyactive"], call.now)
    context_id = course_context_map(conn, [course_id]).get(course_id, 0)
    if options["groupid"]:
        members = select(gm.c.userid).where(gm.c.groupid == options["groupid"])
        user_ids &= {u for (u,) in conn.execute(members)}
    if options["withcapability"]:
        holders = _CAPABILITY_ROLES.get(options["withcapability"], {1})
        query = select(ra.c.userid).where(ra.c.contextid == context_id, ra.c.roleid.in_(holders))
        user_ids &= {u for (u,) in conn.execute(query)} | (user_ids & SITE_ADMINS)
    rows = sorted(
        rows_by_id(conn, usr, user_ids).values(),
        key=_user_sort_key(options["sortby"]),
        reverse=options["sortdirection"] == "DESC",
    )
    if options["limitfrom"] or options["limitnumber"]:
        end = options["limitfrom"] + options["limitnumber"] if options["limitnumber"] else None
        rows = rows[options["limitfrom"] : end]
    shown = {row.id for row in rows}
    groups = _user_groups(conn, course_id, shown)
    roles = _user_roles(conn, context_id, shown)
    courses = _enrolled_courses(call, shown)
    last = schema.user_lastaccess
    visits = dict(
        conn.execute(
            select(last.c.userid, last.c.timeaccess).where(last.c.courseid == course_id)
        ).all()
    )
    result = []
    for row in rows:
        details = user_details(call, row)
        details["lastcourseaccess"] = int(visits.get(row.id, 0))
        if row.id in groups:
            details["groups"] = [
                {
                    "id": g.id,
                    "name": format_string(g.name),
                    "description": format_text(g.description, g.descriptionformat)[0],
                    "descriptionformat": 1,
                }
                for g in groups[row.id]
            ]
        if row.id in roles:
            details["roles"] = [
                {"roleid": r.roleid, "name": r.name, "shortname": r.shortname, "sortorder": 0}
                for r in roles[row.id]
            ]
        if row.id in courses:
            details["enrolledcourses"] = courses[row.id]
        if options["userfields"]:
            keep = {"id", "fullname", *options["userfields"]}
            details = {key: value for key, value in details.items() if key in keep}
        result.append(details)
    call.cost.charge(len(result))
    return result


def get_course_enrolment_methods(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    course_id = params["courseid"]
    if call.conn.execute(select(crs.c.id).where(crs.c.id == course_id)).first() is None:
        raise missing_record("course")
    # Enabled instances only; manual and database give no enrol info, guest and self are off.
    return []


def get_users_courses(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    user_id = params["userid"]
    query = (
        select(en.c.courseid)
        .join(ue, ue.c.enrolid == en.c.id)
        .where(ue.c.userid == user_id, active_condition(call.now))
    )
    course_ids = {c for (c,) in conn.execute(query)}
    courses = list(rows_by_id(conn, crs, course_ids).values())
    orders = sortorders(conn, courses)
    courses.sort(key=lambda r: (-r.visible, orders[r.id]))
    counts: dict[int, int] = {}
    if params["returnusercount"] and course_ids:
        for part in chunks(sorted(course_ids)):
            count_query = (
                select(en.c.courseid, func.count(func.distinct(ue.c.userid)))
                .join(ue, ue.c.enrolid == en.c.id)
                .where(en.c.courseid.in_(part))
                .group_by(en.c.courseid)
            )
            counts.update({c: n for c, n in conn.execute(count_query)})
    result = []
    for row in courses:
        summary, summary_format = format_text(row.summary, row.summaryformat)
        info: dict[str, Any] = {
            "id": row.id,
            "shortname": format_string(row.shortname),
            "fullname": format_string(row.fullname),
            "displayname": format_string(row.fullname),
            "idnumber": row.idnumber,
            "visible": row.visible,
            "summary": summary,
            "summaryformat": summary_format,
            "format": row.format,
            "showgrades": bool(row.showgrades),
            "lang": clean_param(row.lang, "lang"),
            "enablecompletion": bool(row.enablecompletion),
            "completionhascriteria": False,
            "completionusertracked": bool(row.enablecompletion),
            "category": row.category,
            "progress": None,
            "completed": False if row.enablecompletion else None,
            "startdate": row.startdate,
            "enddate": row.enddate,
            "marker": row.marker,
            "lastaccess": None,
            "isfavourite": False,
            "hidden": False,
            "overviewfiles": [],
            "showactivitydates": False,
            "showcompletionconditions": True,
            "timemodified": row.timemodified,
        }
        if params["returnusercount"]:
            info["enrolledusercount"] = counts.get(row.id, 0)
        result.append(info)
    call.cost.charge(len(result))
    return result
