"""The enrolments step through the runner: REFER in a database, ADE's saved answers, the
table on SQLite. The offer's catalogue and the accounts are small stand-ins here."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jonction.cli import app
from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.enrolments import RowKey
from jonction.domain.refer_model import (
    Element,
    Etape,
    EtapeKey,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
)
from jonction.enrolment_table.table import EnrolmentTable
from jonction.sources.refer.store import ensure_schema
from jonction.sources.refer.sync import save_snapshot
from jonction.steps import enrolments as step
from jonction.steps.runner import RunReport, run_steps

from .fakes import Catalogue, Directory

MATH = EtapeKey("SLMAT1", 101)
INFO = EtapeKey("SLINF1", 101)
COURSES = {code: f"2026:{code}" for code in ("SMA1U01", "SMA1U02", "SIN2U03", "SLV1U01")}


def _snapshot(students: int = 30, moved: bool = False) -> ReferSnapshot:
    snap = ReferSnapshot("2026")
    for key in (MATH, INFO):
        snap.etapes[key] = Etape(key, key.code, "SCI", False, ())
    for code in COURSES:
        snap.elements[code] = Element(code, code, code, "", "UE", "SCI", "S1", 6.0)
    for n in range(students):
        cod_ind = 1000 + n
        snap.students[cod_ind] = Student(cod_ind, f"226{cod_ind:05d}", f"NOM{n}", "Prénom")
        etape = INFO if (moved and n == 0) else MATH
        own = ("SMA1U01", "SMA1U02") if etape == MATH else ("SMA1U01", "SIN2U03")
        for element in (*own, "SLV1U01"):
            snap.pedagogical_registrations.append(PedagogicalRegistration(cod_ind, etape, element))
    return snap


@pytest.fixture
def world(tmp_path: Path, ade_samples: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.enrol_database.url = f"sqlite:///{tmp_path / 'enrol.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.apogee.years = ["2026"]
    ade = tmp_path / "ade"
    ade.mkdir()
    for name in ("getResources", "getEvents"):
        shutil.copy(ade_samples / f"sample-{name}.xml", ade / f"{name}.xml")
    settings.ade.path = ade
    _save(settings, _snapshot())
    students = {f"226{1000 + n:05d}": f"etu{n}" for n in range(30)}
    directory = Directory(students, {"104217": "adubois", "104388": "fbenali"})
    monkeypatch.setattr(step, "catalogue_index", lambda settings, snaps: Catalogue(COURSES))
    monkeypatch.setattr(step, "account_index", lambda ctx: directory)
    return settings


def _save(settings: Settings, snapshot: ReferSnapshot) -> None:
    engine = make_engine(settings.refer.url)
    ensure_schema(engine)
    save_snapshot(engine, snapshot)
    engine.dispose()


def _run(settings: Settings, force: bool = False) -> RunReport:
    return asyncio.run(run_steps(settings, ["enrolments"], force=["enrolments"] if force else []))


def _rows(settings: Settings) -> set[RowKey]:
    table = EnrolmentTable.open(settings.enrol_database)
    rows = set(table.read())
    table.engine.dispose()
    return rows


def test_first_run_then_a_quiet_rerun(world: Settings) -> None:
    report = _run(world)
    (first,) = report.steps
    assert first.status == "succeeded", first.error
    rows = _rows(world)
    assert len([r for r in rows if r.role == "student"]) == 90
    teachers = {(r.course, r.user) for r in rows if r.role == "editingteacher"}
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
    (second,) = _run(world).steps
    assert second.status == "succeeded" and second.plan is not None
    assert second.plan.operations == [] and second.result is not None
    assert second.result.outcomes == []  # no write, no sync


def test_a_student_moved_between_etapes_keeps_the_common_courses(world: Settings) -> None:
    _run(world)
    _save(world, _snapshot(moved=True))
    (report,) = _run(world).steps
    assert report.plan is not None
    changes = {(op.action.value, op.key) for op in report.plan.operations}
    # SMA1U01 and SLV1U01 are common to both étapes: untouched, never removed.
    assert changes == {
        ("add", "2026:SIN2U03|etu0|student"),
        ("remove", "2026:SMA1U02|etu0|student"),
    }


def test_a_truncated_source_changes_nothing(world: Settings) -> None:
    _run(world)
    before = _rows(world)
    _save(world, _snapshot(students=10))
    (report,) = _run(world).steps
    assert report.status == "blocked"
    assert "REFER's pedagogical registrations shrank from 90 to 30" in report.error
    assert _rows(world) == before
    # Forced, the smaller source is taken; it becomes the new reference.
    (forced,) = _run(world, force=True).steps
    assert forced.status == "succeeded"
    assert len([r for r in _rows(world) if r.role == "student"]) == 30


def test_an_empty_timetable_blocks_too(world: Settings) -> None:
    _run(world)
    assert world.ade.path is not None
    (world.ade.path / "getEvents.xml").write_text("<events/>")
    (report,) = _run(world).steps
    assert report.status == "blocked" and "ADE's events in the window shrank from 8" in report.error


def test_unreadable_timetable_leaves_teachers_alone(world: Settings) -> None:
    _run(world)
    assert world.ade.path is not None
    (world.ade.path / "getEvents.xml").write_text("<events><event")
    _save(world, _snapshot(moved=True))
    (report,) = _run(world).steps
    assert report.status == "succeeded" and report.plan is not None
    # The moved student's courses change; no teacher row moves.
    assert {op.key for op in report.plan.operations} == {
        "2026:SIN2U03|etu0|student",
        "2026:SMA1U02|etu0|student",
    }
    (notice,) = [n for n in report.plan.notices if n.kind == "ade_unavailable"]
    assert notice.severity == "error" and "not XML" in notice.message


def test_teacher_keeps_the_course_during_the_grace_period(world: Settings) -> None:
    _run(world)
    assert world.ade.path is not None
    events = (world.ade.path / "getEvents.xml").read_text()
    # Farid Ben Ali's TD of Analyse 1 is given to Anne Dubois.
    ben_ali_td = 'nodeId="910202" nodeOrId="-1" quantity="1" category="instructor"'
    (world.ade.path / "getEvents.xml").write_text(
        events.replace(
            f'{ben_ali_td} name="BEN ALI Farid" id="2012"',
            f'{ben_ali_td} name="DUBOIS Anne" id="2011"',
        )
    )
    (report,) = _run(world).steps
    assert report.plan is not None
    (op,) = report.plan.operations
    assert (op.action.value, op.key) == ("update", "2026:SMA1U01|fbenali|editingteacher")
    assert RowKey("2026:SMA1U01", "fbenali", "editingteacher") in _rows(world)


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
    assert _rows(world) == set()  # planning writes nothing (not even the table)
