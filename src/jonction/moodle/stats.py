"""Accounting of every call made to Moodle, so that each run can report its calls."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, Protocol

CallKind = Literal["read", "write"]

# Who makes the calls of the current task (a step of the run): steps run at the same time
# share one client, and each tallies only its own calls.
_CALLER: ContextVar[str | None] = ContextVar("jonction_moodle_caller", default=None)


@contextmanager
def calls_made_by(caller: str) -> Iterator[None]:
    """The calls made in this context (and the tasks it starts) are `caller`'s."""
    token = _CALLER.set(caller)
    try:
        yield
    finally:
        _CALLER.reset(token)


def current_caller() -> str | None:
    return _CALLER.get()


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One web service call as the client made it (its retries included).

    `outcome` is "ok", "warnings" (a partial answer), Moodle's errorcode, or the kind of
    fault ("transport", "badanswer", "http404"…). `duration_s` runs from the first attempt
    to the last answer, backoff waits included.
    """

    function: str
    kind: CallKind
    items: int
    fields: int
    duration_s: float
    outcome: str
    attempts: int
    bytes_sent: int
    bytes_received: int
    # The step that made it (`calls_made_by`), None outside a run.
    caller: str | None = None
    # Unix time when it was asked for (before waiting for a place among the calls in flight).
    started: float = 0.0

    @property
    def ended(self) -> float:
        return self.started + self.duration_s

    @property
    def retries(self) -> int:
        return self.attempts - 1


@dataclass(slots=True)
class FunctionSummary:
    function: str
    kind: CallKind
    calls: int = 0
    items: int = 0
    failed_calls: int = 0
    retries: int = 0
    duration_s: float = 0.0
    bytes_sent: int = 0
    bytes_received: int = 0
    # Unix times of the first call asked for and of the last answer (when the calls ran).
    first: float = math.inf
    last: float = 0.0

    def add(self, record: CallRecord) -> None:
        self.first = min(self.first, record.started)
        self.last = max(self.last, record.ended)
        self.calls += 1
        self.items += record.items
        self.failed_calls += record.outcome not in ("ok", "warnings")
        self.retries += record.retries
        self.duration_s += record.duration_s
        self.bytes_sent += record.bytes_sent
        self.bytes_received += record.bytes_received


class CallSink(Protocol):
    """Where a step tallies its calls (the journal's per-step tally)."""

    def add(
        self,
        function: str,
        calls: int,
        items: int,
        seconds: float,
        errors: int = 0,
        window: tuple[float, float] | None = None,
    ) -> None: ...


@dataclass
class CallStats:
    """Collects the records of every call; `peak_in_flight` is the most calls seen at once."""

    records: list[CallRecord] = field(default_factory=list)
    peak_in_flight: int = 0

    def add(self, record: CallRecord) -> None:
        self.records.append(record)

    @property
    def calls(self) -> int:
        return len(self.records)

    @property
    def reads(self) -> int:
        return sum(1 for record in self.records if record.kind == "read")

    @property
    def writes(self) -> int:
        return sum(1 for record in self.records if record.kind == "write")

    def by_function(self) -> dict[str, FunctionSummary]:
        """Totals per function, in function-name order."""
        return summarize(self.records)

    def since(self, mark: int) -> list[CallRecord]:
        """The records added after `mark` (a former value of `calls`)."""
        return self.records[mark:]

    def tally_into(self, sink: CallSink, since: int = 0) -> None:
        """Adds the calls made after `since` (a former `calls`) to `sink`, per function: those
        of the current caller (`calls_made_by`), not those of a step running beside it."""
        caller = current_caller()
        own = [record for record in self.records[since:] if record.caller == caller]
        for summary in summarize(own).values():
            sink.add(
                summary.function,
                summary.calls,
                summary.items,
                summary.duration_s,
                summary.failed_calls,
                (summary.first, summary.last),
            )

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (for run reports)."""
        return {
            "calls": self.calls,
            "reads": self.reads,
            "writes": self.writes,
            "peak_in_flight": self.peak_in_flight,
            "functions": [
                {
                    "function": s.function,
                    "kind": s.kind,
                    "calls": s.calls,
                    "items": s.items,
                    "failed_calls": s.failed_calls,
                    "retries": s.retries,
                    "duration_s": round(s.duration_s, 3),
                    "bytes_sent": s.bytes_sent,
                    "bytes_received": s.bytes_received,
                }
                for s in self.by_function().values()
            ],
        }


def summarize(records: Iterable[CallRecord]) -> dict[str, FunctionSummary]:
    summaries: dict[str, FunctionSummary] = {}
    for record in records:
        summary = summaries.get(record.function)
        if summary is None:
            summary = summaries[record.function] = FunctionSummary(record.function, record.kind)
        summary.add(record)
    return dict(sorted(summaries.items()))
