"""Complementary spaces as pure functions: conflicts with the catalogue, members until the
end date, hiding and showing the course."""

from __future__ import annotations

from datetime import date

from jonction.config.obsolescence import SpacesSection
from jonction.config.policy import PolicySection
from jonction.domain.catalogue import desired_catalogue
from jonction.domain.cohorts import AccountRef
from jonction.domain.plan import Action
from jonction.domain.refer_model import AdminRegistration, DiplomeKey, Student
from jonction.domain.space_conflicts import conflicts
from jonction.domain.spaces import (
    Space,
    SpaceCohort,
    SpaceCourse,
    SpacesKnown,
    desired_spaces,
    determine_space_actions,
)

from ..offer.builders import University, vet

TODAY = date(2026, 11, 1)


def university() -> University:
    uni = University()
    uni.element("SMA1U01", parents=["L1MATH"], label="Analyse 1")
    uni.element("LANG01", parents=["L1LET"], composante="U02", label="Anglais")
    for number, etape in enumerate(["L1MATH", "L1MATH", "L1LET"], start=1):
        uni.snapshot.students[number] = Student(number, f"2260000{number}", "Nom", "Prénom")
        uni.snapshot.admin_registrations.append(
            AdminRegistration(number, vet(etape), DiplomeKey("LICMATH", 1), "U01")
        )
    return uni


def space(number: int, shortname: str, fullname: str = "Un espace", **values: object) -> Space:
    fields: dict[str, object] = {
        "idnumber": "",
        "owner": "Mme Durand",
        "purpose": "",
        "composante": "",
        "etapes": (),
        "cohorts": (),
        "ends_on": date(2026, 12, 31),
        **values,
    }
    return Space(number, 100 + number, shortname, fullname=fullname, **fields)  # type: ignore[arg-type]


def test_conflicts_with_the_catalogue_show_both_sides() -> None:
    uni = university()
    catalogue = desired_catalogue([uni.snapshot], PolicySection())
    spaces = [
        space(1, "CLUB", "Club de lecture", etapes=("L1MATH-1",)),
        space(2, "SMA1U01-2026", "Autre chose"),
        space(3, "RENFO", "Analyse 1"),
        space(4, "SMA1U01-RENFO", "Renforcement", etapes=("L1MATH-1",)),
        space(5, "CATALOGUE", "Un cours du catalogue"),
    ]
    found = conflicts(spaces, catalogue, [uni.snapshot], {105: "2026:ELP:LANG01"})
    summary = [(n.kind, n.key, tuple(n.data.get("matches", ()))) for n in found]
    assert summary == [
        ("space_conflict", "space:2", ("shortname",)),
        ("space_conflict", "space:3", ("name",)),
        ("space_duplicates_course", "space:4", ("element code SMA1U01",)),
        ("space_is_catalogue_course", "space:5", ()),
    ]
    duplicate = found[2]
    assert duplicate.severity == "error"
    assert duplicate.data["catalogue"]["idnumber"] == "2026:ELP:SMA1U01"
    assert duplicate.data["space"]["shortname"] == "SMA1U01-RENFO"
    assert duplicate.data["etapes"] == ["L1MATH-1"]
    assert duplicate.data["composante"] == "U01"


def test_members_until_the_end_date_then_emptied_and_hidden() -> None:
    uni = university()
    accounts = {
        "22600001": AccountRef("alice", 11),
        "22600002": AccountRef("bob", 12),
        "22600003": AccountRef("carl", 13),
    }
    club = space(1, "CLUB", etapes=("L1MATH-1", "XXX-9"), cohorts=("2026:CMP:U02", "nope"))
    rules = SpacesSection()
    desired = desired_spaces(
        [club], [uni.snapshot], accounts, {"2026:CMP:U02": {14: "dora"}}, rules, TODAY
    )
    assert desired.members["space:1"] == {11: "alice", 12: "bob", 14: "dora"}
    assert sorted(n.kind for n in desired.notices) == [
        "space_unknown_cohort",
        "space_unknown_etape",
    ]
    known = SpacesKnown(
        courses={101: SpaceCourse(101, "CLUB", "", "Un espace", True)},
        cohorts={"space:1": SpaceCohort(50, "space:1", "Espace complémentaire CLUB")},
        members={50: frozenset({11, 13})},
        managed_cohorts={"space:1": 50},
        hidden={},
    )
    plan = determine_space_actions(desired, known, rules, TODAY, {13: "carl"})
    assert [(op.action, op.label) for op in plan.operations] == [
        (Action.ADD, "bob"),
        (Action.ADD, "dora"),
        (Action.REMOVE, "carl"),
    ]
    later = date(2027, 1, 1)
    ended = desired_spaces([club], [uni.snapshot], accounts, {}, rules, later)
    plan = determine_space_actions(ended, known, rules, later, {11: "alice", 13: "carl"})
    assert [(op.kind, op.action, op.label) for op in plan.operations] == [
        ("space_member_ended", Action.REMOVE, "alice"),
        ("space_member_ended", Action.REMOVE, "carl"),
        ("space", Action.HIDE, "Un espace"),
    ]
    assert "emptied" in plan.operations[0].reason
    # Renewed after jonction hid it: shown again.
    renewed = space(1, "CLUB", ends_on=date(2027, 6, 30))
    hidden = SpacesKnown(
        courses={101: SpaceCourse(101, "CLUB", "", "Un espace", False)},
        cohorts=known.cohorts,
        members={50: frozenset()},
        managed_cohorts=known.managed_cohorts,
        hidden={1: True},
    )
    again = desired_spaces([renewed], [uni.snapshot], accounts, {}, rules, later)
    plan = determine_space_actions(again, hidden, rules, later, {})
    assert [(op.kind, op.action) for op in plan.operations] == [("space", Action.SHOW)]


def test_a_hand_made_cohort_under_the_space_idnumber_is_left_alone() -> None:
    uni = university()
    club = space(1, "CLUB", etapes=("L1MATH-1",))
    rules = SpacesSection()
    desired = desired_spaces([club], [uni.snapshot], {}, {}, rules, TODAY)
    known = SpacesKnown(
        courses={101: SpaceCourse(101, "CLUB", "", "Un espace", True)},
        cohorts={"space:1": SpaceCohort(60, "space:1", "Fait main")},
        members={60: frozenset({99})},
        managed_cohorts={},
        hidden={},
    )
    plan = determine_space_actions(desired, known, rules, TODAY, {})
    assert plan.operations == []
    assert [n.kind for n in plan.notices] == ["space_cohort_collision"]
