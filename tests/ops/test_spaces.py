"""Complementary spaces on a generated university against the simulator: registered with the
command line, given a cohort of their students, reported when they resemble or duplicate a
catalogue course, emptied and hidden at their end date, renewed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jonction.cli import app
from jonction.domain.catalogue import desired_catalogue
from jonction.journal.spaces import list_spaces
from jonction.moodle import MoodleClient, NewCategory, NewCourse
from jonction.sources.generator.generate import generate
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps.runner import RunReport, run_steps
from moodlesim.testing import running_simulator

from .night import Site

pytestmark = pytest.mark.slow
YEAR = "2026"
runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    apogee = f"sqlite:///{tmp_path / 'apogee.db'}"
    generate(apogee, 80, 4, YEAR, tmp_path / "directory.ldif")
    with running_simulator(latency_ms=0, per_item_ms=0) as moodle:
        site = Site(tmp_path / "site", moodle, apogee, tmp_path / "directory.ldif")
        # Guards as strict as can be: a space's end must still go through.
        site.write_config(YEAR, "[guards]\nmin_items_for_share = 1\nmin_items_per_scope = 1\n")
        site.night("refer", "users", "cohorts", "offer")
        yield site


def cli(site: Site, *args: str) -> str:
    result = runner.invoke(app, [*args, "--config", str(site.config)])
    assert result.exit_code == 0, result.output
    return result.output


def hand_courses(site: Site, *courses: tuple[str, str]) -> list[int]:
    async def make() -> list[int]:
        async with MoodleClient(site.moodle.base_url, site.moodle.token) as client:
            made = await client.create_categories([NewCategory("Espaces complémentaires")])
            category = made.ids()[0]
            report = await client.create_courses(
                [NewCourse(full, short, category) for short, full in courses]
            )
            return report.ids()

    return asyncio.run(make())


def night(site: Site, day: date) -> RunReport:
    moment = datetime.combine(day, datetime.min.time(), UTC).replace(hour=5)
    report = asyncio.run(run_steps(site.settings(), ["spaces"], now=moment))
    assert report.steps[0].status == "succeeded", report.steps[0].error
    return report


def moodle_view(site: Site, idnumber: str, course: int) -> tuple[set[str], bool]:
    async def read() -> tuple[set[str], bool]:
        async with MoodleClient(site.moodle.base_url, site.moodle.token) as client:
            cohorts = {c.idnumber: c.id for c in await client.cohorts()}
            members = await client.cohort_members([cohorts[idnumber]])
            users = await client.users_by_id(members.members.get(cohorts[idnumber], ()))
            visible = (await client.courses_by_id([course]))[0].visible
        return {u.username for u in users.values()}, visible

    return asyncio.run(read())


def test_spaces_take_their_students_until_the_end_date(site: Site) -> None:
    snapshot = load_snapshot(open_refer(site.settings()), YEAR)
    catalogue = desired_catalogue([snapshot], site.settings().policy)
    # An element with a course, and an étape of it with registered students.
    course = next(
        c
        for c in sorted(catalogue.courses.values(), key=lambda c: c.idnumber)
        if any(r.etape in c.etapes for r in snapshot.admin_registrations)
    )
    etape = next(
        e for e in course.etapes if any(r.etape == e for r in snapshot.admin_registrations)
    )
    students = {
        s.cod_etu
        for r in snapshot.admin_registrations
        if r.etape == etape
        for s in (snapshot.students[r.cod_ind],)
    }
    club, renfo = hand_courses(
        site,
        ("CLUB-LECTURE", "Club de lecture"),
        (f"{course.element}-RENFO", "Renforcement"),
    )
    today = date.today()
    until = (today + timedelta(days=30)).isoformat()
    cli(
        site,
        "spaces",
        "add",
        str(club),
        "--owner",
        "Mme Durand",
        "--until",
        until,
        "--purpose",
        "club",
        "--etape",
        str(etape),
    )
    output = cli(
        site,
        "spaces",
        "add",
        f"{course.element}-RENFO",
        "--owner",
        "M. Martin",
        "--until",
        until,
        "--etape",
        str(etape),
        "--composante",
        course.composante,
    )
    assert "space_duplicates_course" in output  # said at once, on registration
    spaces = list_spaces(site.journal())
    assert [(s.id, s.moodle_id) for s in spaces] == [(1, club), (2, renfo)]

    first = night(site, today).steps[0]
    assert first.plan is not None
    conflicts = [n for n in first.plan.notices if n.kind.startswith("space_")]
    assert [(n.kind, n.key) for n in conflicts] == [("space_duplicates_course", "space:2")]
    notice = conflicts[0]
    assert notice.data["catalogue"]["idnumber"] == course.idnumber
    assert notice.data["space"]["moodle_id"] == renfo
    assert notice.data["composante"] == course.composante
    accounts = {
        item.data.get("student_id"): key for key, item in site.journal().managed("user").items()
    }
    expected = {accounts[number] for number in students if number in accounts}
    assert expected
    members, visible = moodle_view(site, "space:1", club)
    assert members == expected and visible

    quiet = night(site, today).steps[0]
    assert quiet.plan is not None and quiet.plan.operations == []

    # Ended early: the cohort is emptied, the course hidden, nothing deleted.
    cli(site, "spaces", "expire", "1")
    ended = night(site, date.today()).steps[0]
    assert ended.plan is not None
    removed = [op for op in ended.plan.operations if op.kind == "space_member_ended"]
    assert {op.label for op in removed} == expected
    assert all(str(op.action) == "remove" for op in removed)
    assert [(op.kind, str(op.action)) for op in ended.plan.operations if op.kind == "space"] == [
        ("space", "hide")
    ]
    members, visible = moodle_view(site, "space:1", club)
    assert members == set() and not visible
    again = night(site, date.today()).steps[0]
    assert again.plan is not None and again.plan.operations == []

    # Renewed: its students come back, its course is shown again.
    cli(site, "spaces", "renew", "1", "--until", (date.today() + timedelta(days=60)).isoformat())
    night(site, date.today())
    members, visible = moodle_view(site, "space:1", club)
    assert members == expected and visible
    listed = cli(site, "spaces", "list", "--json")
    assert '"owner": "Mme Durand"' in listed
