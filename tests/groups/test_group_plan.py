"""The groups plan against an in-memory Moodle: creations, renames, adds, removals, moves,
deferrals, vanished groups, hand-made groups and members, and quiet reruns."""

from __future__ import annotations

from collections import Counter

import pytest

from jonction.config.groups import GroupsSection
from jonction.config.operations import GuardsSection
from jonction.domain.guards import check_plan
from jonction.domain.plan import Action

from .builders import L1MATH, Campus, course, standard_campus
from .world import World, accounts_of, enrolled_world, run_night, user

MAT101, MAT102, SHARED1 = course("MAT101"), course("MAT102"), course("SHARED1")
TD1, TD2 = f"{MAT101}|2026:GPE:100", f"{MAT101}|2026:GPE:101"


@pytest.fixture
def campus() -> Campus:
    return standard_campus()


@pytest.fixture
def world(campus: Campus) -> World:
    world = enrolled_world(campus)
    return world


def members(world: World, key: str) -> set[int]:
    return {u - 10000 for u in world.members[world.records[key].moodle_id]}


def test_first_run_creates_groups_with_their_members_then_a_rerun_changes_nothing(
    world: World, campus: Campus
) -> None:
    first = run_night(world, campus)
    assert first.plan.counts() == {("group", "create"): 7, ("group_member", "add"): 16}
    assert members(world, TD1) == {1, 2} and members(world, TD2) == {3, 4}
    assert members(world, f"{SHARED1}|2026:VET:L1INFO:1") == {5, 6}
    op = next(o for o in first.plan.operations if o.key == f"{TD1}|e1")
    assert op.source["composante"] == "SCI"
    assert op.source["group"] == 100 and op.source["element"] == "MAT101"
    assert op.source["etape"] == "L1MATH-1" and op.source["cod_ind"] == 1
    assert op.scope == TD1
    again = run_night(world, campus)
    assert again.plan.operations == []
    assert world.reads == {"members": 7, "courses": 0, "enrolled": 0, "user_courses": 0}
    assert again.plan.existing["group_member"] == 16


def test_a_new_label_renames_the_same_group(world: World, campus: Campus) -> None:
    run_night(world, campus)
    group_id = world.records[TD1].moodle_id
    campus.rename(100, "TD 1 (mardi)")
    night = run_night(world, campus)
    assert night.plan.counts() == {("group", "rename"): 1}
    op = night.plan.operations[0]
    assert op.before == {"name": "TD 1", "group_id": group_id}
    assert op.after == {"name": "TD 1 (mardi)", "group_id": group_id}
    assert "label changed" in op.reason
    assert world.groups[group_id].name == "TD 1 (mardi)"
    assert world.reads["courses"] == 1
    assert run_night(world, campus).plan.operations == []


def test_a_student_who_changed_group_is_moved_in_one_operation(
    world: World, campus: Campus
) -> None:
    run_night(world, campus)
    campus.move(2, 100, 101)
    night = run_night(world, campus)
    assert night.plan.counts() == {("group_member", "move"): 1}
    move = night.plan.operations[0]
    assert move.key == f"{TD2}|e2"
    assert move.before is not None and move.before["group"] == TD1
    assert move.after is not None and move.after["group"] == TD2
    assert move.source["from_group"] == 100 and move.source["group"] == 101
    assert members(world, TD1) == {1} and members(world, TD2) == {2, 3, 4}
    assert run_night(world, campus).plan.operations == []


def test_leaving_and_joining_unrelated_groups_are_not_moves(world: World, campus: Campus) -> None:
    run_night(world, campus)
    campus.leave(1, 100)  # leaves TD1 of MAT101
    campus.join(2, 200)  # joins the étape group GA
    night = run_night(world, campus)
    assert night.plan.counts() == {("group_member", "remove"): 1, ("group_member", "add"): 3}
    removal = next(o for o in night.plan.operations if o.action is Action.REMOVE)
    assert removal.key == f"{TD1}|e1" and removal.source["cod_ind"] == 1
    assert "no longer in Apogée group TD1" in removal.reason


