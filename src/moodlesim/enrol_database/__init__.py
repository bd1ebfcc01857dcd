"""Moodle's enrol_database plugin: the scheduled sync of enrolments from an external table.

It follows enrol/database/lib.php (sync_enrolments): one `database` enrolment instance per
course named in the table; users enrolled, reactivated, suspended or unenrolled and roles
assigned or removed to match the table; rows naming a user, course or role that Moodle lacks
are skipped and logged.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ..call import Call
from ..costs import CostMeter, CostModel
from ..db.engine import make_engine
from ..db.sequences import Sequences
from .settings import KEEP, SUSPEND, SUSPEND_NO_ROLES, UNENROL, EnrolDatabaseSettings
from .sync import SyncRun, SyncWrites, write

__all__ = [
    "KEEP",
    "SUSPEND",
    "SUSPEND_NO_ROLES",
    "UNENROL",
    "EnrolDatabaseSettings",
    "EnrolDatabaseSync",
    "SyncJob",
    "SyncWrites",
    "decide_apart",
]


class EnrolDatabaseSync:
    """The configured plugin: its external database and settings, and the cost of a sync.
    A sync `decide`s, then `write`s (the simulator runs them apart)."""

    def __init__(self, url: str, settings: Mapping[str, str], cost: CostModel) -> None:
        self.settings = EnrolDatabaseSettings.from_settings(settings)
        self.external = make_engine(url)
        self.cost = cost

    def close(self) -> None:
        self.external.dispose()

    def decide(self, engine: Engine) -> tuple[dict[str, Any], SyncWrites | None]:
        """Reads the table and Moodle's enrolments (one snapshot, no write) and decides: the
        sync's summary, and what it is to write."""
        started = time.perf_counter()
        if not self.settings.configured:
            return {
                "status": "skipped",
                "message": "User enrolment synchronisation skipped.",
                "cost_ms": 0.0,
            }, None
        meter = CostMeter(self.cost, "enrol_database_sync")
        with engine.connect() as conn, conn.begin():
            # Ids are taken when written: this sync's sequences are never used.
            call = Call(conn, int(time.time()), Sequences({}), meter, "")
            run = SyncRun(self.settings, conn, call)
            rows = run.read_external(self.external)
            run.run(rows)
        counts = run.counts
        others = (
            counts.reactivated
            + counts.suspended
            + counts.unenrolled
            + counts.roles_assigned
            + counts.roles_unassigned
        )
        summary = {
            "status": "ok",
            "rows": len(rows),
            "enrolled": counts.enrolled,
            "reactivated": counts.reactivated,
            "suspended": counts.suspended,
            "unenrolled": counts.unenrolled,
            "roles_assigned": counts.roles_assigned,
            "roles_unassigned": counts.roles_unassigned,
            "instances_created": counts.instances_created,
            "skipped": run.skipped_total,
            "skipped_rows": run.skipped,
            "log": run.log,
            "cost_ms": self.cost.sync(len(rows), counts.enrolled, others),
            "processing_s": round(time.perf_counter() - started, 3),
        }
        return summary, run.writes

    def write(self, engine: Engine, sequences: Sequences, writes: SyncWrites) -> None:
        """Writes what `decide` decided, in one transaction; ids from `sequences`."""
        meter = CostMeter(self.cost, "enrol_database_sync")
        with engine.connect() as conn:
            transaction = conn.begin()
            try:
                write(conn, Call(conn, writes.now, sequences, meter, ""), writes)
                sequences.save(conn)
                transaction.commit()
            except Exception:
                transaction.rollback()
                if sequences.touched:
                    with engine.begin() as again:
                        sequences.save(again)
                raise


@dataclass(frozen=True)
class SyncJob:
    """What a process of its own needs to run the sync (plain values, sent to it pickled)."""

    db_url: str
    external_url: str
    settings: dict[str, str]
    cost: dict[str, Any]

    @classmethod
    def of(
        cls, db_url: str, external_url: str, settings: Mapping[str, str], cost: CostModel
    ) -> SyncJob:
        fields = {
            field.name: dict(value) if isinstance(value, Mapping) else value
            for field in dataclasses.fields(cost)
            for value in [getattr(cost, field.name)]
        }
        return cls(db_url, external_url, dict(settings), fields)


def decide_apart(job: SyncJob) -> tuple[dict[str, Any], SyncWrites | None]:
    """`EnrolDatabaseSync.decide` in the process that runs this (as Moodle's cron runs the
    sync, apart from the web service's workers)."""
    engine = make_engine(job.db_url)
    sync = EnrolDatabaseSync(job.external_url, job.settings, CostModel(**job.cost))
    try:
        return sync.decide(engine)
    finally:
        sync.close()
        engine.dispose()
