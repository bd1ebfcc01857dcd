"""Moodle's enrol_database plugin: the scheduled sync of enrolments from an external table.

It follows enrol/database/lib.php (sync_enrolments): one `database` enrolment instance per
course named in the table; users enrolled, reactivated, suspended or unenrolled and roles
assigned or removed to match the table; rows naming a user, course or role that Moodle lacks
are skipped and logged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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
]


class EnrolDatabaseSync:
    """The configured plugin: its external database and settings, and the cost of a sync."""

    def __init__(self, url: str, settings: Mapping[str, str], cost: CostModel) -> None:
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
