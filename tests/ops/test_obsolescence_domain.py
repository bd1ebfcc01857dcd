"""The obsolescence policy as a pure function of records, years and what Moodle shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from jonction.config.obsolescence import ObsolescenceSection
from jonction.domain.obsolescence import (
    CourseLife,
    ObsolescenceInput,
    Usage,
    determine_obsolescence,
)
from jonction.domain.offer_state import MoodleCourse
from jonction.domain.plan import Action


def life(key: str, moodle_id: int, **data: Any) -> CourseLife:
    values = {"year": "2026", "composante": "SCI", "category": "2026:VET:A:1", **data}
    return CourseLife.from_data(key, moodle_id, values)


def plan_for(
    courses: list[CourseLife],
    *,
    today: str = "2027-09-01",
    closed: dict[str, str | None] | None = None,
    moodle: dict[int, MoodleCourse] | None = None,
    usage: dict[int, Usage] | None = None,
    **policy: Any,
) -> Any:
    return determine_obsolescence(
        ObsolescenceInput(
            courses={c.key: c for c in courses},
            archives={},
            closed={"2026": "2027-08-31"} if closed is None else closed,
            composante_labels={("2026", "SCI"): "UFR Sciences"},
            policy=ObsolescenceSection(**policy),
            today=date.fromisoformat(today),
            moodle=moodle,
            usage=usage or {},
        )
    )


def test_closed_year_courses_are_hidden_and_open_years_left_alone() -> None:
    plan = plan_for([life("2026:ELP:A", 1), life("2027:ELP:A", 2, year="2027")])
    assert [(op.key, op.action) for op in plan.operations] == [("2026:ELP:A", Action.HIDE)]
    assert plan.operations[0].after == {
        "visible": False,
        "hidden_by_jonction": True,
        "hidden_on": "2027-09-01",
    }
    assert plan_for([life("2026:ELP:A", 1)], closed_year_courses="keep").operations == []
    # Hidden by hand already: nothing to write.
    hand = {1: MoodleCourse(1, "2026:ELP:A", "A-2026", "A", 5, False)}
    assert plan_for([life("2026:ELP:A", 1)], moodle=hand).operations == []


def test_archived_after_the_grace_period_in_bounded_categories() -> None:
    hidden = [
        life(
            f"2026:ELP:E{n:02d}", n, visible=False, hidden_by_jonction=True, hidden_on="2027-09-01"
        )
        for n in range(1, 26)
    ]
    assert plan_for(hidden, today="2027-09-30", archive_after_days=30).operations == []
    plan = plan_for(hidden, today="2027-10-01", archive_after_days=30, archive_category_size=10)
    archived = [op for op in plan.operations if op.action is Action.ARCHIVE]
    created = [op for op in plan.operations if op.action is Action.CREATE]
    assert len(archived) == 25
    places = [op.after["category"] for op in archived]  # type: ignore[index]
    assert places.count("archive:2026:SCI") == 10
    assert places.count("archive:2026:SCI:2") == 10
    assert places.count("archive:2026:SCI:3") == 5
    assert [(op.key, op.after["name"], op.after["parent"]) for op in created] == [  # type: ignore[index]
        ("archive", "Archives", ""),
        ("archive:2026", "2026-2027", "archive"),
        ("archive:2026:SCI", "UFR Sciences", "archive:2026"),
        ("archive:2026:SCI:2", "UFR Sciences (2)", "archive:2026"),
        ("archive:2026:SCI:3", "UFR Sciences (3)", "archive:2026"),
    ]
    assert plan.operations[: len(created)] == created  # categories before the moves
    assert plan_for(hidden, today="2028-01-01", archive_after_days=0).operations == []


def test_obsolete_course_of_an_open_year_archived_from_its_mark() -> None:
    course = life(
        "2027:ELP:X",
        3,
        year="2027",
        visible=False,
        hidden_by_jonction=True,
        obsolete_since="2027-01-10",
    )
    plan = plan_for([course], today="2028-01-11", closed={}, archive_after_days=365)
    ops = [(op.action, (op.after or {}).get("hidden_on")) for op in plan.operations]
    assert (Action.UPDATE, "2027-01-10") in ops  # the day of hiding recorded
    assert (Action.ARCHIVE, None) in ops


def test_courses_hidden_by_hand_or_shown_again_are_left_alone() -> None:
    by_hand = life("2026:ELP:H", 4, visible=False, hidden_on="2026-01-01")
    assert plan_for([by_hand], archive_after_days=1).operations == []
    shown = life("2026:ELP:S", 5, visible=False, hidden_by_jonction=True, hidden_on="2026-01-01")
    visible = {5: MoodleCourse(5, "2026:ELP:S", "S-2026", "S", 9, True)}
    plan = plan_for([shown], archive_after_days=1, moodle=visible)
    assert plan.operations == []
    assert [n.kind for n in plan.notices] == ["obsolete_course_shown_by_hand"]
    assert plan.notices[0].data["composante"] == "SCI"


def test_deletion_only_by_policy_and_only_when_surely_unused() -> None:
    archived = life(
        "2026:ELP:D",
        6,
        visible=False,
        hidden_by_jonction=True,
        hidden_on="2026-06-01",
        category="archive:2026:SCI",
        archived_on="2026-08-01",
    )
    present = {6: MoodleCourse(6, "2026:ELP:D", "D-2026", "D", 9, False)}
    assert plan_for([archived], moodle=present).operations == []  # delete = never
    waiting = plan_for([archived], moodle=present, delete="unused")
    assert waiting.operations == [] and waiting.stats["deletion_candidates"] == 1
    doubt = plan_for([archived], moodle=present, delete="unused", usage={6: Usage(known=False)})
    assert doubt.operations == []  # kept, asked again another night
    used = plan_for(
        [archived], moodle=present, delete="unused", usage={6: Usage(True, accessed=2, enrolled=30)}
    )
    assert [(op.action, op.after) for op in used.operations] == [(Action.UPDATE, {"used": True})]
    assert "2 of the 30 people" in used.operations[0].reason
    marked = life(
        "2026:ELP:D",
        6,
        visible=False,
        hidden_by_jonction=True,
        category="archive:2026:SCI",
        archived_on="2026-08-01",
        used=True,
    )
    again = plan_for([marked], moodle=present, delete="unused")
    assert again.operations == [] and "deletion_candidates" not in again.stats
    plan = plan_for(
        [archived], moodle=present, delete="unused", usage={6: Usage(True, enrolled=30)}
    )
    assert [(op.key, op.action) for op in plan.operations] == [("2026:ELP:D", Action.DELETE)]
    early = plan_for(
        [archived], moodle=present, delete="unused", usage={6: Usage(True)}, today="2027-07-01"
    )
    assert early.operations == []  # less than delete_after_days in the archive
