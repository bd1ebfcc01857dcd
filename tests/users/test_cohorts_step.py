"""The cohorts step through the runner, after the users step, on an in-memory Moodle."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jonction.commands.steps_cmd import _full_check
from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.cohorts import COHORT
from jonction.domain.plan import Plan
from jonction.domain.refer_model import (
    AdminRegistration,
    Composante,
    Diplome,
    DiplomeKey,
    Etape,
    EtapeKey,
    ReferSnapshot,
    Student,
)
from jonction.sources.refer.store import ensure_schema
from jonction.sources.refer.sync import save_snapshot
from jonction.steps import registry
from jonction.steps.base import Step
from jonction.steps.cohorts import CohortsStep
from jonction.steps.runner import StepReport, open_journal, run_steps
from jonction.steps.users import UsersStep

from .factories import sample_ldif
from .fake_moodle import FakeMoodle

LMAT = DiplomeKey("LMAT", 211)
MINF = DiplomeKey("MINF", 211)
DUENT = DiplomeKey("DUENT", 101)
SLMAT1 = EtapeKey("SLMAT1", 101)
SMINF1 = EtapeKey("SMINF1", 101)
DUENT1 = EtapeKey("DUENT1", 101)
STUDENTS = {
    1: Student(1, "22600101", "Moreau", "Léa"),
    2: Student(2, "22300958", "Lefèvre", "Chloé"),
    3: Student(3, "22600233", "Roux", "Sébastien"),
    4: Student(4, "22699999", "Martin", "Paul"),
}


def university(
    year: str = "2026", registrations: list[AdminRegistration] | None = None
) -> ReferSnapshot:
    return ReferSnapshot(
        year=year,
        composantes={
            "UFRSCI": Composante("UFRSCI", "UFR Sciences", "UFR"),
            "DFC": Composante("DFC", "Formation continue", "SCE"),
        },
        diplomes={
            LMAT: Diplome(LMAT, "Licence Mathématiques", "UFRSCI"),
            MINF: Diplome(MINF, "Master Informatique", "UFRSCI"),
            DUENT: Diplome(DUENT, "DU Entrepreneuriat", "DFC"),
        },
        etapes={
            SLMAT1: Etape(SLMAT1, "Licence 1 Mathématiques", "UFRSCI", False, (LMAT,)),
            SMINF1: Etape(SMINF1, "Master 1 Informatique", "UFRSCI", False, (MINF,)),
            DUENT1: Etape(DUENT1, "DU Entrepreneuriat", "DFC", False, (DUENT,)),
        },
        students=dict(STUDENTS),
        admin_registrations=registrations
        if registrations is not None
        else [
            AdminRegistration(1, SLMAT1, LMAT, "UFRSCI"),
            AdminRegistration(2, SMINF1, MINF, "UFRSCI"),
            AdminRegistration(2, DUENT1, DUENT, "DFC"),
            AdminRegistration(3, SMINF1, MINF, "UFRSCI"),
            AdminRegistration(4, SLMAT1, LMAT, "UFRSCI"),
        ],
    )


@pytest.fixture
def moodle() -> FakeMoodle:
    return FakeMoodle()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.ldap.ldif = sample_ldif()
    settings.apogee.years = ["2026"]
    return settings


def store(settings: Settings, snapshot: ReferSnapshot) -> None:
    engine = make_engine(settings.refer.url)
    ensure_schema(engine)
    save_snapshot(engine, snapshot)
    engine.dispose()


@pytest.fixture(autouse=True)
def steps(monkeypatch: pytest.MonkeyPatch, moodle: FakeMoodle) -> Iterator[None]:
    factory = {"gateway_factory": staticmethod(moodle.factory)}
    table: dict[str, type[Step]] = {
        "users": type("TestUsers", (UsersStep,), factory),
        "cohorts": type("TestCohorts", (CohortsStep,), factory),
    }
    monkeypatch.setattr(registry, "all_steps", lambda: table)
    yield


def run(settings: Settings, *names: str) -> list[StepReport]:
    report = asyncio.run(run_steps(settings, list(names)))
    for step in report.steps:
        assert step.status == "succeeded", step.error
    return report.steps


def plan_of(report: StepReport) -> Plan:
    assert report.plan is not None
    return report.plan


def members(moodle: FakeMoodle, idnumber: str) -> set[str]:
    (cohort,) = [c for c in moodle.cohorts.values() if c.idnumber == idnumber]
    return {moodle.users[uid].account.username for uid in moodle.members[cohort.id]}


def test_cohorts_of_etapes_and_composantes_with_their_students(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    users, cohorts = run(settings, "users", "cohorts")
    assert {c.idnumber: c.name for c in moodle.cohorts.values()} == {
        "2026:VET:SLMAT1-101": "Licence 1 Mathématiques (SLMAT1-101) 2026-2027",
        "2026:VET:SMINF1-101": "Master 1 Informatique (SMINF1-101) 2026-2027",
        "2026:VET:DUENT1-101": "DU Entrepreneuriat (DUENT1-101) 2026-2027",
        "2026:CMP:UFRSCI": "UFR Sciences 2026-2027",
        "2026:CMP:DFC": "Formation continue 2026-2027",
    }
    assert members(moodle, "2026:VET:SLMAT1-101") == {"lmoreau"}
    assert members(moodle, "2026:VET:SMINF1-101") == {"clefevre", "sroux"}
    assert members(moodle, "2026:CMP:UFRSCI") == {"lmoreau", "clefevre", "sroux"}
    assert members(moodle, "2026:CMP:DFC") == {"clefevre"}
    assert set(moodle.contexts.values()) == {"system"}
    notices = {(n.kind, n.key) for n in plan_of(cohorts).notices}
    assert ("cohort_member_without_account", "22699999") in notices
    # The users step named the same student: no directory entry.
    assert ("student_without_directory_entry", "22699999") in {
        (n.kind, n.key) for n in plan_of(users).notices
    }
    assert set(open_journal(settings).managed(COHORT)) == {
        c.idnumber for c in moodle.cohorts.values()
    }
    writes = moodle.writes
    (again,) = run(settings, "cohorts")
    assert plan_of(again).operations == []
    assert moodle.writes == writes


def test_members_follow_the_registrations_every_night(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    run(settings, "users", "cohorts")
    # Chloé leaves the DU; Sébastien registers in L1 as well.
    snapshot = university()
    snapshot.admin_registrations = [
        r for r in snapshot.admin_registrations if not (r.cod_ind == 2 and r.etape == DUENT1)
    ] + [AdminRegistration(3, SLMAT1, LMAT, "UFRSCI")]
    store(settings, snapshot)
    (report,) = run(settings, "cohorts")
    changes = sorted((op.key, str(op.action)) for op in plan_of(report).operations)
    assert changes == [
        ("2026:CMP:DFC|clefevre", "remove"),
        ("2026:VET:DUENT1-101|clefevre", "remove"),
        ("2026:VET:SLMAT1-101|sroux", "add"),
    ]
    assert members(moodle, "2026:CMP:DFC") == set()
    assert members(moodle, "2026:VET:SLMAT1-101") == {"lmoreau", "sroux"}
    # Someone added by hand to a cohort jonction keeps is taken out by the next full check
    # (the cohort is exact); other nights trust the cohort to hold what jonction left there.
    (cohort,) = [c for c in moodle.cohorts.values() if c.idnumber == "2026:CMP:UFRSCI"]
    adubois = next(u for u, s in moodle.users.items() if s.account.username == "adubois")
    moodle.members[cohort.id].add(adubois)
    (report,) = run(settings, "cohorts")
    assert plan_of(report).operations == []
    settings.cohorts.full_check_days = 0  # what --full does
    (report,) = run(settings, "cohorts")
    assert [(op.key, str(op.action)) for op in plan_of(report).operations] == [
        ("2026:CMP:UFRSCI|adubois", "remove")
    ]


def test_a_closed_year_keeps_its_cohorts_and_members(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    run(settings, "users", "cohorts")
    store(settings, university("2027", [AdminRegistration(1, SLMAT1, LMAT, "UFRSCI")]))
    settings.apogee.years = ["2027"]
    (report,) = run(settings, "cohorts")
    ops = plan_of(report).operations
    assert not [op for op in ops if op.scope.startswith("2026:")]
    assert members(moodle, "2026:VET:SMINF1-101") == {"clefevre", "sroux"}
    assert members(moodle, "2027:VET:SLMAT1-101") == {"lmoreau"}
    assert plan_of(report).stats["closed_year_cohorts_kept"] == 5


def test_renames_and_moves_to_a_category(settings: Settings, moodle: FakeMoodle) -> None:
    store(settings, university())
    run(settings, "users", "cohorts")
    snapshot = university()
    snapshot.etapes[SLMAT1] = replace(snapshot.etapes[SLMAT1], label="L1 Maths")
    store(settings, snapshot)
    (report,) = run(settings, "cohorts")
    (op,) = plan_of(report).operations
    assert (op.key, str(op.action)) == ("2026:VET:SLMAT1-101", "rename")
    assert op.after == {"name": "L1 Maths (SLMAT1-101) 2026-2027"}
    settings.cohorts.category_idnumber = "COHORTS"
    settings.cohorts.context = "category"
    (report,) = run(settings, "cohorts")
    assert {str(op.action) for op in plan_of(report).operations} == {"move"}
    assert set(moodle.contexts.values()) == {"category:COHORTS"}
    (report,) = run(settings, "cohorts")
    assert plan_of(report).operations == []


def test_an_empty_year_in_refer_blocks_instead_of_emptying(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    run(settings, "users", "cohorts")
    store(settings, university(registrations=[]))
    report = asyncio.run(run_steps(settings, ["cohorts"])).steps[0]
    assert report.status == "blocked"
    assert "no valid administrative registration for 2026" in report.error
    assert members(moodle, "2026:CMP:UFRSCI") == {"lmoreau", "clefevre", "sroux"}


def members_read(moodle: FakeMoodle) -> list[str]:
    """The idnumbers of the cohorts whose members were read since the last call."""
    ids = [cohort_id for read in moodle.members_read for cohort_id in read]
    moodle.members_read.clear()
    return sorted(moodle.cohorts[cohort_id].idnumber for cohort_id in ids)


def test_a_night_reads_only_the_cohorts_whose_members_may_have_changed(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    _, first = run(settings, "users", "cohorts")
    assert plan_of(first).stats["cohorts_full_check"] == 1
    moodle.members_read.clear()
    (quiet,) = run(settings, "cohorts")
    assert plan_of(quiet).operations == []
    assert members_read(moodle) == []
    assert plan_of(quiet).stats["cohorts_members_trusted"] == 5
    # Sébastien registers in L1 as well (already in his composante's cohort): L1 is read.
    snapshot = university()
    snapshot.admin_registrations.append(AdminRegistration(3, SLMAT1, LMAT, "UFRSCI"))
    store(settings, snapshot)
    (changed,) = run(settings, "cohorts")
    assert [op.key for op in plan_of(changed).operations] == ["2026:VET:SLMAT1-101|sroux"]
    assert members_read(moodle) == ["2026:VET:SLMAT1-101"]
    assert plan_of(changed).stats["cohorts_full_check"] == 0
    (quiet,) = run(settings, "cohorts")
    assert plan_of(quiet).operations == [] and members_read(moodle) == []


def test_an_addition_moodle_refused_is_read_again_the_next_night(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    run(settings, "users", "cohorts")
    # Léa registers in the DU too, but her account is gone from Moodle: both additions fail.
    snapshot = university()
    snapshot.admin_registrations.append(AdminRegistration(1, DUENT1, DUENT, "DFC"))
    store(settings, snapshot)
    lmoreau = next(u for u, s in moodle.users.items() if s.account.username == "lmoreau")
    del moodle.users[lmoreau]
    moodle.members_read.clear()
    (refused,) = run(settings, "cohorts")
    assert refused.outcome_counts() == {"failed": 2}
    assert members_read(moodle) == ["2026:CMP:DFC", "2026:VET:DUENT1-101"]
    (again,) = run(settings, "cohorts")
    assert [op.key for op in plan_of(again).operations] == [
        "2026:CMP:DFC|lmoreau",
        "2026:VET:DUENT1-101|lmoreau",
    ]
    assert members_read(moodle) == ["2026:CMP:DFC", "2026:VET:DUENT1-101"]


def test_a_full_check_every_full_check_days_or_with_full(
    settings: Settings, moodle: FakeMoodle
) -> None:
    store(settings, university())
    run(settings, "users", "cohorts")
    # A member removed by hand: trusted to be there until the full check puts her back.
    (l1,) = [c for c in moodle.cohorts.values() if c.idnumber == "2026:VET:SLMAT1-101"]
    moodle.members[l1.id].clear()
    (unseen,) = run(settings, "cohorts")
    assert plan_of(unseen).operations == []
    # A plan alone does not count as the full check.
    later = datetime.now(UTC) + timedelta(days=settings.cohorts.full_check_days)
    planned = asyncio.run(run_steps(settings, ["cohorts"], apply=False, now=later)).steps[0]
    assert plan_of(planned).stats["cohorts_full_check"] == 1
    (full,) = asyncio.run(run_steps(settings, ["cohorts"], now=later)).steps
    assert full.status == "succeeded", full.error
    assert plan_of(full).stats["cohorts_full_check"] == 1
    assert [op.key for op in plan_of(full).operations] == ["2026:VET:SLMAT1-101|lmoreau"]
    assert members(moodle, "2026:VET:SLMAT1-101") == {"lmoreau"}
    (after,) = asyncio.run(run_steps(settings, ["cohorts"], now=later)).steps
    assert plan_of(after).stats["cohorts_full_check"] == 0
    # `--full` forces one.
    forced = _full_check(settings, True)
    assert forced.cohorts.full_check_days == 0
    (report,) = run(forced, "cohorts")
    assert plan_of(report).stats["cohorts_full_check"] == 1
