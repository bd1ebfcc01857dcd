"""`jonction spaces add|list|renew|expire`: the registry of complementary spaces."""

from __future__ import annotations

import asyncio
import getpass
import json
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..config import Settings
from ..domain.catalogue import desired_catalogue
from ..domain.offer_state import COURSE_KIND, MoodleCourse, parse_etape
from ..domain.plan import Notice
from ..domain.space_conflicts import conflicts
from ..domain.spaces import Space
from ..journal.spaces import SpaceRefused, add_space, get_space, list_spaces, set_end
from ..journal.store import Journal
from ..moodle import MoodleClient, MoodleError
from ..sources.refer.store import load_snapshot, open_refer
from ..steps.lock import AlreadyRunning, run_lock
from ..steps.offer_adopt import AdoptionRefused, find_course
from ..steps.offer_moodle import MoodleOfferGateway
from ..steps.runner import open_journal
from ..steps.years import settings_for_day
from .common import ConfigOption, console, err_console, settings_or_exit

spaces_app = typer.Typer(
    help="Complementary spaces: courses made on demand outside the catalogue, with an owner, "
    "a purpose, the students they take and an end date.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(spaces_app, name="spaces")


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("expected a date like 2027-06-30", param_hint=option) from None


def _who(by: str | None) -> str:
    return by or getpass.getuser()


async def _find(settings: Settings, reference: str) -> MoodleCourse:
    async with MoodleClient.from_settings(settings.moodle) as client:
        return await find_course(MoodleOfferGateway(client), reference)


def _catalogue_conflicts(settings: Settings, journal: Journal, space: Space) -> list[Notice]:
    """What the next night will report about this space (empty if REFER cannot be read)."""
    try:
        engine = open_refer(settings)
        snapshots = [
            load_snapshot(engine, year, exclusions=False)
            for year in settings.apogee.effective_years()
        ]
    except Exception:  # REFER is not needed to register a space
        return []
    managed = {
        item.moodle_id: key
        for key, item in journal.managed(COURSE_KIND).items()
        if item.moodle_id is not None
    }
    return conflicts([space], desired_catalogue(snapshots, settings.policy), snapshots, managed)


def _locked(settings: Settings) -> AbstractContextManager[None]:
    return run_lock(settings.pipeline.lock_file)


@spaces_app.command("add")
def add(
    course: Annotated[str, typer.Argument(help="The Moodle course: id, idnumber or shortname.")],
    owner: Annotated[str, typer.Option(help="Who asked for the space (name, e-mail).")],
    until: Annotated[str, typer.Option(help="Last day of access (YYYY-MM-DD).")],
    config: ConfigOption = None,
    purpose: Annotated[str, typer.Option(help="What the space is for.")] = "",
    etape: Annotated[
        list[str] | None,
        typer.Option(help="An étape whose students it takes, CODE-VERSION (repeatable)."),
    ] = None,
    cohort: Annotated[
        list[str] | None,
        typer.Option(help="A cohort (idnumber) whose members it takes (repeatable)."),
    ] = None,
    composante: Annotated[
        str, typer.Option(help="COD_CMP it belongs to (default: its first étape's).")
    ] = "",
    by: Annotated[str | None, typer.Option(help="Who registers it (default: you).")] = None,
) -> None:
    """Register a course made by hand as a complementary space."""
    settings = settings_or_exit(config)
    ends_on = _day(until, "--until")
    etapes = [e.strip() for e in etape or [] if e.strip()]
    bad = [e for e in etapes if parse_etape(e) is None]
    if bad:
        raise typer.BadParameter(f"write étapes as CODE-VERSION, like L1MATH-1 (got {bad})")
    journal = open_journal(settings)
    settings = settings_for_day(settings, journal, date.today())
    try:
        found = asyncio.run(_find(settings, course))
    except (AdoptionRefused, MoodleError, ValueError) as exc:
        err_console.print(f"[bold red]not registered[/]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    managed = {i.moodle_id for i in journal.managed(COURSE_KIND).values()}
    if found.id in managed:
        err_console.print(
            f"[bold red]not registered[/]: Moodle course #{found.id} ({escape(found.shortname)}) "
            "is a course of the catalogue, managed by jonction"
        )
        raise typer.Exit(1)
    space = Space(
        0,
        found.id,
        found.shortname,
        found.idnumber,
        found.fullname,
        owner,
        purpose,
        composante,
        tuple(etapes),
        tuple(c.strip() for c in cohort or [] if c.strip()),
        ends_on,
    )
    try:
        with _locked(settings):
            added = add_space(journal, space, _who(by))
    except (SpaceRefused, AlreadyRunning) as exc:
        err_console.print(f"[bold red]not registered[/]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    cohort_id = settings.spaces.cohort_idnumber.format(id=added.id)
    console.print(
        f"space {added.id}: Moodle course #{added.moodle_id} ({escape(added.shortname)}) until "
        f"{added.ends_on}. The next night creates its cohort [cyan]{escape(cohort_id)}[/]: add "
        "a Cohort sync enrolment method to the course with that cohort, once."
    )
    for notice in _catalogue_conflicts(settings, journal, added):
        console.print(f"[yellow]{notice.kind}[/]: {escape(notice.message)}")


@spaces_app.command("list")
def list_command(
    config: ConfigOption = None,
    everything: bool = typer.Option(False, "--all", help="Include the spaces that ended."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The registered spaces (those still running, unless --all)."""
    settings = settings_or_exit(config)
    today = date.today()
    shown = [s for s in list_spaces(open_journal(settings)) if everything or not s.expired(today)]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        **s.describe(),
                        "purpose": s.purpose,
                        "composante": s.composante,
                        "etapes": list(s.etapes),
                        "cohorts": list(s.cohorts),
                        "expired": s.expired(today),
                    }
                    for s in shown
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    table = Table(title="complementary spaces")
    for column in ("id", "course", "owner", "purpose", "students of", "until"):
        table.add_column(column)
    for s in shown:
        takes = ", ".join([*s.etapes, *s.cohorts]) or "-"
        until = s.ends_on.isoformat() + (" (ended)" if s.expired(today) else "")
        table.add_row(str(s.id), f"#{s.moodle_id} {s.shortname}", s.owner, s.purpose, takes, until)
    console.print(table)


@spaces_app.command("renew")
def renew(
    space_id: Annotated[int, typer.Argument(help="The space's number (jonction spaces list).")],
    until: Annotated[str, typer.Option(help="New last day of access (YYYY-MM-DD).")],
    config: ConfigOption = None,
    by: Annotated[str | None, typer.Option(help="Who renews it (default: you).")] = None,
) -> None:
    """Move a space's end date (its cohort is filled again and its course shown again if
    jonction had hidden it)."""
    settings = settings_or_exit(config)
    ends_on = _day(until, "--until")
    _change(settings, space_id, ends_on, _who(by), f"renewed until {ends_on}")


@spaces_app.command("expire")
def expire(
    space_id: Annotated[int, typer.Argument(help="The space's number (jonction spaces list).")],
    config: ConfigOption = None,
    by: Annotated[str | None, typer.Option(help="Who ends it (default: you).")] = None,
) -> None:
    """End a space now: the next night empties its cohort and hides its course."""
    settings = settings_or_exit(config)
    yesterday = date.today() - timedelta(days=1)
    _change(settings, space_id, yesterday, _who(by), "ended")


def _change(settings: Settings, space_id: int, ends_on: date, who: str, why: str) -> None:
    journal = open_journal(settings)
    try:
        with _locked(settings):
            get_space(journal, space_id)
            space = set_end(journal, space_id, ends_on, who, why)
    except (SpaceRefused, AlreadyRunning) as exc:
        err_console.print(f"[bold red]refused[/]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    console.print(f"space {space.id} ({escape(space.shortname)}): access until {space.ends_on}")
