"""Reading back what runs did, operation by operation (for `jonction undo`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_

from ..domain.plan import Action, Operation
from .schema import operations, runs, step_runs
from .store import Journal, _chunks


@dataclass(frozen=True, slots=True)
class Done:
    """An operation a run applied."""

    run_id: int
    step: str
    seq: int
    operation: Operation
    moodle_id: int | None


def _done(row: Any) -> Done:
    return Done(
        int(row.run_id),
        row.step,
        int(row.seq),
        Operation(
            row.kind,
            Action(row.action),
            row.key,
            row.label,
            before=row.before,
            after=row.after,
            reason=row.reason,
            source=row.source or {},
            scope=row.scope,
        ),
        row.moodle_id,
    )


_COLUMNS = (
    step_runs.c.run_id,
    step_runs.c.step,
    operations.c.seq,
    operations.c.kind,
    operations.c.action,
    operations.c.key,
    operations.c.label,
    operations.c.scope,
    operations.c.before,
    operations.c.after,
    operations.c.reason,
    operations.c.source,
    operations.c.moodle_id,
)


def run_command(journal: Journal, run_id: int) -> str | None:
    with journal.engine.connect() as connection:
        return connection.execute(select(runs.c.command).where(runs.c.id == run_id)).scalar()


def applied_in_run(journal: Journal, run_id: int, step: str | None = None) -> list[Done]:
    """The operations run `run_id` applied, in the order it journaled them."""
    query = (
        select(*_COLUMNS)
        .join(step_runs, step_runs.c.id == operations.c.step_run_id)
        .where(step_runs.c.run_id == run_id, operations.c.outcome == "applied")
        .order_by(step_runs.c.id, operations.c.seq)
    )
    if step is not None:
        query = query.where(step_runs.c.step == step)
    with journal.engine.connect() as connection:
        return [_done(row) for row in connection.execute(query)]


def applied_after(journal: Journal, run_id: int, keys: Iterable[tuple[str, str]]) -> list[Done]:
    """Operations applied by later runs to these (kind, key)."""
    found: list[Done] = []
    with journal.engine.connect() as connection:
        for chunk in _chunks(sorted(set(keys)), 500):
            query = (
                select(*_COLUMNS)
                .join(step_runs, step_runs.c.id == operations.c.step_run_id)
                .where(
                    step_runs.c.run_id > run_id,
                    operations.c.outcome == "applied",
                    tuple_(operations.c.kind, operations.c.key).in_(chunk),
                )
                .order_by(step_runs.c.id, operations.c.seq)
            )
            found += [_done(row) for row in connection.execute(query)]
    return found