def test_members_added_by_hand_are_kept_or_removed_per_policy(world: World, campus: Campus) -> None:
    run_night(world, campus)
    world.members[world.records[TD1].moodle_id].add(user(3))
    assert run_night(world, campus).plan.operations == []
    assert user(3) in world.members[world.records[TD1].moodle_id]
    night = run_night(world, campus, GroupsSection(hand_members="remove"))
    assert night.plan.counts() == {("group_member", "remove"): 1}
    assert "by hand" in night.plan.operations[0].reason
    assert members(world, TD1) == {1, 2}


def test_students_not_enrolled_yet_are_deferred_then_added(world: World, campus: Campus) -> None:
    campus.student(7, L1MATH, "MAT101")
    campus.join(7, 100)
    night = run_night(world, campus)
    deferred = [o for o in night.plan.operations if o.source.get("deferred")]
    assert [o.key for o in deferred] == [f"{TD1}|e7"]
    assert "not enrolled" in deferred[0].reason
    notice = next(n for n in night.plan.notices if n.kind == "group_member_deferred")
    assert notice.data["count"] == 1 and notice.data["items"] == [MAT101]
    assert members(world, TD1) == {1, 2}
    # Still not enrolled: deferred again, nothing written.
    again = run_night(world, campus)
    assert [o.key for o in again.plan.operations] == [f"{TD1}|e7"]
    world.enrol(1, user(7))
    later = run_night(world, campus)
    assert later.plan.counts() == {("group_member", "add"): 1}
    assert not later.plan.operations[0].source.get("deferred")
    assert members(world, TD1) == {1, 2, 7}


def test_a_vanished_group_is_kept_by_default(world: World, campus: Campus) -> None:
    run_night(world, campus)
    group_id = world.records[TD2].moodle_id
    campus.drop_group(101)
    campus.join(3, 100)
    campus.join(4, 100)
    night = run_night(world, campus)
    assert night.plan.counts() == {("group_member", "add"): 2}
    assert world.records[TD2].vanished_since == "2026-10-01"
    assert world.members[group_id] == {user(3), user(4)}
    assert run_night(world, campus).plan.operations == []


def test_an_emptied_vanished_group_moves_its_members(world: World, campus: Campus) -> None:
    run_night(world, campus)
    campus.drop_group(101)
    campus.join(3, 100)
    night = run_night(world, campus, GroupsSection(vanished_groups="empty"))
    assert night.plan.counts() == {("group_member", "move"): 1, ("group_member", "remove"): 1}
    assert members(world, TD2) == set() and members(world, TD1) == {1, 2, 3}
    assert TD2 in world.records  # never deleted
    assert run_night(world, campus, GroupsSection(vanished_groups="empty")).plan.operations == []


def test_a_group_deleted_in_moodle_is_created_again(world: World, campus: Campus) -> None:
    run_night(world, campus)
    old = world.records[TD1].moodle_id
    del world.groups[old]
    night = run_night(world, campus)
    assert night.plan.counts() == {("group", "create"): 1, ("group_member", "add"): 2}
    assert "created again" in night.plan.operations[0].reason
    assert world.records[TD1].moodle_id != old
    assert any(n.kind == "group_deleted_in_moodle" for n in night.plan.notices)


def test_a_group_with_our_idnumber_is_adopted_not_duplicated(world: World, campus: Campus) -> None:
    found = world.hand_group(1, "Ancien TD", "2026:GPE:100")
    world.members[found] = {user(1), user(5)}
    night = run_night(world, campus)
    ops = [o for o in night.plan.operations if o.scope in (MAT101, TD1)]
    assert Counter((o.kind, str(o.action)) for o in ops if o.key.startswith(TD1)) == {
        ("group", "rename"): 1,
        ("group_member", "add"): 1,
    }
    assert world.records[TD1].moodle_id == found
    assert world.groups[found].name == "TD 1"
    # The member nobody wants was not put there by jonction: kept.
    assert world.members[found] == {user(1), user(2), user(5)}
    assert any(n.kind == "group_adopted" for n in night.plan.notices)


