"""`jonction plan STEP` and `jonction run STEP`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from ..steps import registry
from ..steps.lock import AlreadyRunning
from ..steps.runner import run_steps
from .common import ConfigOption, console, err_console, settings_or_exit
from .render import print_plan, print_run, rich_progress

StepArgument = Annotated[
    str,
    typer.Argument(
        help="refer | users | cohorts | offer | enrolments | groups", show_default=False
    ),
]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("run")(run)


def _check_step(name: str) -> None:
    try:
        registry.get(name)
    except KeyError as exc:
        err_console.print(str(exc.args[0]))
        raise typer.Exit(2) from None


def plan(
    step: StepArgument,
    config: ConfigOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    limit: int = typer.Option(200, help="Lines to print (0: all)."),
    save: Path | None = typer.Option(None, help="Also write the plan as JSON to this file."),
) -> None:
    """Show what a step would change, each change with its reason. Changes nothing."""
    settings = settings_or_exit(config)
    _check_step(step)
    report = asyncio.run(run_steps(settings, [step], apply=False))
    result = report.steps[0]
    if result.plan is None:
        err_console.print(f"{step}: {result.error}")
        raise typer.Exit(1)
    if save is not None:
        save.write_text(json.dumps(result.plan.to_json(), ensure_ascii=False, indent=1))
    if as_json:
        typer.echo(json.dumps(result.plan.to_json(), ensure_ascii=False, indent=1))
    else:
        print_plan(console, result.plan, limit or None)
        for violation in result.violations:
            console.print(f"[yellow]guard[/]: {violation.message()}")


def run(
    step: StepArgument,
    config: ConfigOption = None,
    force: bool = typer.Option(
        False, "--force", help="Apply even if a guard (mass change, truncated source) objects."
    ),
) -> None:
    """Apply one step now: compute its plan, check the guards, make the target match."""
    settings = settings_or_exit(config)
    _check_step(step)
    try:
        report = asyncio.run(
            run_steps(
                settings,
                [step],
                apply=True,
                force=[step] if force else [],
                progress=rich_progress(console),
            )
        )
    except AlreadyRunning as exc:
        err_console.print(str(exc))
        raise typer.Exit(3) from None
    print_run(console, report)
    if report.status != "succeeded":
        raise typer.Exit(1)
