"""Two academic years of a generated university against the simulator: obsolete courses and
the courses of the closed year are hidden when the overlap after `jonction rollover` ends,
moved to archive categories split by year and composante after the grace period, and the
year that goes on is left alone."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from jonction.commands.rollover import record_years
from jonction.db import make_engine
from jonction.domain.plan import Action
from jonction.domain.years import rollover
from jonction.moodle import Enrolment, MoodleClient
from jonction.sources.apogee import schema as apogee
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.generate import generate
from jonction.steps.runner import RunReport, run_steps
from jonction.steps.years import years_state
from moodlesim.testing import RunningSimulator, running_simulator

from .night import Site

pytestmark = pytest.mark.slow
POLICY = """
[obsolescence]
rollover_overlap_days = 10
archive_after_days = 30
archive_category_size = 10
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    apogee_url = f"sqlite:///{tmp_path / 'apogee.db'}"
    generate(apogee_url, 80, 11, "2026", tmp_path / "directory.ldif")
    with running_simulator(latency_ms=0, per_item_ms=0) as moodle:
        site = Site(tmp_path / "site", moodle, apogee_url, tmp_path / "directory.ldif")
        site.write_config("2026", POLICY)
        yield site


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)


def night(site: Site, day: str, *, force: tuple[str, ...] = ()) -> RunReport:
    return asyncio.run(
        run_steps(site.settings(), ["refer", "offer", "obsolescence"], now=at(day), force=force)
    )


def succeeded(report: RunReport) -> dict[str, object]:
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.status} {step.error}"
    return {step.step: step for step in report.steps}


def moodle_courses(moodle: RunningSimulator) -> tuple[dict[str, tuple[str, bool]], dict[int, str]]:
    async def read() -> tuple[dict[str, tuple[str, bool]], dict[int, str]]:
        async with MoodleClient(moodle.base_url, moodle.token) as client:
            categories = {c.id: c.idnumber for c in await client.categories()}
            courses = {
                c.idnumber: (categories[c.categoryid], c.visible) for c in await client.courses()
            }
        return courses, categories

    return asyncio.run(read())


def test_two_years_hidden_then_archived(site: Site) -> None:
    first = succeeded(night(site, "2026-09-15"))
    built, _ = moodle_courses(site.moodle)
    assert built and all(key.startswith("2026:") for key in built)

    # Two elements leave the catalogue during the year: marked obsolete, still visible.
    gone = sorted(built)[:2]
    with make_engine(site.apogee).begin() as connection:
        connection.execute(
            update(apogee.element_pedagogi)
            .where(apogee.element_pedagogi.c.cod_elp.in_([k.split(":")[-1] for k in gone]))
            .values(tem_sus_elp="O")
        )
    marked = succeeded(night(site, "2026-10-01"))["offer"]
    assert {op.key for op in marked.plan.operations} == set(gone)  # type: ignore[attr-defined]
    assert all(moodle_courses(site.moodle)[0][k][1] for k in gone)

    # The next year opens in Apogée, then in jonction, with a ten-day overlap.
    evolve(site.apogee, seed=3, rollover=True)
    journal = site.journal()
    day = date(2027, 7, 1)
    state = years_state(site.settings(), journal, day)
    record_years(journal, state, rollover(state, "2027", day, 10), "test")
    succeeded(night(site, "2027-07-01"))
    overlap, _ = moodle_courses(site.moodle)
    new = {k for k in overlap if k.startswith("2027:")}
    assert new and all(overlap[k][1] for k in overlap)  # both years readable

    # The overlap is over: 2026 closes. Hiding a whole year is more than the guard's share.
    guarded = night(site, "2027-07-15")
    statuses = {step.step: step.status for step in guarded.steps}
    assert statuses == {"refer": "succeeded", "offer": "succeeded", "obsolescence": "guarded"}
    offer = guarded.steps[1]
    assert offer.plan is not None
    assert {op.key for op in offer.plan.operations if op.action is Action.HIDE} == set(gone)
    assert "--force obsolescence" in guarded.steps[2].error
    closing = succeeded(night(site, "2027-07-15", force=("obsolescence",)))["obsolescence"]
    hidden = {op.key for op in closing.plan.operations}  # type: ignore[attr-defined]
    assert hidden == {k for k in built if k not in gone}
    after_close, _ = moodle_courses(site.moodle)
    assert all(not after_close[k][1] for k in built)
    assert all(after_close[k][1] for k in new)

    # Thirty days after they were hidden, the 2026 courses go to the archive.
    archived = succeeded(night(site, "2027-08-20", force=("obsolescence",)))["obsolescence"]
    actions = Counter(str(op.action) for op in archived.plan.operations)  # type: ignore[attr-defined]
    assert actions["archive"] == len(built)
    courses, categories = moodle_courses(site.moodle)
    places = Counter(courses[k][0] for k in built)
    assert all(place.startswith("archive:2026:") for place in places)
    assert max(places.values()) <= 10
    assert sum(places.values()) == len(built)
    assert "archive" in categories.values() and "archive:2026" in categories.values()
    assert all(courses[k] == overlap[k] for k in new)  # the open year untouched

    # A quiet night afterwards: nothing to do, no Moodle call for the obsolescence step.
    quiet = succeeded(night(site, "2027-08-21"))
    assert quiet["offer"].plan.operations == []  # type: ignore[attr-defined]
    assert quiet["obsolescence"].plan.operations == []  # type: ignore[attr-defined]
    assert quiet["obsolescence"].calls == {}  # type: ignore[attr-defined]
    assert first["offer"].plan.operations  # type: ignore[attr-defined]

    # The policy lets unused archived courses go: one was opened by a student, one has a
    # student who never came; both wait until delete_after_days have passed.
    site.write_config("2026", POLICY + 'delete = "unused"\ndelete_after_days = 30\n')
    records = site.journal().managed("course")
    opened, unopened = sorted(built)[2], sorted(built)[3]
    asyncio.run(enrol(site, [records[opened].moodle_id, records[unopened].moodle_id]))
    assert records[opened].moodle_id is not None
    site.moodle.course_access(records[opened].moodle_id, 2)
    early = succeeded(night(site, "2027-09-10"))["obsolescence"]
    assert early.plan.operations == []  # type: ignore[attr-defined]
    deleted = succeeded(night(site, "2027-09-20", force=("obsolescence",)))["obsolescence"]
    gone = {op.key for op in deleted.plan.operations if op.action is Action.DELETE}  # type: ignore[attr-defined]
    assert gone == set(built) - {opened}
    left, _ = moodle_courses(site.moodle)
    assert opened in left and unopened not in left
    assert set(site.journal().managed("course")) == set(left)
    assert succeeded(night(site, "2027-09-21"))["obsolescence"].plan.operations == []  # type: ignore[attr-defined]


async def enrol(site: Site, courses: list[int | None]) -> None:
    """Enrols the site's admin account (id 2) as a student of these courses."""
    async with MoodleClient(site.moodle.base_url, site.moodle.token) as client:
        report = await client.enrol([Enrolment(course, 2, 5) for course in courses if course])
        assert report.ok
