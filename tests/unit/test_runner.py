"""The runner: order, steps beside each other, dependencies, failure isolation, guards and
blockers, the lock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.plan import Action, Operation, Plan
from jonction.journal.reading import get_run, run_operations
from jonction.journal.store import Journal, Outcome
from jonction.moodle.stats import CallRecord, CallStats, current_caller
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


class Meeting:
    """Two steps that can only end if they run at the same time: each waits for the other."""

    def __init__(self) -> None:
        self.arrived: dict[str, asyncio.Event] = {}

    async def meet(self, me: str, other: str) -> None:
        self.arrived.setdefault(me, asyncio.Event()).set()
        await asyncio.wait_for(self.arrived.setdefault(other, asyncio.Event()).wait(), 5)


class CallingStep(FakeStep):
    """Makes one Moodle call on the run's shared call record, then meets `other`."""

    other: ClassVar[str] = ""

    async def plan(self, ctx: StepContext) -> Plan:
        stats = await ctx.shared_value("stats", _new_stats)
        mark = stats.calls
        stats.add(
            CallRecord(f"{self.name}_read", "read", 1, 1, 0.1, "ok", 1, 0, 0, current_caller())
        )
        if self.other:
            meeting = await ctx.shared_value("meeting", _new_meeting)
            await meeting.meet(self.name, self.other)
        stats.tally_into(ctx.calls, mark)
        return await super().plan(ctx)


async def _new_stats() -> CallStats:
    return CallStats()


async def _new_meeting() -> Meeting:
    return Meeting()


