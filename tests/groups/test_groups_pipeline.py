"""The groups step after the real steps before it, in one run and in later runs: refer →
users → offer → enrolments (external table, Moodle's enrol_database sync) → groups.

What the sync enrolled is taken for granted (no enrolment read), the courses the offer step
created in the run are not read for their groups; a sync that failed leaves everything to be
checked; a student unenrolled by hand is refused by Moodle and deferred, and checked by a read
the next night. A quiet night reads no group's members; a full check catches a member removed
by hand.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from jonction.config import Settings
from jonction.domain.groups import MEMBER
from jonction.domain.plan import Action
from jonction.sources.generator.evolve import evolve
from jonction.steps import enrolments as enrolments_step
from jonction.steps.groups_moodle import MoodleGroups
from jonction.steps.runner import RunReport, StepReport, run_steps
from moodlesim.testing import RunningSimulator

from ..generated_university import generated_university

pytestmark = pytest.mark.slow
STEPS = ["refer", "users", "offer", "enrolments", "groups"]
ENROLMENT_READS = ("core_enrol_get_users_courses", "core_enrol_get_enrolled_users")


@pytest.fixture
def university(tmp_path: Path) -> Iterator[tuple[Settings, RunningSimulator, str]]:
    with generated_university(tmp_path, 120) as made:
        made.settings.moodle.backoff_s = 0
        yield made.settings, made.moodle, made.moodle_db


def night(settings: Settings, steps: list[str] = STEPS) -> dict[str, StepReport]:
    report: RunReport = asyncio.run(run_steps(settings, steps))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.error}"
    return {step.step: step for step in report.steps}


def memberships(moodle_db: str) -> set[tuple[int, int]]:
    engine = create_engine(moodle_db)
    with engine.connect() as connection:
        found = {
            (int(g), int(u))
            for g, u in connection.execute(text("SELECT groupid, userid FROM mdl_groups_members"))
        }
    engine.dispose()
    return found


def outcomes(step: StepReport) -> dict[str, int]:
    assert step.result is not None
    counts: dict[str, int] = {}
    for outcome in step.result.outcomes:
        if outcome.operation.kind == MEMBER:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    return counts


def sync_held_for(monkeypatch: pytest.MonkeyPatch, method: str) -> list[bool]:
    """Holds Moodle's sync (at most 10 s) until `MoodleGroups.<method>` has answered a call
    with something in it; returns, for each such call, whether it was answered while the sync
    ran. A step that made those calls only after the sync would be seen making them late."""
    syncing = False
    answered: list[bool] = []
    original, trigger = getattr(MoodleGroups, method), enrolments_step.trigger_sync

    async def noted(self: MoodleGroups, items: Sequence[Any]) -> Any:
        result = await original(self, items)
        if items:
            answered.append(syncing)
        return result

    async def held(*args: Any) -> Any:
        nonlocal syncing
        syncing = True
        for _ in range(200):
            if answered:
                break
            await asyncio.sleep(0.05)
        try:
            return await trigger(*args)
        finally:
            syncing = False

    monkeypatch.setattr(MoodleGroups, method, noted)
    monkeypatch.setattr(enrolments_step, "trigger_sync", held)
    return answered


def test_the_sync_is_trusted_and_new_courses_are_not_read(
    university: tuple[Settings, RunningSimulator, str],
) -> None:
    settings, _, moodle_db = university
    first = night(settings)
    groups = first["groups"]
    assert groups.plan is not None
    stats = groups.plan.stats
    # What it wants was computed while Moodle's sync ran (the runner's prepare_at).
    assert stats["groups_prepared_ahead"] == stats["groups_prepared_during_sync"] == 1
    assert stats["enrolments_known_from_sync"] > 0
    assert stats["courses_created_in_this_run"] > 0
    assert not set(ENROLMENT_READS) & set(groups.calls), groups.calls
    assert "core_group_get_course_groups" not in groups.calls
    done = outcomes(groups)
    assert done.get("applied", 0) > 0 and set(done) <= {"applied"}, done
    assert stats["members_deferred"] == 0
    added = memberships(moodle_db)
    assert len(added) == done["applied"]

    quiet = night(settings)["groups"]
    assert quiet.plan is not None and not quiet.plan.operations
    assert not set(ENROLMENT_READS) & set(quiet.calls)


def test_a_failed_sync_leaves_enrolments_to_be_read(
    university: tuple[Settings, RunningSimulator, str],
) -> None:
    settings, _, moodle_db = university
    settings.enrol_database.sync_url = "http://127.0.0.1:9/nothing-listens-here"
    report: RunReport = asyncio.run(run_steps(settings, STEPS))
    groups = {step.step: step for step in report.steps}["groups"]
    assert groups.status == "succeeded", groups.error
    assert groups.plan is not None
    assert groups.plan.stats["enrolments_known_from_sync"] == 0
    assert set(ENROLMENT_READS) & set(groups.calls)
    # Nobody is enrolled: every member is deferred, none sent.
    done = outcomes(groups)
    assert set(done) == {"deferred"}, done
    assert "core_group_add_group_members" not in groups.calls
    assert not memberships(moodle_db)


def test_a_student_unenrolled_by_hand_is_deferred_then_read(
    university: tuple[Settings, RunningSimulator, str],
) -> None:
    settings, _, moodle_db = university
    # The sync runs, then someone unenrols a student of a group's course in Moodle, before
    # the groups step (the run stops after enrolments: groups runs in the next one).
    night(settings, STEPS[:-1])
    planned: RunReport = asyncio.run(run_steps(settings, ["groups"], apply=False))
    (plan,) = [step.plan for step in planned.steps]
    assert plan is not None
    adds = [op for op in plan.operations if op.kind == MEMBER]
    user_id = int(dict(adds[0].after or {})["user_id"])
    course = adds[0].key.split("|", 1)[0]
    engine = create_engine(moodle_db)
    with engine.begin() as connection:
        gone = connection.execute(
            text(
                "DELETE FROM mdl_user_enrolments WHERE userid = :u AND enrolid IN "
                "(SELECT e.id FROM mdl_enrol e JOIN mdl_course c ON c.id = e.courseid "
                "WHERE c.idnumber = :c)"
            ),
            {"u": user_id, "c": course},
        )
        assert gone.rowcount == 1
    engine.dispose()
    groups = night(settings, ["groups"])["groups"]
    assert groups.result is not None
    deferred = [
        o for o in groups.result.outcomes if o.operation.kind == MEMBER and o.outcome == "deferred"
    ]
    assert deferred
    for outcome in deferred:
        assert dict(outcome.operation.after or {})["user_id"] == user_id
        assert outcome.operation.key.startswith(f"{course}|")
    assert not [o for o in groups.result.outcomes if o.outcome == "failed"]
    assert "core_enrol_get_enrolled_users" in groups.calls  # the refusal was checked

    # The next night checks that student by a read instead of trusting the table again, and
    # defers them without sending anything.
    again = night(settings, ["groups"])["groups"]
    assert again.result is not None
    assert {o.outcome for o in again.result.outcomes} == {"deferred"}
    assert "core_group_add_group_members" not in again.calls
    assert set(ENROLMENT_READS) & set(again.calls)


def test_a_quiet_night_reads_no_member_and_a_full_check_puts_back_one_removed_by_hand(
    university: tuple[Settings, RunningSimulator, str],
) -> None:
    settings, _, moodle_db = university
    first = night(settings)["groups"]
    assert first.plan is not None and first.plan.stats["groups_full_check"] == 1
    quiet = night(settings)["groups"]
    assert quiet.plan is not None and not quiet.plan.operations
    assert quiet.plan.stats["groups_full_check"] == 0
    assert quiet.plan.stats["groups_members_read"] == 0
    assert "core_group_get_group_members" not in quiet.calls
    # Someone removes a member by hand in Moodle: trusted to be there until the full check.
    before = memberships(moodle_db)
    group_id, user_id = min(before)
    engine = create_engine(moodle_db)
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM mdl_groups_members WHERE groupid = :g AND userid = :u"),
            {"g": group_id, "u": user_id},
        )
    engine.dispose()
    unseen = night(settings, ["groups"])["groups"]
    assert unseen.plan is not None and not unseen.plan.operations
    week = datetime.now(UTC) + timedelta(days=settings.groups.full_check_days)
    report: RunReport = asyncio.run(run_steps(settings, ["groups"], now=week))
    (full,) = report.steps
    assert full.status == "succeeded", full.error
    assert full.plan is not None and full.plan.stats["groups_full_check"] == 1
    assert "core_group_get_group_members" in full.calls
    assert outcomes(full) == {"applied": 1}
    assert memberships(moodle_db) == before


def test_a_large_enrolment_plan_lets_the_groups_prepare_only_after_the_sync(
    university: tuple[Settings, RunningSimulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The enrolments step holds its plan during the sync: beyond a size, the groups step's
    # preparation waits for the step's end instead of adding to it.
    settings, _, moodle_db = university
    monkeypatch.setattr(enrolments_step, "PREPARE_BESIDE_SYNC_ROWS", 10)
    groups = night(settings)["groups"]
    assert groups.plan is not None
    assert groups.plan.stats["groups_prepared_ahead"] == 1
    assert groups.plan.stats["groups_prepared_during_sync"] == 0
    assert outcomes(groups).get("applied", 0) > 0 and memberships(moodle_db)


def test_the_groups_are_read_while_moodle_syncs_the_enrolments(
    university: tuple[Settings, RunningSimulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The members of the groups do not depend on the enrolments: they are read while Moodle's
    # sync runs, which the night waits for anyway.
    settings, _, _ = university
    settings.enrol_database.sync_when_unchanged = True
    night(settings)
    read_while = sync_held_for(monkeypatch, "members")
    # A week later: the full check reads every managed group's members.
    week = datetime.now(UTC) + timedelta(days=settings.groups.full_check_days)
    report: RunReport = asyncio.run(run_steps(settings, STEPS, now=week))
    groups = {step.step: step for step in report.steps}["groups"]
    assert groups.status == "succeeded", groups.error
    assert groups.plan is not None
    assert groups.plan.stats["groups_prepared_during_sync"] == 1
    assert groups.plan.stats["groups_full_check"] == 1
    assert read_while and all(read_while), read_while
    # Its calls are the step's, in its journal.
    assert groups.calls["core_group_get_group_members"]["calls"] >= 1
    assert not groups.plan.operations


def test_plain_removals_are_sent_while_moodle_syncs_the_enrolments(
    university: tuple[Settings, RunningSimulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A removal needs no enrolment: the plan's plain removals go during the sync; the leaving
    # half of a move waits for its joining half.
    settings, _, moodle_db = university
    night(settings)
    evolve(settings.apogee.url, seed=2)
    removed_while = sync_held_for(monkeypatch, "remove_members")
    groups = night(settings)["groups"]
    assert groups.plan is not None and groups.result is not None
    early = groups.plan.stats["group_members_removed_during_sync"]
    removals = [
        o
        for o in groups.result.outcomes
        if o.operation.kind == MEMBER and o.operation.action is Action.REMOVE
    ]
    assert early == len(removals) > 0
    assert removed_while[0] is True
    assert {o.outcome for o in removals} == {"applied"}
    # Their calls are the step's, with those of the moves' leaving halves.
    moves = [o for o in groups.result.outcomes if o.operation.action is Action.MOVE]
    deleted = groups.calls["core_group_delete_group_members"]["items"]
    assert deleted == len(removals) + len(moves)
    # Each operation of the plan has one outcome.
    outcomes = Counter(id(o.operation) for o in groups.result.outcomes)
    assert outcomes == Counter(id(op) for op in groups.plan.operations)
    assert len({o.operation.key for o in removals}) == len(removals)
    # The records follow Moodle: the next night has nothing to do, and a full check agrees.
    assert not night(settings)["groups"].plan.operations  # type: ignore[union-attr]
    before = memberships(moodle_db)
    week = datetime.now(UTC) + timedelta(days=settings.groups.full_check_days)
    report: RunReport = asyncio.run(run_steps(settings, ["groups"], now=week))
    (full,) = report.steps
    assert full.plan is not None and not full.plan.operations
    assert memberships(moodle_db) == before


def test_a_guarded_plan_removes_nothing_during_the_sync(
    university: tuple[Settings, RunningSimulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _, _ = university
    night(settings)
    evolve(settings.apogee.url, seed=2)
    settings.guards.max_remove_share_by_kind = {MEMBER: 0.0}
    settings.guards.min_items_for_share = 1
    sent: list[int] = []
    remove = MoodleGroups.remove_members

    async def noted(self: MoodleGroups, items: Sequence[tuple[str, int, int]]) -> Any:
        sent.append(len(items))
        return await remove(self, items)

    monkeypatch.setattr(MoodleGroups, "remove_members", noted)
    report: RunReport = asyncio.run(run_steps(settings, STEPS))
    groups = {step.step: step for step in report.steps}["groups"]
    assert groups.status == "guarded", groups.error
    assert not any(sent)
