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
from .sync import SyncRun

__all__ = [
    "KEEP",
    "SUSPEND",
    "SUSPEND_NO_ROLES",
    "UNENROL",
    "EnrolDatabaseSettings",
    "EnrolDatabaseSync",
    "SyncJob",
    "sync_apart",
]


class EnrolDatabaseSync:
    """The configured plugin: its external database and settings, and the cost of a sync."""

    def __init__(self, url: str, settings: Mapping[str, str], cost: CostModel) -> None:
        self.url = url
        self.settings_given = dict(settings)
        self.settings = EnrolDatabaseSettings.from_settings(settings)
        self.external = make_engine(url)
        self.cost = cost

    def close(self) -> None:
        self.external.dispose()

    def run(self, engine: Engine, sequences: Sequences) -> dict[str, Any]:
        started = time.perf_counter()
        if not self.settings.configured:
            return {
                "status": "skipped",
                "message": "User enrolment synchronisation skipped.",
                "cost_ms": 0.0,
            }
        meter = CostMeter(self.cost, "enrol_database_sync")
        with engine.connect() as conn:
            transaction = conn.begin()
            call = Call(conn, int(time.time()), sequences, meter, "")
            run = SyncRun(self.settings, conn, call)
            try:
                rows = run.read_external(self.external)
                run.run(rows)
                run.flush()
                sequences.save(conn)
                transaction.commit()
            except Exception:
                transaction.rollback()
                if sequences.touched:
                    with engine.begin() as again:
                        sequences.save(again)
                raise
        counts = run.counts
        others = (
            counts.reactivated
            + counts.suspended
            + counts.unenrolled
            + counts.roles_assigned
            + counts.roles_unassigned
        )
        return {
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


def sync_apart(job: SyncJob, sequences: dict[str, int]) -> tuple[dict[str, Any], dict[str, int]]:
    """One sync, in the process that runs this (as Moodle's cron runs it, apart from the web
    service's workers): its summary, and the sequences once it took its ids."""
    engine = make_engine(job.db_url)
    sync = EnrolDatabaseSync(job.external_url, job.settings, CostModel(**job.cost))
    taken = Sequences(sequences)
    try:
        return sync.run(engine, taken), taken.values
    finally:
        sync.close()
        engine.dispose()
