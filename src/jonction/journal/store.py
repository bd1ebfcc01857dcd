"""Reading and writing the state database: the journal and the registry of managed objects."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import CursorResult, Engine, delete, insert, select, update

from ..domain.plan import Notice, Operation
from ..migrations import upgrade
from .schema import flags, managed, notices, operations, runs, step_runs

MIGRATIONS = "jonction.journal:migrations"
VERSION_TABLE = "jonction_state_version"
CHUNK = 2000


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _primary_key(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


@dataclass(frozen=True, slots=True)
class ManagedObject:
    kind: str
    key: str
    moodle_id: int | None
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a planned operation."""

    operation: Operation
    outcome: str  # applied | failed | skipped | deferred | planned
    message: str = ""
    moodle_id: int | None = None


class Journal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Kinds of managed objects kept in memory once read (see `keep_managed`).
        self._kept: dict[str, dict[str, ManagedObject] | None] = {}

    def keep_managed(self, kinds: Iterable[str]) -> None:
        """Keeps the managed objects of `kinds` in memory once read, until this journal writes
        that kind: the steps of a night read the accounts' records four times over. Only for a
        journal that is the sole writer while it lives (a run, under the run lock)."""
        self._kept.update((kind, None) for kind in kinds)

    def ensure_schema(self) -> None:
        upgrade(MIGRATIONS, self.engine, VERSION_TABLE)

    # Runs and steps -------------------------------------------------------------------------

    def start_run(self, command: str, steps: Sequence[str], forced: Sequence[str] = ()) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(runs).values(
                    command=command,
                    steps=list(steps),
                    status="running",
                    started_at=utcnow(),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    forced=list(forced),
                    summary={},
                )
            )
            return int(_primary_key(result))

    def interrupt_dead_runs(self) -> list[int]:
        """Marks `interrupted` the runs of this host still shown as running: called under the
        run lock, so none of them is alive (the process was killed, or the machine stopped)."""
        host = socket.gethostname()
        with self.engine.begin() as connection:
            dead = [
                int(row)
                for row in connection.execute(
                    select(runs.c.id).where(runs.c.status == "running", runs.c.host == host)
                ).scalars()
            ]
            if dead:
                now = utcnow()
                connection.execute(
                    update(runs)
                    .where(runs.c.id.in_(dead))
                    .values(status="interrupted", finished_at=now)
                )
                connection.execute(
                    update(step_runs)
                    .where(step_runs.c.run_id.in_(dead), step_runs.c.status == "running")
                    .values(
                        status="interrupted",
                        finished_at=now,
                        error="the run stopped before this step finished (process killed?)",
                    )
                )
        return dead

    def finish_run(self, run_id: int, status: str, summary: Mapping[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(status=status, finished_at=utcnow(), summary=dict(summary))
            )

    def start_step(self, run_id: int, step: str, mode: str) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(step_runs).values(
                    run_id=run_id,
                    step=step,
                    mode=mode,
                    status="running",
                    started_at=utcnow(),
                    counts={},
                    stats={},
                    calls={},
                    guards=[],
                    error="",
                    basis="",
                )
            )
            return int(_primary_key(result))

    def finish_step(self, step_run_id: int, status: str, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(step_runs)
                .where(step_runs.c.id == step_run_id)
                .values(status=status, finished_at=utcnow(), **values)
            )

    def record_outcomes(self, step_run_id: int, outcomes: Iterable[Outcome], start: int = 0) -> int:
        """Journals operations with their outcome; returns the next sequence number."""
        seq = start
        with self.engine.begin() as connection:
            for chunk in _chunks(outcomes):
                rows = []
                for item in chunk:
                    op = item.operation
                    rows.append(
                        {
                            "step_run_id": step_run_id,
                            "seq": seq,
                            "kind": op.kind,
                            "action": str(op.action),
                            "key": op.key,
                            "label": op.label[:512],
                            "scope": op.scope[:255],
                            "before": dict(op.before) if op.before is not None else None,
                            "after": dict(op.after) if op.after is not None else None,
                            "reason": op.reason,
                            "source": dict(op.source),
                            "outcome": item.outcome,
                            "message": item.message,
                            "moodle_id": item.moodle_id,
                        }
                    )
                    seq += 1
                connection.execute(insert(operations), rows)
        return seq

    def record_notices(self, step_run_id: int, items: Iterable[Notice]) -> None:
        with self.engine.begin() as connection:
            for chunk in _chunks(items):
                connection.execute(
                    insert(notices),
                    [
                        {
                            "step_run_id": step_run_id,
                            "kind": notice.kind,
                            "key": notice.key,
                            "message": notice.message,
                            "severity": notice.severity,
                            "data": dict(notice.data),
                        }
                        for notice in chunk
                    ],
                )

    # Managed objects ------------------------------------------------------------------------

    def managed(self, kind: str) -> dict[str, ManagedObject]:
        kept = self._kept.get(kind)
        if kept is not None:
            return dict(kept)  # the caller's own dict; the objects are frozen
        query = select(managed.c.key, managed.c.moodle_id, managed.c.data).where(
            managed.c.kind == kind
        )
        with self.engine.connect() as connection:
            found = {
                key: ManagedObject(kind, key, moodle_id, data)
                for key, moodle_id, data in connection.execute(query)
            }
        if kind in self._kept:
            self._kept[kind] = found
            return dict(found)
        return found

    def _changed(self, kind: str) -> None:
        if kind in self._kept:
            self._kept[kind] = None

    def save_managed(
        self,
        kind: str,
        items: Iterable[tuple[str, int | None, Mapping[str, Any]]],
        run_id: int | None,
    ) -> None:
        """Inserts or replaces managed objects of one kind (key, Moodle id, last known data)."""
        self._changed(kind)
        now = utcnow()
        with self.engine.begin() as connection:
            for chunk in _chunks(items):
                keys = [key for key, _, _ in chunk]
                # kind = … AND key IN (…) uses the primary key; a (kind, key) IN (…) of pairs
                # is a scan of the table on SQLite, for every chunk.
                of_chunk = (managed.c.kind == kind, managed.c.key.in_(keys))
                existing = {
                    row.key: row.created_run
                    for row in connection.execute(
                        select(managed.c.key, managed.c.created_run).where(*of_chunk)
                    )
                }
                connection.execute(delete(managed).where(*of_chunk))
                connection.execute(
                    insert(managed),
                    [
                        {
                            "kind": kind,
                            "key": key,
                            "moodle_id": moodle_id,
                            "data": dict(data),
                            "created_run": existing.get(key, run_id),
                            "updated_run": run_id,
                            "updated_at": now,
                        }
                        for key, moodle_id, data in chunk
                    ],
                )

    def forget_managed(self, kind: str, keys: Iterable[str]) -> None:
        self._changed(kind)
        with self.engine.begin() as connection:
            for chunk in _chunks(keys):
                connection.execute(
                    delete(managed).where(managed.c.kind == kind, managed.c.key.in_(chunk))
                )

    # Flags ----------------------------------------------------------------------------------

    def flag(self, name: str) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(
                select(flags.c.value).where(flags.c.name == name)
            ).scalar_one_or_none()

    def set_flag(self, name: str, value: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(flags).where(flags.c.name == name))
            if value is not None:
                connection.execute(insert(flags).values(name=name, value=value))
