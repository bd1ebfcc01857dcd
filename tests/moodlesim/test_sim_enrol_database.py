"""Moodle's enrol_database sync against an external table, for each unenrolaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from moodlesim import CostModel

from .sim_support import TOKEN, SimClient

SETTINGS = {
    "remoteenroltable": "enrolments",
    "remotecoursefield": "course_idnumber",
    "remoteuserfield": "username",
    "remoterolefield": "role",
}


class ExternalTable:
    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self.engine = create_engine(self.url)
        with self.engine.begin() as conn:
            conn.execute(
                text("CREATE TABLE enrolments (course_idnumber TEXT, username TEXT, role TEXT)")
            )

    def set(self, rows: list[tuple[str, str, str]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM enrolments"))
            for course, user, role in rows:
                conn.execute(
                    text("INSERT INTO enrolments VALUES (:c, :u, :r)"),
                    {"c": course, "u": user, "r": role},
                )


@pytest.fixture
def external(tmp_path: Path) -> ExternalTable:
    table = ExternalTable(tmp_path / "external.db")
    yield table
    table.engine.dispose()


def make_site(make_sim: Callable[..., SimClient], external_url: str, **settings: str) -> SimClient:
    pairs = {**SETTINGS, **settings}
    sim = make_sim(enrol_db_url=external_url, enrol_settings=pairs)
    sim.call(
        "core_course_create_courses",
        courses=[
            {"fullname": "Course A", "shortname": "CA", "categoryid": 1, "idnumber": "CA"},
            {"fullname": "Course B", "shortname": "CB", "categoryid": 1, "idnumber": "CB"},
        ],
    )
    sim.call(
        "core_user_create_users",
        users=[
            {
                "username": n,
                "firstname": n,
                "lastname": "T",
                "email": f"{n}@example.com",
                "auth": "cas",
            }
            for n in ("ann", "bob", "cyd")
        ],
    )
    return sim


def sync(sim: SimClient) -> dict[str, Any]:
    response = sim.admin("enrol_database_sync")
    assert response.status_code == 200, response.text
    return dict(response.json())


def state(sim: SimClient, course: int, onlyactive: bool = False) -> dict[str, list[str]]:
    options = [{"name": "onlyactive", "value": "1" if onlyactive else "0"}]
    users = sim.call("core_enrol_get_enrolled_users", courseid=course, options=options)
    return {u["username"]: [r["shortname"] for r in u.get("roles", [])] for u in users}


def test_first_sync_enrols_and_skips_unknown_rows(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url)
    external.set(
        [
            ("CA", "ann", "student"),
            ("CA", "bob", "editingteacher"),
            ("CA", "bob", "student"),
            ("CB", "ann", ""),
            ("CA", "zed", "student"),
            ("NOPE", "ann", "student"),
            ("CB", "cyd", "nosuchrole"),
        ]
    )
    summary = sync(sim)
    assert (summary["enrolled"], summary["roles_assigned"], summary["instances_created"]) == (
        4,
        1,
        2,
    )
    assert summary["skipped"] == 2
    reasons = {(s["reason"], s["course"], s["user"]) for s in summary["skipped_rows"]}
    assert reasons == {("unknown user", "CA", "zed"), ("unknown course", "NOPE", "ann")}
    assert any("following courses do not exist - NOPE" in line for line in summary["log"])
    assert state(sim, 2) == {"ann": ["student"], "bob": ["editingteacher", "student"]}
    # An empty or unknown role falls back to the default role (student).
    assert state(sim, 3) == {"ann": ["student"], "cyd": ["student"]}
    methods = sim.call("core_course_get_courses_by_field", field="id", value="2")["courses"][0]
    assert methods["enrollmentmethods"] == ["manual", "database"]
    assert summary["seconds"] == 0  # the test simulator runs without cost
    again = sync(sim)
    assert (again["enrolled"], again["roles_assigned"], again["unenrolled"]) == (0, 0, 0)


def test_unenrol_action_unenrols_and_removes_groups(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url, unenrolaction="0")
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    sync(sim)
    sim.call("core_group_create_groups", groups=[{"courseid": 2, "name": "G", "description": ""}])
    assert sim.call("core_group_add_group_members", members=[{"groupid": 1, "userid": 5}]) is None
    external.set([("CA", "ann", "student")])
    assert sync(sim)["unenrolled"] == 1
    assert state(sim, 2) == {"ann": ["student"]}
    assert sim.call("core_group_get_group_members", groupids=[1]) == [{"groupid": 1, "userids": []}]


def test_empty_table_never_unenrols_everybody(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url, unenrolaction="0")
    external.set([("CA", "ann", "student")])
    sync(sim)
    external.set([])
    assert sync(sim)["unenrolled"] == 0
    assert state(sim, 2) == {"ann": ["student"]}


def test_keep_action_only_adds(make_sim: Callable[..., SimClient], external: ExternalTable) -> None:
    sim = make_site(make_sim, external.url, unenrolaction="1")
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    sync(sim)
    external.set([("CA", "ann", "student")])
    summary = sync(sim)
    assert (summary["unenrolled"], summary["suspended"]) == (0, 0)
    assert state(sim, 2, onlyactive=True) == {"ann": ["student"], "bob": ["student"]}


def test_suspend_action_suspends_then_reactivates(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url, unenrolaction="2")
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    sync(sim)
    external.set([("CA", "ann", "student")])
    assert sync(sim)["suspended"] == 1
    assert state(sim, 2, onlyactive=True) == {"ann": ["student"]}
    assert state(sim, 2) == {"ann": ["student"], "bob": ["student"]}  # kept, with its role
    # A suspended user still counts as enrolled for groups.
    sim.call("core_group_create_groups", groups=[{"courseid": 2, "name": "G", "description": ""}])
    assert sim.call("core_group_add_group_members", members=[{"groupid": 1, "userid": 5}]) is None
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    assert sync(sim)["reactivated"] == 1
    assert state(sim, 2, onlyactive=True) == {"ann": ["student"], "bob": ["student"]}


def test_suspend_and_remove_roles(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url, unenrolaction="3")
    external.set([("CA", "ann", "student"), ("CA", "bob", "editingteacher")])
    sync(sim)
    external.set([("CA", "ann", "student")])
    summary = sync(sim)
    assert (summary["suspended"], summary["roles_unassigned"]) == (1, 1)
    assert state(sim, 2) == {"ann": ["student"], "bob": []}
    external.set([("CA", "ann", "student"), ("CA", "bob", "teacher")])
    summary = sync(sim)
    assert summary["reactivated"] == 1
    assert state(sim, 2, onlyactive=True) == {"ann": ["student"], "bob": ["teacher"]}


def test_role_changes(make_sim: Callable[..., SimClient], external: ExternalTable) -> None:
    sim = make_site(make_sim, external.url)
    external.set([("CA", "ann", "student")])
    sync(sim)
    external.set([("CA", "ann", "teacher")])
    summary = sync(sim)
    assert (summary["roles_assigned"], summary["roles_unassigned"]) == (1, 1)
    assert state(sim, 2) == {"ann": ["teacher"]}


def test_manual_and_database_enrolments_coexist(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url, unenrolaction="0")
    sim.call("enrol_manual_enrol_users", enrolments=[{"roleid": 3, "userid": 4, "courseid": 2}])
    external.set([("CA", "ann", "student")])
    sync(sim)
    assert state(sim, 2) == {"ann": ["editingteacher", "student"]}
    external.set([("CB", "bob", "student")])
    sync(sim)
    # The manual enrolment and its role remain.
    assert state(sim, 2) == {"ann": ["editingteacher"]}


def test_cost_follows_the_measured_model(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    sim = make_site(make_sim, external.url)
    sim.simulator.enrol_sync.cost = CostModel(latency_ms=0, scale=0.001)  # type: ignore[union-attr]
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    first = sync(sim)
    assert first["cost_ms"] == pytest.approx(0.001 * (156 + 2 * 0.037 + 2 * 5.3))
    stats = sim.get("/admin/stats", wstoken=sim.simulator.config.token).json()
    assert stats["enrol_database_sync"]["runs"] == 1


def test_sync_needs_configuration_and_token(sim: SimClient) -> None:
    assert sim.admin("enrol_database_sync").status_code == 409
    assert sim.post({"wstoken": "wrong"}, path="/admin/enrol_database_sync").status_code == 403


def test_settings_are_checked() -> None:
    from moodlesim.enrol_database import EnrolDatabaseSettings

    with pytest.raises(ValueError, match="unknown enrol_database setting"):
        EnrolDatabaseSettings.from_settings({"remotetable": "x"})
    with pytest.raises(ValueError, match="unenrolaction"):
        EnrolDatabaseSettings.from_settings({"unenrolaction": "7"})
    with pytest.raises(ValueError, match="not a table or column name"):
        EnrolDatabaseSettings.from_settings({"remoteenroltable": "x; DROP TABLE y"})


@pytest.mark.postgres
def test_external_table_on_postgresql(
    make_sim: Callable[..., SimClient], postgres_url: str
) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE enrolments (course_idnumber TEXT, username TEXT, role TEXT)")
        )
        conn.execute(
            text("INSERT INTO enrolments VALUES ('CA', 'ann', 'student'), ('CB', 'bob', NULL)")
        )
    engine.dispose()
    sim = make_site(make_sim, postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    summary = sync(sim)
    assert (summary["rows"], summary["enrolled"]) == (2, 2)
    assert state(sim, 3) == {"bob": ["student"]}


def test_calls_are_served_while_the_sync_decides(
    make_sim: Callable[..., SimClient], external: ExternalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real Moodle runs the sync as a task of its own, beside its web service workers; the
    # simulator's sync decides on a snapshot meanwhile, then writes between two calls.
    sim = make_site(make_sim, external.url)
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    plugin = sim.simulator.enrol_sync
    assert plugin is not None
    decide, started, release = plugin.decide, threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        started.set()
        assert release.wait(30), "the test never let the sync go on"
        return decide(*args)

    monkeypatch.setattr(plugin, "decide", held)
    syncing = sim.start_post({"wstoken": TOKEN}, path="/admin/enrol_database_sync")
    try:
        assert started.wait(10)
        read = sim.start_call("core_course_get_courses_by_field", field="idnumber", value="CA")
        write = sim.start_call(
            "core_group_create_groups", groups=[{"courseid": 2, "name": "G", "description": ""}]
        )
        try:
            answers = read.result(timeout=10), write.result(timeout=10)
        except FutureTimeout:
            pytest.fail("a call waited for the enrol_database sync")
        assert answers[0].json()["courses"][0]["shortname"] == "CA"
        assert answers[1].json()[0]["name"] == "G"
        assert not syncing.done()
    finally:
        release.set()
    assert syncing.result(timeout=30).json()["enrolled"] == 2
    assert state(sim, 2) == {"ann": ["student"], "bob": ["student"]}
    # The ids it took (an enrolment instance) are not given again.
    sim.call(
        "core_course_create_courses",
        courses=[{"fullname": "Course C", "shortname": "CC", "categoryid": 1, "idnumber": "CC"}],
    )
    external.set([("CA", "ann", "student"), ("CC", "bob", "student")])
    summary = sync(sim)
    assert (summary["instances_created"], summary["suspended"]) == (1, 0)
    assert summary["unenrolled"] == 1  # the default unenrolaction: unenrol
    assert state(sim, 4) == {"bob": ["student"]}


def test_the_sync_in_a_process_of_its_own(
    make_sim: Callable[..., SimClient], external: ExternalTable, tmp_path: Path
) -> None:
    # As Moodle's cron runs it, apart from the web service's workers (the benchmark's way).
    sim = make_sim(enrol_db_url=external.url, enrol_settings=SETTINGS, sync_process=True)
    sim.call(
        "core_course_create_courses",
        courses=[{"fullname": "Course A", "shortname": "CA", "categoryid": 1, "idnumber": "CA"}],
    )
    sim.call(
        "core_user_create_users",
        users=[
            {
                "username": "ann",
                "firstname": "A",
                "lastname": "T",
                "email": "a@x.org",
                "auth": "cas",
            }
        ],
    )
    external.set([("CA", "ann", "student")])
    summary = sync(sim)
    assert (summary["enrolled"], summary["instances_created"]) == (1, 1)
    assert state(sim, 2) == {"ann": ["student"]}
    # The ids it took are the simulator's: a course made now and its instance get new ones.
    sim.call(
        "core_course_create_courses",
        courses=[{"fullname": "Course B", "shortname": "CB", "categoryid": 1, "idnumber": "CB"}],
    )
    external.set([("CA", "ann", "student"), ("CB", "ann", "student")])
    assert sync(sim)["instances_created"] == 1
    engine = create_engine(sim.simulator.config.db_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, courseid, enrol FROM mdl_enrol")).all()
    engine.dispose()
    assert len({row.id for row in rows}) == len(rows)
    assert sorted(row.courseid for row in rows if row.enrol == "database") == [2, 3]
    # A failing sync reports its error and leaves the simulator serving.
    with external.engine.begin() as connection:
        connection.execute(text("DROP TABLE enrolments"))
    assert sim.admin("enrol_database_sync").status_code == 500
    assert state(sim, 3) == {"ann": ["student"]}


def test_the_sync_takes_a_share_of_its_cost(
    make_sim: Callable[..., SimClient], external: ExternalTable
) -> None:
    # A benchmark skips a first sync's hour (0) and waits the later ones out (1).
    sim = make_site(make_sim, external.url)
    # The sync at its measured cost (the test simulator's costs are all zero).
    sim.simulator.enrol_sync.cost = CostModel(latency_ms=0)  # type: ignore[union-attr]
    external.set([("CA", "ann", "student"), ("CA", "bob", "student")])
    assert sim.admin("settings", sync_scale="-1").status_code == 400
    assert sim.admin("settings", sync_scale="0.01").json()["sync_scale"] == 0.01
    summary = sync(sim)
    full = CostModel(latency_ms=0).sync(2, 2, 0)
    assert summary["cost_ms"] == pytest.approx(full * 0.01)
    assert summary["seconds"] == pytest.approx(full * 0.01 / 1000, abs=0.001)
