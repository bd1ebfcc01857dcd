"""The later steps of a night take the snapshot the refer step has just written, instead of
reading REFER back; when the refer step wrote nothing, they read REFER."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from jonction.domain.refer_model import ReferSnapshot
from jonction.sources.apogee import schema as apogee
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps import refer_snapshots as shared
from jonction.steps.base import StepContext
from jonction.steps.refer import ReferStep
from jonction.steps.runner import open_journal

from .test_refer_step import refreshed, refreshed_then_shrunk


def _night(settings: Any) -> tuple[bool, list[ReferSnapshot]]:
    """The refer step, then what a later step of the same run gets; says if it applied."""

    async def night() -> tuple[bool, list[ReferSnapshot]]:
        ctx = StepContext(settings, open_journal(settings), datetime.now(UTC))
        step = ReferStep()
        plan = await step.plan(ctx)
        if not plan.blockers:
            await step.apply(ctx, plan)
        return not plan.blockers, await shared.refer_snapshots(ctx)

    return asyncio.run(night())


def _contents(snapshot: ReferSnapshot) -> dict[str, Any]:
    """Every table of the snapshot, whatever the order of its rows."""
    return {
        f.name: Counter(getattr(snapshot, f.name)) if f.name != "year" else snapshot.year
        for f in dataclasses.fields(snapshot)
    }


def _no_reading(*args: Any, **kwargs: Any) -> ReferSnapshot:
    raise AssertionError("REFER was read back")


def test_a_refresh_gives_the_next_steps_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, settings = refreshed(tmp_path)
    with source.begin() as connection:
        connection.execute(
            delete(apogee.ind_contrat_elp).where(
                apogee.ind_contrat_elp.c.cod_ind == 3, apogee.ind_contrat_elp.c.cod_elp == "LANG1"
            )
        )
    monkeypatch.setattr(shared, "load_snapshot", _no_reading)
    applied, (given,) = _night(settings)
    assert applied
    written = load_snapshot(open_refer(settings), "2026", exclusions=False)
    assert len(written.pedagogical_registrations) == 13
    assert _contents(given) == _contents(written)


def test_a_blocked_refresh_leaves_the_next_steps_reading_refer(tmp_path: Path) -> None:
    settings = refreshed_then_shrunk(tmp_path)
    applied, (given,) = _night(settings)
    assert not applied  # the shrunk source blocks the step: REFER keeps its rows
    assert len(given.pedagogical_registrations) == 14
