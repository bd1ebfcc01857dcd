"""`jonction pause` and `resume`: blackout windows, e.g. the summer between two years."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from ..steps.runner import PAUSE_FLAG, open_journal, pause_state
from .common import ConfigOption, console, settings_or_exit


def register(app: typer.Typer) -> None:
    app.command("pause")(pause)
    app.command("resume")(resume)


def pause(
    config: ConfigOption = None,
    until: Annotated[
        str | None, typer.Option(help="Last day of the pause (YYYY-MM-DD); default: until resume.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, shown to whoever tries to run.")] = "",
) -> None:
    """Stop every run (nightly, run, apply) until `jonction resume` or the given date."""
    settings = settings_or_exit(config)
    if until is not None:
        try:
            date.fromisoformat(until)
        except ValueError:
            raise typer.BadParameter(
                "expected a date like 2027-08-31", param_hint="--until"
            ) from None
    journal = open_journal(settings)
    journal.set_flag(
        PAUSE_FLAG,
        {
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "until": until,
            "reason": reason,
        },
    )
    console.print("runs are paused" + (f" until {until} included" if until else ""))


def resume(config: ConfigOption = None) -> None:
    """Lift a pause."""
    settings = settings_or_exit(config)
    journal = open_journal(settings)
    was = pause_state(journal)
    journal.set_flag(PAUSE_FLAG, None)
    console.print("runs resumed" if was else "runs were not paused")
