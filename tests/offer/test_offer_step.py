"""The offer step as the night runs it (runner, REFER, client from the configuration, journal),
and `jonction adopt`, against the simulator over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from jonction.cli import app
from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.offer_state import COURSE_KIND
from jonction.journal.store import Journal
from jonction.moodle import MoodleClient, NewCategory, NewCourse
from jonction.sources.refer.store import ensure_schema
from jonction.sources.refer.sync import save_snapshot
from jonction.steps.runner import StepReport, run_steps
from moodlesim.testing import RunningSimulator, running_simulator

from .builders import University

WRITES = ("create", "update", "delete")


@pytest.fixture
def moodle() -> Iterator[RunningSimulator]:
    with running_simulator(latency_ms=0, per_item_ms=0) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path, moodle: RunningSimulator) -> Settings:
    settings = Settings()
    settings.apogee.years = ["2026"]
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.moodle.url = moodle.base_url
    settings.moodle.token = SecretStr(moodle.token)
    return settings


def refer(settings: Settings, uni: University) -> None:
    engine = make_engine(settings.refer.url)
    ensure_schema(engine)
    save_snapshot(engine, uni.snapshot)


def run_offer(settings: Settings) -> StepReport:
    report = asyncio.run(run_steps(settings, ["offer"]))
    (step,) = report.steps
    assert step.status == "succeeded", step.error
    return step


def writes(step: StepReport) -> int:
    return int(sum(v["calls"] for name, v in step.calls.items() if any(w in name for w in WRITES)))


def test_the_step_builds_journals_and_then_stays_quiet(settings: Settings) -> None:
    uni = University()
    uni.element("SMA1U01", parents=["L1MATH"], label="Analyse & probabilités")
    uni.element("LANG01", parents=["L1MATH", "L1LET", "L1MATD"], composante="U02")
    refer(settings, uni)
    first = run_offer(settings)
    assert first.result is not None
    assert {o.outcome for o in first.result.outcomes} == {"applied"}
    assert first.plan is not None and first.plan.stats["courses_wanted"] == 2
    assert writes(first) == 5
    journal = Journal(make_engine(settings.state.url))
    assert set(journal.managed(COURSE_KIND)) == {"2026:ELP:SMA1U01", "2026:ELP:LANG01"}
    second = run_offer(settings)
    assert second.plan is not None and second.plan.operations == []
    assert writes(second) == 0
    assert set(second.calls) == {"core_course_get_categories"}  # one read, no write
    assert second.calls["core_course_get_categories"]["calls"] == 1


def test_adopt_hands_a_colliding_course_over(settings: Settings, moodle: RunningSimulator) -> None:
    uni = University()
    uni.element("SMA1U01", parents=["L1MATH"], label="Analyse")
    refer(settings, uni)

    async def hand_made() -> int:
        async with MoodleClient(moodle.base_url, moodle.token) as client:
            category = (await client.create_categories([NewCategory("À la main")])).ids()[0]
            report = await client.create_courses(
                [NewCourse("Mon analyse", "SMA1U01-2026", category)]
            )
            return report.ids()[0]

    hand = asyncio.run(hand_made())
    first = run_offer(settings)
    assert first.plan is not None
    assert [n.kind for n in first.plan.notices] == ["course_collision"]
    config = Path(settings.state.url.removeprefix("sqlite:///")).parent / "jonction.toml"
    config.write_text(
        f'[apogee]\nyears = ["2026"]\n[refer]\nurl = "{settings.refer.url}"\n'
        f'[state]\nurl = "{settings.state.url}"\n[moodle]\nurl = "{moodle.base_url}"\n'
        f'token = "{moodle.token}"\n[pipeline]\nlock_file = "{settings.pipeline.lock_file}"\n'
    )
    runner = CliRunner()
    refused = runner.invoke(app, ["adopt", "NOPE-2026", "--config", str(config)])
    assert refused.exit_code == 1 and "no course with the id" in refused.output
    adopted = runner.invoke(app, ["adopt", str(hand), "--config", str(config)])
    assert adopted.exit_code == 0, adopted.output
    assert "2026:ELP:SMA1U01" in adopted.output
    second = run_offer(settings)
    assert second.plan is not None and not second.plan.notices
    assert {str(op.action) for op in second.plan.operations} == {"rename", "update", "move"}

    async def read() -> tuple[str, str]:
        async with MoodleClient(moodle.base_url, moodle.token) as client:
            (course,) = await client.courses_by_id([hand])
            return course.idnumber, course.fullname

    assert asyncio.run(read()) == ("2026:ELP:SMA1U01", "Analyse (SMA1U01)")
    third = run_offer(settings)
    assert third.plan is not None and third.plan.operations == []
