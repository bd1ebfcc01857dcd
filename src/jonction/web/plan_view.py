"""Tonight's plan as the dashboard shows it: a saved plan file, and a fresh one on request.

The dashboard shows `[web] plan_file`, a file written by `jonction plan --save FILE` (its
`steps` map each step to its plan). An administrator may ask for a fresh plan: every step is
planned through the runner (nothing is applied) in a worker thread, and the file is replaced
at once when done, in the same format, so `jonction apply FILE` can apply it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import structlog

from ..config import Settings
from ..domain.guards import GuardViolation, check_plan
from ..domain.plan import Notice, Operation, Plan
from ..steps import registry
from ..steps.runner import run_blocking, run_steps
from ..steps.saved_plans import PLAN_FORMAT, write_plans
from .journal_views import OperationFilter
from .reach import Reach

log = structlog.get_logger("jonction.web")


class PlanFileError(ValueError):
    """A plan file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class SavedNight:
    path: Path
    written_at: datetime
    plans: list[Plan]

    def violations(self, settings: Settings) -> dict[str, list[GuardViolation]]:
        return {plan.step: check_plan(plan, settings.guards) for plan in self.plans}


def parse_plans(data: Any) -> list[Plan]:
    """The plans of a saved night (or of a single step's plan as JSON)."""
    if isinstance(data, dict) and isinstance(data.get("steps"), dict):
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}, expected {PLAN_FORMAT}")
        return [Plan.from_json(item) for item in data["steps"].values()]
    if isinstance(data, dict) and "operations" in data:
        return [Plan.from_json(data)]
    raise ValueError("expected the output of `jonction plan --save`")


_cache: dict[Path, tuple[tuple[float, int], SavedNight]] = {}


def read_saved_night(path: Path) -> SavedNight | None:
    """The plans saved in `path` (None when there is no file), re-read only when it changes."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    stamp = (status.st_mtime, status.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        plans = parse_plans(document)
        created = document.get("created_at")
        written = (
            datetime.fromisoformat(created)
            if isinstance(created, str)
            else datetime.fromtimestamp(status.st_mtime, UTC)
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlanFileError(f"{path}: not a saved plan ({exc})") from None
    night = SavedNight(path, written, plans)
    _cache[path] = (stamp, night)
    return night


def _visible(source: Any, reach: Reach, scope: str = "") -> bool:
    composante = source.get("composante") if hasattr(source, "get") else None
    return reach.sees(composante, scope)


def matching_operations(
    plans: Iterable[Plan], wanted: OperationFilter, reach: Reach
) -> Iterator[tuple[str, Operation]]:
    """The operations of `plans` that pass the filter and the account's composantes."""
    text = wanted.text.casefold()
    for plan in plans:
        if wanted.step and plan.step != wanted.step:
            continue
        for op in plan.operations:
            if (wanted.kind and op.kind != wanted.kind) or (
                wanted.action and str(op.action) != wanted.action
            ):
                continue
            if text and not any(
                text in field.casefold() for field in (op.key, op.label, op.scope, op.reason)
            ):
                continue
            if _visible(op.source, reach, op.scope):
                yield plan.step, op


def visible_notices(plans: Iterable[Plan], reach: Reach) -> list[tuple[str, Notice]]:
    return [
        (plan.step, notice)
        for plan in plans
        for notice in plan.notices
        if _visible(notice.data, reach, notice.key)
    ]


class PlanRefresher:
    """Computes a fresh plan of the whole night in the background, one at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running = False
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.error = ""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> bool:
        if self.running:
            return False
        self.running = True
        self.error = ""
        self.started_at = datetime.now(UTC)
        self._task = asyncio.get_running_loop().create_task(self._refresh())
        return True

    async def _refresh(self) -> None:
        try:
            plans, failures = await anyio.to_thread.run_sync(self._compute)
            write_plans(self.settings.web.plan_file, plans)
            self.error = "; ".join(failures)
        except Exception as exc:  # shown on the page; the server goes on
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("plan refresh failed", error=self.error)
        finally:
            self.running = False
            self.finished_at = datetime.now(UTC)

    def _compute(self) -> tuple[list[Plan], list[str]]:
        """The plans of the steps that could be planned, and why the others could not."""
        names = list(registry.all_steps())
        report = run_blocking(run_steps(self.settings, names, apply=False, command="plan"))
        failures = [f"{step.step}: {step.error}" for step in report.steps if step.plan is None]
        return [step.plan for step in report.steps if step.plan is not None], failures
