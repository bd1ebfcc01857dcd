"""`jonction undo RUN`: revert what a run did, where Moodle allows it, through a new plan."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..config import Settings
from ..domain.plan import Action
from ..domain.undo import UndoPlan, undo_plan
from ..journal.history import applied_after, applied_in_run, run_command
from ..journal.store import Journal
from ..steps import registry
from ..steps.base import silent_progress
from ..steps.lock import AlreadyRunning
from ..steps.runner import Paused, RunReport, open_journal, run_steps
from .common import ConfigOption, console, err_console, settings_or_exit
from .render import print_plan, print_run, rich_progress

# Runs that change jonction's own registries, not Moodle: undone with their own commands.
REGISTRY_COMMANDS = {
    "rollover": "jonction rollover",
    "spaces": "jonction spaces renew / expire",
    "adopt": "nothing (an adoption writes nothing to Moodle)",
}


def register(app: typer.Typer) -> None:
    app.command("undo")(undo)


def build_undo(journal: Journal, run: int, steps: Sequence[str] = ()) -> UndoPlan:
    """The plan that undoes run `run` (or only its `steps`), from the journal alone."""
    known = registry.all_steps()
    done = [
        d
        for d in applied_in_run(journal, run)
        if d.step in known and (not steps or d.step in steps)
    ]
    later = applied_after(journal, run, {(d.operation.kind, d.operation.key) for d in done})
    created = {
        (d.operation.kind, d.operation.key): d.moodle_id
        for d in done
        if d.operation.action is Action.CREATE and d.moodle_id is not None
    }
    return undo_plan(
        run,
        [(d.step, d.operation) for d in done],
        [(d.run_id, d.operation) for d in later],
        created,
    )


async def apply_undo(
    settings: Settings,
    undoing: UndoPlan,
    force: bool = False,
    progress: Callable[[str, int | None], Any] = silent_progress,
) -> RunReport:
    """Applies an undo plan as a run of its own ("undo of run N"); pauses do not stop it."""
    return await run_steps(
        settings,
        undoing.steps,
        command=f"undo of run {undoing.run_id}",
        replace={name: undoing.plans[name] for name in undoing.steps},
        force=undoing.steps if force else [],
        ignore_pause=True,
        progress=progress,
    )


def undo(
    run: Annotated[int, typer.Argument(help="The run to undo (jonction report lists runs).")],
    config: ConfigOption = None,
    step: Annotated[
        list[str] | None, typer.Option(help="Undo only this step of the run (repeatable).")
    ] = None,
    yes: bool = typer.Option(False, "--yes", help="Apply without asking."),
    force: bool = typer.Option(False, "--force", help="Apply even if a mass-change guard objects."),
    limit: int = typer.Option(200, help="Lines of the plan to print per step (0: all)."),
) -> None:
    """Revert what a run did where Moodle allows it (rename back, move back, show again,
    reactivate, re-add members…), through a plan shown before it applies.

    Creations are kept (undo never deletes). The undo is a run of its own in the journal. If
    the sources still say the same, the next night does it again: correct them first, or
    `jonction pause`. Undo works during a pause.
    """
    settings = settings_or_exit(config)
    journal = open_journal(settings)
    command = run_command(journal, run)
    if command is None:
        err_console.print(f"there is no run {run}")
        raise typer.Exit(2)
    if command in REGISTRY_COMMANDS:
        err_console.print(
            f"run {run} ({command}) changed jonction's registry, not Moodle: use "
            f"{REGISTRY_COMMANDS[command]}"
        )
        raise typer.Exit(2)
    unknown = set(step or []) - set(registry.all_steps())
    if unknown:
        err_console.print(f"unknown step(s): {', '.join(sorted(unknown))}")
        raise typer.Exit(2)
    undoing = build_undo(journal, run, step or [])
    for plan in undoing.plans.values():
        print_plan(console, plan, limit or None)
    if not undoing.steps:
        console.print(f"nothing of run {run} can be undone")
        return
    if not yes and not typer.confirm(f"Undo run {run} as shown?"):
        raise typer.Exit(1)
    try:
        report = asyncio.run(apply_undo(settings, undoing, force, rich_progress(console)))
    except (AlreadyRunning, Paused) as exc:
        err_console.print(escape(str(exc)))
        raise typer.Exit(3) from None
    print_run(console, report)
    if report.status != "succeeded":
        raise typer.Exit(1)
