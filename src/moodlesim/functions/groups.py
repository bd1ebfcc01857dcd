"""Groups and groupings of a course, and group membership."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ..call import Call
from ..db import schema
from ..php.text import format_string, format_text
from ..ws.errors import (
    course_context_invalid,
    invalid_parameter,
    missing_record,
    moodle_exception,
)
from .common import check_lengths, chunks, member_lists, rows_by_id, validate_format
from .enrolstate import enrolled_pairs

grp, gm = schema.groups, schema.groups_members
gpg, gg = schema.groupings, schema.groupings_groups
crs, usr = schema.course, schema.user
_PHP_TRIM = " \t\n\r\0\x0b"


def _idnumber_taken() -> Any:
    return moodle_exception("idnumbertaken", "This ID number is already in use")


def _course_exists(conn: Connection, course_id: int) -> bool:
    return conn.execute(select(crs.c.id).where(crs.c.id == course_id)).first() is not None


def create_groups(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    items = params["groups"]
    course_ids = {item["courseid"] for item in items}
    courses = set(rows_by_id(conn, crs, course_ids))
    names: set[tuple[int, str]] = set()
    idnumbers: set[tuple[int, str]] = set()
    for part in chunks(sorted(course_ids)):
        query = select(grp.c.courseid, grp.c.name, grp.c.idnumber).where(grp.c.courseid.in_(part))
        for course_id, name, idnumber in conn.execute(query):
            names.add((course_id, name))
            idnumbers.add((course_id, idnumber))
    created: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for item in items:
        call.cost.charge()
        course_id, name = item["courseid"], item["name"]
        if name.strip(_PHP_TRIM) == "":
            raise invalid_parameter("Invalid group name")
        if (course_id, name) in names:
            raise invalid_parameter("Group with the same name already exists in the course")
        if course_id not in courses:
            raise course_context_invalid(course_id)
        validate_format(item["descriptionformat"])
        idnumber = item.get("idnumber") or ""
        if idnumber and (course_id, idnumber) in idnumbers:
            raise _idnumber_taken()
        check_lengths("groups", {"name": name, "idnumber": idnumber})
        group_id = call.new_id("groups")
        rows.append(
            {
                "id": group_id,
                "courseid": course_id,
                "name": name,
                "idnumber": idnumber,
                "description": item["description"],
                "descriptionformat": item["descriptionformat"],
                "enrolmentkey": item.get("enrolmentkey"),
                "timecreated": call.now,
                "timemodified": call.now,
            }
        )
        names.add((course_id, name))
        if idnumber:
            idnumbers.add((course_id, idnumber))
        created.append(
            {
                "id": group_id,
                "courseid": course_id,
                "name": name,
                "description": item["description"],
                "descriptionformat": item["descriptionformat"],
                "enrolmentkey": item.get("enrolmentkey", ""),
                "idnumber": idnumber,
            }
        )
    if rows:
        conn.execute(grp.insert(), rows)
    return created


def update_groups(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for item in params["groups"]:
        call.cost.charge()
        name = item["name"]
        if name.strip(_PHP_TRIM) == "":
            raise invalid_parameter("Invalid group name")
        row = conn.execute(select(grp).where(grp.c.id == item["id"])).first()
        if row is None:
            raise invalid_parameter(f"Group {item['id']} does not exist")
        if name != row.name:
            other = select(grp.c.id).where(grp.c.courseid == row.courseid, grp.c.name == name)
            if conn.execute(other.limit(1)).first() is not None:
                raise invalid_parameter(
                    "A different group with the same name already exists in the course"
                )
        validate_format(item["descriptionformat"])
        changes: dict[str, Any] = {"name": name, "descriptionformat": item["descriptionformat"]}
        for key in ("description", "enrolmentkey", "idnumber"):
            if key in item:
                changes[key] = item[key]
        idnumber = changes.get("idnumber")
        if idnumber:
            taken = select(grp.c.id).where(
                grp.c.courseid == row.courseid, grp.c.idnumber == idnumber, grp.c.id != row.id
            )
            if conn.execute(taken.limit(1)).first() is not None:
                raise _idnumber_taken()
        check_lengths("groups", changes)
        changes["timemodified"] = call.now
        conn.execute(grp.update().where(grp.c.id == row.id).values(**changes))


def delete_groups(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for group_id in params["groupids"]:
        call.cost.charge()
        # Unknown groups are silently skipped, by design.
        conn.execute(gm.delete().where(gm.c.groupid == group_id))
        conn.execute(gg.delete().where(gg.c.groupid == group_id))
        conn.execute(grp.delete().where(grp.c.id == group_id))


def get_course_groups(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    course_id = params["courseid"]
    if not _course_exists(conn, course_id):
        raise course_context_invalid(course_id)
    rows = sorted(
        conn.execute(select(grp).where(grp.c.courseid == course_id)), key=lambda g: (g.name, g.id)
    )
    call.cost.charge(len(rows))
    result = []
    for row in rows:
        description, description_format = format_text(row.description, row.descriptionformat)
        result.append(
            {
                "id": row.id,
                "courseid": row.courseid,
                "name": format_string(row.name),
                "description": description,
                "descriptionformat": description_format,
                "enrolmentkey": row.enrolmentkey,
                "idnumber": row.idnumber,
            }
        )
    return result


def _groups_and_users(
    call: Call, members: list[dict[str, Any]]
) -> tuple[dict[int, Any], dict[int, Any]]:
    groups = rows_by_id(call.conn, grp, {m["groupid"] for m in members})
    users = {
        uid: row
        for uid, row in rows_by_id(call.conn, usr, {m["userid"] for m in members}).items()
        if not row.deleted
    }
    return groups, users


def add_group_members(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    members = params["members"]
    groups, users = _groups_and_users(call, members)
    enrolled = enrolled_pairs(conn, {g.courseid for g in groups.values()}, set(users))
    existing: set[tuple[int, int]] = set()
    for part in chunks(sorted(groups)):
        query = select(gm.c.groupid, gm.c.userid).where(gm.c.groupid.in_(part))
        existing.update((g, u) for g, u in conn.execute(query) if u in users)
    inserts: list[dict[str, Any]] = []
    for member in members:
        call.cost.charge()
        group = groups.get(member["groupid"])
        if group is None:
            raise missing_record("groups")
        user_id = member["userid"]
        if user_id not in users:
            raise missing_record("user")
        if (group.courseid, user_id) not in enrolled:
            raise invalid_parameter("Only enrolled users may be members of groups")
        if (group.id, user_id) in existing:
            continue
        existing.add((group.id, user_id))
        inserts.append(
            {
                "groupid": group.id,
                "userid": user_id,
                "timeadded": call.now,
                "component": "",
                "itemid": 0,
            }
        )
    if inserts:
        conn.execute(gm.insert(), inserts)


def delete_group_members(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    members = params["members"]
    groups, users = _groups_and_users(call, members)
    removals: list[tuple[int, int]] = []
    for member in members:
        call.cost.charge()
        if member["groupid"] not in groups:
            raise missing_record("groups")
        if member["userid"] not in users:
            raise missing_record("user")
        removals.append((member["groupid"], member["userid"]))
    for group_id, user_id in removals:
        conn.execute(gm.delete().where(gm.c.groupid == group_id, gm.c.userid == user_id))


def get_group_members(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    ids = params["groupids"]
    groups = rows_by_id(call.conn, grp, ids)
    for group_id in ids:
        if group_id not in groups:
            raise missing_record("groups")
    return member_lists(call, gm, "groupid", ids, "groupid")


def get_course_groupings(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    course_id = params["courseid"]
    if not _course_exists(conn, course_id):
        raise missing_record("course")
    rows = sorted(
        conn.execute(select(gpg).where(gpg.c.courseid == course_id)), key=lambda g: (g.name, g.id)
    )
    call.cost.charge(len(rows))
    result = []
    for row in rows:
        description, description_format = format_text(row.description, row.descriptionformat)
        result.append(
            {
                "id": row.id,
                "courseid": row.courseid,
                "name": format_string(row.name),
                "description": description,
                "descriptionformat": description_format,
                "idnumber": row.idnumber,
            }
        )
    return result


def create_groupings(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    created: list[dict[str, Any]] = []
    for item in params["groupings"]:
        call.cost.charge()
        course_id, name = item["courseid"], item["name"]
        if name.strip(_PHP_TRIM) == "":
            raise invalid_parameter("Invalid grouping name")
        same = select(gpg.c.id).where(gpg.c.courseid == course_id, gpg.c.name == name)
        if conn.execute(same.limit(1)).first() is not None:
            raise invalid_parameter("Grouping with the same name already exists in the course")
        if not _course_exists(conn, course_id):
            raise missing_record("course")
        validate_format(item["descriptionformat"])
        idnumber = item.get("idnumber") or ""
        if idnumber:
            taken = select(gpg.c.id).where(gpg.c.courseid == course_id, gpg.c.idnumber == idnumber)
            if conn.execute(taken.limit(1)).first() is not None:
                raise _idnumber_taken()
        check_lengths("groupings", {"name": name, "idnumber": idnumber})
        grouping_id = call.new_id("groupings")
        conn.execute(
            gpg.insert().values(
                id=grouping_id,
                courseid=course_id,
                name=name,
                idnumber=idnumber,
                description=item["description"],
                descriptionformat=item["descriptionformat"],
                timecreated=call.now,
                timemodified=call.now,
            )
        )
        created.append(
            {
                "id": grouping_id,
                "courseid": course_id,
                "name": name,
                "description": item["description"],
                "descriptionformat": item["descriptionformat"],
                "idnumber": idnumber,
            }
        )
    return created


def assign_grouping(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for item in params["assignments"]:
        call.cost.charge()
        grouping_id, group_id = item["groupingid"], item["groupid"]
        if conn.execute(select(gpg.c.id).where(gpg.c.id == grouping_id)).first() is None:
            raise missing_record("groupings")
        if conn.execute(select(grp.c.id).where(grp.c.id == group_id)).first() is None:
            raise missing_record("groups")
        pair = select(gg.c.id).where(gg.c.groupingid == grouping_id, gg.c.groupid == group_id)
        if conn.execute(pair).first() is not None:
            continue
        # Moodle does not check that the group and the grouping share a course.
        conn.execute(
            gg.insert().values(groupingid=grouping_id, groupid=group_id, timeadded=call.now)
        )
