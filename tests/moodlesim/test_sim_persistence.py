"""State survives a restart, burnt ids included; PostgreSQL works as well as SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodlesim import CostModel, Simulator, SimulatorConfig

from .sim_support import TOKEN, SimClient


def start(url: str) -> SimClient:
    return SimClient(
        Simulator(SimulatorConfig(token=TOKEN, db_url=url, cost=CostModel(latency_ms=0, scale=0)))
    )


def scenario_then_restart(url: str) -> None:
    sim = start(url)
    try:
        assert (
            sim.call("core_course_create_categories", categories=[{"name": "A", "idnumber": "A"}])[
                0
            ]["id"]
            == 2
        )
        failed = sim.call(
            "core_course_create_categories",
            categories=[{"name": "B", "idnumber": "B"}, {"name": "A again", "idnumber": "A"}],
        )
        assert failed["errorcode"] == "categoryidnumbertaken"
        created = sim.call(
            "core_course_create_courses",
            courses=[{"fullname": "X", "shortname": "X", "categoryid": 2, "idnumber": "X"}],
        )
        assert created == [{"id": 2, "shortname": "X"}]
        sim.call(
            "core_user_create_users",
            users=[
                {
                    "username": "ann",
                    "firstname": "A",
                    "lastname": "B",
                    "email": "a@x.org",
                    "auth": "cas",
                }
            ],
        )
        sim.call("enrol_manual_enrol_users", enrolments=[{"roleid": 5, "userid": 4, "courseid": 2}])
    finally:
        sim.close()
    again = start(url)
    try:
        # Id 3 was burnt by the failed batch before the restart: the next category gets 4.
        assert again.call("core_course_create_categories", categories=[{"name": "C"}])[0]["id"] == 4
        assert [c["id"] for c in again.call("core_course_get_categories")] == [1, 2, 4]
        users = again.call("core_enrol_get_enrolled_users", courseid=2)
        assert [(u["username"], u["roles"][0]["shortname"]) for u in users] == [("ann", "student")]
        sortorder = again.call("core_course_get_courses_by_field", field="idnumber", value="X")
        assert sortorder["courses"][0]["sortorder"] == 20001
        next_course = again.call(
            "core_course_create_courses",
            courses=[{"fullname": "Y", "shortname": "Y", "categoryid": 2}],
        )
        assert next_course[0]["id"] == 3
    finally:
        again.close()


def test_restart_keeps_the_state_sqlite(tmp_path: Path) -> None:
    scenario_then_restart(f"sqlite:///{tmp_path / 'moodle.db'}")


@pytest.mark.postgres
def test_restart_keeps_the_state_postgresql(postgres_url: str) -> None:
    # The URL names the psycopg driver; the simulator also adds it to a bare postgresql:// URL.
    scenario_then_restart(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
