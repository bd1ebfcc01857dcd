"""Whose members the groups step reads on a night that is not a full check: only the groups
whose members may have changed; the others are trusted to hold their records' members, and
what was done by hand in Moodle is caught by the next full check."""

from __future__ import annotations

import pytest

from jonction.config.groups import GroupsSection
from jonction.domain.group_plan import resolve_members
from jonction.domain.group_reads import member_reads
from jonction.domain.group_state import KnownGroups
from jonction.domain.groups import desired_groups

from .builders import L1MATH, Campus, course, standard_campus
from .world import World, accounts_of, enrolled_world, run_night, user

MAT101, MAT102, SHARED1 = course("MAT101"), course("MAT102"), course("SHARED1")
TD1, TD2 = f"{MAT101}|2026:GPE:100", f"{MAT101}|2026:GPE:101"
GA_MAT102 = f"{MAT102}|2026:GPE:200"


@pytest.fixture
def campus() -> Campus:
    return standard_campus()


@pytest.fixture
def world(campus: Campus) -> World:
    world = enrolled_world(campus)
    run_night(world, campus)
    return world


def read_ids(world: World, *keys: str) -> list[int]:
    return sorted(world.records[key].moodle_id for key in keys)


def test_a_quiet_night_reads_no_member_and_changes_nothing(world: World, campus: Campus) -> None:
    night = run_night(world, campus, full=False)
    assert night.plan.operations == []
    assert world.reads["members"] == 0
    # The members counted as existing are the records': the same figure as a full read gives.
    assert night.plan.existing["group_member"] == 16
    assert run_night(world, campus).plan.existing["group_member"] == 16


def test_only_the_groups_a_change_touches_are_read(world: World, campus: Campus) -> None:
    campus.move(2, 100, 101)
    night = run_night(world, campus, full=False)
    assert night.plan.counts() == {("group_member", "move"): 1}
    assert world.reads["members"] == 2
    assert run_night(world, campus, full=False).plan.operations == []
    assert world.reads["members"] == 0


def test_the_decision_names_the_groups_to_read_and_trusts_the_others(
    world: World, campus: Campus
) -> None:
    campus.leave(1, 100)
    config = GroupsSection()
    desired = desired_groups([campus.snapshot], campus.course_maps(), config)
    students = {c: s.cod_etu for c, s in campus.snapshot.students.items()}
    resolved, _ = resolve_members(desired, students, accounts_of(campus))
    known = KnownGroups(courses=dict(world.courses), records=dict(world.records))
    partial = member_reads(desired, resolved, known, config, full=False)
    assert not partial.full
    assert partial.read == read_ids(world, TD1)
    assert partial.trusted[world.records[TD2].moodle_id] == {user(3), user(4)}
    assert len(partial.trusted) == len(world.records) - 1
    full = member_reads(desired, resolved, known, config, full=True)
    assert full.full and full.trusted == {}
    assert full.read == sorted(r.moodle_id for r in world.records.values())
    # The groups a student unenrolled since the last run is recorded in are read.
    gone = {MAT101: {user(3)}, MAT102: {user(99)}}
    unenrolled = member_reads(desired, resolved, known, config, full=False, unenrolled=gone)
    # TD1 (its change), TD2 and the étape group GA of MAT101 (student 3).
    assert unenrolled.read == read_ids(world, TD1, TD2, f"{MAT101}|2026:GPE:200")
    # So are those whose course was created again in Moodle (another id).
    known.courses[MAT102] = 99
    moved = member_reads(desired, resolved, known, config, full=False)
    assert world.records[GA_MAT102].moodle_id in moved.read


def test_a_member_removed_by_hand_is_put_back_by_the_full_check(
    world: World, campus: Campus
) -> None:
    world.members[world.records[TD1].moodle_id].discard(user(2))
    assert run_night(world, campus, full=False).plan.operations == []
    full = run_night(world, campus, full=True)
    assert full.plan.counts() == {("group_member", "add"): 1}
    assert full.plan.operations[0].key == f"{TD1}|e2"
    assert user(2) in world.members[world.records[TD1].moodle_id]


def test_a_member_added_by_hand_is_neither_removed_nor_re_added_unread(
    world: World, campus: Campus
) -> None:
    world.members[world.records[TD1].moodle_id].add(user(3))
    remove = GroupsSection(hand_members="remove")
    assert run_night(world, campus, remove, full=False).plan.operations == []
    full = run_night(world, campus, remove, full=True)
    assert full.plan.counts() == {("group_member", "remove"): 1}


def test_a_group_deleted_by_hand_is_created_again_by_the_full_check(
    world: World, campus: Campus
) -> None:
    del world.groups[world.records[TD1].moodle_id]
    assert run_night(world, campus, full=False).plan.operations == []
    full = run_night(world, campus, full=True)
    assert full.plan.counts() == {("group", "create"): 1, ("group_member", "add"): 2}


def test_a_student_unenrolled_since_the_last_run_has_their_groups_read(
    world: World, campus: Campus
) -> None:
    # Moodle drops the memberships of an unenrolled student; enrolled again, they are back in
    # the course but not in its groups.
    world.members[world.records[TD1].moodle_id].discard(user(1))
    night = run_night(world, campus, full=False, unenrolled={MAT101: {user(1)}})
    assert night.plan.counts() == {("group_member", "add"): 1}
    # TD1 and the étape group GA of MAT101 hold student 1.
    assert world.reads["members"] == 2


def test_a_deferred_member_keeps_the_group_read_until_it_joins(
    world: World, campus: Campus
) -> None:
    campus.student(7, L1MATH, "MAT101")
    campus.join(7, 100)
    first = run_night(world, campus, full=False)
    assert [o.key for o in first.plan.operations] == [f"{TD1}|e7"]
    again = run_night(world, campus, full=False)
    assert [o.key for o in again.plan.operations] == [f"{TD1}|e7"]
    assert world.reads["members"] == 1
    world.enrol(1, user(7))
    joined = run_night(world, campus, full=False)
    assert joined.plan.counts() == {("group_member", "add"): 1}
    assert members_of(world, TD1) == {1, 2, 7}
    assert run_night(world, campus, full=False).plan.operations == []
    assert world.reads["members"] == 0


def test_vanished_groups_are_read_only_while_they_are_to_be_emptied(
    world: World, campus: Campus
) -> None:
    empty = GroupsSection(vanished_groups="empty")
    campus.drop_group(101)
    night = run_night(world, campus, empty, full=False)
    assert night.plan.counts() == {("group_member", "remove"): 2}
    assert members_of(world, TD2) == set()
    assert run_night(world, campus, empty, full=False).plan.operations == []
    assert world.reads["members"] == 0


def members_of(world: World, key: str) -> set[int]:
    return {u - 10000 for u in world.members[world.records[key].moodle_id]}
