"""`jonction report`: what a run did, as text, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from ..journal.reading import (
    RunView,
    get_run,
    latest_run_id,
    run_notices,
    run_operations,
    step_sizes,
)
from ..steps.runner import open_journal
from .common import ConfigOption, console, err_console, settings_or_exit

CSV_COLUMNS = (
    "step",
    "seq",
    "kind",
    "action",
    "key",
    "label",
    "scope",
    "outcome",
    "message",
    "reason",
    "moodle_id",
)


class Format(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def _print_text(
    view: RunView, sizes: dict[int, tuple[int, int]], notices: list[dict[str, Any]]
) -> None:
    console.print(
        f"[bold]run {view.id}[/] ({view.command}) {view.status}, "
        f"started {view.started_at:%Y-%m-%d %H:%M:%S} UTC, {view.seconds or 0:.0f} s"
        + (f", forced: {', '.join(view.forced)}" if view.forced else "")
    )
    table = Table()
    for column in ("step", "status", "operations", "notices", "calls", "seconds"):
        table.add_column(column, justify="left" if column in {"step", "status"} else "right")
    for step in view.steps:
        operations, notices_count = sizes.get(step.id, (0, 0))
        table.add_row(
            step.step,
            step.status,
            str(operations),
            str(notices_count),
            str(step.moodle_calls()),
            f"{step.seconds or 0:.1f}",
        )
    console.print(table)
    for step in view.steps:
        outcomes = step.counts.get("outcomes", {})
        if outcomes:
            summary = ", ".join(f"{key} {value}" for key, value in sorted(outcomes.items()))
            console.print(f"[bold]{step.step}[/]: {summary}", highlight=False)
        for guard in step.guards:
            console.print(f"[yellow]{step.step} guard[/]: {guard}", highlight=False)
        if step.error:
            console.print(f"[red]{step.step}[/]: {step.error}", highlight=False)
    if notices:
        console.print(f"{len(notices)} notice(s); the first ones:")
        for notice in notices[:20]:
            console.print(
                f"  {notice['step']} {notice['kind']} {notice['key']}: {notice['message']}",
                highlight=False,
            )


def report(
    run: Annotated[int | None, typer.Argument(help="Run number; default: the last run.")] = None,
    config: ConfigOption = None,
    output: Format = typer.Option(Format.text, "--format", help="text, json or csv."),
    step: str | None = typer.Option(None, help="Only this step's operations (json, csv)."),
) -> None:
    """Print what a run did: steps, counts, calls, durations, guards, and every operation."""
    settings = settings_or_exit(config)
    journal = open_journal(settings)
    run_id = run if run is not None else latest_run_id(journal.engine)
    view = get_run(journal.engine, run_id) if run_id is not None else None
    if view is None:
        err_console.print("no such run" if run is not None else "no run has been journaled yet")
        raise typer.Exit(1)
    if output is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in run_operations(journal, view.id, step):
            writer.writerow(row)
        return
    notices = list(run_notices(journal, view.id))
    if output is Format.json:
        document = {
            "run": {
                "id": view.id,
                "command": view.command,
                "status": view.status,
                "started_at": view.started_at.isoformat(),
                "finished_at": view.finished_at.isoformat() if view.finished_at else None,
                "forced": view.forced,
            },
            "steps": [
                {
                    "step": item.step,
                    "status": item.status,
                    "seconds": item.seconds or 0.0,
                    "counts": item.counts,
                    "stats": item.stats,
                    "calls": item.calls,
                    "guards": item.guards,
                    "error": item.error,
                }
                for item in view.steps
            ],
            "operations": list(run_operations(journal, view.id, step)),
            "notices": notices,
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=1, default=str))
        return
    _print_text(view, step_sizes(journal.engine, view.id), notices)
