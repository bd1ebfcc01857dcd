"""A generated university synchronised with the simulator, night after night, for the tests
that read what real steps journaled (explain, the screens of the guide)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from jonction.config import Settings
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.generate import generate
from jonction.steps import registry
from jonction.steps.runner import RunReport, run_steps
from moodlesim.testing import RunningSimulator, running_simulator

YEAR = "2026"
ENROL_SETTINGS = [
    "remoteenroltable=jonction_enrolments",
    "remotecoursefield=course_idnumber",
    "remoteuserfield=username",
    "remoterolefield=role",
    "unenrolaction=2",
]


def run_night(settings: Settings) -> RunReport:
    report = asyncio.run(run_steps(settings, list(registry.all_steps()), command="nightly"))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.status} {step.error}"
    return report


@contextmanager
def generated_nights(
    folder: Path,
    students: int,
    nights: int = 1,
    seed: int = 3,
    before_last: Callable[[Settings, RunningSimulator], None] | None = None,
) -> Iterator[Settings]:
    """`nights` nights of a generated university (Apogée, the directory and ADE evolving
    between two nights; `before_last` called before the last one); the simulator keeps
    running while the caller reads."""
    apogee = f"sqlite:///{folder / 'apogee.db'}"
    made = generate(apogee, students, seed, YEAR)
    enrol_url = f"sqlite:///{folder / 'enrolments.db'}"
    with running_simulator(
        db_url=f"sqlite:///{folder / 'moodle.db'}",
        latency_ms=0,
        cost_scale=0,
        enrol_db=enrol_url,
        enrol_settings=ENROL_SETTINGS,
    ) as moodle:
        settings = Settings()
        settings.apogee.url = apogee
        settings.apogee.years = [YEAR]
        settings.refer.url = f"sqlite:///{folder / 'refer.db'}"
        settings.state.url = f"sqlite:///{folder / 'state.db'}"
        settings.pipeline.lock_file = folder / "lock"
        settings.moodle.url = moodle.base_url
        settings.moodle.token = SecretStr(moodle.token)
        settings.ldap.ldif = made.ldif
        settings.ade.path = made.ade
        settings.ade.teacher_key = "code_or_email"
        settings.enrol_database.url = enrol_url
        settings.enrol_database.sync_url = f"{moodle.base_url}/admin/enrol_database_sync"
        settings.web.plan_file = folder / "plan.json"
        settings.web.secret_key = SecretStr("test-secret-key-for-sessions")
        for night in range(nights):
            if night:
                evolve(apogee, seed + night, ldif=made.ldif, ade=made.ade)
            if night == nights - 1 and before_last is not None:
                before_last(settings, moodle)
            run_night(settings)
        yield settings
