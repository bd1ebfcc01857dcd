"""A small university for the step's tests: REFER in SQLite, ADE's sample answers saved to
a folder, the external table in SQLite. The offer's catalogue and the accounts are stand-ins
(fakes.py): the whole pipeline is exercised in test_enrolments_pipeline.py."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

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
from jonction.moodle.enrol_table import EnrolmentTable
from jonction.sources.refer.store import ensure_schema
from jonction.sources.refer.sync import save_snapshot
from jonction.steps import enrolments as step
from jonction.steps.base import StepContext
from jonction.steps.runner import RunReport, run_steps

from .fakes import Catalogue, Directory

MATH = EtapeKey("SLMAT1", 101)
INFO = EtapeKey("SLINF1", 101)
COURSES = {code: f"2026:{code}" for code in ("SMA1U01", "SMA1U02", "SIN2U03", "SLV1U01")}
TEACHERS = {"104217": "adubois", "104388": "fbenali"}
STUDENTS = 30


def student_number(n: int) -> str:
    return f"226{1000 + n:05d}"


def snapshot(
    students: int = STUDENTS, moved: bool = False, without: frozenset[int] = frozenset()
) -> ReferSnapshot:
    """Students etu0… of L1 Maths (SMA1U01, SMA1U02, SLV1U01); `moved`: etu0 is in L1 Info
    (SMA1U01, SIN2U03, SLV1U01) instead; `without`: students without registration."""
    snap = ReferSnapshot("2026")
    for key in (MATH, INFO):
        snap.etapes[key] = Etape(key, key.code, "SCI", False, ())
    for code in COURSES:
        snap.elements[code] = Element(code, code, code, "", "UE", "SCI", "S1", 6.0)
    for n in range(students):
        cod_ind = 1000 + n
        snap.students[cod_ind] = Student(cod_ind, student_number(n), f"NOM{n}", "Prénom")
        if n in without:
            continue
        etape = INFO if (moved and n == 0) else MATH
        own = ("SMA1U01", "SMA1U02") if etape == MATH else ("SMA1U01", "SIN2U03")
        for element in (*own, "SLV1U01"):
            snap.pedagogical_registrations.append(PedagogicalRegistration(cod_ind, etape, element))
    return snap


def save(settings: Settings, snap: ReferSnapshot) -> None:
    engine = make_engine(settings.refer.url)
    ensure_schema(engine)
    save_snapshot(engine, snap)
    engine.dispose()


def make_world(
    tmp_path: Path,
    ade_samples: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    teachers: dict[str, str] | None = None,
    hand_managed: frozenset[str] = frozenset(),
) -> Settings:
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
    save(settings, snapshot())
    students = {student_number(n): f"etu{n}" for n in range(STUDENTS)}
    directory = Directory(students, teachers if teachers is not None else TEACHERS)
    catalogue = Catalogue(COURSES, hand_managed=set(hand_managed))

    async def offer_courses(ctx: StepContext, snaps: list[ReferSnapshot]) -> Catalogue:
        return catalogue

    monkeypatch.setattr(step, "offer_courses", offer_courses)
    monkeypatch.setattr(step, "account_index", lambda ctx: directory)
    return settings


def run(settings: Settings, force: bool = False) -> RunReport:
    return asyncio.run(run_steps(settings, ["enrolments"], force=["enrolments"] if force else []))


def rows(settings: Settings) -> set[RowKey]:
    table = EnrolmentTable.open(settings.enrol_database)
    found = set(table.read())
    table.engine.dispose()
    return found


def reassign_ben_ali_td(settings: Settings) -> None:
    """Farid Ben Ali's TD of Analyse 1 (SMA1U01) is given to Anne Dubois in ADE; he keeps
    Algèbre linéaire 1 (SMA1U02)."""
    assert settings.ade.path is not None
    events = settings.ade.path / "getEvents.xml"
    node = 'nodeId="910202" nodeOrId="-1" quantity="1" category="instructor"'
    events.write_text(
        events.read_text().replace(
            f'{node} name="BEN ALI Farid" id="2012"', f'{node} name="DUBOIS Anne" id="2011"'
        )
    )
