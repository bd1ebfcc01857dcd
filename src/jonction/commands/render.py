"""Printing plans and run reports for people (rich) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..domain.plan import Plan
from ..steps.base import ProgressTask
from ..steps.runner import RunReport, StepReport


def print_plan(console: Console, plan: Plan, limit: int | None = None) -> None:
    console.print(f"[bold]{plan.step}[/]: {len(plan.operations)} change(s)")
    for blocker in plan.blockers:
        console.print(f"  [red]blocked[/]: {escape(blocker)}")
    shown = plan.operations if limit is None else plan.operations[:limit]
    for op in shown:
        label = f" {escape(op.label)!s}" if op.label else ""
        reason = f" [dim]— {escape(op.reason)}[/]" if op.reason else ""
        console.print(f"  {op.action} {op.kind} [cyan]{escape(op.key)}[/]{label}{reason}")
    if limit is not None and len(plan.operations) > limit:
        console.print(f"  … and {len(plan.operations) - limit} more (use --limit 0 for all)")
    if plan.notices:
        console.print(f"  {len(plan.notices)} notice(s):")
        for notice in plan.notices[: limit or None]:
            console.print(
                f"    [yellow]{notice.kind}[/] {escape(notice.key)}: {escape(notice.message)}"
            )
    summary = ", ".join(
        f"{kind} {action}: {n}" for (kind, action), n in sorted(plan.counts().items())
    )
    if summary:
        console.print(f"  [bold]total[/]: {summary}")


def _calls(report: StepReport) -> str:
    calls = int(sum(entry["calls"] for entry in report.calls.values()))
    return str(calls) if calls else "0"


def print_run(console: Console, report: RunReport) -> None:
    table = Table(title=f"run {report.run_id}" if report.run_id else "plan", show_lines=False)
    for column in ("step", "status", "changes", "applied", "failed", "calls", "seconds"):
        table.add_column(column, justify="left" if column in {"step", "status"} else "right")
    for step in report.steps:
        counts = step.outcome_counts()
        status_style = {
            "succeeded": "green",
            "planned": "cyan",
            "failed": "red",
            "guarded": "yellow",
            "blocked": "yellow",
        }.get(step.status, "white")
        table.add_row(
            step.step,
            f"[{status_style}]{step.status}[/]",
            "-" if step.planned_count() is None else str(step.planned_count()),
            str(counts.get("applied", 0)),
            str(counts.get("failed", 0)),
            _calls(step),
            f"{step.seconds:.1f}",
        )
    console.print(table)
    for step in report.steps:
        changes = changes_line(step)
        if changes:
            console.print(f"[bold]{step.step}[/]: {escape(changes)}", highlight=False)
        if step.error:
            console.print(f"[bold]{step.step}[/]: {escape(step.error)}")


def changes_line(step: StepReport) -> str:
    """What a step changed, by kind and action: "course create 420, course rename 3"."""
    parts = [
        f"{kind} {action} {n}" + ("" if outcome == "applied" else f" ({outcome})")
        for (kind, action, outcome), n in sorted(step.change_counts().items())
    ]
    return ", ".join(parts)


class _RichTask:
    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._task, amount)


def rich_progress(console: Console) -> Callable[[str, int | None], Any]:
    """A progress-bar factory for long steps; silent when the output is not a terminal."""

    @contextmanager
    def factory(description: str, total: int | None) -> Iterator[ProgressTask]:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        with progress:
            yield _RichTask(progress, progress.add_task(description, total=total))

    return factory
