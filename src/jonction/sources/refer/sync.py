"""Bringing REFER to a snapshot: compute the deltas of every table, write them in one go."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from ...domain.refer_model import ReferSnapshot
from . import schema
from .diff import TableDelta, diff_rows, diff_sliced
from .rows import SPECS, TableSpec, student_rows, table_rows
from .store import read_rows
from .store import source_counts as stored_counts
from .writer import mark_changed, write_all, write_source_counts


def _ignore(amount: int) -> None:
    del amount


def compute_deltas(
    connection: Connection, snapshot: ReferSnapshot, advance: Callable[[int], None] = _ignore
) -> list[TableDelta]:
    """The delta of every REFER table between what it holds for the year and `snapshot`."""
    deltas = []
    year = snapshot.year
    for spec in SPECS:
        if spec.by_student:

            def read(low: int | None, high: int | None, spec: TableSpec = spec) -> Any:
                return read_rows(connection, spec, year, low, high)

            rows = student_rows(snapshot, spec.name)
            deltas.append(diff_sliced(spec.name, year, rows, read))
        else:
            desired = table_rows(snapshot, spec.name)
            deltas.append(diff_rows(spec.name, year, desired, read_rows(connection, spec, year)))
        advance(1)
    return deltas


def year_is_known(connection: Connection, year: str) -> bool:
    table = schema.refer_year
    return connection.execute(select(table.c.year).where(table.c.year == year)).first() is not None


def write_year(
    connection: Connection,
    year: str,
    deltas: Sequence[TableDelta],
    source_counts: Mapping[str, int] | None,
    previous_counts: Mapping[str, int],
    now: datetime,
    advance: Callable[[int], None] = _ignore,
) -> dict[str, int]:
    """Writes one year's deltas and source counts; writes nothing at all when nothing changed."""
    written = write_all(connection, deltas, advance)
    counted = 0
    if source_counts is not None:
        counted = write_source_counts(connection, year, previous_counts, source_counts)
    known = year_is_known(connection, year)
    if any(written.values()) or counted or not known:
        mark_changed(connection, year, known, now)
    return written


def save_snapshot(
    engine: Engine,
    snapshot: ReferSnapshot,
    *,
    source_counts: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> list[TableDelta]:
    """Makes REFER hold exactly `snapshot` for its year, in one transaction (tests, tools)."""
    with engine.begin() as connection:
        deltas = compute_deltas(connection, snapshot)
        write_year(
            connection,
            snapshot.year,
            deltas,
            source_counts,
            stored_counts(connection, snapshot.year),
            now or datetime.now(UTC),
        )
    return deltas
