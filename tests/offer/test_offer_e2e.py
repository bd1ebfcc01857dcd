"""A generated university through REFER into the simulator over HTTP, then a night of change.

First night: the whole catalogue is built (a hand-made course holding a catalogue shortname is
reported, not touched). A second run writes nothing. After `evolve` (renamed elements and
étapes, an étape moved to another diplôme, an element gaining a parent and another losing
one), the renames and moves are applied to the same Moodle objects, nothing else changes, and
the run after that writes nothing again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from jonction.config import Settings
from jonction.domain.catalogue import Catalogue, desired_catalogue
from jonction.domain.plan import Action, Plan
from jonction.moodle import Category, Course, MoodleClient, NewCategory, NewCourse
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.generate import generate
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps.runner import StepReport, run_steps
from moodlesim.testing import RunningSimulator, running_simulator

YEAR = "2026"
WRITE_WORDS = ("create", "update", "delete", "enrol", "add")

pytestmark = pytest.mark.slow


@dataclass
class Moodle:
    categories: dict[int, Category]
    courses: dict[int, Course]

    def by_idnumber(self) -> dict[str, Course]:
        return {c.idnumber: c for c in self.courses.values() if c.idnumber}

    def category(self, idnumber: str) -> Category:
        return next(c for c in self.categories.values() if c.idnumber == idnumber)


@pytest.fixture
def moodle() -> Iterator[RunningSimulator]:
    with running_simulator(latency_ms=0, per_item_ms=0) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path, moodle: RunningSimulator) -> Settings:
    apogee = f"sqlite:///{tmp_path / 'apogee.db'}"
    generate(apogee, 200, 1, YEAR)
    settings = Settings()
    settings.apogee.url = apogee
    settings.apogee.years = [YEAR]
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.moodle.url = moodle.base_url
    settings.moodle.token = SecretStr(moodle.token)
    return settings


def night(settings: Settings) -> StepReport:
    report = asyncio.run(run_steps(settings, ["refer", "offer"]))
    refer, offer = report.steps
    assert refer.status == "succeeded", refer.error
    assert offer.status == "succeeded", offer.error
    assert offer.result is not None
    assert [o for o in offer.result.outcomes if o.outcome != "applied"] == []
    return offer


def writes(step: StepReport) -> int:
    return int(
        sum(v["calls"] for name, v in step.calls.items() if any(w in name for w in WRITE_WORDS))
    )


def plan_of(step: StepReport) -> Plan:
    assert step.plan is not None
    return step.plan


def read(moodle: RunningSimulator) -> Moodle:
    async def fetch() -> Moodle:
        async with MoodleClient(moodle.base_url, moodle.token) as client:
            categories = {c.id: c for c in await client.categories()}
            courses = {c.id: c for c in await client.courses()}
        return Moodle(categories, courses)

    return asyncio.run(fetch())


def catalogue(settings: Settings) -> Catalogue:
    snapshot = load_snapshot(open_refer(settings), YEAR, exclusions=False)
    return desired_catalogue([snapshot], settings.policy)


def test_generated_university_built_then_followed(
    settings: Settings, moodle: RunningSimulator
) -> None:
    # Hand-made: a complementary space, and a course holding a catalogue course's shortname.
    asyncio.run(run_steps(settings, ["refer"]))
    wanted = catalogue(settings)
    taken = sorted(wanted.courses)[0]

    async def hand_made() -> list[int]:
        async with MoodleClient(moodle.base_url, moodle.token) as client:
            report = await client.create_categories([NewCategory("Espaces complémentaires")])
            category = report.ids()[0]
            made = await client.create_courses(
                [
                    NewCourse("Club de lecture", "CLUB-LECTURE", category),
                    NewCourse("Mon cours", wanted.courses[taken].shortname, category),
                ]
            )
            return made.ids()

    hand = asyncio.run(hand_made())
    hand_before = {i: read(moodle).courses[i] for i in hand}

    # First night: everything is built, the collision reported.
    first = night(settings)
    counts = plan_of(first).counts()
    assert counts[("category", "create")] == len(wanted.categories)
    assert counts[("course", "create")] == len(wanted.courses) - 1
    collisions = [n for n in plan_of(first).notices if n.kind == "course_collision"]
    assert [(n.key, n.data["moodle"]["id"]) for n in collisions] == [(taken, hand[1])]
    built = read(moodle)
    assert set(built.by_idnumber()) == set(wanted.courses) - {taken}
    for key, course in built.by_idnumber().items():
        assert course.categoryid == built.category(wanted.courses[key].category).id
        assert course.fullname == wanted.courses[key].fullname

    # Second run: nothing to do, no write.
    quiet = night(settings)
    assert plan_of(quiet).operations == [] and writes(quiet) == 0

    # A night of change in Apogée.
    changes = evolve(settings.apogee.url, seed=2).details
    for kind in (
        "renamed_elements",
        "renamed_etapes",
        "etape_moved_to_other_diplome",
        "element_gained_parent",
        "element_lost_parent",
    ):
        assert changes.get(kind), kind
    changed = night(settings)
    ops = plan_of(changed).operations
    assert {op.action for op in ops} <= {Action.RENAME, Action.MOVE, Action.UPDATE, Action.CREATE}
    after = read(moodle)
    new_wanted = catalogue(settings)

    # Same Moodle objects: nothing deleted, nothing created again.
    before_ids = {k: c.id for k, c in built.by_idnumber().items()}
    after_ids = {k: c.id for k, c in after.by_idnumber().items()}
    assert {k: after_ids.get(k) for k in before_ids} == before_ids
    created = {op.key for op in ops if op.action is Action.CREATE and op.kind == "course"}
    assert created == set(new_wanted.courses) - set(wanted.courses)

    # Renamed elements and étapes, the moved étape: applied.
    seen = []
    for code, _old, new in changes["renamed_elements"]:
        key = f"{YEAR}:ELP:{code}"
        if key in after_ids:
            assert new[:20] in after.by_idnumber()[key].fullname
            assert (Action.RENAME, key) in {(op.action, op.key) for op in ops}
            seen.append("element renamed")
    for code, version, _old, _new in changes["renamed_etapes"]:
        key = f"{YEAR}:VET:{code}:{version}"
        if key in new_wanted.categories:
            assert after.category(key).name == new_wanted.categories[key].name
            seen.append("étape renamed")
    for code, version, *_rest, dip, vdi in changes["etape_moved_to_other_diplome"]:
        key = f"{YEAR}:VET:{code}:{version}"
        if key in new_wanted.categories:
            parent = after.categories[after.category(key).parent]
            assert parent.idnumber == f"{YEAR}:VDI:{dip}:{vdi}"
            seen.append("étape moved")
    assert set(seen) == {"element renamed", "étape renamed", "étape moved"}
    # Elements that gained or lost a parent keep their course (its summary and place follow
    # when the étapes it serves change).
    for code, _list in changes["element_gained_parent"] + changes["element_lost_parent"]:
        key = f"{YEAR}:ELP:{code}"
        if key in before_ids:
            assert after_ids[key] == before_ids[key]
            seen.append("parents changed")
    assert "parents changed" in seen

    # Nothing else touched: every changed course is one whose name, summary or place changed
    # in the catalogue; every other course is as it was.
    touched = {op.key for op in ops if op.kind == "course"}
    for key in touched - created:
        old, new = wanted.courses[key], new_wanted.courses[key]
        assert (
            old.fullname != new.fullname
            or old.summary != new.summary
            or any(op.action is Action.MOVE for op in ops if op.key == key)
        ), key
    for key, course in built.by_idnumber().items():
        if key not in touched:
            now = after.by_idnumber()[key]
            assert (now.fullname, now.shortname, now.categoryid, now.summary, now.visible) == (
                course.fullname,
                course.shortname,
                course.categoryid,
                course.summary,
                course.visible,
            )
    assert {i: after.courses[i] for i in hand} == hand_before

    # And the run after that writes nothing.
    again = night(settings)
    assert plan_of(again).operations == [] and writes(again) == 0
