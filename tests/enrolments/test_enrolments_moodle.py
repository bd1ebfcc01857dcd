"""The enrolments step with Moodle's enrol_database sync in the simulator (suspend mode):
what people see in Moodle night after night."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from jonction.config import Settings
from moodlesim.testing import RunningSimulator, running_simulator

from .world import (
    COURSES,
    STUDENTS,
    TEACHERS,
    make_world,
    reassign_ben_ali_td,
    rows,
    run,
    save,
    snapshot,
)

SETTINGS = [
    "remoteenroltable=jonction_enrolments",
    "remotecoursefield=course_idnumber",
    "remoteuserfield=username",
    "remoterolefield=role",
    "unenrolaction=2",
]
FOAD = "2026:SLV1U01"
EDITINGTEACHER = 3


class Moodle:
    """The simulator, through REST for what people see, through its database for ids."""

    def __init__(self, running: RunningSimulator, db_url: str) -> None:
        self.running = running
        self.engine = create_engine(db_url)
        self.course_ids: dict[str, int] = {}
        self.user_ids: dict[str, int] = {}

    def call(self, function: str, **params: Any) -> Any:
        data: dict[str, str] = {
            "wstoken": self.running.token,
            "wsfunction": function,
            "moodlewsrestformat": "json",
        }
        data.update(_flatten(params))
        answer = httpx.post(self.running.rest_url, data=data, timeout=60).json()
        assert not (isinstance(answer, dict) and "exception" in answer), answer
        return answer

    def setup(self, usernames: list[str]) -> None:
        courses = [
            {"fullname": code, "shortname": code, "categoryid": 1, "idnumber": idnumber}
            for code, idnumber in COURSES.items()
        ]
        for made in self.call("core_course_create_courses", courses=courses):
            self.course_ids[f"2026:{made['shortname']}"] = made["id"]
        users = [
            {"username": u, "firstname": u, "lastname": "T", "email": f"{u}@x.fr", "auth": "cas"}
            for u in usernames
        ]
        for made in self.call("core_user_create_users", users=users):
            self.user_ids[made["username"]] = made["id"]

    def people(self, course: str, active: bool = True) -> dict[str, list[str]]:
        options = [{"name": "onlyactive", "value": "1" if active else "0"}]
        found = self.call(
            "core_enrol_get_enrolled_users", courseid=self.course_ids[course], options=options
        )
        return {u["username"]: sorted(r["shortname"] for r in u.get("roles", [])) for u in found}

    def enrolment(self, course: str, user: str) -> tuple[int, int]:
        """(id, status) of the user's enrolment through the database method."""
        query = text(
            "SELECT ue.id, ue.status FROM mdl_user_enrolments ue "
            "JOIN mdl_enrol e ON e.id = ue.enrolid "
            "WHERE e.courseid = :course AND e.enrol = 'database' AND ue.userid = :user"
        )
        with self.engine.connect() as connection:
            row = connection.execute(
                query, {"course": self.course_ids[course], "user": self.user_ids[user]}
            ).one()
        return int(row[0]), int(row[1])


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)  # type: ignore[assignment]
    else:
        return {prefix: str(value)}
    flat: dict[str, str] = {}
    for key, item in items:
        flat.update(_flatten(item, f"{prefix}[{key}]" if prefix else str(key)))
    return flat


@pytest.fixture
def night(
    tmp_path: Path, ade_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Moodle]]:
    teachers = {**TEACHERS, "helene.oconnor@exemple-conseil.fr": "hoconnor"}
    settings = make_world(
        tmp_path, ade_samples, monkeypatch, teachers=teachers, hand_managed=frozenset({FOAD})
    )
    settings.ade.teacher_key = "code_or_email"
    db_url = f"sqlite:///{tmp_path / 'moodle.db'}"
    with running_simulator(
        db_url=db_url,
        latency_ms=0,
        cost_scale=0,
        enrol_db=settings.enrol_database.url,
        enrol_settings=SETTINGS,
    ) as running:
        settings.enrol_database.sync_url = f"{running.base_url}/admin/enrol_database_sync"
        settings.moodle.token = SecretStr(running.token)
        moodle = Moodle(running, db_url)
        people = [f"etu{n}" for n in range(STUDENTS)] + [*TEACHERS.values(), "hoconnor", "hand"]
        moodle.setup(people)
        # The FOAD course's teacher is enrolled by hand.
        moodle.call(
            "enrol_manual_enrol_users",
            enrolments=[
                {
                    "roleid": EDITINGTEACHER,
                    "userid": moodle.user_ids["hand"],
                    "courseid": moodle.course_ids[FOAD],
                }
            ],
        )
        yield settings, moodle
        moodle.engine.dispose()


