"""Enrolment instances, user enrolments and role assignments, as Moodle's enrol API keeps them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from ..call import Call
from ..db import schema
from .common import chunks

ENROL_ACTIVE, ENROL_SUSPENDED = 0, 1
STUDENT_ROLE = 5

ue = schema.user_enrolments
en = schema.enrol
ra = schema.role_assignments
ctx = schema.context


def active_condition(now: int) -> ColumnElement[bool]:
    """An enrolment that counts for onlyactive: both enabled, inside its time window."""
    return and_(
        ue.c.status == ENROL_ACTIVE,
        en.c.status == ENROL_ACTIVE,
        ue.c.timestart <= now,
        or_(ue.c.timeend == 0, ue.c.timeend > now),
    )


def default_instances(call: Call, course_id: int) -> list[dict[str, Any]]:
    """What every new course gets: manual enabled; guest and self disabled."""
    return [
        {
            "id": call.new_id("enrol"),
            "enrol": plugin,
            "status": status,
            "courseid": course_id,
            "sortorder": order,
            "roleid": role,
            "timecreated": call.now,
            "timemodified": call.now,
        }
        for order, (plugin, status, role) in enumerate(
            [("manual", 0, STUDENT_ROLE), ("guest", 1, 0), ("self", 1, STUDENT_ROLE)]
        )
    ]


def instances(conn: Connection, course_ids: Iterable[int], plugin: str) -> dict[int, Any]:
    """The first instance of `plugin` in each course (any status)."""
    found: dict[int, Any] = {}
    for part in chunks(sorted(set(course_ids))):
        query = (
            select(en)
            .where(en.c.courseid.in_(part), en.c.enrol == plugin)
            .order_by(en.c.courseid, en.c.sortorder, en.c.id)
        )
        for row in conn.execute(query):
            found.setdefault(row.courseid, row)
    return found


def enabled_methods(conn: Connection, course_ids: Iterable[int]) -> dict[int, list[str]]:
    methods: dict[int, list[str]] = {}
    for part in chunks(sorted(set(course_ids))):
        query = (
            select(en.c.courseid, en.c.enrol)
            .where(en.c.courseid.in_(part), en.c.status == ENROL_ACTIVE)
            .order_by(en.c.courseid, en.c.sortorder, en.c.id)
        )
        for course_id, plugin in conn.execute(query):
            methods.setdefault(course_id, []).append(plugin)
    return methods


def enrolled_pairs(
    conn: Connection, course_ids: Iterable[int], user_ids: Iterable[int]
) -> set[tuple[int, int]]:
    """(course, user) pairs where the user has an enrolment of any status in the course."""
    users = sorted(set(user_ids))
    pairs: set[tuple[int, int]] = set()
    for course_part in chunks(sorted(set(course_ids)), 400):
        for user_part in chunks(users, 400):
            query = (
                select(en.c.courseid, ue.c.userid)
                .join(en, en.c.id == ue.c.enrolid)
                .where(en.c.courseid.in_(course_part), ue.c.userid.in_(user_part))
            )
            pairs.update((c, u) for c, u in conn.execute(query))
    return pairs


def course_context_map(conn: Connection, course_ids: Iterable[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for part in chunks(sorted(set(course_ids))):
        query = select(ctx.c.instanceid, ctx.c.id).where(
            ctx.c.contextlevel == schema.CONTEXT_COURSE, ctx.c.instanceid.in_(part)
        )
        found.update({instance: context_id for instance, context_id in conn.execute(query)})
    return found


def unenrol(conn: Connection, instance: Any, user_id: int) -> bool:
    """enrol_plugin::unenrol_user: False when the user was not enrolled by this instance.

    The instance's own role assignments go; if it was the user's last enrolment in the
    course, every role in the course and every group membership goes too.
    """
    enrolment = conn.execute(
        select(ue.c.id).where(ue.c.enrolid == instance.id, ue.c.userid == user_id)
    ).first()
    if enrolment is None:
        return False
    context_id = course_context_map(conn, [instance.courseid]).get(instance.courseid, 0)
    component = f"enrol_{instance.enrol}"
    conn.execute(
        ra.delete().where(
            ra.c.userid == user_id,
            ra.c.contextid == context_id,
            ra.c.component == component,
            ra.c.itemid == instance.id,
        )
    )
    conn.execute(ue.delete().where(ue.c.id == enrolment.id))
    remaining = conn.execute(
        select(ue.c.id)
        .join(en, en.c.id == ue.c.enrolid)
        .where(ue.c.userid == user_id, en.c.courseid == instance.courseid)
        .limit(1)
    ).first()
    if remaining is None:
        conn.execute(ra.delete().where(ra.c.userid == user_id, ra.c.contextid == context_id))
        group_ids = select(schema.groups.c.id).where(schema.groups.c.courseid == instance.courseid)
        conn.execute(
            schema.groups_members.delete().where(
                schema.groups_members.c.userid == user_id,
                schema.groups_members.c.groupid.in_(group_ids),
            )
        )
    return True
