"""The 18:00 step: refresh REFER from Apogée, by deltas, in one transaction.

plan: read each configured year from the source (filters, graph walk, exclusions), compare it
with REFER table by table and key by key, and check that no source looks truncated.
apply: write the inserts, updates and deletes of every table and year in one transaction, so a
failure leaves the previous REFER whole. A refresh that finds nothing new writes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Engine, select

from ..config import Settings
from ..domain.plan import Action, Notice, Operation, Plan, fingerprint
from ..domain.refer_model import ReferSnapshot
from ..journal.store import Outcome
from ..sources.apogee.reader import ApogeeReader
from ..sources.refer import schema
from ..sources.refer.diff import TableDelta
from ..sources.refer.rows import SPEC_BY_NAME
from ..sources.refer.sanity import check_sources, check_tables
from ..sources.refer.source import SourceReader
from ..sources.refer.store import open_refer, source_counts
from ..sources.refer.sync import compute_deltas, write_year
from .base import ApplyResult, Step, StepContext
from .refer_snapshots import share_written_snapshot
from .registry import register

SAMPLE = 5
_ACTIONS = (
    ("inserts", Action.CREATE, "inserted", "new in the source"),
    ("updates", Action.UPDATE, "updated", "changed in the source"),
    ("deletes", Action.DELETE, "deleted", "gone from the source or now filtered out"),
)


def source_reader(settings: Settings) -> SourceReader:
    """The student information system REFER is refreshed from."""
    return ApogeeReader.from_settings(settings.apogee)


@dataclass(slots=True)
class YearRefresh:
    year: str
    deltas: list[TableDelta]
    counts: dict[str, int]
    previous_counts: dict[str, int]
    notices: list[Notice] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    # What REFER holds for the year once the deltas are written.
    snapshot: ReferSnapshot | None = None


def _key_text(key: tuple[Any, ...]) -> str:
    return "/".join("" if part is None else str(part) for part in key)


def _operations(refresh: YearRefresh) -> list[Operation]:
    operations = []
    for delta in refresh.deltas:
        table = SPEC_BY_NAME[delta.table].table.name
        for attribute, action, _done, why in _ACTIONS:
            items = getattr(delta, attribute)
            if not items:
                continue
            size = len(SPEC_BY_NAME[delta.table].key)
            keys = [
                item
                if attribute == "deletes"
                else item[0]
                if attribute == "updates"
                else item[:size]
                for item in items[:SAMPLE]
            ]
            operations.append(
                Operation(
                    kind=f"refer.{delta.table}",
                    action=action,
                    key=refresh.year,
                    label=f"{len(items)} row(s)",
                    after={"rows": len(items), "sample": [_key_text(k) for k in keys]},
                    reason=why,
                    source={"table": table, "year": refresh.year},
                )
            )
    return operations


def _stats(refreshes: list[YearRefresh]) -> dict[str, int]:
    stats: Counter[str] = Counter()
    for refresh in refreshes:
        for delta in refresh.deltas:
            stats[f"{delta.table}.rows"] += delta.desired
            for attribute, _action, done, _why in _ACTIONS:
                stats[f"{delta.table}.{done}"] += len(getattr(delta, attribute))
        for source, rows in refresh.counts.items():
            stats[f"source.{refresh.year}.{source}"] = rows
        stats.update(refresh.stats)
    return dict(sorted(stats.items()))


def _basis(engine: Engine, refreshes: list[YearRefresh]) -> str:
    """REFER's state and the changes found: a saved plan is stale when either moved."""
    with engine.connect() as connection:
        table = schema.refer_year
        rows = connection.execute(select(table.c.year, table.c.changed_at).order_by(table.c.year))
        known = fingerprint([year, str(changed)] for year, changed in rows)
    digest = hashlib.sha256(known.encode())
    for refresh in refreshes:
        for delta in refresh.deltas:
            digest.update(f"{delta.year}/{delta.table}".encode())
            for part in (delta.inserts, delta.updates, delta.deletes):
                digest.update(b"|")
                for item in part:
                    digest.update(repr(item).encode())
    return digest.hexdigest()[:32]


@register
class ReferStep(Step):
    name = "refer"
    title = "REFER refresh from Apogée"
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._pending: list[YearRefresh] | None = None

    async def plan(self, ctx: StepContext) -> Plan:
        return await asyncio.to_thread(self._plan, ctx)

    def _plan(self, ctx: StepContext) -> Plan:
        settings = ctx.settings
        today = ctx.now.date()
        engine = open_refer(settings)
        reader = source_reader(settings)
        refreshes: list[YearRefresh] = []
        plan = Plan(step=self.name)
        try:
            for year in settings.apogee.effective_years(today):
                refresh = self._year(ctx, engine, reader, year)
                refreshes.append(refresh)
                plan.notices.extend(refresh.notices)
        finally:
            reader.close()
        guards = settings.guards
        for refresh in refreshes:
            blockers, notices = check_sources(
                refresh.year,
                refresh.counts,
                refresh.previous_counts,
                reader.required,
                guards.source_shrink_ratio,
            )
            blockers += check_tables(
                refresh.deltas, guards.source_shrink_ratio, guards.min_items_for_share
            )
            plan.blockers.extend(blockers)
            plan.notices.extend(notices)
            plan.operations.extend(_operations(refresh))
        if plan.blockers:
            plan.blockers.append(
                "nothing was written; if the source is right, run again with --force refer"
            )
        plan.stats = _stats(refreshes)
        plan.basis = _basis(engine, refreshes)
        engine.dispose()
        self._pending = refreshes
        return plan

    def _year(
        self, ctx: StepContext, engine: Engine, reader: SourceReader, year: str
    ) -> YearRefresh:
        extract = reader.read(year, ctx.now.date(), ctx.progress)
        with (
            ctx.progress(f"REFER {year}: comparing", len(SPEC_BY_NAME)) as task,
            engine.connect() as connection,
        ):
            previous = source_counts(connection, year)
            deltas = compute_deltas(connection, extract.snapshot, task.advance)
        return YearRefresh(
            year, deltas, extract.counts, previous, extract.notices, extract.stats, extract.snapshot
        )

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        if self._pending is None:
            # A plan made elsewhere carries no rows: read the sources again.
            plan = await self.plan(ctx)
            if plan.blockers and not ctx.forced:
                raise RuntimeError("; ".join(plan.blockers))
        refreshes = self._pending or []
        result = await asyncio.to_thread(self._apply, ctx, plan)
        # Written whole: the later steps need not read REFER back.
        for refresh in refreshes:
            if refresh.snapshot is not None:
                share_written_snapshot(ctx, refresh.snapshot)
        return result

    def _apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        refreshes = self._pending or []
        engine = open_refer(ctx.settings)
        total = sum(delta.changes for refresh in refreshes for delta in refresh.deltas)
        written: Counter[str] = Counter()
        try:
            with ctx.progress("REFER: writing", total) as task, engine.begin() as connection:
                advance: Callable[[int], None] = task.advance
                for refresh in refreshes:
                    rows = write_year(
                        connection,
                        refresh.year,
                        refresh.deltas,
                        refresh.counts,
                        refresh.previous_counts,
                        ctx.now,
                        advance,
                    )
                    written.update(rows)
        finally:
            engine.dispose()
        self._pending = None
        outcomes = [Outcome(op, "applied") for op in plan.operations]
        stats = {f"{table}.written": rows for table, rows in sorted(written.items()) if rows}
        stats["rows_written"] = sum(written.values())
        return ApplyResult(outcomes=outcomes, stats=stats)
