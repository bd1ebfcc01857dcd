"""Whole offer nights against an in-memory Moodle: plan, apply, converge, stay put."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from jonction.config.policy import PolicySection
from jonction.db import make_engine
from jonction.domain.offer_state import COURSE_KIND
from jonction.domain.plan import Action
from jonction.journal.store import Journal
from jonction.steps.offer import OfferPlan, apply_offer, plan_offer
from jonction.steps.offer_adopt import (
    AdoptionRefused,
    adopt_category,
    adopt_course,
    find_course,
    record_adoption,
)

from .builders import University, vet
from .fake_moodle import FakeMoodle


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = Journal(make_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    journal.ensure_schema()
    return journal


def plan(
    moodle: FakeMoodle,
    journal: Journal,
    *unis: University,
    policy: PolicySection | None = None,
    today: str = "2026-10-01",
) -> OfferPlan:
    return asyncio.run(
        plan_offer(moodle, journal, [u.snapshot for u in unis], policy or PolicySection(), today)
    )


def night(
    moodle: FakeMoodle,
    journal: Journal,
    *unis: University,
    policy: PolicySection | None = None,
    today: str = "2026-10-01",
) -> OfferPlan:
    planned = plan(moodle, journal, *unis, policy=policy, today=today)
    outcomes = asyncio.run(apply_offer(moodle, journal, planned, None))
    assert [o for o in outcomes if o.outcome != "applied"] == []
    return planned


def actions(planned: OfferPlan) -> Counter[tuple[str, str]]:
    return planned.plan.counts()


def sample() -> University:
    uni = University()
    uni.element("SEM1", parents=["L1MATH"], nature="SEM")
    uni.element("SMA1U01", parents=["L1MATH"], under="SEM1", label="Analyse 1")
    uni.element("SMA1U02", parents=["L1MATH", "L2MATH"], label="Algèbre & géométrie")
    uni.element("LANG01", parents=["L1MATH", "L1LET"], composante="U02", label="Anglais")
    uni.element("SMA1U03", parents=["L1MATD"], label="Analyse à distance")
    uni.students("SMA1U02", "L1MATH", 100)
    uni.students("SMA1U02", "L2MATH", 50)
    return uni


def test_first_night_builds_everything_second_changes_nothing(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    first = night(moodle, journal, uni)
    assert actions(first) == {("category", "create"): 8, ("course", "create"): 4}
    assert moodle.calls["create_categories"] == 4  # one call per level of the tree
    course = moodle.by_idnumber("2026:ELP:SMA1U02")
    assert course.category == moodle.category("2026:VET:L1MATH:1").id
    assert course.fullname == "Algèbre & géométrie (SMA1U02)"
    moodle.calls.clear()
    second = night(moodle, journal, uni)
    assert second.plan.operations == []
    assert moodle.write_calls() == 0
    assert moodle.calls == {"categories": 1}  # a quiet night costs one read


def test_renames_moves_and_new_parents_keep_the_same_courses(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    ids = {c.idnumber: c.id for c in moodle.course_table.values()}
    uni.element("SMA1U01", parents=[], label="Analyse I")  # renamed (links kept)
    uni.etape("L1MATD", "U01", "L1 Maths en ligne", ["LICMATH"], foad=True)  # étape renamed
    uni.unlink("SMA1U02", "L1MATH")  # loses its primary parent
    uni.link("LANG01", "L2MATH")  # gains a parent
    uni.etape("L1LET", "U01", "Licence 1 Lettres", ["LICMATH"])  # moved to another diplôme
    moodle.calls.clear()
    changed = night(moodle, journal, uni)
    assert actions(changed) == {
        ("category", "rename"): 1,  # L1MATD's label
        ("category", "move"): 1,  # L1LET, to the other diplôme
        ("category", "create"): 1,  # L2MATH, which now holds a course
        ("course", "rename"): 1,  # SMA1U01
        ("course", "move"): 1,  # SMA1U02, that lost its primary parent
        ("course", "update"): 4,  # summaries: new étapes, new labels
    }
    unused = {n.key for n in changed.plan.notices if n.kind == "category_unused"}
    assert unused == {"2026:VDI:LICLET:1", "2026:CMP:U02"}
    assert {c.idnumber: c.id for c in moodle.course_table.values()} == ids
    assert (
        moodle.course_table[ids["2026:ELP:SMA1U02"]].category
        == moodle.category("2026:VET:L2MATH:1").id
    )
    assert moodle.course_table[ids["2026:ELP:SMA1U01"]].fullname == "Analyse I (SMA1U01)"
    assert "L2MATH-1" in (moodle.course_table[ids["2026:ELP:LANG01"]].summary or "")
    assert moodle.calls["update_courses"] == 1  # every course change in one batch
    moodle.calls.clear()
    assert night(moodle, journal, uni).plan.operations == []
    assert moodle.write_calls() == 0


def test_a_hand_made_course_with_our_shortname_is_a_collision_until_adopted(
    journal: Journal,
) -> None:
    moodle, uni = FakeMoodle(), sample()
    elsewhere = moodle.hand_category("Espaces complémentaires")
    hand = moodle.hand_course("SMA1U01-2026", "Mon espace d'analyse", elsewhere)
    first = night(moodle, journal, uni)
    collisions = [n for n in first.plan.notices if n.kind == "course_collision"]
    assert [n.key for n in collisions] == ["2026:ELP:SMA1U01"]
    assert collisions[0].data["moodle"]["id"] == hand
    assert collisions[0].data["wanted"]["shortname"] == "SMA1U01-2026"
    assert moodle.course_table[hand].fullname == "Mon espace d'analyse"
    assert moodle.course_table[hand].category == elsewhere
    moodle.calls.clear()
    second = night(moodle, journal, uni)
    assert second.plan.operations == [] and moodle.write_calls() == 0
    assert [n.kind for n in second.plan.notices] == ["course_collision"]


def test_deleted_managed_course_is_created_again(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    gone = moodle.by_idnumber("2026:ELP:SMA1U01")
    del moodle.course_table[gone.id]
    again = night(moodle, journal, uni)
    assert [(op.action, op.key) for op in again.plan.operations] == [
        (Action.CREATE, "2026:ELP:SMA1U01")
    ]
    assert "deleted in Moodle" in again.plan.operations[0].reason


def test_hand_made_course_in_our_category_is_seen_once_then_left_alone(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    category = moodle.category("2026:VET:L1MATH:1").id
    hand = moodle.hand_course("PROJET-TUT", "Projet tutoré", category)
    moodle.calls.clear()
    quiet = night(moodle, journal, uni)
    assert quiet.plan.operations == [] and moodle.write_calls() == 0
    assert moodle.calls["courses_in_categories"] == 1  # the drifted category was read
    assert moodle.course_table[hand].fullname == "Projet tutoré"
    moodle.calls.clear()
    night(moodle, journal, uni)
    assert moodle.calls == {"categories": 1}


def test_summary_rewritten_by_teachers_is_left_to_them(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    course = moodle.by_idnumber("2026:ELP:LANG01")
    moodle.edit_course(course.id, summary="<p>Bienvenue en anglais !</p>")
    uni.link("LANG01", "L2MATH")
    changed = night(moodle, journal, uni)
    update = [op for op in changed.plan.operations if op.key == "2026:ELP:LANG01"]
    assert [(op.action, dict(op.after or {})) for op in update] == [
        (Action.UPDATE, {"summary_frozen": True})
    ]
    assert moodle.course_table[course.id].summary == "<p>Bienvenue en anglais !</p>"
    uni.link("LANG01", "L1MATD")
    assert night(moodle, journal, uni).plan.operations == []


def test_obsolete_course_is_marked_then_hidden_at_the_rollover(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    uni.unlink("SMA1U03", "L1MATD")
    marked = night(moodle, journal, uni, today="2027-02-01")
    assert [(op.action, op.key, dict(op.after or {})) for op in marked.plan.operations] == [
        (Action.UPDATE, "2026:ELP:SMA1U03", {"obsolete_since": "2027-02-01"})
    ]
    course = moodle.by_idnumber("2026:ELP:SMA1U03")
    assert course.visible
    assert journal.managed(COURSE_KIND)["2026:ELP:SMA1U03"].data["obsolete_since"] == "2027-02-01"
    assert night(moodle, journal, uni).plan.operations == []
    # The rollover: 2027 is now managed alone.
    next_year = University("2027")
    next_year.element("SMA1U01", parents=["L1MATH"])
    rollover = night(moodle, journal, next_year, today="2027-07-15")
    hidden = [op for op in rollover.plan.operations if op.action is Action.HIDE]
    assert [op.key for op in hidden] == ["2026:ELP:SMA1U03"]
    assert not moodle.course_table[course.id].visible
    assert moodle.course_table[course.id].id in {c.id for c in moodle.course_table.values()}
    assert len([c for c in moodle.course_table.values() if c.idnumber.startswith("2026:")]) == 4
    moodle.calls.clear()
    assert night(moodle, journal, next_year).plan.operations == []
    assert moodle.write_calls() == 0


def test_a_course_back_in_the_catalogue_loses_its_mark(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    uni.unlink("SMA1U03", "L1MATD")
    night(moodle, journal, uni)
    uni.link("SMA1U03", "L1MATD")
    back = night(moodle, journal, uni)
    assert [dict(op.after or {}) for op in back.plan.operations] == [{"obsolete_since": None}]
    assert "obsolete_since" not in journal.managed(COURSE_KIND)["2026:ELP:SMA1U03"].data or (
        journal.managed(COURSE_KIND)["2026:ELP:SMA1U03"].data["obsolete_since"] is None
    )


def test_hysteresis_holds_a_course_through_small_count_changes(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)  # SMA1U02 under L1MATH (100 students against 50)
    uni.students("SMA1U02", "L2MATH", 60)  # now 110 against 100: within the margin
    kept = night(moodle, journal, uni)
    assert kept.plan.operations == []
    assert kept.plan.stats["placements_kept"] == 1
    uni.students("SMA1U02", "L2MATH", 20)  # 130 against 100: beyond the 20 % margin
    moved = night(moodle, journal, uni)
    assert [(op.action, op.key) for op in moved.plan.operations] == [
        (Action.CREATE, "2026:VET:L2MATH:1"),
        (Action.MOVE, "2026:ELP:SMA1U02"),
    ]
    assert "130 students against 100" in moved.plan.operations[1].reason
    course = moodle.by_idnumber("2026:ELP:SMA1U02")
    assert course.category == moodle.category("2026:VET:L2MATH:1").id


def test_category_collision_blocks_its_subtree_and_touches_nothing(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    foreign = moodle.hand_category("Lettres (à la main)", idnumber="2026:CMP:U02")
    planned = night(moodle, journal, uni)
    kinds = Counter(n.kind for n in planned.plan.notices)
    assert kinds["category_collision"] == 1 and kinds["courses_waiting"] == 1
    assert not any(op.key.startswith("2026:VDI:LICLET") for op in planned.plan.operations)
    assert moodle.category_table[foreign].name == "Lettres (à la main)"
    assert all(c.category != foreign for c in moodle.course_table.values())


def test_labels_with_ampersands_do_not_rename_every_night(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    category = moodle.category("2026:CMP:U01")
    # What Moodle shows back, escaped, read tonight through a drift.
    moodle.category_table[category.id] = category.__class__(
        category.id, category.idnumber, "UFR Sciences &amp; Techniques", category.parent
    )
    assert night(moodle, journal, uni).plan.operations == []


def test_split_policy_creates_the_distance_course_beside_the_shared_one(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    uni.link("SMA1U01", "L1MATD")
    split = night(moodle, journal, uni, policy=PolicySection(foad_policy="split"))
    created = [op.key for op in split.plan.operations if op.action is Action.CREATE]
    assert "2026:ELP:SMA1U01:FOAD" in created
    foad = moodle.by_idnumber("2026:ELP:SMA1U01:FOAD")
    assert foad.category == moodle.category("2026:VET:L1MATD:1").id
    # The on-site course stays the same course, in its place.
    assert (
        moodle.by_idnumber("2026:ELP:SMA1U01").category == moodle.category("2026:VET:L1MATH:1").id
    )


def test_plan_alone_writes_nothing(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    planned = plan(moodle, journal, uni)
    assert planned.plan.operations
    assert moodle.write_calls() == 0
    assert journal.managed(COURSE_KIND) == {}
    assert vet("L1MATH") in uni.snapshot.etapes


def test_adopted_course_takes_the_catalogue_identity_and_keeps_its_summary(
    journal: Journal,
) -> None:
    moodle, uni = FakeMoodle(), sample()
    elsewhere = moodle.hand_category("Espaces complémentaires")
    hand = moodle.hand_course(
        "SMA1U01-2026", "Mon espace d'analyse", elsewhere, summary="<p>Le mien</p>"
    )
    first = night(moodle, journal, uni)
    course = asyncio.run(find_course(moodle, "SMA1U01-2026"))
    assert course.id == hand
    categories = {c.id: c for c in asyncio.run(moodle.categories())}
    adoption = adopt_course(journal, first.desired, course, categories)
    assert adoption.key == "2026:ELP:SMA1U01"
    record_adoption(journal, adoption)
    with pytest.raises(AdoptionRefused, match="already managed"):
        adopt_course(journal, first.desired, course, categories)
    taken_over = night(moodle, journal, uni)
    assert {(op.action, op.key) for op in taken_over.plan.operations} == {
        (Action.RENAME, "2026:ELP:SMA1U01"),
        (Action.UPDATE, "2026:ELP:SMA1U01"),
        (Action.MOVE, "2026:ELP:SMA1U01"),
    }
    adopted = moodle.course_table[hand]
    assert adopted.idnumber == "2026:ELP:SMA1U01"
    assert adopted.fullname == "Analyse 1 (SMA1U01)"
    assert adopted.category == moodle.category("2026:VET:L1MATH:1").id
    assert adopted.summary == "<p>Le mien</p>"
    moodle.calls.clear()
    assert night(moodle, journal, uni).plan.operations == []
    assert moodle.write_calls() == 0


def test_adoption_is_refused_when_nothing_of_the_catalogue_matches(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    first = night(moodle, journal, uni)
    hand = moodle.hand_course("MISC", "Divers", moodle.hand_category("Divers"))
    with pytest.raises(AdoptionRefused, match="--as IDNUMBER"):
        adopt_course(journal, first.desired, moodle.course_table[hand], {})
    with pytest.raises(AdoptionRefused, match="already managed"):
        adopt_course(journal, first.desired, moodle.course_table[hand], {}, "2026:ELP:SMA1U02")
    with pytest.raises(AdoptionRefused, match="no course with the id"):
        asyncio.run(find_course(moodle, "NOPE"))


def test_adopted_category_is_renamed_and_filled(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    foreign = moodle.hand_category("Lettres (à la main)", idnumber="2026:CMP:U02")
    first = night(moodle, journal, uni)
    categories = {c.id: c for c in asyncio.run(moodle.categories())}
    record_adoption(journal, adopt_category(journal, first.desired, categories, "2026:CMP:U02"))
    second = night(moodle, journal, uni)
    assert moodle.category_table[foreign].name == "UFR Lettres"
    assert moodle.category_table[foreign].parent == moodle.category("2026:ANU").id
    assert ("category", "create") in second.plan.counts()
    assert not [n for n in second.plan.notices if n.kind == "category_collision"]


def test_an_empty_catalogue_blocks_the_step(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    uni.snapshot.links.clear()
    emptied = plan(moodle, journal, uni)
    assert emptied.plan.blockers and "has no course" in emptied.plan.blockers[0]


def test_a_managed_course_moved_by_hand_is_put_back(journal: Journal) -> None:
    moodle, uni = FakeMoodle(), sample()
    night(moodle, journal, uni)
    course = moodle.by_idnumber("2026:ELP:SMA1U01")
    home = course.category
    moodle.edit_course(course.id, category=moodle.category("2026:VET:L1LET:1").id)
    moodle.calls.clear()
    back = night(moodle, journal, uni)
    assert [(op.action, op.key) for op in back.plan.operations] == [
        (Action.MOVE, "2026:ELP:SMA1U01")
    ]
    assert moodle.calls["courses_in_categories"] == 2  # the two categories whose count changed
    assert moodle.course_table[course.id].category == home
    assert night(moodle, journal, uni).plan.operations == []
