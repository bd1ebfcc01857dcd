"""The generated university end to end: its LDIF served by a private slapd, REFER filled by
the refer step, then users and cohorts against the simulator, twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from jonction.config import Settings
from jonction.sources.generator import generate
from jonction.steps.runner import StepReport, run_steps
from moodlesim.testing import RunningSimulator, running_simulator

from .slapd import PrivateSlapd

pytestmark = pytest.mark.slapd
YEAR = "2026"
WRITE_MARKERS = ("create", "update", "add", "delete")


@pytest.fixture(scope="module")
def university(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("university")
    generate(f"sqlite:///{work / 'apogee.db'}", 300, 7, YEAR, work / "directory.ldif", work / "ade")
    return work


@pytest.fixture(scope="module")
def directory(university: Path) -> Iterator[PrivateSlapd]:
    server = PrivateSlapd(university / "slapd")
    (university / "slapd").mkdir()
    server.start([university / "directory.ldif"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def moodle() -> Iterator[RunningSimulator]:
    with running_simulator(latency_ms=0, per_item_ms=0) as running:
        yield running


@pytest.fixture(scope="module")
def settings(university: Path, directory: PrivateSlapd, moodle: RunningSimulator) -> Settings:
    settings = Settings()
    settings.apogee.url = f"sqlite:///{university / 'apogee.db'}"
    settings.apogee.years = [YEAR]
    settings.refer.url = f"sqlite:///{university / 'refer.db'}"
    settings.state.url = f"sqlite:///{university / 'state.db'}"
    settings.pipeline.lock_file = university / "lock"
    settings.ldap.url = directory.url
    settings.ldap.page_size = 50
    settings.moodle.url = moodle.base_url
    settings.moodle.token = SecretStr(moodle.token)
    return settings


def night(settings: Settings, *steps: str) -> list[StepReport]:
    report = asyncio.run(run_steps(settings, list(steps)))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.error}"
    return report.steps


def writes(step: StepReport) -> int:
    return int(
        sum(v["calls"] for name, v in step.calls.items() if any(m in name for m in WRITE_MARKERS))
    )


def test_accounts_and_cohorts_of_the_generated_university(settings: Settings) -> None:
    night(settings, "refer")
    users, cohorts = night(settings, "users", "cohorts")
    assert users.plan is not None and cohorts.plan is not None
    created = Counter(str(op.action) for op in users.plan.operations)
    assert created["create"] > 300 and set(created) == {"create"}
    assert users.outcome_counts().get("failed", 0) == 0
    kinds = Counter(notice.kind for notice in users.plan.notices)
    # The generator's directory dirt, each reported.
    assert kinds["directory_missing_username"] >= 1
    assert kinds["directory_duplicate_student_id"] + kinds["idnumber_clash"] >= 1
    assert kinds["student_without_directory_entry"] >= 1
    assert cohorts.outcome_counts().get("failed", 0) == 0
    made = Counter(op.kind for op in cohorts.plan.operations)
    assert made["cohort"] > 5 and made["cohort_member"] > 300
    assert writes(users) > 0 and writes(cohorts) > 0

    quiet_users, quiet_cohorts = night(settings, "users", "cohorts")
    assert quiet_users.plan is not None and quiet_cohorts.plan is not None
    assert quiet_users.plan.operations == [] and quiet_cohorts.plan.operations == []
    assert writes(quiet_users) == writes(quiet_cohorts) == 0