def test_steps_that_do_not_read_each_other_run_at_the_same_time(
    settings: Settings, steps: dict[str, type[Step]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "AFTER", {"a": (), "b": (), "c": ("a",)})
    steps["a"] = type("a", (CallingStep,), {"name": "a", "title": "a", "other": "b"})
    steps["b"] = type("b", (CallingStep,), {"name": "b", "title": "b", "other": "a"})
    steps["c"] = _step("c")
    report = asyncio.run(run_steps(settings, ["a", "b", "c"]))
    # One after the other, a would have waited in vain for b.
    assert [s.status for s in report.steps] == ["succeeded"] * 3, report.steps[0].error
    assert [s.step for s in report.steps] == ["a", "b", "c"]
    # c reads a: it starts once a has ended.
    assert CALLS.index("plan c") > CALLS.index("apply a")
    # Each step counts its own call, not the one made beside it.
    assert list(report.steps[0].calls) == ["a_read"]
    assert list(report.steps[1].calls) == ["b_read"]


def test_a_step_waits_for_the_steps_it_requires_even_when_it_reads_none(
    settings: Settings, steps: dict[str, type[Step]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "AFTER", {"a": (), "b": ()})
    # a pauses before it fails: b, started beside it, would not know yet.
    steps["a"] = type("a", (PausingStep,), {"name": "a", "title": "a", "fails": True})
    steps["b"] = _step("b", ("a",))
    report = asyncio.run(run_steps(settings, ["a", "b"]))
    assert [(s.step, s.status) for s in report.steps] == [("a", "failed"), ("b", "blocked")]


def test_each_step_waits_for_what_it_reads_in_the_nights_order() -> None:
    night = list(registry.ORDER)
    assert registry.runs_after("refer", night) == []
    assert registry.runs_after("offer", night) == ["refer"]
    assert registry.runs_after("cohorts", night) == ["refer", "users"]
    assert registry.runs_after("enrolments", night) == ["refer", "users", "offer"]
    assert registry.runs_after("groups", night) == ["refer", "users", "offer", "enrolments"]
    # Not named in AFTER: after every step before it.
    assert registry.runs_after("obsolescence", night) == night[: night.index("obsolescence")]
    assert registry.runs_after("cohorts", ["users", "cohorts"]) == ["users"]


def test_the_journal_lists_a_runs_steps_in_the_nights_order(
    settings: Settings, steps: dict[str, type[Step]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "AFTER", {"a": (), "b": ("a",), "c": ()})
    for name in "abc":
        steps[name] = _step(name)
    report = asyncio.run(run_steps(settings, ["a", "b", "c"]))
    assert CALLS.index("plan c") < CALLS.index("plan b")  # c started beside a, before b
    assert report.run_id is not None
    view = get_run(make_engine(settings.state.url), report.run_id)
    assert view is not None
    assert [step.step for step in view.steps] == ["a", "b", "c"]


class PausingStep(FakeStep):
    """Notes when its plan starts and ends, with a pause (a Moodle call) in between."""

    async def plan(self, ctx: StepContext) -> Plan:
        CALLS.append(f"start {self.name}")
        await asyncio.sleep(0.05)
        CALLS.append(f"end {self.name}")
        return await super().plan(ctx)


@pytest.mark.parametrize(("concurrent", "order"), [(True, "abab"), (False, "aabb")])
def test_concurrent_steps_false_runs_each_step_after_the_one_before(
    settings: Settings,
    steps: dict[str, type[Step]],
    monkeypatch: pytest.MonkeyPatch,
    concurrent: bool,
    order: str,
) -> None:
    monkeypatch.setattr(registry, "AFTER", {"a": (), "b": ()})
    for name in "ab":
        steps[name] = type(name, (PausingStep,), {"name": name, "title": name})
    settings.pipeline.concurrent_steps = concurrent
    asyncio.run(run_steps(settings, ["a", "b"]))
    pauses = [call.split()[1] for call in CALLS if call.split()[0] in {"start", "end"}]
    # Beside each other: a starts, b starts, a ends, b ends.
    assert "".join(pauses) == order


class SyncingStep(FakeStep):
    """Reaches "syncing" in its apply, then waits for `other` to have prepared, as the
    enrolments step waits for Moodle's sync."""

    other: ClassVar[str] = ""
    reaches: ClassVar[bool] = True
    fails_after: ClassVar[bool] = False  # fails once the other has prepared (its sync failed)

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        if self.reaches:
            ctx.reached("syncing")
            meeting = await ctx.shared_value("meeting", _new_meeting)
            await meeting.meet(self.name, self.other)
        if self.fails_after:
            raise RuntimeError("the sync failed")
        return await super().apply(ctx, plan)


class PreparingStep(FakeStep):
    """Prepares once `a` is syncing; its plan says whether it was prepared ahead."""

    prepare_at: ClassVar[dict[str, str]] = {"a": "syncing"}
    prepare_fails: ClassVar[bool] = False
    meets: ClassVar[str] = ""

    def __init__(self) -> None:
        self.prepared = False

    async def prepare(self, ctx: StepContext) -> None:
        CALLS.append(f"prepare {self.name}")
        if self.prepare_fails:
            raise RuntimeError("journal unreadable")
        self.prepared = True
        if self.meets:
            meeting = await ctx.shared_value("meeting", _new_meeting)
            await meeting.meet(self.name, self.meets)

    async def plan(self, ctx: StepContext) -> Plan:
        CALLS.append(f"plan {self.name} prepared={self.prepared}")
        return Plan(self.name)


def _preparing_pair(steps: dict[str, type[Step]], a: type[Step], **b: object) -> None:
    steps["a"] = type("a", (a,), {"name": "a", "title": "a", "other": "b"})
    steps["b"] = type("b", (PreparingStep,), {"name": "b", "title": "b", "requires": ("a",), **b})


def test_a_step_prepares_while_the_step_it_needs_waits_at_its_milestone(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    # a waits, after "syncing", for b to have prepared: without preparing ahead, a would wait
    # in vain (5 s) and fail.
    _preparing_pair(steps, SyncingStep, meets="a")
    report = asyncio.run(run_steps(settings, ["a", "b"]))
    assert [s.status for s in report.steps] == ["succeeded"] * 2, report.steps[0].error
    assert CALLS.index("prepare b") < CALLS.index("apply a")
    assert "plan b prepared=True" in CALLS


def test_a_step_prepares_after_the_step_it_needs_when_the_milestone_never_comes(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    _preparing_pair(steps, type("quiet", (SyncingStep,), {"reaches": False}))
    report = asyncio.run(run_steps(settings, ["a", "b"]))
    assert [s.status for s in report.steps] == ["succeeded"] * 2
    assert CALLS.index("apply a") < CALLS.index("prepare b") < CALLS.index("plan b prepared=True")


def test_a_step_blocked_by_a_failure_prepares_nothing(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    _preparing_pair(steps, type("failing", (SyncingStep,), {"fails": True}))
    report = asyncio.run(run_steps(settings, ["a", "b"]))
    assert [(s.step, s.status) for s in report.steps] == [("a", "failed"), ("b", "blocked")]
    assert not [call for call in CALLS if call.startswith("prepare")]


def test_a_failed_preparation_fails_its_step(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    _preparing_pair(steps, type("quiet", (SyncingStep,), {"reaches": False}), prepare_fails=True)
    report = asyncio.run(run_steps(settings, ["a", "b"]))
    assert [(s.step, s.status) for s in report.steps] == [("a", "succeeded"), ("b", "failed")]
    assert report.steps[1].error == "RuntimeError: journal unreadable"


def test_steps_one_after_the_other_prepare_nothing_ahead(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    _preparing_pair(steps, type("quiet", (SyncingStep,), {"reaches": False}))
    settings.pipeline.concurrent_steps = False
    asyncio.run(run_steps(settings, ["a", "b"]))
    assert "plan b prepared=False" in CALLS
    assert not [call for call in CALLS if call.startswith("prepare")]


class WritingAheadStep(PreparingStep):
    """Writes during its preparation when the run lets it (`ctx.writes_ahead`)."""

    plan_fails: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.written: list[Outcome] = []

    async def prepare(self, ctx: StepContext) -> None:
        await super().prepare(ctx)
        CALLS.append(f"writes ahead={ctx.writes_ahead}")
        if ctx.writes_ahead:
            self.written = [Outcome(Operation("thing", Action.REMOVE, "early"), "applied")]

    async def done_ahead(self) -> list[Outcome]:
        return list(self.written)

    async def plan(self, ctx: StepContext) -> Plan:
        if self.plan_fails:
            raise RuntimeError("Moodle unreachable")
        return await super().plan(ctx)


def _journaled(settings: Settings, run_id: int | None, step: str) -> list[tuple[str, str]]:
    assert run_id is not None
    journal = Journal(make_engine(settings.state.url))
    return [(row["key"], row["outcome"]) for row in run_operations(journal, run_id, step)]


@pytest.mark.parametrize("a_fails", [False, True])
def test_what_a_preparation_wrote_is_journaled_when_its_step_ends_before_apply(
    settings: Settings, steps: dict[str, type[Step]], a_fails: bool
) -> None:
    # b wrote while a synced; then b's own plan fails, or a fails and b is blocked: what b
    # wrote is in the journal all the same.
    a = type("syncing", (SyncingStep,), {"fails_after": a_fails})
    _preparing_pair(steps, a, meets="a")
    steps["b"] = type(
        "b",
        (WritingAheadStep,),
        {"name": "b", "title": "b", "requires": ("a",), "meets": "a", "plan_fails": not a_fails},
    )
    report = asyncio.run(run_steps(settings, ["a", "b"]))
    statuses = [(s.step, s.status) for s in report.steps]
    assert statuses == (
        [("a", "failed"), ("b", "blocked")] if a_fails else [("a", "succeeded"), ("b", "failed")]
    )
    assert "writes ahead=True" in CALLS
    assert _journaled(settings, report.run_id, "b") == [("early", "applied")]


def test_a_preparation_writes_nothing_unless_the_run_applies_the_steps_own_plan(
    settings: Settings, steps: dict[str, type[Step]]
) -> None:
    _preparing_pair(steps, type("quiet", (SyncingStep,), {"reaches": False}))
    steps["b"] = type("b", (WritingAheadStep,), {"name": "b", "title": "b", "requires": ("a",)})
    asyncio.run(run_steps(settings, ["a", "b"], apply=False))
    asyncio.run(run_steps(settings, ["a", "b"], saved={"b": Plan("b")}))
    assert [call for call in CALLS if call.startswith("writes")] == ["writes ahead=False"] * 2
