"""enrol_manual_enrol_users and enrol_manual_unenrol_users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..call import Call
from ..db import schema
from ..ws.errors import (
    coding_error,
    context_missing,
    invalid_parameter,
    missing_record,
    moodle_exception,
)
from .common import chunks, rows_by_id
from .enrolstate import (
    ENROL_ACTIVE,
    ENROL_SUSPENDED,
    course_context_map,
    instances,
    unenrol,
)

ue, en, ra = schema.user_enrolments, schema.enrol, schema.role_assignments
crs, usr = schema.course, schema.user
# Roles assignable in a course context by an administrator.
COURSE_ROLES = frozenset({1, 3, 4, 5})
_NO_INSTANCE = (
    "Manual enrolment plugin instance doesn't exist or is disabled for the course "
    "(id = {$a->courseid})"
)


def enrol_users(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    items = params["enrolments"]
    course_ids = {item["courseid"] for item in items}
    user_ids = {item["userid"] for item in items}
    courses = set(rows_by_id(conn, crs, course_ids))
    manual = {
        cid: row for cid, row in instances(conn, course_ids, "manual").items() if row.status == 0
    }
    contexts = course_context_map(conn, course_ids)
    users = {uid for uid, row in rows_by_id(conn, usr, user_ids).items() if not row.deleted}
    instance_ids = [row.id for row in manual.values()]
    current: dict[tuple[int, int], Any] = {}
    roles: set[tuple[int, int, int]] = set()
    for part in chunks(instance_ids, 300):
        for users_part in chunks(sorted(user_ids), 600):
            query = select(ue).where(ue.c.enrolid.in_(part), ue.c.userid.in_(users_part))
            current.update({(row.enrolid, row.userid): row for row in conn.execute(query)})
    for part in chunks(sorted(contexts.values()), 300):
        for users_part in chunks(sorted(user_ids), 600):
            query = select(ra.c.roleid, ra.c.contextid, ra.c.userid).where(
                ra.c.contextid.in_(part),
                ra.c.userid.in_(users_part),
                ra.c.component == "",
                ra.c.itemid == 0,
            )
            roles.update((r, c, u) for r, c, u in conn.execute(query))
    inserts: dict[tuple[int, int], dict[str, Any]] = {}
    updates: dict[int, dict[str, Any]] = {}
    new_roles: list[dict[str, Any]] = []
    for item in items:
        call.cost.charge()
        course_id, user_id, role_id = item["courseid"], item["userid"], item["roleid"]
        if course_id not in courses:
            raise context_missing()
        if role_id not in COURSE_ROLES:
            raise moodle_exception(
                "wsusercannotassign",
                f"You don't have the permission to assign this role ({role_id}) to this user "
                f"({user_id}) in this course({course_id}).",
            )
        instance = manual.get(course_id)
        if instance is None:
            raise moodle_exception("wsnoinstance", _NO_INSTANCE)
        if user_id not in users:
            raise coding_error("User ID does not exist or is deleted!")
        values = {
            "status": ENROL_SUSPENDED if item.get("suspend") else ENROL_ACTIVE,
            "timestart": item.get("timestart", 0),
            "timeend": item.get("timeend", 0),
        }
        key = (instance.id, user_id)
        if key in inserts:
            inserts[key].update(values)
        elif key in current:
            row = current[key]
            changed = any(getattr(row, name) != value for name, value in values.items())
            if changed or row.id in updates:
                updates[row.id] = {**values, "timemodified": call.now}
        else:
            inserts[key] = {
                "enrolid": instance.id,
                "userid": user_id,
                "timecreated": call.now,
                "timemodified": call.now,
                **values,
            }
        role_key = (role_id, contexts[course_id], user_id)
        if role_key not in roles:
            roles.add(role_key)
            new_roles.append(
                {
                    "roleid": role_id,
                    "contextid": contexts[course_id],
                    "userid": user_id,
                    "component": "",
                    "itemid": 0,
                    "timemodified": call.now,
                }
            )
    if inserts:
        conn.execute(ue.insert(), list(inserts.values()))
    for row_id, values in updates.items():
        conn.execute(ue.update().where(ue.c.id == row_id).values(**values))
    if new_roles:
        conn.execute(ra.insert(), new_roles)


def unenrol_users(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for item in params["enrolments"]:
        call.cost.charge()
        course_id, user_id = item["courseid"], item["userid"]
        if conn.execute(select(crs.c.id).where(crs.c.id == course_id)).first() is None:
            raise missing_record("course")
        instance = instances(conn, [course_id], "manual").get(course_id)
        if instance is None:
            raise moodle_exception("wsnoinstance", _NO_INSTANCE)
        if conn.execute(select(usr.c.id).where(usr.c.id == user_id)).first() is None:
            raise invalid_parameter(f"User id not exist: {user_id}")
        unenrol(conn, instance, user_id)
