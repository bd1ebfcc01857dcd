"""Comparing what the source says with what REFER holds, table by table and key by key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter

from .rows import Key, Rows, Values


@dataclass(slots=True)
class TableDelta:
    """The writes that bring one REFER table of one year to the desired rows."""

    table: str
    year: str
    inserts: list[tuple[Key, Values]] = field(default_factory=list)
    updates: list[tuple[Key, Values, Values]] = field(default_factory=list)  # key, before, after
    deletes: list[Key] = field(default_factory=list)
    existing: int = 0  # rows REFER held
    desired: int = 0  # rows REFER will hold

    def is_empty(self) -> bool:
        return not (self.inserts or self.updates or self.deletes)

    @property
    def changes(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)


def diff_rows(
    table: str, year: str, desired: Rows, existing: Iterable[tuple[Key, Values]]
) -> TableDelta:
    """Inserts, updates and deletes turning `existing` into `desired`.

    `existing` is streamed, so only the desired rows are held in memory; `desired` is consumed
    (emptied) on the way, which spares a copy of the largest tables.
    """
    delta = TableDelta(table, year, desired=len(desired))
    for key, before in existing:
        delta.existing += 1
        after = desired.pop(key, None)
        if after is None:
            delta.deletes.append(key)
        elif after != before:
            delta.updates.append((key, before, after))
    delta.inserts = list(desired.items())
    desired.clear()
    # Key order: deterministic plans, and friendlier to the B-tree being written.
    delta.inserts.sort(key=itemgetter(0))
    delta.updates.sort(key=itemgetter(0))
    delta.deletes.sort()
    return delta
