"""Cohorts: create, update, delete, search, read, and their members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, or_, select

from ..call import Call
from ..db import schema
from ..php.text import format_text
from ..ws.errors import coding_error, context_missing, invalid_parameter, missing_record
from .common import (
    check_lengths,
    chunks,
    context_by_id,
    member_lists,
    rows_by_id,
    validate_format,
)

coh, cm = schema.cohort, schema.cohort_members
cat, ctx, usr = schema.course_categories, schema.context, schema.user
SYSTEM_CONTEXT = 1
_PHP_TRIM = " \t\n\r\0\x0b"


def _category_context(conn: Connection, categorytype: dict[str, Any], for_update: bool) -> int:
    kind, value = categorytype["type"], categorytype["value"]
    if kind not in ("idnumber", "id", "system"):
        raise invalid_parameter(f"category type must be id, idnumber or system:{kind}")
    if kind == "system":
        return SYSTEM_CONTEXT
    if kind == "id":
        condition = cat.c.id == int(value) if str(value).isdigit() else cat.c.id == -1
    else:
        condition = cat.c.idnumber == value
    category_id = conn.execute(
        select(cat.c.id).where(condition).order_by(cat.c.id).limit(1)
    ).scalar()
    if category_id is None:
        if for_update:
            raise invalid_parameter(f"category not exists: category={value}")
        raise invalid_parameter(f"category not exists: category {kind} = {value}")
    query = select(ctx.c.id).where(
        ctx.c.contextlevel == schema.CONTEXT_COURSECAT, ctx.c.instanceid == category_id
    )
    return int(conn.execute(query).scalar_one())


def _info(row: Any, available_only: bool = False) -> dict[str, Any]:
    description, description_format = format_text(row.description, row.descriptionformat)
    info: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "idnumber": row.idnumber,
        "description": "" if available_only else description,
        "descriptionformat": description_format,
        "visible": bool(row.visible),
    }
    if not available_only:
        info["theme"] = row.theme or ""
    return info


def create_cohorts(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    created: list[dict[str, Any]] = []
    for item in params["cohorts"]:
        call.cost.charge()
        context_id = _category_context(conn, item["categorytype"], for_update=False)
        taken = select(coh.c.id).where(coh.c.idnumber == item["idnumber"]).limit(1)
        if conn.execute(taken).first() is not None:
            raise invalid_parameter(f"record already exists: idnumber={item['idnumber']}")
        validate_format(item["descriptionformat"])
        check_lengths("cohort", item)
        cohort_id = call.new_id("cohort")
        values = {
            "id": cohort_id,
            "contextid": context_id,
            "name": item["name"],
            "idnumber": item["idnumber"],
            "description": item.get("description", ""),
            "descriptionformat": item["descriptionformat"],
            "visible": int(item.get("visible", True)),
            "theme": item.get("theme", ""),
            "timecreated": call.now,
            "timemodified": call.now,
        }
        conn.execute(coh.insert().values(**values))
        created.append(_info(conn.execute(select(coh).where(coh.c.id == cohort_id)).one()))
    return created


def update_cohorts(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for item in params["cohorts"]:
        call.cost.charge()
        if item["name"].strip(_PHP_TRIM) == "":
            raise invalid_parameter("Invalid cohort name")
        if conn.execute(select(coh.c.id).where(coh.c.id == item["id"])).first() is None:
            raise missing_record("cohort")
        context_id = _category_context(conn, item["categorytype"], for_update=True)
        # Unlike creation, an update does not check that the idnumber is free.
        changes: dict[str, Any] = {
            "contextid": context_id,
            "name": item["name"],
            "idnumber": item["idnumber"],
            "timemodified": call.now,
        }
        if item.get("description"):
            validate_format(item["descriptionformat"])
        if "description" in item:
            changes["description"] = item["description"]
            changes["descriptionformat"] = item["descriptionformat"]
        if "visible" in item:
            changes["visible"] = int(item["visible"])
        if "theme" in item:
            changes["theme"] = item["theme"]
        check_lengths("cohort", changes)
        conn.execute(coh.update().where(coh.c.id == item["id"]).values(**changes))


def delete_cohorts(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for cohort_id in params["cohortids"]:
        call.cost.charge()
        if conn.execute(select(coh.c.id).where(coh.c.id == cohort_id)).first() is None:
            raise missing_record("cohort")
        conn.execute(cm.delete().where(cm.c.cohortid == cohort_id))
        conn.execute(coh.delete().where(coh.c.id == cohort_id))


def get_cohorts(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    conn = call.conn
    if params["cohortids"]:
        rows = sorted(rows_by_id(conn, coh, params["cohortids"]).values(), key=lambda r: r.id)
    else:
        rows = list(conn.execute(select(coh).order_by(coh.c.id)))
    call.cost.charge(len(rows))
    return [_info(row) for row in rows]


def _search_context(conn: Connection, given: dict[str, Any]) -> Any:
    levels = {
        "system": schema.CONTEXT_SYSTEM,
        "coursecat": schema.CONTEXT_COURSECAT,
        "course": schema.CONTEXT_COURSE,
        "user": schema.CONTEXT_USER,
    }
    if given["contextid"]:
        found = context_by_id(conn, given["contextid"])
    elif given["contextlevel"]:
        level = levels.get(given["contextlevel"])
        if level is None:
            raise invalid_parameter(f"Invalid context level = {given['contextlevel']}")
        instance = 0 if level == schema.CONTEXT_SYSTEM else given["instanceid"]
        query = select(ctx).where(ctx.c.contextlevel == level, ctx.c.instanceid == instance)
        found = conn.execute(query).first()
    else:
        raise invalid_parameter(
            "Missing parameters, please provide either context level with instance id or contextid"
        )
    if found is None:
        raise context_missing()
    return found


def _parent_contexts(conn: Connection, context: Any) -> list[int]:
    """Context ids above `context`: its categories upwards, then the system context."""
    category_id = 0
    if context.contextlevel == schema.CONTEXT_COURSECAT:
        category_id = context.instanceid
    elif context.contextlevel == schema.CONTEXT_COURSE:
        category_id = (
            conn.execute(
                select(schema.course.c.category).where(schema.course.c.id == context.instanceid)
            ).scalar()
            or 0
        )
    parents: list[int] = []
    if category_id:
        path = conn.execute(select(cat.c.path).where(cat.c.id == category_id)).scalar() or ""
        ids = [int(part) for part in path.split("/") if part]
        if context.contextlevel == schema.CONTEXT_COURSECAT:
            ids = ids[:-1]
        contexts = {
            instance: context_id
            for instance, context_id in conn.execute(
                select(ctx.c.instanceid, ctx.c.id).where(
                    ctx.c.contextlevel == schema.CONTEXT_COURSECAT, ctx.c.instanceid.in_(ids)
                )
            )
        }
        parents = [contexts[i] for i in reversed(ids) if i in contexts]
    return [*parents, SYSTEM_CONTEXT]


def _matching(query: Any, text: str, columns: Sequence[Any]) -> Any:
    if not text:
        return query
    pattern = f"%{text.lower()}%"
    return query.where(or_(*(func.lower(func.coalesce(c, "")).like(pattern) for c in columns)))


def _page(rows: list[Any], start: int, size: int) -> list[Any]:
    return rows[start : start + size] if size else rows[start:]


def search_cohorts(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    conn = call.conn
    context = _search_context(conn, params["context"])
    includes, text = params["includes"], params["query"]
    start, size = params["limitfrom"], params["limitnum"]
    own_columns = (coh.c.name, coh.c.idnumber, coh.c.description)
    if includes == "all":
        rows = list(conn.execute(_matching(select(coh), text, own_columns)))
        found = [_info(r) for r in _page(sorted(rows, key=lambda r: (r.name, r.id)), start, size)]
    elif includes in ("self", "parents"):
        own = _matching(select(coh).where(coh.c.contextid == context.id), text, own_columns)
        rows = sorted(conn.execute(own), key=lambda r: (r.name, r.id))
        found = [_info(r) for r in _page(rows, start, size)]
        if includes == "parents" and context.contextlevel != schema.CONTEXT_SYSTEM:
            parents = _parent_contexts(conn, context)
            query = select(coh).where(coh.c.contextid.in_(parents), coh.c.visible == 1)
            more = sorted(
                conn.execute(_matching(query, text, (coh.c.name, coh.c.idnumber))),
                key=lambda r: (r.name, r.id),
            )
            seen = {info["id"] for info in found}
            found += [
                _info(r, available_only=True) for r in _page(more, start, size) if r.id not in seen
            ]
    else:
        raise coding_error("Invalid parameter value for 'includes'.")
    call.cost.charge(len(found))
    return {"cohorts": found}


def _lookup(
    conn: Connection, table: Any, column: Any, values: set[Any], *where: Any
) -> dict[Any, int]:
    """The lowest id for each value of `column` (several cohorts may share an idnumber)."""
    found: dict[Any, int] = {}
    for part in chunks(sorted(values)):
        query = select(column, table.c.id).where(column.in_(part), *where).order_by(table.c.id)
        for value, row_id in conn.execute(query):
            found.setdefault(value, row_id)
    return found


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values if v.isdigit()}


def add_cohort_members(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    conn = call.conn
    members = params["members"]
    by_kind: dict[str, list[str]] = {"c:id": [], "c:idnumber": [], "u:id": [], "u:username": []}
    for member in members:
        by_kind.setdefault(f"c:{member['cohorttype']['type']}", []).append(
            member["cohorttype"]["value"]
        )
        by_kind.setdefault(f"u:{member['usertype']['type']}", []).append(
            member["usertype"]["value"]
        )
    live = (usr.c.deleted == 0, usr.c.mnethostid == 1)
    cohorts = {
        "id": {str(k): v for k, v in _lookup(conn, coh, coh.c.id, _ids(by_kind["c:id"])).items()},
        "idnumber": _lookup(conn, coh, coh.c.idnumber, set(by_kind["c:idnumber"])),
    }
    users = {
        "id": {
            str(k): v for k, v in _lookup(conn, usr, usr.c.id, _ids(by_kind["u:id"]), *live).items()
        },
        "username": _lookup(conn, usr, usr.c.username, set(by_kind["u:username"]), *live),
    }
    existing: set[tuple[int, int]] = set()
    for part in chunks(sorted(set(cohorts["id"].values()) | set(cohorts["idnumber"].values()))):
        query = select(cm.c.cohortid, cm.c.userid).where(cm.c.cohortid.in_(part))
        existing.update((c, u) for c, u in conn.execute(query))
    warnings: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for member in members:
        call.cost.charge()
        cohort_type, user_type = member["cohorttype"], member["usertype"]
        if cohort_type["type"] not in ("id", "idnumber"):
            message = f"invalid parameter: cohortype={cohort_type['type']}"
            warnings.append({"warningcode": "1", "message": message})
            continue
        if user_type["type"] not in ("id", "username"):
            message = f"invalid parameter: usertype={user_type['type']}"
            warnings.append({"warningcode": "1", "message": message})
            continue
        cohort_id = cohorts[cohort_type["type"]].get(cohort_type["value"])
        if cohort_id is None:
            message = f"cohort {cohort_type['type']}={cohort_type['value']} not exists"
            warnings.append({"warningcode": "2", "message": message})
            continue
        user_id = users[user_type["type"]].get(user_type["value"])
        if user_id is None:
            message = f"user {user_type['type']}={user_type['value']} not exists"
            warnings.append({"warningcode": "2", "message": message})
            continue
        if (cohort_id, user_id) in existing:
            warnings.append(
                {
                    "warningcode": "3",
                    "message": f"record already exists: cohort({cohort_type['type']}="
                    f"{cohort_type['value']} {user_type['type']}={user_type['value']})",
                }
            )
            continue
        existing.add((cohort_id, user_id))
        inserts.append({"cohortid": cohort_id, "userid": user_id, "timeadded": call.now})
    if inserts:
        conn.execute(cm.insert(), inserts)
    return {"warnings": warnings}


def delete_cohort_members(call: Call, params: dict[str, Any]) -> None:
    conn = call.conn
    for member in params["members"]:
        call.cost.charge()
        if conn.execute(select(coh.c.id).where(coh.c.id == member["cohortid"])).first() is None:
            raise missing_record("cohort")
        user = select(usr.c.id).where(usr.c.id == member["userid"], usr.c.deleted == 0)
        if conn.execute(user).first() is None:
            raise missing_record("user")
        conn.execute(
            cm.delete().where(cm.c.cohortid == member["cohortid"], cm.c.userid == member["userid"])
        )


def get_cohort_members(call: Call, params: dict[str, Any]) -> list[dict[str, Any]]:
    ids = params["cohortids"]
    known = rows_by_id(call.conn, coh, ids)
    for cohort_id in ids:
        if cohort_id not in known:
            raise missing_record("cohort")
    return member_lists(call, cm, "cohortid", ids, "cohortid")


def move_or_delete_category_cohorts(
    conn: Connection, category_ids: list[int], target: int | None
) -> None:
    """Cohorts of deleted categories: moved to the target category, or deleted with them."""
    contexts = select(ctx.c.id).where(
        ctx.c.contextlevel == schema.CONTEXT_COURSECAT, ctx.c.instanceid.in_(category_ids)
    )
    if target is None:
        doomed = select(coh.c.id).where(coh.c.contextid.in_(contexts))
        conn.execute(cm.delete().where(cm.c.cohortid.in_(doomed)))
        conn.execute(coh.delete().where(coh.c.contextid.in_(contexts)))
        return
    target_context = conn.execute(
        select(ctx.c.id).where(
            ctx.c.contextlevel == schema.CONTEXT_COURSECAT, ctx.c.instanceid == target
        )
    ).scalar()
    conn.execute(coh.update().where(coh.c.contextid.in_(contexts)).values(contextid=target_context))
