"""What REFER needs from a student information system: Apogée today, Pégase tomorrow.

A `SourceReader` reads one academic year and returns the REFER snapshot of that year, already
filtered, with what it left out (in the snapshot's exclusions), the anomalies worth a notice
and the number of rows it read from each of its tables (the truncated-source check compares
them with the previous refresh).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from ...domain.plan import Notice
from ...domain.refer_model import ReferSnapshot
from ...steps.base import ProgressTask

Progress = Callable[[str, int | None], AbstractContextManager[ProgressTask]]


@dataclass(slots=True)
class SourceExtract:
    snapshot: ReferSnapshot
    counts: dict[str, int]  # rows read per source table
    notices: list[Notice] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


class SourceReader(Protocol):
    name: str
    # Source tables that are never empty in a working system: empty means truncated.
    required: frozenset[str]

    def read(self, year: str, today: date, progress: Progress) -> SourceExtract:
        """The snapshot of `year`, judged against `today` (closing dates of links)."""
        ...

    def close(self) -> None:
        """Releases the connections."""
        ...
