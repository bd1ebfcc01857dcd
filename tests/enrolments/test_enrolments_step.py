"""The enrolments step through the runner: REFER in a database, ADE's saved answers, the
table on SQLite. The offer's catalogue and the accounts are small stand-ins here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from jonction.cli import app
from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.enrolments import RowKey
from jonction.journal.reading import run_operations
from jonction.journal.store import Journal

from .ade_server import AdeServer, serving
from .world import make_world, reassign_ben_ali_td, rows, run, save, snapshot


@pytest.fixture
def world(tmp_path: Path, ade_samples: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return make_world(tmp_path, ade_samples, monkeypatch)


def test_first_run_then_a_quiet_rerun(world: Settings) -> None:
    report = run(world)
    (first,) = report.steps
    assert first.status == "succeeded", first.error
    written = rows(world)
    assert len([r for r in written if r.role == "student"]) == 90
    teachers = {(r.course, r.user) for r in written if r.role == "editingteacher"}
    assert teachers == {
        ("2026:SMA1U01", "adubois"),
        ("2026:SMA1U01", "fbenali"),
        ("2026:SMA1U02", "adubois"),
        ("2026:SMA1U02", "fbenali"),
    }
    assert first.result is not None and first.result.stats["rows_added"] == 94
    assert first.result.stats["sync"] == {"method": "cron"}
    kinds = {n.kind for n in first.plan.notices} if first.plan else set()
    assert "instructor_without_key" in kinds  # Jérôme Nguyen and Hélène O'Connor: no code
    (second,) = run(world).steps
    assert second.status == "succeeded" and second.plan is not None
    assert second.plan.operations == [] and second.result is not None
    assert second.result.outcomes == []  # no write, no sync


def test_a_student_moved_between_etapes_keeps_the_common_courses(world: Settings) -> None:
    run(world)
    save(world, snapshot(moved=True))
    (report,) = run(world).steps
    assert report.plan is not None
    changes = {(op.action.value, op.key) for op in report.plan.operations}
    # SMA1U01 and SLV1U01 are common to both étapes: untouched, never removed.
    assert changes == {
        ("add", "2026:SIN2U03|etu0|student"),
        ("remove", "2026:SMA1U02|etu0|student"),
    }


def test_a_truncated_source_changes_nothing(world: Settings) -> None:
    run(world)
    before = rows(world)
    save(world, snapshot(students=10))
    (report,) = run(world).steps
    assert report.status == "blocked"
    assert "REFER's pedagogical registrations shrank from 90 to 30" in report.error
    assert rows(world) == before
    # Forced, the smaller source is taken; it becomes the new reference.
    (forced,) = run(world, force=True).steps
    assert forced.status == "succeeded"
    assert len([r for r in rows(world) if r.role == "student"]) == 30


def test_an_empty_timetable_blocks_too(world: Settings) -> None:
    run(world)
    assert world.ade.path is not None
    (world.ade.path / "getEvents.xml").write_text("<events/>")
    (report,) = run(world).steps
    assert report.status == "blocked" and "ADE's events in the window shrank from 8" in report.error


def test_unreadable_timetable_leaves_teachers_alone(world: Settings) -> None:
    run(world)
    assert world.ade.path is not None
    (world.ade.path / "getEvents.xml").write_text("<events><event")
    save(world, snapshot(moved=True))
    (report,) = run(world).steps
    assert report.status == "succeeded" and report.plan is not None
    # The moved student's courses change; no teacher row moves.
    assert {op.key for op in report.plan.operations} == {
        "2026:SIN2U03|etu0|student",
        "2026:SMA1U02|etu0|student",
    }
    (notice,) = [n for n in report.plan.notices if n.kind == "ade_unavailable"]
    assert notice.severity == "error" and "not XML" in notice.message


def test_teacher_keeps_the_course_during_the_grace_period(world: Settings) -> None:
    run(world)
    reassign_ben_ali_td(world)
    (report,) = run(world).steps
    assert report.plan is not None
    (op,) = report.plan.operations
    assert (op.action.value, op.key) == ("update", "2026:SMA1U01|fbenali|editingteacher")
    assert RowKey("2026:SMA1U01", "fbenali", "editingteacher") in rows(world)


def _environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "STATE__URL": settings.state.url,
        "REFER__URL": settings.refer.url,
        "ENROL_DATABASE__URL": settings.enrol_database.url,
        "PIPELINE__LOCK_FILE": str(settings.pipeline.lock_file),
        "APOGEE__YEARS": '["2026"]',
        "ADE__PATH": str(settings.ade.path),
    }
    for name, value in values.items():
        monkeypatch.setenv(f"JONCTION_{name}", value)
    monkeypatch.delenv("JONCTION_CONFIG", raising=False)


def test_plan_verb_prints_rows_with_their_reasons(
    world: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(world, monkeypatch)
    result = CliRunner().invoke(app, ["plan", "enrolments", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)["enrolments"]
    by_key = {op["key"]: op for op in plan["operations"]}
    assert len(by_key) == 94
    student = by_key["2026:SMA1U01|etu0|student"]
    assert student["action"] == "add" and student["scope"] == "2026:SMA1U01"
    assert student["reason"] == "registered to SMA1U01 through étape SLMAT1-101"
    assert student["source"]["registrations"] == [
        {
            "year": "2026",
            "cod_ind": 1000,
            "cod_etu": "22601000",
            "etape": "SLMAT1-101",
            "element": "SMA1U01",
        }
    ]
    teacher = by_key["2026:SMA1U01|adubois|editingteacher"]
    activity = teacher["source"]["schedulings"][0]["activities"][0]
    assert (activity["activity"], activity["events"], activity["first"]) == (
        "60101",
        2,
        "2026-09-07",
    )
    assert (
        "ADE activity 60101 «Analyse 1 - CM» (2 events, 2026-09-07 to 2026-09-14)"
        in teacher["reason"]
    )
    assert rows(world) == set()  # planning writes nothing (not even the table)


def test_the_registry_of_managed_rows_follows_the_table(world: Settings) -> None:
    (first,) = run(world).steps
    journal = Journal(make_engine(world.state.url))
    registry = journal.managed("enrolment")
    assert set(registry) == {str(key) for key in rows(world)}
    assert registry["2026:SMA1U01|etu0|student"].data == {
        "origin": "student",
        "missing_since": None,
    }
    assert first.result is not None and first.result.stats["managed_repaired"] is False
    save(world, snapshot(moved=True))
    run(world)
    registry = journal.managed("enrolment")
    assert "2026:SMA1U02|etu0|student" not in registry and "2026:SIN2U03|etu0|student" in registry
    # A run stopped between the table's commit and the registry's: the next one repairs it.
    journal.forget_managed("enrolment", ["2026:SIN2U03|etu0|student"])
    journal.save_managed("enrolment", [("2026:GONE|x|student", None, {})], None)
    journal.set_flag("enrolments.registry", "pending")
    (repaired,) = run(world).steps
    assert repaired.result is not None and repaired.result.stats["managed_repaired"] is True
    assert set(journal.managed("enrolment")) == {str(key) for key in rows(world)}


def test_teachers_from_the_web_api(world: Settings, ade_samples: Path) -> None:
    server = AdeServer(
        (ade_samples / "sample-getResources.xml").read_bytes(),
        (ade_samples / "sample-getEvents.xml").read_bytes(),
    )
    with serving(server) as url:
        world.ade.path = None
        world.ade.url = url
        world.ade.project_id = server.project_id
        world.ade.auth = "basic"
        world.ade.login = server.login
        world.ade.password = SecretStr(server.password)
        (report,) = run(world).steps
    assert report.status == "succeeded", report.error
    teachers = {(r.course, r.user) for r in rows(world) if r.role == "editingteacher"}
    assert teachers == {
        ("2026:SMA1U01", "adubois"),
        ("2026:SMA1U01", "fbenali"),
        ("2026:SMA1U02", "adubois"),
        ("2026:SMA1U02", "fbenali"),
    }
    (events,) = server.calls("getEvents")
    assert (events["startDate"], events["endDate"]) == ("07/01/2026", "06/30/2027")
    assert server.calls("disconnect") and server.sessions == {}


def test_a_run_stopped_before_the_sync_leaves_it_to_the_next_one(
    world: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jonction.steps import enrolments

    world.enrol_database.sync_command = "true"

    async def crash(*_: object, **__: object) -> None:
        raise OSError("the machine went down")

    working = enrolments.trigger_sync
    monkeypatch.setattr(enrolments, "trigger_sync", crash)
    report = run(world)
    (first,) = report.steps
    assert first.status == "failed" and "went down" in first.error
    assert len(rows(world)) == 94  # the table was written before the sync
    # and journaled while the sync was awaited: each row once, in order.
    assert report.run_id is not None
    journal = Journal(make_engine(world.state.url))
    written = list(run_operations(journal, report.run_id, "enrolments"))
    assert [op["seq"] for op in written] == list(range(94))
    assert {op["outcome"] for op in written} == {"applied"}
    monkeypatch.setattr(enrolments, "trigger_sync", working)
    (second,) = run(world).steps
    assert second.status == "succeeded", second.error
    assert second.result is not None
    [sync] = second.result.outcomes
    assert (sync.operation.kind, sync.outcome) == ("enrolment_sync", "applied")
    assert second.result.journaled == 0
    assert sync.operation.reason == "the last sync failed"
    (third,) = run(world).steps
    assert third.result is not None and third.result.outcomes == []  # nothing left to sync


def test_the_rows_are_journaled_while_moodle_syncs_then_the_sync(world: Settings) -> None:
    world.enrol_database.sync_command = "true"
    report = run(world)
    (step,) = report.steps
    assert step.status == "succeeded", step.error
    assert step.result is not None and step.result.journaled == 94
    assert report.run_id is not None
    journal = Journal(make_engine(world.state.url))
    written = list(run_operations(journal, report.run_id, "enrolments"))
    assert [op["seq"] for op in written] == list(range(95))
    assert [op["kind"] for op in written][-1] == "enrolment_sync"
