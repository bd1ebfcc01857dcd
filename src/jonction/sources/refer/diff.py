"""Comparing what the source says with what REFER holds, table by table and key by key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .rows import Key, Rows, Values


@dataclass(slots=True)
class TableDelta:
    """The writes that bring one REFER table of one year to the desired rows."""

    table: str
    year: str
    inserts: list[tuple[Any, ...]] = field(default_factory=list)  # whole rows: key + values
    updates: list[tuple[Key, Values, Values]] = field(default_factory=list)  # key, before, after
    deletes: list[Key] = field(default_factory=list)
    existing: int = 0  # rows REFER held
    desired: int = 0  # rows REFER will hold

    def is_empty(self) -> bool:
        return not (self.inserts or self.updates or self.deletes)

    @property
    def changes(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)


def _merge(delta: TableDelta, desired: Rows, existing: Iterable[tuple[Key, Values]]) -> None:
    """Adds to `delta` what turns `existing` into `desired`; consumes (empties) `desired`."""
    delta.desired += len(desired)
    deletes, updates = delta.deletes, delta.updates
    pop = desired.pop
    count = 0
    for key, before in existing:
        count += 1
        after = pop(key, None)
        if after is None:
            deletes.append(key)
        elif after != before:
            updates.append((key, before, after))
    delta.existing += count
    # key + () is key itself: rows of tables without values cost no new tuple.
    delta.inserts.extend(key + values for key, values in desired.items())
    desired.clear()


def diff_rows(
    table: str, year: str, desired: Rows, existing: Iterable[tuple[Key, Values]]
) -> TableDelta:
    """Inserts, updates and deletes turning `existing` into `desired`.

    `existing` is streamed, so only the desired rows are held in memory; `desired` is consumed
    (emptied) on the way, which spares a copy.
    """
    delta = TableDelta(table, year)
    _merge(delta, desired, existing)
    # Key order: deterministic plans, and friendlier to the B-tree being written.
    delta.inserts.sort()
    delta.updates.sort(key=itemgetter(0))
    delta.deletes.sort()
    return delta


ReadRange = Callable[[int | None, int | None], Iterable[tuple[Key, Values]]]


def diff_sliced(
    table: str,
    year: str,
    rows: Iterable[tuple[Key, Values]],
    read: ReadRange,
    size: int = 50_000,
) -> TableDelta:
    """The same delta for a large table whose key starts with an integer (a student).

    `rows` come in ascending order of that integer; they are compared slice by slice with the
    rows `read(low, high)` returns for low ≤ key[0] < high (None: unbounded), so that only one
    slice is ever held in memory. A key met twice keeps its first values.
    """
    delta = TableDelta(table, year)
    current: Rows = {}
    low: int | None = None
    last: int | None = None
    for key, values in rows:
        first = key[0]
        if last is not None and first < last:
            raise ValueError(f"{table}: rows must come in ascending order of {first!r}")
        if len(current) >= size and first != last:
            _merge(delta, current, read(low, first))
            low = first
        current.setdefault(key, values)
        last = first
    _merge(delta, current, read(low, None))
    return delta
