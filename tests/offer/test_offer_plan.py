"""determine_actions on hand-built known states: order, reasons, sources, collisions, stale."""

from __future__ import annotations

from jonction.config.policy import PolicySection
from jonction.domain.catalogue import desired_catalogue
from jonction.domain.offer_plan import determine_actions, stale_courses
from jonction.domain.offer_state import (
    CategoryRecord,
    CourseRecord,
    KnownCatalogue,
    MoodleCategory,
    MoodleCourse,
)
from jonction.domain.plan import Action

from .builders import University, vet


def uni() -> University:
    university = University()
    university.element("SMA1U01", parents=["L1MATH", "L2MATH"], label="Analyse")
    university.charge("SMA1U01", "L2MATH")
    return university


def test_from_nothing_parents_come_before_children_with_reasons() -> None:
    policy = PolicySection()
    plan = determine_actions(desired_catalogue([uni().snapshot], policy), KnownCatalogue(), policy)
    keys = [op.key for op in plan.operations]
    assert keys == [
        "2026:ANU",
        "2026:CMP:U01",
        "2026:VDI:LICMATH:1",
        "2026:VET:L2MATH:1",
        "2026:ELP:SMA1U01",
    ]
    course = plan.operations[-1]
    assert course.action is Action.CREATE and course.scope == "U01"
    assert "through étapes L1MATH-1, L2MATH-1" in course.reason
    assert "ELP_CHARGE_ENS names L2MATH-1" in course.reason
    assert course.source["rule"] == "charge_ens" and course.source["primary"] == "L2MATH-1"
    assert (course.after or {})["category"] == "2026:VET:L2MATH:1"
    assert plan.existing == {"category": 0, "course": 0}
    assert plan.basis


def _known_with(course: MoodleCourse, managed: bool) -> KnownCatalogue:
    categories = {
        1: MoodleCategory(1, "2026:ANU", "2026-2027", 0),
        2: MoodleCategory(2, "2026:CMP:U01", "UFR Sciences &amp; Techniques", 1),
        3: MoodleCategory(3, "2026:VDI:LICMATH:1", "Licence Mathématiques", 2),
        4: MoodleCategory(4, "2026:VET:L2MATH:1", "Licence 2 Mathématiques (L2MATH)", 3),
        9: MoodleCategory(9, "", "À la main", 0),
    }
    records = {
        c.idnumber: CategoryRecord(c.idnumber, c.id, c.name, "", "2026")
        for c in categories.values()
        if c.idnumber
    }
    courses = {}
    if managed:
        courses["2026:ELP:SMA1U01"] = CourseRecord(
            "2026:ELP:SMA1U01",
            course.id,
            "2026",
            "SMA1U01",
            "U01",
            vet("L2MATH"),
            "2026:VET:L2MATH:1",
            course.category,
            course.idnumber,
            course.shortname,
            course.fullname,
            None,
            True,
        )
    return KnownCatalogue(categories, {course.id: course}, records, courses, 0, "2026-10-01")


def test_a_foreign_course_with_our_shortname_is_a_collision_with_both_sides() -> None:
    policy = PolicySection()
    desired = desired_catalogue([uni().snapshot], policy)
    hand = MoodleCourse(50, "", "SMA1U01-2026", "Mon analyse", 9, True, "", fresh=True)
    plan = determine_actions(desired, _known_with(hand, managed=False), policy)
    assert [op.key for op in plan.operations] == []
    (notice,) = plan.notices
    assert notice.kind == "course_collision"
    assert notice.data["moodle"] == {
        "id": 50,
        "idnumber": "",
        "shortname": "SMA1U01-2026",
        "fullname": "Mon analyse",
        "category": "À la main",
    }
    assert notice.data["wanted"]["idnumber"] == "2026:ELP:SMA1U01"
    assert "jonction adopt 50" in notice.message


def test_changes_to_a_course_not_read_tonight_ask_for_a_fresh_read() -> None:
    policy = PolicySection()
    desired = desired_catalogue([uni().snapshot], policy)
    old = MoodleCourse(50, "2026:ELP:SMA1U01", "SMA1U01-2026", "Analyse I (SMA1U01)", 4, True)
    known = _known_with(old, managed=True)
    plan = determine_actions(desired, known, policy)
    assert {(op.action, op.key) for op in plan.operations} == {
        (Action.RENAME, "2026:ELP:SMA1U01"),
        (Action.UPDATE, "2026:ELP:SMA1U01"),  # the summary jonction never wrote
    }
    rename = next(op for op in plan.operations if op.action is Action.RENAME)
    assert rename.before == {"fullname": "Analyse I (SMA1U01)"}
    assert rename.after == {"fullname": "Analyse (SMA1U01)"}
    assert stale_courses(plan, known) == {50}
    fresh = MoodleCourse(50, *(old.idnumber, old.shortname, old.fullname, 4, True), "", True)
    known.courses[50] = fresh
    assert stale_courses(determine_actions(desired, known, policy), known) == set()
