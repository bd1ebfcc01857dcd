"""A generated university beside a running simulator with Moodle's enrol_database plugin, and
the settings of a night between them: for the tests that run the real steps one after another."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.simulator import ENROL_SETTINGS
from pydantic import SecretStr

from jonction.config import Settings
from jonction.sources.generator.generate import GenerationSummary, generate
from moodlesim.testing import RunningSimulator, running_simulator

YEAR = "2026"


@dataclass
class University:
    settings: Settings
    moodle: RunningSimulator
    moodle_db: str
    made: GenerationSummary


@contextmanager
def generated_university(folder: Path, students: int, seed: int = 1) -> Iterator[University]:
    """Generates the university in `folder`, starts the simulator (no latency, no cost) and
    yields settings whose every database and source lives in `folder`."""
    apogee = f"sqlite:///{folder / 'apogee.db'}"
    made = generate(apogee, students, seed, YEAR)
    enrol_url = f"sqlite:///{folder / 'enrolments.db'}"
    moodle_db = f"sqlite:///{folder / 'moodle.db'}"
    with running_simulator(
        db_url=moodle_db,
        latency_ms=0,
        cost_scale=0,
        enrol_db=enrol_url,
        enrol_settings=list(ENROL_SETTINGS),
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
        yield University(settings, moodle, moodle_db, made)
