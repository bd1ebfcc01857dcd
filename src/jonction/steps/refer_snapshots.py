"""REFER's snapshots of the managed years, loaded once per run and shared by its steps."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine

from ..domain.refer_model import ReferSnapshot
from ..sources.refer.store import load_snapshot, open_refer
from .base import StepContext


def _key(year: str) -> str:
    return f"refer.snapshot:{year}"


def share_written_snapshot(ctx: StepContext, snapshot: ReferSnapshot) -> None:
    """The snapshot REFER now holds, just written by the refer step: the later steps of the
    run take it instead of reading it back (the same rows; lists in another order, which no
    step depends on, as REFER's own order changes with its history)."""
    ctx.share(_key(snapshot.year), dataclasses.replace(snapshot, exclusions=[]))


def _loader(engine: Engine, year: str) -> Callable[[], Awaitable[ReferSnapshot]]:
    # The rows the refer step left out are for `explain` and the anomaly report: no step
    # of the night reads them, so the shared snapshots go without.
    return lambda: asyncio.to_thread(load_snapshot, engine, year, exclusions=False)


async def refer_snapshots(ctx: StepContext) -> list[ReferSnapshot]:
    """REFER's snapshot of each managed year ([apogee] years), loaded once per run and shared
    with the other steps of the run (or given by the refer step, which has just written it)."""
    engine = await ctx.shared_value(
        "refer.engine", lambda: asyncio.to_thread(open_refer, ctx.settings)
    )
    return [
        await ctx.shared_value(_key(year), _loader(engine, year))
        for year in ctx.settings.apogee.effective_years(ctx.now.date())
    ]
