"""`jonction explain --user ID`: why a person is, or is not, in their courses and groups."""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from ..db import make_engine
from ..explain.model import Entry, as_json
from ..explain.service import answer
from ..journal.store import Journal
from ..sources.refer.store import open_refer
from .common import ConfigOption, console, err_console, settings_or_exit

CAUSES = {
    "no_account": "no directory account known to jonction: nobody can be enrolled without one",
    "not_course_nature": "the element's nature has no course ([policy] course_natures)",
    "not_yet_synced": "registered in REFER but not yet in Moodle: the next night adds it "
    "(or look at that night's guards and notices)",
    "group_attached_to_nothing": "the group is attached to no element or étape in Apogée",
    "awaiting_sync": "written to the external enrolment table; Moodle's enrol_database sync "
    "has not read it yet",
    "grace": "no registration leads here any more: kept until the given day (grace period)",
    "foad_by_hand": "FOAD course: its teachers are enrolled by hand, never by jonction",
    "not_registered": "nothing leads this person to this course (no registration, no ADE "
    "activity, no group)",
}


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)


def describe_cause(entry: Entry) -> str:
    if entry.cause.startswith("left_out:"):
        reason = entry.cause.split(":", 1)[1]
        return f"left out of REFER ({reason}): {entry.detail}"
    if entry.cause.startswith("step_stopped:"):
        return f"the step that adds it did not apply its changes at its last run: {entry.detail}"
    if entry.cause == "grace":
        return f"{CAUSES['grace']}: {entry.detail}"
    return CAUSES.get(entry.cause, entry.cause)


def explain_command(
    user: str = typer.Option(
        ..., "--user", help="Student number, internal number (COD_IND), username or name."
    ),
    course: str | None = typer.Option(
        None, "--course", help="Only this course (element code, course idnumber or group code)."
    ),
    year: str | None = typer.Option(None, help="Academic year; default: REFER's latest."),
    as_json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
    config: ConfigOption = None,
) -> None:
    """Every course and group a person is in or should be in, with the chain of reasons."""
    settings = settings_or_exit(config)
    journal = Journal(make_engine(settings.state.url))
    journal.ensure_schema()
    result = answer(settings, open_refer(settings), journal.engine, user, year=year, course=course)
    if result.year is None:
        err_console.print("REFER holds no year yet: run `jonction run refer` first")
        raise typer.Exit(1)
    if not result.people:
        err_console.print(f"nobody matches {user!r} in {result.year}")
        for message in result.without_account:
            err_console.print(f"  no account, so no course: {escape(message)}")
        raise typer.Exit(1)
    if result.explanation is None:
        console.print(f"{len(result.people)} people match {escape(user)!r}; be more precise:")
        for person in result.people:
            console.print(
                f"  {person.cod_etu or '-'}  {escape(person.first_name)} "
                f"{escape(person.last_name)}  ({', '.join(person.composantes)})"
            )
        raise typer.Exit(1)
    explanation = result.explanation
    entries = explanation.entries
    if as_json_output:
        data = as_json(explanation)
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return
    facts = explanation.facts
    if facts.cod_ind:
        console.print(
            f"[bold]{escape(facts.first_name)} {escape(facts.last_name)}[/] "
            f"student {facts.cod_etu or '-'} (COD_IND {facts.cod_ind}), year {facts.year}, "
            f"account {facts.username or 'none'}"
        )
    else:
        console.print(f"[bold]{escape(facts.username or '')}[/]: account, year {facts.year}")
    for registration in facts.registrations:
        console.print(
            f"  registered to étape {registration.etape} {escape(registration.etape_label)} "
            f"({registration.composante}{', FOAD' if registration.foad else ''})"
        )
    for entry in entries:
        style = {"in_moodle": "green", "missing": "red"}.get(entry.state, "yellow")
        console.print(f"[{style}]{entry.state}[/] {entry.what} {entry.code} {escape(entry.label)}")
        console.print(
            "    " + " → ".join(f"{step} {escape(code)}" for step, code, _ in entry.chain)
        )
        for found in entry.moodle:
            console.print(
                f"    Moodle: {found.kind} {escape(found.key)} (run {found.updated_run}"
                f"{': ' + escape(found.last_reason) if found.last_reason else ''})"
            )
        if entry.cause:
            console.print(f"    cause: {escape(describe_cause(entry))}")
    for found in explanation.unexplained:
        console.print(
            f"[yellow]in Moodle, no registration explains it[/]: {found.kind} {escape(found.key)} "
            f"(run {found.updated_run})"
        )
