"""`jonction plan`, `run`, `nightly` and `apply`: the steps of the night, one or all."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Settings
from ..domain.plan import Plan
from ..journal.mail import send_summary
from ..journal.reading import get_run, last_step_starts, step_sizes
from ..steps import registry
from ..steps.lock import AlreadyRunning
from ..steps.runner import Paused, RunReport, open_journal, run_blocking, run_steps
from ..steps.saved_plans import PLAN_FORMAT, write_plans
from ..steps.schedule import due_steps
from .common import ConfigOption, console, err_console, settings_or_exit
from .render import print_plan, print_run, rich_progress

STEP_HELP = "refer | users | cohorts | offer | enrolments | groups | obsolescence | spaces"

ForceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--force",
        help="Apply STEP even if a guard (mass change, truncated source) objects. Repeatable.",
        metavar="STEP",
    ),
]
FullOption = Annotated[
    bool,
    typer.Option(
        "--full",
        help="Read every account, and the members of every managed cohort and group, back "
        "from Moodle (the full checks of the users, cohorts and groups steps, otherwise made "
        "every accounts.full_check_days, cohorts.full_check_days and groups.full_check_days "
        "days): catches changes made by hand in Moodle.",
    ),
]


def _full_check(settings: Settings, full: bool) -> Settings:
    if full:
        settings.accounts.full_check_days = 0
        settings.cohorts.full_check_days = 0
        settings.groups.full_check_days = 0
    return settings


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("run")(run)
    app.command("nightly")(nightly)
    app.command("apply")(apply_saved)


def _known(names: Sequence[str]) -> list[str]:
    steps = registry.all_steps()
    unknown = [name for name in names if name not in steps]
    if unknown:
        err_console.print(
            f"unknown step(s): {', '.join(unknown)}; the steps are: {', '.join(steps)}"
        )
        raise typer.Exit(2)
    return list(names)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _execute(settings: Settings, names: Sequence[str], **options: Any) -> RunReport:
    # Applied runs print counts only; the journal keeps every operation.
    options.setdefault("keep_details", options.get("apply", True) is False)
    try:
        return run_blocking(run_steps(settings, names, progress=rich_progress(console), **options))
    except (AlreadyRunning, Paused) as exc:
        err_console.print(str(exc))
        raise typer.Exit(3) from None


def _finish(report: RunReport) -> None:
    print_run(console, report)
    if report.status != "succeeded":
        raise typer.Exit(1)


def plan(
    step: Annotated[
        str | None, typer.Argument(help=f"{STEP_HELP}; none: every step of the night.")
    ] = None,
    config: ConfigOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    limit: int = typer.Option(200, help="Lines to print per step (0: all)."),
    save: Path | None = typer.Option(
        None, help="Write the plan to this file, to review it and `jonction apply` it later."
    ),
) -> None:
    """Show what a step (or the whole night) would change, each change with its reason.

    Changes nothing. Later steps are planned against the current state: in a real night they
    run after the earlier ones have applied their changes.
    """
    settings = settings_or_exit(config)
    names = _known([step]) if step else list(registry.all_steps())
    report = _execute(settings, names, apply=False)
    plans = {item.step: item.plan for item in report.steps if item.plan is not None}
    if save is not None:
        write_plans(save, plans.values())
    if as_json:
        typer.echo(json.dumps({name: item.to_json() for name, item in plans.items()}, indent=1))
    else:
        for item in report.steps:
            if item.plan is not None:
                print_plan(console, item.plan, limit or None)
            for violation in item.violations:
                console.print(f"[yellow]guard[/]: {violation.message()}")
            if item.plan is None or item.status == "failed":
                err_console.print(f"{item.step}: {item.status} {item.error}")
    if save is not None:
        console.print(f"plan saved to {save}; apply it with `jonction apply {save}`")
    if any(item.status == "failed" for item in report.steps):
        raise typer.Exit(1)


def run(
    step: Annotated[str, typer.Argument(help=STEP_HELP, show_default=False)],
    config: ConfigOption = None,
    force: bool = typer.Option(
        False, "--force", help="Apply even if a guard (mass change, truncated source) objects."
    ),
    full: FullOption = False,
) -> None:
    """Apply one step now: compute its plan, check the guards, make the target match."""
    settings = _full_check(settings_or_exit(config), full)
    _finish(_execute(settings, _known([step]), force=[step] if force else []))


def nightly(
    config: ConfigOption = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these steps (comma-separated).")
    ] = None,
    skip: Annotated[list[str] | None, typer.Option(help="Leave out these steps.")] = None,
    from_step: Annotated[
        str | None, typer.Option("--from", help="Start at this step (e.g. after a failure).")
    ] = None,
    force: ForceOption = None,
    due: bool = typer.Option(
        False,
        "--due",
        help="Run only the steps whose clock time ([pipeline] schedules) has come since their "
        "last run; for a timer that starts jonction every few minutes.",
    ),
    full: FullOption = False,
) -> None:
    """Run the whole night: refer → users → cohorts → offer → enrolments → groups →
    obsolescence → spaces.

    A step runs when the steps it needs succeeded; a failed step stops those that depend on
    it, not the others. Two runs never overlap; a paused service (`jonction pause`) refuses.
    """
    settings = _full_check(settings_or_exit(config), full)
    names = list(registry.all_steps())
    if due:
        names = _due(settings, names)
        if not names:
            console.print("no step is due")
            return
    if only:
        names = [name for name in names if name in _known(_split(only))]
    if skip:
        skipped = _known(_split(skip))
        names = [name for name in names if name not in skipped]
    if from_step:
        _known([from_step])
        names = names[names.index(from_step) :] if from_step in names else []
    report = _execute(settings, names, force=_known(_split(force)), command="nightly")
    engine = open_journal(settings).engine
    view = get_run(engine, report.run_id) if report.run_id else None
    if view is not None:
        send_summary(settings.report, view, step_sizes(engine, view.id))
    _finish(report)


def _due(settings: Settings, names: list[str]) -> list[str]:
    schedules = settings.pipeline.schedules
    if not schedules:
        err_console.print("--due needs clock times in [pipeline] schedules")
        raise typer.Exit(2)
    _known(list(schedules))
    starts = last_step_starts(open_journal(settings))
    # The journal keeps UTC; cron expressions are in local time.
    local_starts = {
        step: started.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
        for step, started in starts.items()
    }
    wanted = due_steps(schedules, local_starts, datetime.now())
    return [name for name in names if name in wanted]


def apply_saved(
    file: Annotated[Path, typer.Argument(help="A plan written by `jonction plan --save`.")],
    config: ConfigOption = None,
    force: ForceOption = None,
) -> None:
    """Apply exactly a saved plan; refuse a step whose known state changed since it was planned."""
    settings = settings_or_exit(config)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        if document.get("format") != PLAN_FORMAT:
            raise ValueError(f"unknown plan format {document.get('format')!r}")
        saved = {name: Plan.from_json(data) for name, data in document["steps"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err_console.print(f"{file}: not a plan saved by `jonction plan --save` ({exc})")
        raise typer.Exit(2) from None
    names = _known(list(saved))
    _finish(_execute(settings, names, force=_known(_split(force)), command="apply", saved=saved))
