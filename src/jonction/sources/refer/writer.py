"""Writing deltas into REFER, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, update

from . import schema
from .diff import TableDelta
from .rows import SPEC_BY_NAME, TableSpec

CHUNK = 5_000


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _key_condition(spec: TableSpec) -> Any:
    table = spec.table
    # Bound names differ from column names: SQLAlchemy reserves those for SET values.
    return and_(
        table.c.year == bindparam("k_year"),
        *[table.c[name] == bindparam(f"k_{name}") for name in spec.key],
    )


def write_delta(connection: Connection, delta: TableDelta, advance: Callable[[int], None]) -> None:
    """Applies one table's delta: deletes first (a key may come back), then updates, inserts."""
    spec = SPEC_BY_NAME[delta.table]
    table, year = spec.table, delta.year
    if delta.deletes:
        deleting = delete(table).where(_key_condition(spec))
        for chunk in _chunks(delta.deletes):
            params = [
                {"k_year": year, **{f"k_{n}": v for n, v in zip(spec.key, key, strict=True)}}
                for key in chunk
            ]
            connection.execute(deleting, params)
            advance(len(chunk))
    if delta.updates:
        updating = (
            update(table)
            .where(_key_condition(spec))
            .values({name: bindparam(name) for name in spec.values})
        )
        for chunk in _chunks(delta.updates):
            params = [
                {
                    "k_year": year,
                    **{f"k_{n}": v for n, v in zip(spec.key, key, strict=True)},
                    **dict(zip(spec.values, after, strict=True)),
                }
                for key, _before, after in chunk
            ]
            connection.execute(updating, params)
            advance(len(chunk))
    if delta.inserts:
        _insert(connection, spec, year, delta.inserts, advance)


def _insert(
    connection: Connection,
    spec: TableSpec,
    year: str,
    rows: Sequence[tuple[Any, ...]],
    advance: Callable[[int], None],
) -> None:
    columns = ("year", *spec.columns)
    raw = connection.connection.dbapi_connection
    assert raw is not None
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # COPY: the fastest way into PostgreSQL, inside the same transaction.
        copying = f"COPY {spec.table.name} ({', '.join(columns)}) FROM STDIN"
        cursor: Any = raw.cursor()  # a psycopg cursor
        try:
            with cursor.copy(copying) as copy:
                for chunk in _chunks(rows):
                    for row in chunk:
                        copy.write_row((year, *row))
                    advance(len(chunk))
        finally:
            cursor.close()
        return
    if dialect.name == "sqlite":
        # The first refresh inserts millions of rows: hand SQLite's driver plain tuples (same
        # connection, same transaction) rather than a dictionary per row.
        statement = insert(spec.table).values({name: bindparam(name) for name in columns})
        compiled = statement.compile(dialect=connection.dialect)
        order = [columns.index(name) for name in compiled.positiontup or ()]
        reorder = None if order == list(range(len(columns))) else itemgetter(*order)
        cursor = raw.cursor()
        try:
            for chunk in _chunks(rows):
                values = [(year, *row) for row in chunk]
                if reorder is not None:
                    values = [reorder(row) for row in values]
                cursor.executemany(str(compiled), values)
                advance(len(chunk))
        finally:
            cursor.close()
        return
    for chunk in _chunks(rows):
        params = [dict(zip(columns, (year, *row), strict=True)) for row in chunk]
        connection.execute(insert(spec.table), params)
        advance(len(chunk))


def write_source_counts(
    connection: Connection, year: str, before: Mapping[str, int], after: Mapping[str, int]
) -> int:
    """Stores the new source counts where they changed; returns the rows written."""
    table = schema.refer_source_count
    gone = sorted(set(before) - set(after))
    changed = [(s, n) for s, n in sorted(after.items()) if s in before and before[s] != n]
    new = [(s, n) for s, n in sorted(after.items()) if s not in before]
    if gone:
        connection.execute(delete(table).where(table.c.year == year, table.c.source.in_(gone)))
    if changed:
        connection.execute(
            update(table)
            .where(table.c.year == bindparam("k_year"), table.c.source == bindparam("k_source"))
            .values(rows=bindparam("rows")),
            [{"k_year": year, "k_source": s, "rows": n} for s, n in changed],
        )
    if new:
        connection.execute(insert(table), [{"year": year, "source": s, "rows": n} for s, n in new])
    return len(gone) + len(changed) + len(new)


def mark_changed(connection: Connection, year: str, known: bool, now: datetime) -> None:
    """Records that `year`'s content changed at `now` (and that REFER holds the year)."""
    table = schema.refer_year
    stamp = now.replace(tzinfo=None)
    if known:
        connection.execute(update(table).where(table.c.year == year).values(changed_at=stamp))
    else:
        connection.execute(insert(table).values(year=year, changed_at=stamp))


def write_all(
    connection: Connection, deltas: Sequence[TableDelta], advance: Callable[[int], None]
) -> dict[str, int]:
    """Writes every delta; returns the rows written per table."""
    written: dict[str, int] = {}
    for delta in deltas:
        write_delta(connection, delta, advance)
        written[delta.table] = written.get(delta.table, 0) + delta.changes
    return written
