"""`jonction rollover YEAR`: open the next academic year; the previous one stays open for the
overlap, then closes (see docs/operations.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from ..config import Settings
from ..domain.plan import Action, Operation
from ..domain.years import FLAG, RolloverRefused, YearsState, close, rollover
from ..journal.store import Journal, Outcome
from ..steps.lock import AlreadyRunning, run_lock
from ..steps.runner import open_journal
from ..steps.years import years_state
from .common import ConfigOption, console, err_console, settings_or_exit

STEP = "years"


def register(app: typer.Typer) -> None:
    app.command("rollover")(rollover_command)


def _describe(state: YearsState, day: date) -> list[str]:
    lines = []
    open_years = state.open_on(day)
    for year, span in sorted(state.years.items()):
        if year in open_years:
            until = f" until {span.closes} included" if span.closes else ""
            lines.append(f"{year}: open{until}")
        elif span.closes is not None and span.closes < day.isoformat():
            lines.append(f"{year}: closed since the day after {span.closes}")
        else:
            lines.append(f"{year}: opens on {span.opened}")
    return lines


def record_years(journal: Journal, before: YearsState, after: YearsState, why: str) -> int:
    """Saves the new years and journals the change as a run of its own."""
    run_id = journal.start_run("rollover", [STEP])
    step_run_id = journal.start_step(run_id, STEP, "apply")
    outcomes = []
    for year in sorted(set(before.years) | set(after.years)):
        old, new = before.years.get(year), after.years.get(year)
        if old == new:
            continue
        action = Action.CREATE if old is None else Action.UPDATE
        operation = Operation(
            "year",
            action,
            year,
            f"{year}-{int(year) + 1}",
            before=None if old is None else {"opened": old.opened, "closes": old.closes},
            after=None if new is None else {"opened": new.opened, "closes": new.closes},
            reason=why,
        )
        outcomes.append(Outcome(operation, "applied"))
    journal.set_flag(FLAG, after.to_json())
    journal.record_outcomes(step_run_id, outcomes)
    journal.finish_step(step_run_id, "succeeded", counts={"years": len(outcomes)})
    journal.finish_run(run_id, "succeeded", {STEP: "succeeded"})
    return run_id


def _consequences(settings: Settings, state: YearsState, day: date) -> list[str]:
    policy = settings.obsolescence
    lines = [
        "The next night refreshes REFER for every open year and builds the new year's "
        "categories, courses and cohorts; enrolments follow the open years.",
    ]
    closing = [(y, s.closes) for y, s in sorted(state.years.items()) if s.closes]
    for year, last in closing:
        if last is not None and last >= day.isoformat():
            lines.append(
                f"{year} stays open (readable, synchronised) until {last}; from the next day "
                + (
                    "its courses are hidden"
                    if policy.closed_year_courses == "hide"
                    else "its courses are left as they are"
                )
                + (
                    f", and moved to the archive {policy.archive_after_days} days after"
                    if policy.archive_after_days
                    else ""
                )
                + " ([obsolescence])."
            )
    return lines


def rollover_command(
    year: Annotated[
        str | None, typer.Argument(help="The year to open, e.g. 2027 (for 2027-2028).")
    ] = None,
    config: ConfigOption = None,
    overlap: Annotated[
        int | None,
        typer.Option(
            help="Days the years open now stay open; default [obsolescence] rollover_overlap_days."
        ),
    ] = None,
    close_year: Annotated[
        str | None,
        typer.Option("--close", help="Close this year now (end its overlap early)."),
    ] = None,
    status: bool = typer.Option(False, "--status", help="Show the years and change nothing."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Open the next academic year: its categories, courses and cohorts are built at the next
    night, while the years open now stay readable for the overlap, then close (their courses
    hidden and archived per [obsolescence])."""
    settings = settings_or_exit(config)
    journal = open_journal(settings)
    day = date.today()
    state = years_state(settings, journal, day)
    if status or (year is None and close_year is None):
        origin = "state database" if state.stored else "configuration ([apogee] years)"
        console.print(f"Years ({origin}):")
        for line in _describe(state, day):
            console.print(f"  {line}")
        return
    try:
        if close_year is not None:
            after = close(state, close_year, day)
            why = f"{close_year} closed by an administrator (jonction rollover --close)"
        else:
            assert year is not None
            days = settings.obsolescence.rollover_overlap_days if overlap is None else overlap
            after = rollover(state, year, day, days)
            why = f"{year} opened by an administrator (jonction rollover {year})"
    except RolloverRefused as exc:
        err_console.print(f"[bold red]refused[/]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    console.print("Years after this change:")
    for line in _describe(after, day):
        console.print(f"  {line}")
    for line in _consequences(settings, after, day):
        console.print(line)
    if not yes and not typer.confirm("Apply?"):
        raise typer.Exit(1)
    try:
        with run_lock(settings.pipeline.lock_file):
            run_id = record_years(journal, state, after, why)
    except AlreadyRunning as exc:
        err_console.print(str(exc))
        raise typer.Exit(3) from None
    console.print(f"done (run {run_id})")
