"""The offer step's Moodle adapter against the simulator over HTTP (hand-made snapshots)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from jonction.config.policy import PolicySection
from jonction.db import make_engine
from jonction.domain.plan import Action
from jonction.journal.store import Journal
from jonction.moodle import MoodleClient, NewCategory, NewCourse
from jonction.steps.offer import OfferPlan, apply_offer, plan_offer
from jonction.steps.offer_moodle import MoodleOfferGateway
from moodlesim.testing import RunningSimulator, running_simulator

from .builders import University

WRITES = {
    "core_course_create_categories",
    "core_course_update_categories",
    "core_course_create_courses",
    "core_course_update_courses",
}


@pytest.fixture(scope="module")
def moodle() -> Iterator[RunningSimulator]:
    with running_simulator(latency_ms=0, per_item_ms=0) as running:
        yield running


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = Journal(make_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    journal.ensure_schema()
    return journal


def client(moodle: RunningSimulator) -> MoodleClient:
    return MoodleClient(moodle.base_url, moodle.token, retries=0)


async def _night(
    moodle: RunningSimulator, journal: Journal, uni: University
) -> tuple[OfferPlan, int]:
    async with client(moodle) as moodle_client:
        gateway = MoodleOfferGateway(moodle_client)
        planned = await plan_offer(gateway, journal, [uni.snapshot], PolicySection(), "2026-10-01")
        outcomes = await apply_offer(gateway, journal, planned, None)
        failed = [o for o in outcomes if o.outcome != "applied"]
        assert failed == [], failed
        writes = sum(
            summary.calls
            for name, summary in moodle_client.stats.by_function().items()
            if name in WRITES
        )
    return planned, writes


def night(moodle: RunningSimulator, journal: Journal, uni: University) -> tuple[OfferPlan, int]:
    return asyncio.run(_night(moodle, journal, uni))


def university(year: str) -> University:
    """A university of its own (the simulator is shared by the module's tests)."""
    uni = University(year)
    uni.element(f"AN{year}", parents=["L1MATH"], label="Analyse & probabilités")
    uni.element(f"AL{year}", parents=["L1MATH", "L2MATH"], label="Algèbre")
    uni.element(f"EN{year}", parents=["L1MATH", "L1LET"], composante="U02", label="Anglais")
    uni.students(f"AL{year}", "L2MATH", 30)
    return uni


def test_catalogue_built_then_quiet_then_followed(
    moodle: RunningSimulator, journal: Journal
) -> None:
    uni = university("2031")
    first, writes = night(moodle, journal, uni)
    assert first.plan.counts()[("course", "create")] == 3
    assert writes == 5  # four levels of categories, one batch of courses
    quiet, writes = night(moodle, journal, uni)
    assert quiet.plan.operations == [] and writes == 0
    uni.element("AN2031", parents=[], label="Analyse & statistiques")
    uni.unlink("AL2031", "L2MATH")
    changed, writes = night(moodle, journal, uni)
    assert {(op.action, op.key) for op in changed.plan.operations} == {
        (Action.RENAME, "2031:ELP:AN2031"),
        (Action.UPDATE, "2031:ELP:AN2031"),
        (Action.MOVE, "2031:ELP:AL2031"),
        (Action.UPDATE, "2031:ELP:AL2031"),
    }

    async def read() -> dict[str, tuple[str, int]]:
        async with client(moodle) as c:
            return {
                course.idnumber: (course.fullname, course.categoryid)
                for course in await c.courses()
                if course.idnumber.startswith("2031:")
            }

    courses = asyncio.run(read())
    assert courses["2031:ELP:AN2031"][0] == "Analyse & statistiques (AN2031)"
    assert courses["2031:ELP:AL2031"][1] == courses["2031:ELP:AN2031"][1]  # now under L1MATH
    again, writes = night(moodle, journal, uni)
    assert again.plan.operations == [] and writes == 0


def test_hand_made_courses_are_reported_and_left_alone(
    moodle: RunningSimulator, journal: Journal
) -> None:
    uni = university("2032")

    async def hand_made() -> tuple[int, int]:
        async with client(moodle) as c:
            report = await c.create_categories([NewCategory("Espaces 2032", 0, "hand-2032")])
            category = report.ids()[0]
            courses = await c.create_courses(
                [
                    NewCourse("Mon anglais", "EN2032-2032", category, summary="<p>à moi</p>"),
                    NewCourse("Club d'échecs", "CLUB-2032", category),
                ]
            )
            return category, courses.ids()[0]

    category, hand = asyncio.run(hand_made())
    first, _ = night(moodle, journal, uni)
    collisions = [n for n in first.plan.notices if n.kind == "course_collision"]
    assert [(n.key, n.data["moodle"]["id"]) for n in collisions] == [("2032:ELP:EN2032", hand)]
    quiet, writes = night(moodle, journal, uni)
    assert quiet.plan.operations == [] and writes == 0

    async def read(course_id: int) -> tuple[str, int, str]:
        async with client(moodle) as c:
            (course,) = await c.courses_by_id([course_id])
            return course.fullname, course.categoryid, course.idnumber

    assert asyncio.run(read(hand)) == ("Mon anglais", category, "")
