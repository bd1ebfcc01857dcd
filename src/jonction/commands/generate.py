"""`jonction generate-apogee` and `jonction evolve-apogee`: the synthetic university."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..sources.generator import SMALL_PRESET, DatabaseNotEmpty, generate
from .common import ConfigOption, console, err_console, settings_or_exit

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="SQLAlchemy URL of the Apogée stand-in (sqlite:///var/apogee.db, "
        "postgresql+psycopg://…). Default: url in the \\[apogee] section of the configuration.",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed: the same seed gives the same data.")]
LdifOption = Annotated[
    Path | None,
    typer.Option(
        "--ldif",
        help="LDIF file of the directory. Default: beside an SQLite file (X.db → X.ldif), "
        "else var/<database>.ldif.",
    ),
]
AdeOption = Annotated[
    Path | None,
    typer.Option(
        "--ade",
        help="Folder of the ADE answers. Default: beside an SQLite file (X.db → X-ade/), "
        "else var/<database>-ade/.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def register(app: typer.Typer) -> None:
    app.command("generate-apogee")(generate_apogee)
    app.command("evolve-apogee")(evolve_apogee)


def _weeks(text: str) -> tuple[int, int]:
    try:
        first, last = (int(part) for part in text.split("-", 1))
    except ValueError:
        raise typer.BadParameter(
            f"write the weeks as FIRST-LAST, like 3-18 (got {text!r})"
        ) from None
    if not 0 <= first <= last:
        raise typer.BadParameter(f"the first week must not come after the last (got {text!r})")
    return first, last


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def generate_apogee(
    url: UrlOption = None,
    students: Annotated[
        int,
        typer.Option(
            "--students",
            min=1,
            help=f"Number of students. {SMALL_PRESET} is the demo's small university, which "
            "still holds every dirt case; 30000 is the size of the reference university.",
        ),
    ] = SMALL_PRESET,
    seed: SeedOption = 1,
    year: Annotated[
        str | None,
        typer.Option(
            "--year", help="Academic year, e.g. 2026 for 2026-2027. Default: the current one."
        ),
    ] = None,
    ldif: LdifOption = None,
    ade: AdeOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a database that already holds Apogée rows.")
    ] = False,
    cycle: Annotated[
        bool,
        typer.Option(
            "--cycle/--no-cycle",
            help="Put one cycle in the list links (a fault a sync must survive). On by default.",
        ),
    ] = True,
    weeks: Annotated[
        str, typer.Option("--weeks", help="ADE weeks covered by the events, FIRST-LAST.")
    ] = "3-18",
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Write a synthetic university: an Apogée-shaped database, its LDIF directory and its ADE
    timetable, deterministic for a seed.

    The database gets Apogée's own tables and columns (years as text, numeric versions…) with
    the real-world dirt a sync must survive; the summary counts every case.
    """
    if year is not None and not (len(year) == 4 and year.isdigit()):
        raise typer.BadParameter(f"a year has four digits, like 2026 (got {year!r})")
    target = url or settings_or_exit(config).apogee.url
    try:
        summary = generate(
            target,
            students,
            seed,
            year,
            ldif,
            ade,
            replace=replace,
            cycle=cycle,
            ade_weeks=_weeks(weeks),
        )
    except DatabaseNotEmpty as exc:
        err_console.print(f"[bold red]refused[/]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        console.print_json(data=_jsonable(asdict(summary)))
        return
    table = Table(title=f"Synthetic university (seed {seed}) in {summary.url}", show_header=False)
    for label, value in summary.lines():
        table.add_row(label, value)
    console.print(table)
    console.print(
        "dirt: " + ", ".join(f"{case} {count}" for case, count in summary.dirt.items()),
        highlight=False,
    )
    console.print(f"LDIF: {summary.ldif}   ADE: {summary.ade}/   in {summary.seconds} s")


def evolve_apogee(
    url: UrlOption = None,
    seed: SeedOption = 1,
    rollover: Annotated[
        bool,
        typer.Option(
            "--rollover",
            help="Open the next academic year: re-registrations, new L1, graduates leave.",
        ),
    ] = False,
    ldif: LdifOption = None,
    ade: AdeOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Apply one realistic night of change to a generated university (database, and the LDIF
    and ADE files beside it when present), and print what changed, by kind."""
    from ..sources.generator.evolve import EvolveError, evolve

    target = url or settings_or_exit(config).apogee.url
    try:
        summary = evolve(target, seed, rollover, ldif, ade)
    except EvolveError as exc:
        err_console.print(f"[bold red]cannot evolve[/]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        console.print(json.dumps(_jsonable(asdict(summary)), ensure_ascii=False, indent=2))
        return
    what = "Next academic year opened" if rollover else "One night of change"
    table = Table(title=f"{what} (seed {seed}) in {summary.url}")
    table.add_column("change")
    table.add_column("count", justify="right")
    for kind, count in summary.counts.items():
        table.add_row(kind, f"{count:,}")
    console.print(table)
    console.print(f"year {summary.year}   in {summary.seconds} s")
