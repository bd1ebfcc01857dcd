"""The shape of every step: read the sources and the target, compute a plan, apply it.

A step is a class with a `name`, the steps it `requires`, and two coroutines: `plan` (reads,
then calls the pure `determine_actions` of its domain module) and `apply` (makes the target
match the plan and says what became of each operation). The runner journals both.
"""

from __future__ import annotations

import asyncio
import dataclasses
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, TypeVar, cast

import structlog

from ..config import Settings
from ..domain.plan import Plan
from ..journal.store import Journal, Outcome
from .read_ahead import ReadAhead, SourceRead

T = TypeVar("T")


class ProgressTask(Protocol):
    def advance(self, amount: int = 1) -> None: ...


class ProgressFactory(Protocol):
    def __call__(self, description: str, total: int | None) -> AbstractProgress: ...


class AbstractProgress(Protocol):
    def __enter__(self) -> ProgressTask: ...
    def __exit__(self, *exc: object) -> None: ...


class _SilentTask:
    def advance(self, amount: int = 1) -> None:
        del amount


@contextmanager
def silent_progress(description: str, total: int | None) -> Iterator[ProgressTask]:
    del description, total
    yield _SilentTask()


@dataclass
class CallTally:
    """Moodle calls made by a step, per web service function."""

    by_function: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(
        self,
        function: str,
        calls: int,
        items: int,
        seconds: float,
        errors: int = 0,
        window: tuple[float, float] | None = None,
    ) -> None:
        """Adds calls to the tally; `window` is the Unix times of the first call asked for and
        of the last answer, kept as `first` and `last` (when the step's calls ran)."""
        entry = self.by_function.setdefault(
            function, {"calls": 0, "items": 0, "seconds": 0.0, "errors": 0}
        )
        entry["calls"] += calls
        entry["items"] += items
        entry["seconds"] += seconds
        entry["errors"] += errors
        if window is not None:
            first, last = round(window[0], 3), round(window[1], 3)
            entry["first"] = min(entry.get("first", first), first)
            entry["last"] = max(entry.get("last", last), last)

    def total_calls(self) -> int:
        return int(sum(entry["calls"] for entry in self.by_function.values()))


@dataclass
class StepContext:
    """What a step may use: configuration, journal, clock, progress and shared adapters."""

    settings: Settings
    journal: Journal
    now: datetime
    run_id: int | None = None
    step_run_id: int | None = None
    forced: bool = False
    progress: Callable[[str, int | None], Any] = silent_progress
    calls: CallTally = field(default_factory=CallTally)
    log: Any = field(default_factory=lambda: structlog.get_logger("jonction"))
    exit_stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    # The sources the run started reading at its start (read_ahead.py).
    ahead: ReadAhead | None = None
    _shared: dict[str, Any] = field(default_factory=dict)
    # Steps run at the same time ask for the same value: the first computes it, the others wait.
    _making: defaultdict[str, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    # The step this context is for ("" for the run's), and the milestones the run's steps
    # have reached (`reached`), shared by every step's context.
    step: str = ""
    # Whether the step may write while it prepares (`Step.prepare`): the run applies the
    # step's own plan, not a saved or replacing one.
    writes_ahead: bool = False
    _milestones: defaultdict[str, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )

    async def shared(self, key: str, factory: Callable[[], AbstractAsyncContextManager[T]]) -> T:
        """An adapter opened once for the whole run (a Moodle client…) and closed at its end."""
        async with self._making[key]:
            if key not in self._shared:
                self._shared[key] = await self.exit_stack.enter_async_context(factory())
        return cast(T, self._shared[key])

    async def shared_value(self, key: str, factory: Callable[[], Awaitable[T]]) -> T:
        """A value computed once for the whole run (the known Moodle state of a kind…)."""
        async with self._making[key]:
            if key not in self._shared:
                self._shared[key] = await factory()
        return cast(T, self._shared[key])

    def for_step(self, step: str, step_run_id: int | None, forced: bool) -> StepContext:
        """The context of one step: its own journal entry, force and call tally; the run's
        clock, adapters and shared values."""
        return dataclasses.replace(
            self, step=step, step_run_id=step_run_id, forced=forced, calls=type(self.calls)()
        )

    def reached(self, milestone: str) -> None:
        """Tells the run that this step has reached `milestone`: the steps that prepare once
        it is there (`Step.prepare_at`) may start preparing."""
        self._milestones[f"{self.step}.{milestone}"].set()

    def has_reached(self, step: str, milestone: str) -> bool:
        return self._milestones[f"{step}.{milestone}"].is_set()

    async def until_reached(self, step: str, milestone: str) -> None:
        """Returns once `step` has reached `milestone` (never, if it does not)."""
        await self._milestones[f"{step}.{milestone}"].wait()

    async def source(self, read: SourceRead[T]) -> tuple[T, bool]:
        """What `read` reads: taken from the run's read ahead when it has it, else read now
        (in a thread); and whether it was read ahead."""
        if self.ahead is None:
            return await asyncio.to_thread(read), False
        return await self.ahead.take(read)

    def share(self, key: str, value: object) -> None:
        """Gives the later steps of the run a value they would otherwise compute (the REFER
        snapshot the refer step has just written…)."""
        self._shared[key] = value

    def shared_now(self, key: str, default: T) -> T:
        """What a step of the run has shared under `key` so far, else `default`."""
        return cast(T, self._shared.get(key, default))


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)
    # Figures to print and journal beside the outcomes (rows written, sync summary…).
    stats: dict[str, Any] = field(default_factory=dict)
    # How many of the first outcomes the step journaled itself (while it waited for Moodle).
    journaled: int = 0


class Step(ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def read_ahead(cls, settings: Settings, today: date) -> Sequence[SourceRead[Any]]:
        """The sources this step reads that no earlier step writes, which a run may read
        ahead (`ctx.source`) while the steps before this one work."""
        return ()

    # Steps of `requires` that the step's `prepare` need not see ended: it may start once each
    # has reached the milestone named here (`StepContext.reached`), or ended, and the other
    # steps it requires have ended.
    prepare_at: ClassVar[Mapping[str, str]] = {}

    async def prepare(self, ctx: StepContext) -> None:
        """The part of `plan` that needs only what the steps of `prepare_at` have done by
        their milestone, run ahead of `plan` while they finish (their Moodle sync…). `plan`
        does it itself when the run did not."""
        return None  # most steps have nothing to prepare

    async def done_ahead(self) -> list[Outcome]:
        """What `prepare` wrote already (with `ctx.writes_ahead`): journaled as the step's
        outcomes when it ends before `apply`, whose outcomes include them otherwise."""
        return []

    @abstractmethod
    async def plan(self, ctx: StepContext) -> Plan:
        """Reads the sources and the known target state; returns what should change."""

    @abstractmethod
    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        """Makes the target match `plan`; says what became of each operation."""