def _sync_answer(settings: Settings) -> dict[str, Any]:
    (report,) = run(settings).steps
    assert report.status == "succeeded", report.error
    assert report.result is not None
    sync = report.result.stats.get("sync", {})
    return dict(sync)


def test_first_night_then_a_quiet_one(night: tuple[Settings, Moodle]) -> None:
    settings, moodle = night
    (first,) = run(settings).steps
    assert first.result is not None and first.status == "succeeded"
    sync = first.result.stats["sync"]
    assert sync["ok"] and sync["method"] == "url"
    assert first.calls["enrol_database_sync (url)"]["calls"] == 1
    analyse = moodle.people("2026:SMA1U01")
    assert analyse["adubois"] == ["editingteacher"] and analyse["fbenali"] == ["editingteacher"]
    assert sum(1 for roles in analyse.values() if roles == ["student"]) == STUDENTS
    # FOAD: students enrolled; O'Connor, scheduled there, gets nothing; the hand-made
    # teacher stays.
    foad = moodle.people(FOAD)
    assert foad["hand"] == ["editingteacher"] and "hoconnor" not in foad
    assert sum(1 for roles in foad.values() if roles == ["student"]) == STUDENTS
    # A second night: nothing written, no sync.
    (second,) = run(settings).steps
    assert second.plan is not None and second.plan.operations == []
    assert second.result is not None and "sync" not in second.result.stats


def test_a_row_removed_by_mistake_comes_back_with_the_same_enrolment(
    night: tuple[Settings, Moodle],
) -> None:
    settings, moodle = night
    _sync_answer(settings)
    before = moodle.enrolment("2026:SMA1U02", "etu5")
    assert before[1] == 0
    save(settings, snapshot(without=frozenset({5})))  # etu5's contract lost one night
    _sync_answer(settings)
    assert moodle.enrolment("2026:SMA1U02", "etu5") == (before[0], 1)  # suspended, kept
    assert "etu5" not in moodle.people("2026:SMA1U02")
    assert moodle.people("2026:SMA1U02", active=False)["etu5"] == ["student"]
    save(settings, snapshot())  # restored the next night
    _sync_answer(settings)
    assert moodle.enrolment("2026:SMA1U02", "etu5") == before  # the same enrolment, active
    assert moodle.people("2026:SMA1U02")["etu5"] == ["student"]


def test_a_student_moved_between_etapes(night: tuple[Settings, Moodle]) -> None:
    settings, moodle = night
    _sync_answer(settings)
    common = moodle.enrolment("2026:SMA1U01", "etu0")
    save(settings, snapshot(moved=True))
    _sync_answer(settings)
    assert moodle.enrolment("2026:SMA1U01", "etu0") == common  # never touched
    assert moodle.people("2026:SIN2U03")["etu0"] == ["student"]
    assert "etu0" not in moodle.people("2026:SMA1U02")


def test_an_unscheduled_teacher_keeps_the_course_during_the_grace_period(
    night: tuple[Settings, Moodle],
) -> None:
    settings, moodle = night
    _sync_answer(settings)
    reassign_ben_ali_td(settings)
    (report,) = run(settings).steps
    assert report.result is not None and "sync" not in report.result.stats  # only a mark
    assert moodle.people("2026:SMA1U01")["fbenali"] == ["editingteacher"]
    settings.policy.teacher_grace_days = 0  # the grace period is over
    _sync_answer(settings)
    assert "fbenali" not in moodle.people("2026:SMA1U01")
    assert moodle.people("2026:SMA1U02")["fbenali"] == ["editingteacher"]


def test_a_truncated_source_changes_nothing(night: tuple[Settings, Moodle]) -> None:
    settings, moodle = night
    _sync_answer(settings)
    table = rows(settings)
    seen = moodle.people("2026:SMA1U01")
    save(settings, snapshot(students=3))
    (report,) = run(settings).steps
    assert report.status == "blocked"
    assert rows(settings) == table and moodle.people("2026:SMA1U01") == seen
