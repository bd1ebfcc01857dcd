"""core_role_assign_roles and core_role_unassign_roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..call import Call
from ..db import schema
from ..ws.errors import coding_error, context_missing, invalid_parameter
from .common import context_by_id

ra, ctx = schema.role_assignments, schema.context
_LEVELS = {
    "system": schema.CONTEXT_SYSTEM,
    "user": schema.CONTEXT_USER,
    "coursecat": schema.CONTEXT_COURSECAT,
    "course": schema.CONTEXT_COURSE,
    "module": 70,
    "block": 80,
}
# Roles an administrator may assign at each context level (Moodle's defaults).
_ASSIGNABLE = {
    schema.CONTEXT_SYSTEM: {1, 2},
    schema.CONTEXT_COURSECAT: {1, 2},
    schema.CONTEXT_COURSE: {1, 3, 4, 5},
}


def _context(call: Call, item: dict[str, Any]) -> Any:
    if item.get("contextid"):
        found = context_by_id(call.conn, item["contextid"])
    elif item.get("contextlevel") and "instanceid" in item:
        level = _LEVELS.get(item["contextlevel"])
        if level is None:
            raise invalid_parameter(f"Invalid context level = {item['contextlevel']}")
        query = select(ctx).where(
            ctx.c.contextlevel == level, ctx.c.instanceid == item["instanceid"]
        )
        found = call.conn.execute(query).first()
    else:
        raise invalid_parameter(
            "Missing parameters, please provide either context level with instance id or contextid"
        )
    if found is None:
        raise context_missing()
    return found


def _check(call: Call, item: dict[str, Any], verb: str) -> Any:
    context = _context(call, item)
    if item["roleid"] not in _ASSIGNABLE.get(context.contextlevel, set()):
        raise invalid_parameter(
            f"Can not {verb} roleid={item['roleid']} in contextid={item.get('contextid', '')}"
        )
    user = call.conn.execute(
        select(schema.user.c.id).where(
            schema.user.c.id == item["userid"], schema.user.c.deleted == 0
        )
    ).first()
    if user is None:
        raise coding_error("User ID does not exist or is deleted!")
    return context


def assign_roles(call: Call, params: dict[str, Any]) -> None:
    for item in params["assignments"]:
        call.cost.charge()
        context = _check(call, item, "assign")
        exists = call.conn.execute(
            select(ra.c.id).where(
                ra.c.roleid == item["roleid"],
                ra.c.contextid == context.id,
                ra.c.userid == item["userid"],
                ra.c.component == "",
                ra.c.itemid == 0,
            )
        ).first()
        if exists is None:
            call.conn.execute(
                ra.insert().values(
                    roleid=item["roleid"],
                    contextid=context.id,
                    userid=item["userid"],
                    component="",
                    itemid=0,
                    timemodified=call.now,
                )
            )


def unassign_roles(call: Call, params: dict[str, Any]) -> None:
    for item in params["unassignments"]:
        call.cost.charge()
        context = _check(call, item, "unassign")
        call.conn.execute(
            ra.delete().where(
                ra.c.roleid == item["roleid"],
                ra.c.contextid == context.id,
                ra.c.userid == item["userid"],
                ra.c.component == "",
                ra.c.itemid == 0,
            )
        )
