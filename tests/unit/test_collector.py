"""The cycle collector collects less often during a run, and as before after it."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from jonction.config import Settings
from jonction.domain.plan import Plan
from jonction.steps import registry
from jonction.steps.base import ApplyResult, Step, StepContext
from jonction.steps.collector import RUN_THRESHOLDS, fewer_collections
from jonction.steps.runner import run_steps

SEEN: list[tuple[int, int, int]] = []


class Watching(Step):
    name = "watching"
    title = "watching"

    async def plan(self, ctx: StepContext) -> Plan:
        SEEN.append(gc.get_threshold())
        return Plan(self.name)

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        return ApplyResult()


def test_thresholds_are_raised_within_the_block_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == RUN_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a failing run")
    assert gc.get_threshold() == before


def test_a_run_collects_less_often(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    monkeypatch.setattr(registry, "all_steps", lambda: {"watching": Watching})
    before = gc.get_threshold()
    report = asyncio.run(run_steps(settings, ["watching"]))
    assert report.steps[0].status == "succeeded"
    assert SEEN == [RUN_THRESHOLDS]
    assert gc.get_threshold() == before
