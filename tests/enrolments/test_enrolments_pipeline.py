"""A generated university through the whole pipeline into the simulator, enrol_database in
suspend mode: first night, a quiet night, a night of change (evolve), a truncated timetable.

refer → users → offer → enrolments: every row of the table names an account and a course
that exist (the sync skips none), teachers come from the timetable, FOAD courses keep their
hand-enrolled teacher; after `evolve`, students who changed étape are suspended from the
courses of the old étape only, keep those common to both (same enrolment, never suspended)
and join the new ones; the teacher who lost his ADE participations keeps his courses during
the grace period. (test_enrolments_moodle.py has a move with courses in common for sure.)
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.course_map import build_course_map
from jonction.domain.enrolment_fields import OneRegistration, RowColumns, RowSource
from jonction.domain.enrolments import RowKey
from jonction.domain.plan import Action, Operation, Plan
from jonction.journal.schema import operations
from jonction.journal.store import Journal
from jonction.sources.generator.evolve import evolve
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps.runner import RunReport, run_steps
from moodlesim.testing import RunningSimulator

from ..generated_university import YEAR, generated_university
from .world import rows

pytestmark = pytest.mark.slow
STEPS = ["refer", "users", "offer", "enrolments"]
EDITINGTEACHER = 3


@pytest.fixture
def university(tmp_path: Path) -> Iterator[tuple[Settings, RunningSimulator, str]]:
    with generated_university(tmp_path, 200) as made:
        yield made.settings, made.moodle, made.moodle_db


def night(settings: Settings) -> RunReport:
    report = asyncio.run(run_steps(settings, STEPS))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.error}"
    return report


def enrolments_of(report: RunReport) -> tuple[Plan, dict[str, Any]]:
    step = report.steps[-1]
    assert step.step == "enrolments" and step.plan is not None and step.result is not None
    return step.plan, step.result.stats


def call(moodle: RunningSimulator, function: str, **fields: str) -> Any:
    data = {"wstoken": moodle.token, "wsfunction": function, "moodlewsrestformat": "json"}
    answer = httpx.post(moodle.rest_url, data={**data, **fields}, timeout=60).json()
    assert not (isinstance(answer, dict) and "exception" in answer), answer
    return answer


def enrolments(moodle_db: str) -> dict[tuple[str, str], tuple[int, int, frozenset[str]]]:
    """(course idnumber, username) → (enrolment id, status, roles) of the database method."""
    engine = create_engine(moodle_db)
    query = text(
        "SELECT c.idnumber, u.username, ue.id, ue.status, r.shortname "
        "FROM mdl_user_enrolments ue JOIN mdl_enrol e ON e.id = ue.enrolid "
        "JOIN mdl_course c ON c.id = e.courseid JOIN mdl_user u ON u.id = ue.userid "
        "JOIN mdl_context x ON x.instanceid = c.id AND x.contextlevel = 50 "
        "LEFT JOIN mdl_role_assignments ra ON ra.userid = u.id AND ra.contextid = x.id "
        "AND ra.component = 'enrol_database' AND ra.itemid = e.id "
        "LEFT JOIN mdl_role r ON r.id = ra.roleid WHERE e.enrol = 'database'"
    )
    found: dict[tuple[str, str], tuple[int, int, frozenset[str]]] = {}
    with engine.connect() as connection:
        for course, user, ident, status, role in connection.execute(query):
            _, _, roles = found.get((course, user), (0, 0, frozenset()))
            found[(course, user)] = (ident, status, roles | ({role} if role else set()))
    engine.dispose()
    return found


def test_a_generated_university_night_after_night(
    university: tuple[Settings, RunningSimulator, str],
) -> None:
    settings, moodle, moodle_db = university

    # Before the first night, a FOAD course's teacher will be enrolled by hand: find one.
    asyncio.run(run_steps(settings, ["refer"]))
    snapshot = load_snapshot(open_refer(settings), YEAR, exclusions=False)
    course_map = build_course_map(snapshot, settings.policy)
    foad = sorted(i for i, c in course_map.courses.items() if c.foad_managed)
    assert foad, "the generated university has FOAD courses"

    # First night, the directory and the timetable read ahead in processes of their own.
    settings.pipeline.read_ahead = True
    report = night(settings)
    first, stats = enrolments_of(report)
    users = next(step for step in report.steps if step.step == "users")
    assert users.plan is not None and users.plan.stats["directory_read_ahead"] == 1
    assert first.stats["timetable_read_ahead"] == 1
    assert stats["sync"]["ok"] and stats["sync"]["answer"]["skipped"] == 0
    table = rows(settings)
    assert stats["rows_added"] == len(table) > 1000
    teachers = {r for r in table if r.role == "editingteacher"}
    assert teachers and not {r for r in teachers if r.course in foad}
    seen = enrolments(moodle_db)
    assert {(r.course, r.user) for r in table} == set(seen)
    assert all(status == 0 for _, status, _ in seen.values())
    hand_course = next(c for c in foad if any(r.course == c for r in table))
    course_id = call(
        moodle, "core_course_get_courses_by_field", field="idnumber", value=hand_course
    )
    user = call(moodle, "core_user_get_users_by_field", field="username", **{"values[0]": "admin"})
    call(
        moodle,
        "enrol_manual_enrol_users",
        **{
            "enrolments[0][roleid]": str(EDITINGTEACHER),
            "enrolments[0][userid]": str(user[0]["id"]),
            "enrolments[0][courseid]": str(course_id["courses"][0]["id"]),
        },
    )
    reasons = {op.key: op for op in first.operations}
    some_teacher = sorted(teachers)[0]
    assert "ADE activity" in reasons[str(some_teacher)].reason
    assert reasons[str(some_teacher)].source["schedulings"][0]["activities"]

    # A quiet night: nothing written, no sync.
    quiet, stats = enrolments_of(night(settings))
    assert quiet.operations == [] and "sync" not in stats

    # A night of change.
    changes = evolve(settings.apogee.url, seed=2).details
    assert changes.get("etape_changes")
    before_table, before_moodle = rows(settings), enrolments(moodle_db)
    changed, stats = enrolments_of(night(settings))
    assert stats["sync"]["ok"] and stats["sync"]["answer"]["skipped"] == 0
    after_table, after_moodle = rows(settings), enrolments(moodle_db)
    # Students who changed étape: what both étapes give was never removed nor suspended.
    journal = Journal(make_engine(settings.state.url))
    usernames = {
        str(item.data.get("student_id")): name for name, item in journal.managed("user").items()
    }
    numbers = {s.cod_ind: s.cod_etu for s in snapshot.students.values()}
    checked = 0
    for cod_ind, *_ in changes["etape_changes"]:
        username = usernames.get(str(numbers.get(cod_ind)))
        if username is None:
            continue
        old = {(r.course, r.user) for r in before_table if r.user == username}
        new = {(r.course, r.user) for r in after_table if r.user == username}
        assert old and new and old != new
        for place in old & new:  # what both étapes give: the same enrolment, still active
            assert before_moodle[place] == after_moodle[place] and after_moodle[place][1] == 0
        for place in old - new:  # left behind: suspended, kept
            assert after_moodle[place][0] == before_moodle[place][0]
            assert after_moodle[place][1] == 1
        for place in new - old:
            assert after_moodle[place][1] == 0
        checked += 1
    assert checked > 0
    # The teacher who lost his participations keeps his courses during the grace period.
    marked = [op for op in changed.operations if op.action == Action.UPDATE]
    assert marked and all(op.source.get("origin") == "teacher" for op in marked)
    for op in marked:
        key = RowKey(*op.key.split("|"))
        assert key in after_table and after_moodle[(key.course, key.user)][1] == 0
    removed = [op for op in changed.operations if op.action == Action.REMOVE]
    assert removed and all(op.source["origin"] == "student" for op in removed)
    # The hand-enrolled FOAD teacher is still there.
    foad_people = call(
        moodle,
        "core_enrol_get_enrolled_users",
        courseid=str(course_id["courses"][0]["id"]),
    )
    assert any(p["username"] == "admin" for p in foad_people)

    # A timetable that looks truncated: the step stops, nothing changes.
    assert settings.ade.path is not None
    (settings.ade.path / "getEvents.xml").write_text("<events/>")
    report = asyncio.run(run_steps(settings, STEPS))
    last = report.steps[-1]
    assert last.status == "blocked" and "ADE's events" in last.error
    assert rows(settings) == after_table and enrolments(moodle_db) == after_moodle


def _enrolment_objects() -> int:
    """Enrolment operations and their compact fields alive in the process."""
    gc.collect()
    return sum(
        1
        for item in gc.get_objects()
        if (isinstance(item, Operation) and item.kind == "enrolment")
        or isinstance(item, RowColumns | OneRegistration | RowSource)
    )


def test_a_night_keeps_nothing_of_the_plan_once_journaled(
    university: tuple[Settings, RunningSimulator, str],
) -> None:
    settings, _, _ = university
    alive = _enrolment_objects()
    report = asyncio.run(run_steps(settings, STEPS, keep_details=False))
    step = report.steps[-1]
    assert step.status == "succeeded" and step.plan is None and step.result is None
    assert _enrolment_objects() == alive
    # … and the journal has every row added, with its reason and source.
    added = step.changes[("enrolment", "add", "applied")]
    assert added > 1000 and added == len(rows(settings))
    engine = make_engine(settings.state.url)
    with engine.connect() as connection:
        journaled = connection.execute(
            select(operations.c.reason, operations.c.source).where(
                operations.c.kind == "enrolment", operations.c.action == "add"
            )
        ).all()
    engine.dispose()
    assert len(journaled) == added
    assert all(
        reason and source["origin"] in ("student", "teacher") for reason, source in journaled
    )
