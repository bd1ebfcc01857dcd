"""Reading the journal back: runs, their steps, operations and notices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, select

from .schema import notices, operations, runs, step_runs
from .store import Journal


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


@dataclass(frozen=True, slots=True)
class StepView:
    id: int
    run_id: int
    step: str
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: Mapping[str, Any]
    stats: Mapping[str, Any]
    calls: Mapping[str, Mapping[str, float]]
    guards: Sequence[str]
    error: str

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started_at, self.finished_at)

    def outcomes(self) -> Counter[str]:
        """Operations by outcome (applied, failed, skipped, deferred)."""
        totals: Counter[str] = Counter()
        for key, value in (self.counts.get("outcomes") or {}).items():
            totals[key.rsplit(".", 1)[-1]] += int(value)
        return totals

    def planned(self) -> int:
        return sum(int(v) for v in (self.counts.get("planned") or {}).values())

    def planned_by_kind(self) -> list[tuple[str, str, int]]:
        rows = []
        for key, value in sorted((self.counts.get("planned") or {}).items()):
            kind, _, action = key.rpartition(".")
            rows.append((kind, action, int(value)))
        return rows

    def moodle_calls(self) -> int:
        return int(sum(entry.get("calls", 0) for entry in self.calls.values()))


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    command: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    host: str
    forced: Sequence[str]
    steps: list[StepView] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        return _seconds(self.started_at, self.finished_at)

    def outcomes(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for step in self.steps:
            total.update(step.outcomes())
        return total

    def guards(self) -> list[str]:
        return [guard for step in self.steps for guard in step.guards]


def _step(row: Any) -> StepView:
    return StepView(
        id=row.id,
        run_id=row.run_id,
        step=row.step,
        mode=row.mode,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        counts=row.counts or {},
        stats=row.stats or {},
        calls=row.calls or {},
        guards=list(row.guards or []),
        error=row.error or "",
    )


def _runs(engine: Engine, query: Select[Any]) -> list[RunView]:
    with engine.connect() as connection:
        found: list[RunView] = []
        # Each run's steps in the night's order (steps that do not read each other start
        # together, in any order), then as they started.
        places: dict[int, dict[str, int]] = {}
        for row in connection.execute(query):
            found.append(
                RunView(
                    id=row.id,
                    command=row.command,
                    status=row.status,
                    started_at=row.started_at,
                    finished_at=row.finished_at,
                    host=row.host,
                    forced=list(row.forced or []),
                )
            )
            places[row.id] = {name: place for place, name in enumerate(row.steps or [])}
        if not found:
            return []
        by_id = {run.id: run for run in found}
        steps = connection.execute(
            select(step_runs).where(step_runs.c.run_id.in_(by_id)).order_by(step_runs.c.id)
        )
        for row in steps:
            by_id[row.run_id].steps.append(_step(row))
    for run in found:
        place = places[run.id]
        run.steps.sort(key=lambda step: place.get(step.step, len(place)))
    return found


def recent_runs(engine: Engine, limit: int, offset: int = 0) -> list[RunView]:
    """The latest runs first, each with its steps."""
    return _runs(engine, select(runs).order_by(runs.c.id.desc()).limit(limit).offset(offset))


def count_runs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(runs)).scalar_one())


def get_run(engine: Engine, run_id: int) -> RunView | None:
    found = _runs(engine, select(runs).where(runs.c.id == run_id))
    return found[0] if found else None


def latest_run_id(engine: Engine) -> int | None:
    with engine.connect() as connection:
        value = connection.execute(select(func.max(runs.c.id))).scalar_one_or_none()
    return int(value) if value is not None else None


def step_sizes(engine: Engine, run_id: int) -> dict[int, tuple[int, int]]:
    """Operations and notices journaled by each step of a run, by step-run id."""
    sizes: dict[int, tuple[int, int]] = {}
    with engine.connect() as connection:
        for table, position in ((operations, 0), (notices, 1)):
            query = (
                select(table.c.step_run_id, func.count())
                .join(step_runs, step_runs.c.id == table.c.step_run_id)
                .where(step_runs.c.run_id == run_id)
                .group_by(table.c.step_run_id)
            )
            for step_run_id, count in connection.execute(query):
                current = list(sizes.get(step_run_id, (0, 0)))
                current[position] = int(count)
                sizes[step_run_id] = (current[0], current[1])
    return sizes


def run_operations(
    journal: Journal, run_id: int, step: str | None = None
) -> Iterator[dict[str, Any]]:
    """Operations of a run in order, each with its step, as plain dictionaries."""
    query = (
        select(step_runs.c.step, operations)
        .join(step_runs, step_runs.c.id == operations.c.step_run_id)
        .where(step_runs.c.run_id == run_id)
        .order_by(operations.c.step_run_id, operations.c.seq)
    )
    if step is not None:
        query = query.where(step_runs.c.step == step)
    with journal.engine.connect() as connection:
        for row in connection.execute(query).mappings():
            yield dict(row)


def run_notices(journal: Journal, run_id: int) -> Iterator[dict[str, Any]]:
    query = (
        select(step_runs.c.step, notices)
        .join(step_runs, step_runs.c.id == notices.c.step_run_id)
        .where(step_runs.c.run_id == run_id)
        .order_by(notices.c.id)
    )
    with journal.engine.connect() as connection:
        for row in connection.execute(query).mappings():
            yield dict(row)


def last_step_starts(journal: Journal) -> dict[str, datetime]:
    """When each step was last started by a run that applied changes (UTC, naive)."""
    query = select(step_runs.c.step, func.max(step_runs.c.started_at)).group_by(step_runs.c.step)
    with journal.engine.connect() as connection:
        return {step: started for step, started in connection.execute(query)}


# The latest state of steps and objects (explain, anomalies) ---------------------------------


def last_step_runs(engine: Engine, steps: Sequence[str]) -> dict[str, StepView]:
    """The latest applying run of each of `steps` (plans made without applying are not)."""
    latest = (
        select(func.max(step_runs.c.id))
        .where(step_runs.c.step.in_(steps), step_runs.c.mode == "apply")
        .group_by(step_runs.c.step)
    )
    with engine.connect() as connection:
        rows = connection.execute(select(step_runs).where(step_runs.c.id.in_(latest))).all()
    return {row.step: _step(row) for row in rows}


@dataclass(frozen=True, slots=True)
class LastOperation:
    """The last operation journaled on an object, with the run that made it."""

    kind: str
    key: str
    action: str
    outcome: str
    reason: str
    source: Mapping[str, Any]
    run_id: int


def _last_operations(engine: Engine, condition: Any) -> dict[tuple[str, str], LastOperation]:
    query = (
        select(
            operations.c.kind,
            operations.c.key,
            operations.c.action,
            operations.c.outcome,
            operations.c.reason,
            operations.c.source,
            step_runs.c.run_id,
        )
        .join(step_runs, step_runs.c.id == operations.c.step_run_id)
        .where(condition)
        .order_by(operations.c.id)
    )
    found: dict[tuple[str, str], LastOperation] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            found[(row.kind, row.key)] = LastOperation(
                row.kind,
                row.key,
                row.action,
                row.outcome,
                row.reason,
                row.source or {},
                row.run_id,
            )
    return found


def last_operations(
    engine: Engine, objects: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], LastOperation]:
    """The last operation of each (kind, key), read through the (kind, key) index."""
    found: dict[tuple[str, str], LastOperation] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, key in objects:
        by_kind.setdefault(kind, []).append(key)
    for kind, keys in by_kind.items():
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found.update(
                _last_operations(engine, (operations.c.kind == kind) & operations.c.key.in_(chunk))
            )
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def last_operations_ending(
    engine: Engine, kind: str, suffix: str
) -> dict[tuple[str, str], LastOperation]:
    """The last operation of each object of `kind` whose key ends with `suffix` (a
    membership's `|username`): a range of the (kind, key) index, not the whole table."""
    condition = (operations.c.kind == kind) & operations.c.key.like(
        f"%{_escape_like(suffix)}", escape="\\"
    )
    return _last_operations(engine, condition)


def latest_notices(engine: Engine, step: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
    """The notices of `kinds` that the latest applying run of `step` reported."""
    last = last_step_runs(engine, [step]).get(step)
    if last is None:
        return []
    query = (
        select(notices.c.kind, notices.c.key, notices.c.message, notices.c.data)
        .where(notices.c.step_run_id == last.id, notices.c.kind.in_(kinds))
        .order_by(notices.c.id)
    )
    with engine.connect() as connection:
        return [
            {"step": step, "run_id": last.run_id, **row._asdict()}
            for row in connection.execute(query)
        ]


def latest_operations(
    engine: Engine, step: str, kind: str, actions: Sequence[str]
) -> list[dict[str, Any]]:
    """The operations of `kind` and `actions` of the latest applying run of `step`."""
    last = last_step_runs(engine, [step]).get(step)
    if last is None:
        return []
    query = (
        select(operations)
        .where(
            operations.c.step_run_id == last.id,
            operations.c.kind == kind,
            operations.c.action.in_(actions),
        )
        .order_by(operations.c.seq)
    )
    with engine.connect() as connection:
        return [
            {"step": step, "run_id": last.run_id, **row}
            for row in connection.execute(query).mappings()
        ]
