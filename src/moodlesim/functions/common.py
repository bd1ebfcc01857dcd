"""Helpers shared by the web service functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, select

from ..call import Call
from ..db import schema
from ..ws.errors import MoodleError, write_error

ALLOWED_FORMATS = (0, 1, 2, 4)
IN_CHUNK = 900  # stays under SQLite's limit of bound parameters


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_by_id(conn: Connection, table: Table, ids: Iterable[int]) -> dict[int, Any]:
    """Rows of `table` whose id is in `ids`, by id (bulk, chunked)."""
    wanted = sorted(set(ids))
    found: dict[int, Any] = {}
    for part in chunks(wanted):
        for row in conn.execute(select(table).where(table.c.id.in_(part))):
            found[row.id] = row
    return found


def check_lengths(table: str, values: Mapping[str, Any]) -> None:
    """Moodle has no length check: the database refuses the insert or update."""
    for column, limit in schema.LIMITS[table].items():
        value = values.get(column)
        if isinstance(value, str) and len(value) > limit:
            raise write_error(f"value too long for type character varying({limit})")


def validate_format(value: int) -> int:
    if value not in ALLOWED_FORMATS:
        raise MoodleError(
            "moodle_exception",
            "formatnotsupported",
            "Format not supported",
            f"The format with value={value} is not supported by this Moodle site",
        )
    return value


def new_context(call: Call, level: int, instance: int) -> int:
    row = context_row(call, level, instance)
    call.conn.execute(schema.context.insert().values(**row))
    return int(row["id"])


def context_row(call: Call, level: int, instance: int) -> dict[str, Any]:
    """A new context, to insert in bulk with others."""
    return {
        "id": call.new_id("context"),
        "contextlevel": level,
        "instanceid": instance,
        "path": "",
        "depth": 0,
    }


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One bulk insert of rows that may name different columns (the others get defaults)."""
    if not rows:
        return
    names = {name for row in rows for name in row}
    defaults = {
        column.name: getattr(column.default, "arg", None)
        for column in table.columns
        if column.name in names
    }
    conn.execute(table.insert(), [{**defaults, **row} for row in rows])


def context_ids(conn: Connection, level: int, instances: Iterable[int]) -> dict[int, int]:
    """Context id of each instance (course, category, user) that has one."""
    ctx = schema.context
    wanted = sorted(set(instances))
    found: dict[int, int] = {}
    for part in chunks(wanted):
        query = select(ctx.c.instanceid, ctx.c.id).where(
            ctx.c.contextlevel == level, ctx.c.instanceid.in_(part)
        )
        found.update({row.instanceid: row.id for row in conn.execute(query)})
    return found


def context_by_id(conn: Connection, context_id: int) -> Any:
    return conn.execute(select(schema.context).where(schema.context.c.id == context_id)).first()


def delete_context(conn: Connection, level: int, instance: int) -> None:
    ctx = schema.context
    conn.execute(ctx.delete().where(ctx.c.contextlevel == level, ctx.c.instanceid == instance))


def count_by(conn: Connection, column: Any, values: Iterable[int]) -> dict[int, int]:
    """How many rows have each of `values` in `column`."""
    wanted = sorted(set(values))
    counts: dict[int, int] = {}
    for part in chunks(wanted):
        query = select(column, func.count()).where(column.in_(part)).group_by(column)
        counts.update({key: total for key, total in call_rows(conn, query)})
    return counts


def call_rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(query)]


def fullname(user: Any) -> str:
    return f"{user.firstname} {user.lastname}"


def name_order(user: Any) -> tuple[str, str, int]:
    """ORDER BY lastname, firstname (byte order), then id."""
    return (user.lastname, user.firstname, user.id)


def member_lists(
    call: Call, link: Table, container: str, ids: Sequence[int], answer_key: str
) -> list[dict[str, Any]]:
    """Members of each container (cohort, group) through the link table, in Moodle's order
    (lastname, firstname), one entry per asked id: `{answer_key: id, "userids": [...]}`."""
    usr = schema.user
    column = link.c[container]
    members: dict[int, list[Any]] = {}
    for part in chunks(sorted(set(ids))):
        # Only what the order needs: whole user rows cost the single database thread more
        # than the measured cost of the call.
        query = (
            select(column.label("container"), usr.c.id, usr.c.lastname, usr.c.firstname)
            .join(usr, usr.c.id == link.c.userid)
            .where(column.in_(part))
        )
        for row in call.conn.execute(query):
            members.setdefault(row.container, []).append(row)
    result = []
    for container_id in ids:
        users = sorted(members.get(container_id, []), key=name_order)
        call.cost.charge(len(users))
        result.append({answer_key: container_id, "userids": [u.id for u in users]})
    return result
