"""`jonction adopt`: hand a course (or a category) made by hand over to jonction."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from ..config import Settings
from ..domain.catalogue import desired_catalogue
from ..moodle import MoodleClient, MoodleError
from ..sources.refer.store import ReferYearMissing, load_snapshot, open_refer
from ..steps.lock import AlreadyRunning, run_lock
from ..steps.offer_adopt import (
    Adoption,
    AdoptionRefused,
    adopt_category,
    adopt_course,
    find_course,
    record_adoption,
)
from ..steps.offer_moodle import MoodleOfferGateway
from ..steps.runner import open_journal
from ..steps.years import settings_for_day
from .common import ConfigOption, console, err_console, settings_or_exit


def register(app: typer.Typer) -> None:
    app.command("adopt")(adopt)


async def _adopt(
    settings: Settings, course: str | None, key: str | None, category: str | None
) -> Adoption:
    journal = open_journal(settings)
    settings = settings_for_day(settings, journal, date.today())
    engine = open_refer(settings)
    snapshots = [
        load_snapshot(engine, year, exclusions=False) for year in settings.apogee.effective_years()
    ]
    catalogue = desired_catalogue(snapshots, settings.policy)
    async with MoodleClient.from_settings(settings.moodle) as client:
        gateway = MoodleOfferGateway(client)
        categories = {c.id: c for c in await gateway.categories()}
        if category is not None:
            adoption = adopt_category(journal, catalogue, categories, category)
        else:
            assert course is not None
            found = await find_course(gateway, course)
            adoption = adopt_course(journal, catalogue, found, categories, key)
    record_adoption(journal, adoption)
    return adoption


def adopt(
    course: Annotated[
        str | None,
        typer.Argument(
            help="The Moodle course: its id, idnumber or shortname.", show_default=False
        ),
    ] = None,
    config: ConfigOption = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Idnumber of the catalogue's course it stands for (default: the one whose "
            "idnumber or shortname it holds).",
        ),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Adopt the category with this idnumber instead."),
    ] = None,
) -> None:
    """Hand a course made by hand over to jonction, when it collides with a catalogue course.

    jonction then manages it as the catalogue's course: from the next `jonction run offer`,
    it gives it its idnumber, name and place (its summary only if it has none), and the
    enrolment steps fill it. Nothing is written to Moodle now.
    """
    if (course is None) == (category is None):
        err_console.print("name a course (COURSE) or a category (--category IDNUMBER), not both")
        raise typer.Exit(2)
    settings = settings_or_exit(config)
    try:
        with run_lock(settings.pipeline.lock_file):
            adoption = asyncio.run(_adopt(settings, course, key, category))
    except (AdoptionRefused, ReferYearMissing, MoodleError, ValueError) as exc:
        err_console.print(f"[bold red]not adopted[/]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    except AlreadyRunning as exc:
        err_console.print(str(exc))
        raise typer.Exit(3) from None
    console.print(
        f"Moodle {adoption.kind} #{adoption.moodle_id} is now managed by jonction as "
        f"[cyan]{escape(adoption.key)}[/] ({escape(adoption.label)}). The next "
        "`jonction run offer` gives it the catalogue's identity, name and place; "
        "`jonction plan offer` shows how."
    )
