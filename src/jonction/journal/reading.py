"""Reading the journal back: runs, their steps, operations and notices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .schema import notices, operations, runs, step_runs
from .store import Journal


@dataclass(frozen=True, slots=True)
class StepRunView:
    id: int
    step: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    stats: dict[str, Any]
    calls: dict[str, dict[str, float]]
    guards: list[str]
    error: str
    operations: int
    notices: int

    @property
    def seconds(self) -> float:
        if self.finished_at is None:
            return 0.0
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def total_calls(self) -> int:
        return int(sum(entry.get("calls", 0) for entry in self.calls.values()))


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    command: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    forced: list[str]
    steps: list[StepRunView]

    @property
    def seconds(self) -> float:
        if self.finished_at is None:
            return 0.0
        return (self.finished_at - self.started_at).total_seconds()


def last_run_id(journal: Journal) -> int | None:
    with journal.engine.connect() as connection:
        value = connection.execute(select(func.max(runs.c.id))).scalar()
    return int(value) if value is not None else None


def run_view(journal: Journal, run_id: int) -> RunView | None:
    with journal.engine.connect() as connection:
        run = connection.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        if run is None:
            return None
        op_counts: dict[int, int] = dict(
            connection.execute(
                select(operations.c.step_run_id, func.count())
                .join(step_runs, step_runs.c.id == operations.c.step_run_id)
                .where(step_runs.c.run_id == run_id)
                .group_by(operations.c.step_run_id)
            ).all()
        )
        notice_counts: dict[int, int] = dict(
            connection.execute(
                select(notices.c.step_run_id, func.count())
                .join(step_runs, step_runs.c.id == notices.c.step_run_id)
                .where(step_runs.c.run_id == run_id)
                .group_by(notices.c.step_run_id)
            ).all()
        )
        steps = [
            StepRunView(
                id=row.id,
                step=row.step,
                status=row.status,
                started_at=row.started_at,
                finished_at=row.finished_at,
                counts=row.counts,
                stats=row.stats,
                calls=row.calls,
                guards=row.guards,
                error=row.error,
                operations=op_counts.get(row.id, 0),
                notices=notice_counts.get(row.id, 0),
            )
            for row in connection.execute(
                select(step_runs).where(step_runs.c.run_id == run_id).order_by(step_runs.c.id)
            )
        ]
    return RunView(
        id=run["id"],
        command=run["command"],
        status=run["status"],
        started_at=run["started_at"],
        finished_at=run["finished_at"],
        forced=run["forced"],
        steps=steps,
    )


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
