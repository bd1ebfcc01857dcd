"""The runner: order, dependencies, failure isolation, guards and blockers, the lock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from jonction.config import Settings
from jonction.domain.plan import Action, Operation, Plan
from jonction.journal.store import Outcome
from jonction.steps import registry
from jonction.steps.base import ApplyResult, Step, StepContext
from jonction.steps.lock import AlreadyRunning, run_lock
from jonction.steps.runner import StepReport, run_steps

CALLS: list[str] = []


class FakeStep(Step):
    removals: ClassVar[int] = 0
    fails: ClassVar[bool] = False
    blocker: ClassVar[str] = ""

    async def plan(self, ctx: StepContext) -> Plan:
        CALLS.append(f"plan {self.name}")
        if self.fails:
            raise RuntimeError("source unreachable")
        ops = [Operation("thing", Action.CREATE, f"{self.name}-new")]
        ops += [Operation("thing", Action.REMOVE, f"{self.name}-{i}") for i in range(self.removals)]
        return Plan(
            self.name,
            operations=ops,
            existing={"thing": 100},
            blockers=[self.blocker] if self.blocker else [],
        )

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        CALLS.append(f"apply {self.name}")
        return ApplyResult([Outcome(op, "applied") for op in plan.operations])


def _step(name: str, requires: tuple[str, ...] = (), **attributes: object) -> type[Step]:
    return type(
        name, (FakeStep,), {"name": name, "title": name, "requires": requires, **attributes}
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    return settings


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, type[Step]]]:
    table: dict[str, type[Step]] = {}
    monkeypatch.setattr(registry, "all_steps", lambda: table)
    CALLS.clear()
    yield table


def test_dependents_of_a_failed_step_are_blocked_others_run(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    steps["a"] = _step("a", fails=True)
    steps["b"] = _step("b", ("a",))
    steps["c"] = _step("c")
    report = asyncio.run(run_steps(settings, ["a", "b", "c"]))
    assert [(s.step, s.status) for s in report.steps] == [
        ("a", "failed"),
        ("b", "blocked"),
        ("c", "succeeded"),
    ]
    assert "source unreachable" in report.steps[0].error
    assert CALLS == ["plan a", "plan c", "apply c"]
    assert report.status == "partial"


def test_guard_stops_a_mass_removal_unless_forced(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    steps["a"] = _step("a", removals=30)
    report = asyncio.run(run_steps(settings, ["a"]))
    assert report.steps[0].status == "guarded"
    assert "30 of 100" in report.steps[0].error
    assert "apply a" not in CALLS
    forced = asyncio.run(run_steps(settings, ["a"], force=["a"]))
    assert forced.steps[0].status == "succeeded"
    assert "apply a" in CALLS


def test_blocker_stops_before_apply(settings: Settings, steps: dict[str, type[Step]]) -> None:
    steps["a"] = _step("a", blocker="table INDIVIDU is empty")
    report = asyncio.run(run_steps(settings, ["a"]))
    assert report.steps[0].status == "blocked"
    assert report.steps[0].error == "table INDIVIDU is empty"


def test_plan_mode_applies_nothing(settings: Settings, steps: dict[str, type[Step]]) -> None:
    steps["a"] = _step("a")
    report = asyncio.run(run_steps(settings, ["a"], apply=False))
    assert report.steps[0].status == "planned"
    assert CALLS == ["plan a"]


def test_second_run_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    with run_lock(lock), pytest.raises(AlreadyRunning, match="in progress"), run_lock(lock):
        pass
    with run_lock(lock):
        pass


def test_a_run_without_details_keeps_only_counts(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    steps["a"] = _step("a", removals=3)
    detailed = asyncio.run(run_steps(settings, ["a"], force=["a"]))
    lean = asyncio.run(run_steps(settings, ["a"], force=["a"], keep_details=False))
    full, summary = detailed.steps[0], lean.steps[0]
    assert full.plan is not None and full.result is not None
    assert summary.plan is None and summary.result is None
    assert summary.planned_count() == full.planned_count() == 4
    assert summary.outcome_counts() == full.outcome_counts() == {"applied": 4}
    assert summary.change_counts() == full.change_counts()
    assert summary.change_counts()[("thing", "remove", "applied")] == 3


def test_a_compact_operation_counts_the_rows_it_stands_for() -> None:
    report = StepReport("refer", "succeeded")
    table = Operation("refer.student", Action.CREATE, "student", after={"rows": 569})
    report.result = ApplyResult([Outcome(table, "applied")])
    report.summarise()
    assert report.change_counts() == {("refer.student", "create", "applied"): 569}
    assert report.outcome_counts() == {"applied": 1}