def test_names_taken_by_hand_made_groups_are_avoided_without_nightly_renames(
    world: World, campus: Campus
) -> None:
    hand = world.hand_group(1, "TD 1")
    run_night(world, campus)
    assert world.by_key(TD1).name == "TD 1 (TD1)"
    assert world.groups[hand].name == "TD 1"
    again = run_night(world, campus)
    assert again.plan.operations == [] and world.reads["courses"] == 0


def test_names_changed_by_hand_are_put_back_with_verify_names(world: World, campus: Campus) -> None:
    run_night(world, campus)
    group = world.by_key(TD1)
    world.groups[group.id] = type(group)(group.id, group.course_id, "Mon TD", group.idnumber)
    assert run_night(world, campus).plan.operations == []
    night = run_night(world, campus, GroupsSection(verify_names=True))
    assert night.plan.counts() == {("group", "rename"): 1}
    assert "by hand" in night.plan.operations[0].reason
    assert world.by_key(TD1).name == "TD 1"


def test_groups_of_courses_not_in_moodle_wait(campus: Campus) -> None:
    world = World()
    world.course(MAT101, 1)
    world.enrol(1, *(user(i) for i in (1, 2, 3, 4)))
    night = run_night(world, campus)
    assert {o.scope for o in night.plan.operations if o.kind == "group"} == {MAT101}
    notice = next(n for n in night.plan.notices if n.kind == "group_course_missing")
    assert notice.data["count"] == 4


def test_students_without_account_are_counted_not_planned(world: World, campus: Campus) -> None:
    accounts = {k: v for k, v in accounts_of(campus).items() if v.user_id != user(1)}
    night = run_night(world, campus, accounts=accounts)
    assert not any(o.key.endswith("|e1") for o in night.plan.operations)
    notice = next(n for n in night.plan.notices if n.kind == "group_member_without_account")
    assert notice.data["count"] == 1


def test_mass_removal_in_a_group_trips_the_guard(world: World) -> None:
    campus = Campus()
    campus.element("MAT101", L1MATH)
    for cod_ind in range(1, 13):
        campus.student(cod_ind, L1MATH, "MAT101")
    campus.group(100, "TD1", "TD 1", element="MAT101", members=tuple(range(1, 13)))
    world.enrol(1, *(user(i) for i in range(1, 13)))
    run_night(world, campus)
    for cod_ind in range(1, 10):
        campus.leave(cod_ind, 100)
    night = run_night(world, campus, apply=False)
    assert night.plan.existing_by_scope["group_member"][TD1] == 12
    violations = check_plan(night.plan, GuardsSection(min_items_for_share=1000))
    assert [(v.kind, v.scope) for v in violations] == [("group_member", TD1)]


def test_per_etape_groups_follow_a_change_of_etape(world: World, campus: Campus) -> None:
    run_night(world, campus)
    snap = campus.snapshot
    snap.pedagogical_registrations = [
        ip for ip in snap.pedagogical_registrations if ip.cod_ind != 5
    ]
    campus.register(5, L1MATH, "SHARED1")
    night = run_night(world, campus)
    assert night.plan.counts() == {("group_member", "move"): 1}
    move = night.plan.operations[0]
    assert move.key == f"{SHARED1}|2026:VET:L1MATH:1|e5"
    assert move.source["etape"] == "L1MATH-1"
    assert members(world, f"{SHARED1}|2026:VET:L1INFO:1") == {6}


def test_records_survive_the_state_database(world: World, campus: Campus) -> None:
    from jonction.domain.group_state import GroupRecord

    run_night(world, campus)
    for key, record in world.records.items():
        again = GroupRecord.from_data(key, record.moodle_id, record.to_data())
        assert again == record
