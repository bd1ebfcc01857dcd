"""Runs the steps of a run: each once the steps whose results it reads have ended (beside the
others, `registry.AFTER`), and only if the steps it needs succeeded; each is journaled."""

from __future__ import annotations

import asyncio
import dataclasses
import traceback
from asyncio import FIRST_COMPLETED
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog

from ..config import Settings
from ..db import make_engine
from ..domain.accounts import USER
from ..domain.guards import GuardViolation, check_plan
from ..domain.offer_state import COURSE_KIND
from ..domain.plan import Plan
from ..journal.store import Journal, Outcome
from ..moodle.stats import calls_made_by
from . import registry
from .base import ApplyResult, Step, StepContext, silent_progress
from .collector import fewer_collections
from .lock import run_lock
from .read_ahead import ReadAhead, SourceRead
from .years import settings_for_day

log = structlog.get_logger("jonction.runner")
T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, its result kept off the main task.

    Python 3.11's asyncio.run formats the repr() of its main task when it restores the SIGINT
    handler, and a finished task's repr holds the repr of its result: for a whole night's
    report, every operation of every step, gigabytes and minutes at university scale.
    """
    results: list[T] = []

    async def main() -> None:
        results.append(await coro)

    asyncio.run(main())
    return results[0]


@dataclass
class StepReport:
    step: str
    status: str  # succeeded | failed | guarded | blocked | stale | planned
    plan: Plan | None = None
    result: ApplyResult | None = None
    violations: list[GuardViolation] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    calls: dict[str, dict[str, float]] = field(default_factory=dict)
    # What the step planned and did, kept when its plan and outcomes are let go (summarise).
    planned: int | None = None
    outcomes: Counter[str] = field(default_factory=Counter)
    changes: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def outcome_counts(self) -> Counter[str]:
        """Operations by outcome (applied, failed, skipped…)."""
        if self.result is None:
            return Counter(self.outcomes)
        return Counter(item.outcome for item in self.result.outcomes)

    def change_counts(self) -> Counter[tuple[str, str, str]]:
        """(kind, action, outcome) → how many; a compact operation (a table of REFER) counts
        the rows it stands for."""
        if self.result is None:
            return Counter(self.changes)
        counts: Counter[tuple[str, str, str]] = Counter()
        for item in self.result.outcomes:
            op = item.operation
            rows = (op.after or {}).get("rows") if op.after else None
            counts[(op.kind, str(op.action), item.outcome)] += rows if isinstance(rows, int) else 1
        return counts

    def planned_count(self) -> int | None:
        return len(self.plan.operations) if self.plan is not None else self.planned

    def summarise(self) -> None:
        """Keeps the counts and lets the plan and the outcomes go: a night's operations run
        to millions of objects at university scale, and later steps need the memory."""
        self.planned = self.planned_count()
        self.outcomes = self.outcome_counts()
        self.changes = self.change_counts()
        self.plan = None
        self.result = None


@dataclass
class RunReport:
    run_id: int | None
    steps: list[StepReport]

    @property
    def status(self) -> str:
        statuses = {report.status for report in self.steps}
        if statuses <= {"succeeded", "planned", "skipped"}:
            return "succeeded"
        if "succeeded" in statuses:
            return "partial"
        return "failed"

    def __repr__(self) -> str:
        # asyncio.run formats its main task, result included, when it restores the SIGINT
        # handler (Python 3.11): a full repr of a university-sized run costs gigabytes.
        steps = ", ".join(f"{s.step}={s.status}" for s in self.steps)
        return f"RunReport(run_id={self.run_id}, steps=[{steps}])"


class _Stop(Exception):
    """Ends a step early with the status already set in its report."""


def open_journal(settings: Settings) -> Journal:
    journal = Journal(make_engine(settings.state.url))
    journal.ensure_schema()
    return journal


def _counts(plan: Plan, outcomes: Sequence[Outcome]) -> dict[str, Any]:
    planned = Counter(f"{op.kind}.{op.action}" for op in plan.operations)
    done = Counter(f"{o.operation.kind}.{o.operation.action}.{o.outcome}" for o in outcomes)
    return {"planned": dict(planned), "outcomes": dict(done)}


class Paused(Exception):
    """Runs are paused (a blackout window); `jonction resume` lifts it."""


PAUSE_FLAG = "paused"


def pause_state(journal: Journal, today: datetime | None = None) -> dict[str, Any] | None:
    """The pause in force, if any: {"since", "until", "reason"}; an expired pause is ignored."""
    state = journal.flag(PAUSE_FLAG)
    if not state:
        return None
    until = state.get("until")
    now = (today or datetime.now(UTC)).date().isoformat()
    if until and until < now:
        return None
    return dict(state)


@dataclass(frozen=True)
class RunOptions:
    apply: bool = True
    force: Sequence[str] = ()
    command: str = "run"
    # Plans saved by `jonction plan --save`, applied as they are if their basis still holds.
    saved: Mapping[str, Plan] | None = None
    ignore_pause: bool = False
    replace: Mapping[str, Plan] | None = None
    # False: each step's plan and outcomes are dropped once journaled, only counts kept.
    keep_details: bool = True


async def run_steps(
    settings: Settings,
    names: Sequence[str],
    *,
    apply: bool = True,
    force: Sequence[str] = (),
    command: str = "run",
    saved: Mapping[str, Plan] | None = None,
    ignore_pause: bool = False,
    progress: Callable[[str, int | None], Any] = silent_progress,
    on_step: Callable[[StepReport], None] | None = None,
    now: datetime | None = None,
    replace: Mapping[str, Plan] | None = None,
    keep_details: bool = True,
) -> RunReport:
    """Plans (and applies) the named steps in the registry's order, with their dependencies;
    a step starts once the steps it reads have ended, beside those it does not read.

    `now` is the run's clock (tests); `replace` gives, by step, a plan to apply instead of the
    one computed (undo): the step still plans first, to read the state its apply needs, and the
    replacing plan takes that plan's basis. `keep_details=False` keeps only each step's counts
    in the report once the journal holds its operations (a whole night's would fill memory).
    """
    options = RunOptions(apply, tuple(force), command, saved, ignore_pause, replace, keep_details)
    steps = registry.all_steps()
    ordered = [name for name in steps if name in names]
    journal = open_journal(settings)
    # Read by most steps of a night, written by one or two.
    journal.keep_managed((USER, COURSE_KIND))
    clock = now or datetime.now(UTC)
    settings = settings_for_day(settings, journal, clock.date())
    if not apply:
        return await _run(settings, journal, None, ordered, options, progress, on_step, clock)
    pause = pause_state(journal)
    if pause and not ignore_pause:
        until = f" until {pause['until']}" if pause.get("until") else ""
        reason = f" ({pause['reason']})" if pause.get("reason") else ""
        raise Paused(f"runs are paused{until}{reason}; `jonction resume` lifts the pause")
    with run_lock(settings.pipeline.lock_file):
        for dead in journal.interrupt_dead_runs():
            log.warning("an earlier run was interrupted", run=dead)
        run_id = journal.start_run(command, ordered, force)
        report = await _run(settings, journal, run_id, ordered, options, progress, on_step, clock)
        journal.finish_run(
            run_id,
            report.status,
            {step.step: step.status for step in report.steps},
        )
        return report


async def _run(
    settings: Settings,
    journal: Journal,
    run_id: int | None,
    ordered: Sequence[str],
    options: RunOptions,
    progress: Callable[[str, int | None], Any],
    on_step: Callable[[StepReport], None] | None,
    now: datetime,
) -> RunReport:
    steps = registry.all_steps()
    failed: set[str] = set()
    context = StepContext(
        settings=settings,
        journal=journal,
        now=now,
        run_id=run_id,
        progress=progress,
    )

    async def prepare(step: Step, before: dict[str, asyncio.Task[StepReport]]) -> None:
        # Once the steps it waits for have reached their milestones (or ended) and the others
        # have ended, unless one failed: then the step is blocked and prepares nothing.
        ended = [task for other, task in before.items() if other not in step.prepare_at]
        if ended:
            await asyncio.wait(ended)
        for other, milestone in step.prepare_at.items():
            if other in before:
                reached = asyncio.create_task(context.until_reached(other, milestone))
                await asyncio.wait({reached, before[other]}, return_when=FIRST_COMPLETED)
                reached.cancel()
        if not failed.intersection(before):
            own = options.apply and not (
                (options.saved and step.name in options.saved)
                or (options.replace and step.name in options.replace)
            )
            ahead = context.for_step(step.name, None, step.name in options.force)
            await step.prepare(dataclasses.replace(ahead, writes_ahead=bool(own)))

    async def run_one(name: str, before: dict[str, asyncio.Task[StepReport]]) -> StepReport:
        step = steps[name]()
        early = None
        if step.prepare_at and before and settings.pipeline.concurrent_steps:
            with calls_made_by(name):  # the task takes the step's name for its calls
                early = asyncio.create_task(prepare(step, before), name=f"prepare {name}")
        # A step waits for the steps whose results it reads; the others run beside it.
        if before:
            await asyncio.wait(before.values())
        missing = [need for need in step.requires if need in failed]
        if missing:
            if early is not None:
                early.cancel()
                await asyncio.gather(early, return_exceptions=True)
            report = StepReport(name, "blocked", error=f"needs {', '.join(missing)}")
            await _journal_done_ahead(journal, run_id, step, report)
        else:
            saved = options.saved.get(name) if options.saved else None
            with calls_made_by(name):
                report = await _one(context, journal, run_id, step, options, saved, early)
        if report.status not in {"succeeded", "planned"}:
            failed.add(name)
        if on_step is not None:
            on_step(report)
        return report

    async with context.exit_stack:
        context.exit_stack.enter_context(fewer_collections())
        reads = sources_to_read_ahead(settings, ordered, options, now)
        if reads:
            context.ahead = ReadAhead(reads)
            context.exit_stack.callback(context.ahead.close)
        tasks: dict[str, asyncio.Task[StepReport]] = {}
        for place, name in enumerate(ordered):
            if settings.pipeline.concurrent_steps:
                before = {other: tasks[other] for other in registry.runs_after(name, ordered)}
            else:
                before = {other: tasks[other] for other in ordered[:place]}
            tasks[name] = asyncio.create_task(run_one(name, before), name=f"step {name}")
        try:
            reports = [await tasks[name] for name in ordered]
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
    return RunReport(run_id, reports)


async def _journal_done_ahead(
    journal: Journal, run_id: int | None, step: Step, report: StepReport
) -> None:
    """A step blocked after its preparation wrote: what it wrote is journaled all the same."""
    done = await step.done_ahead()
    if done and run_id is not None:
        step_run_id = journal.start_step(run_id, step.name, "apply")
        journal.record_outcomes(step_run_id, done)
        journal.finish_step(step_run_id, report.status, error=report.error)


def sources_to_read_ahead(
    settings: Settings, ordered: Sequence[str], options: RunOptions, now: datetime
) -> list[SourceRead[Any]]:
    """The sources of the steps that start after others, when `[pipeline] read_ahead`: a step
    that starts the run, or applies a saved plan, reads nothing ahead."""
    if not settings.pipeline.read_ahead:
        return []
    steps = registry.all_steps()
    reads: dict[str, SourceRead[Any]] = {}
    for name in ordered:
        if options.saved and name in options.saved:
            continue
        if not registry.runs_after(name, ordered):
            continue
        try:
            wanted = steps[name].read_ahead(settings, now.date())
        except Exception:  # the step meets the same error when it reads, and reports it
            continue
        for read in wanted:
            reads.setdefault(read.key, read)
    return list(reads.values())


async def _one(
    context: StepContext,
    journal: Journal,
    run_id: int | None,
    step: Any,
    options: RunOptions,
    saved: Plan | None,
    early: asyncio.Task[None] | None = None,
) -> StepReport:
    name = step.name
    forced = name in options.force
    started = datetime.now(UTC)
    step_run_id = journal.start_step(run_id, name, "apply") if run_id is not None else None
    context = context.for_step(name, step_run_id, forced)
    report = StepReport(name, "failed")
    try:
        if early is not None:
            await early  # what it prepared ahead; its error is the step's
        plan = await step.plan(context)
        if saved is not None and saved.basis != plan.basis:
            report.plan = plan
            report.status = "stale"
            report.error = (
                f"the saved plan of {name} was computed from a state that has changed since; "
                "plan again (jonction plan --save) and review the new plan"
            )
            raise _Stop
        if saved is not None:
            plan = saved
        replacement = options.replace.get(name) if options.replace else None
        if replacement is not None:
            plan = Plan(
                name,
                operations=list(replacement.operations),
                notices=list(replacement.notices),
                existing=plan.existing,
                existing_by_scope=plan.existing_by_scope,
                basis=plan.basis,
                stats=dict(replacement.stats),
            )
        report.plan = plan
        report.violations = check_plan(plan, context.settings.guards)
        if plan.blockers and not forced:
            report.status = "blocked"
            report.error = "; ".join(plan.blockers)
        elif report.violations and not forced:
            report.status = "guarded"
            report.error = " ".join(v.message() for v in report.violations)
        elif not options.apply:
            report.status = "planned"
        else:
            report.result = await step.apply(context, plan)
            failures = [o for o in report.result.outcomes if o.outcome == "failed"]
            report.status = "succeeded"
            if failures:
                log.warning("operations failed", step=name, failed=len(failures))
    except _Stop:
        pass
    except Exception as exc:  # a step's failure must not stop the steps that don't need it
        report.status = "failed"
        report.error = f"{type(exc).__name__}: {exc}"
        log.error("step failed", step=name, error=report.error, trace=traceback.format_exc())
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    report.calls = dict(context.calls.by_function)
    if step_run_id is not None:
        outcomes = report.result.outcomes if report.result else await step.done_ahead()
        journaled = report.result.journaled if report.result else 0
        journal.record_outcomes(step_run_id, outcomes[journaled:], start=journaled)
        if report.plan is not None:
            journal.record_notices(step_run_id, report.plan.notices)
        journal.finish_step(
            step_run_id,
            report.status,
            counts=_counts(report.plan, outcomes) if report.plan else {},
            stats={
                **(report.plan.stats if report.plan else {}),
                **(report.result.stats if report.result else {}),
            },
            calls=report.calls,
            guards=[v.message() for v in report.violations],
            error=report.error,
            basis=report.plan.basis if report.plan else "",
        )
        if not options.keep_details:
            report.summarise()
    return report
