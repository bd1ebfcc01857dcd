"""A run of the offer step killed half-way converges, on the next run, to the end state of an
uninterrupted run: the categories and courses it had created are recognised by their
write-ahead intents and taken back, never reported as collisions nor created twice."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jonction.config.policy import PolicySection
from jonction.db import make_engine
from jonction.domain.offer_state import CATEGORY_KIND, COURSE_KIND
from jonction.journal.intents import pending
from jonction.journal.store import Journal, Outcome
from jonction.steps.offer import apply_offer, plan_offer
from jonction.steps.offer_gateway import CategoryWrite, CourseWrite, WriteResult

from ..offer.builders import University
from ..offer.fake_moodle import FakeMoodle


class Killed(BaseException):
    """The process dies: nothing after this point runs (not even `except Exception`)."""


class KilledMoodle(FakeMoodle):
    """Applies the first `survive` creations of the night, then the process dies right after
    Moodle has done them (their answers never reach jonction)."""

    def __init__(self, survive: int) -> None:
        super().__init__()
        self.survive = survive

    def _spend(self, items: Sequence[Any]) -> Sequence[Any]:
        if self.survive >= len(items):
            self.survive -= len(items)
            return items
        kept, self.survive = items[: self.survive], -1
        return kept

    async def create_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]:
        kept = self._spend(items)
        results = await super().create_categories(kept)
        if len(kept) < len(items):
            raise Killed
        return results

    async def create_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        kept = self._spend(items)
        results = await super().create_courses(kept)
        if len(kept) < len(items):
            raise Killed
        return results


def university() -> University:
    uni = University()
    for etape in ("L1MATH", "L2MATH", "L1LET", "L1MATD"):
        for number in range(1, 5):
            uni.element(f"{etape}{number}", parents=[etape])
    uni.element("LANG01", parents=["L1MATH", "L1LET"], composante="U02", label="Anglais")
    return uni


def open_journal(folder: Path) -> Journal:
    journal = Journal(make_engine(f"sqlite:///{folder / 'state.db'}"))
    journal.ensure_schema()
    return journal


def night(moodle: FakeMoodle, journal: Journal, uni: University) -> tuple[Any, list[Outcome]]:
    async def go() -> tuple[Any, list[Outcome]]:
        planned = await plan_offer(moodle, journal, [uni.snapshot], PolicySection(), "2026-10-01")
        return planned, await apply_offer(moodle, journal, planned, run_id=1)

    return asyncio.run(go())


def end_state(moodle: FakeMoodle, journal: Journal) -> dict[str, Any]:
    """Moodle's objects and jonction's records, named by keys (ids differ between Moodles)."""
    by_id = {c.id: c.idnumber for c in moodle.category_table.values()}
    categories = {
        c.idnumber: (c.name, by_id.get(c.parent, "")) for c in moodle.category_table.values()
    }
    courses = {
        c.idnumber: (c.shortname, c.fullname, by_id[c.category], c.visible, c.summary)
        for c in moodle.course_table.values()
    }
    records = {
        (kind, key): {k: v for k, v in item.data.items() if k != "category_id"}
        for kind in (CATEGORY_KIND, COURSE_KIND)
        for key, item in journal.managed(kind).items()
    }
    ids = {
        (kind, key): (by_id.get(item.moodle_id or 0) if kind == CATEGORY_KIND else None)
        for kind in (CATEGORY_KIND, COURSE_KIND)
        for key, item in journal.managed(kind).items()
    }
    return {"categories": categories, "courses": courses, "records": records, "ids": ids}


def uninterrupted(folder: Path) -> dict[str, Any]:
    moodle, journal = FakeMoodle(), open_journal(folder)
    night(moodle, journal, university())
    return end_state(moodle, journal)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return uninterrupted(tmp_path_factory.mktemp("reference"))


def kill_then_rerun(folder: Path, survive: int) -> tuple[KilledMoodle, Journal, Any]:
    moodle, journal, uni = KilledMoodle(survive), open_journal(folder), university()
    with pytest.raises(Killed):
        night(moodle, journal, uni)
    moodle.survive = 10**9
    rerun, outcomes = night(moodle, journal, uni)
    assert [o for o in outcomes if o.outcome != "applied"] == []
    return moodle, journal, rerun


# 9 categories and 17 courses: kills in the category levels and in the courses.
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(survive=st.integers(min_value=0, max_value=25))
def test_a_run_killed_anywhere_converges_in_one_more_run(
    reference: dict[str, Any], survive: int
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        moodle, journal, rerun = kill_then_rerun(Path(scratch), survive)
        assert [n for n in rerun.plan.notices if "collision" in n.kind] == []
        assert end_state(moodle, journal) == reference
        assert pending(journal, CATEGORY_KIND) == {} and pending(journal, COURSE_KIND) == {}
        # A third run has nothing left to do.
        moodle.calls.clear()
        third, _ = night(moodle, journal, university())
        assert third.plan.operations == [] and moodle.write_calls() == 0


def test_objects_taken_back_are_journaled_as_such(tmp_path: Path) -> None:
    moodle, _journal, rerun = kill_then_rerun(tmp_path, 9 + 5)  # every category, 5 courses
    recovered = [op for op in rerun.plan.operations if op.source.get("recovered")]
    assert {op.kind for op in recovered} == {COURSE_KIND}
    assert len(recovered) == 5
    for op in recovered:
        assert op.after == {"managed": True, "moodle_id": op.source["moodle_id"]}
        assert "stopped before recording it" in op.reason
        assert moodle.course_table[op.source["moodle_id"]].idnumber == op.key
    created = [op for op in rerun.plan.operations if op.action == "create"]
    assert len(created) == 17 - 5
    assert rerun.plan.stats["courses_recovered"] == 5


def test_a_hand_made_course_stays_a_collision_even_beside_intents(tmp_path: Path) -> None:
    moodle, journal, uni = KilledMoodle(9 + 2), open_journal(tmp_path), university()
    with pytest.raises(Killed):
        night(moodle, journal, uni)
    # While jonction was down, someone made by hand a course under a catalogue idnumber that
    # jonction had not yet tried to create, and another under an intended idnumber with a
    # different shortname.
    intended = sorted(pending(journal, COURSE_KIND))
    assert len(intended) == 17  # the whole chunk was intended before the call
    made = {c.idnumber for c in moodle.course_table.values()}
    hand_target = next(key for key in intended if key not in made)
    category = moodle.category("2026:ANU").id
    moodle.hand_course("HAND-1", "Fait main", category, idnumber=hand_target)
    journal_keys = {k for k in intended if k not in made and k != hand_target}
    other = sorted(journal_keys)[0]
    moodle.hand_course("HAND-2", "Autre", category, idnumber=other)
    moodle.survive = 10**9
    rerun, _ = night(moodle, journal, uni)
    collisions = {n.key for n in rerun.plan.notices if n.kind == "course_collision"}
    assert collisions == {hand_target, other}
    recovered = {op.key for op in rerun.plan.operations if op.source.get("recovered")}
    assert recovered == made - {""}
    assert hand_target not in journal.managed(COURSE_KIND)
    assert other not in journal.managed(COURSE_KIND)


class LostAnswers(FakeMoodle):
    """Creates every course but loses the answers of the first call (a timeout after Moodle
    applied it, the read back unable to tell): the step reports them failed."""

    lost = True

    async def create_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        results = await super().create_courses(items)
        if not self.lost:
            return results
        self.lost = False
        return [
            WriteResult(r.key, False, message="unknown: no answer", may_exist=True) for r in results
        ]


def test_a_creation_whose_answer_was_lost_is_taken_back_next_night(
    tmp_path: Path, reference: dict[str, Any]
) -> None:
    moodle, journal, uni = LostAnswers(), open_journal(tmp_path), university()
    _, outcomes = night(moodle, journal, uni)
    failed = {o.operation.key for o in outcomes if o.outcome == "failed"}
    assert len(failed) == 17
    assert set(pending(journal, COURSE_KIND)) == failed  # kept: they may exist
    rerun, outcomes = night(moodle, journal, uni)
    assert {op.key for op in rerun.plan.operations if op.source.get("recovered")} == failed
    assert [o for o in outcomes if o.outcome != "applied"] == []
    assert end_state(moodle, journal) == reference
    assert pending(journal, COURSE_KIND) == {}


class Refusing(FakeMoodle):
    """Refuses one course (Moodle's verdict: its answer is known)."""

    async def create_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        kept = [item for item in items if item.key != REFUSED]
        results = await super().create_courses(kept)
        return [*results, WriteResult(REFUSED, False, message="invalidparameter")]


REFUSED = "2026:ELP:L1LET1"


def test_a_refused_creation_leaves_no_intent(tmp_path: Path) -> None:
    moodle, journal, uni = Refusing(), open_journal(tmp_path), university()
    _, outcomes = night(moodle, journal, uni)
    assert [o.operation.key for o in outcomes if o.outcome == "failed"] == [REFUSED]
    assert pending(journal, COURSE_KIND) == {} and pending(journal, CATEGORY_KIND) == {}
