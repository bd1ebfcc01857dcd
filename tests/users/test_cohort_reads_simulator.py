"""The cohorts step after the real steps before it (refer → users → cohorts), against the
Moodle simulator over HTTP: a quiet night reads no cohort's members, and a member removed by
hand in Moodle stays out until the next full check puts them back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jonction.config import Settings
from jonction.steps.runner import RunReport, StepReport, run_steps

from ..generated_university import generated_university

pytestmark = pytest.mark.slow
STEPS = ["refer", "users", "cohorts"]
READ = "core_cohort_get_cohort_members"


@pytest.fixture
def university(tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    with generated_university(tmp_path, 120) as made:
        made.settings.moodle.backoff_s = 0
        yield made.settings, made.moodle_db


def cohorts_night(settings: Settings, steps: list[str], now: datetime | None = None) -> StepReport:
    report: RunReport = asyncio.run(run_steps(settings, steps, now=now))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.error}"
    (cohorts,) = [step for step in report.steps if step.step == "cohorts"]
    assert cohorts.plan is not None
    return cohorts


def memberships(moodle_db: str) -> set[tuple[int, int]]:
    engine = create_engine(moodle_db)
    with engine.connect() as connection:
        found = {
            (int(c), int(u))
            for c, u in connection.execute(text("SELECT cohortid, userid FROM mdl_cohort_members"))
        }
    engine.dispose()
    return found


def test_a_member_removed_by_hand_comes_back_at_the_next_full_check_not_before(
    university: tuple[Settings, str],
) -> None:
    settings, moodle_db = university
    first = cohorts_night(settings, STEPS)
    assert first.plan is not None and first.plan.stats["cohorts_full_check"] == 1
    assert first.outcome_counts() == {"applied": len(first.plan.operations)}
    before = memberships(moodle_db)
    assert before

    quiet = cohorts_night(settings, STEPS)
    assert quiet.plan is not None and not quiet.plan.operations
    assert quiet.plan.stats["cohorts_full_check"] == 0
    assert quiet.plan.stats["cohorts_members_read"] == 0
    assert READ not in quiet.calls

    # Someone removes a member by hand in Moodle: trusted to be there until the full check.
    cohort_id, user_id = min(before)
    engine = create_engine(moodle_db)
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM mdl_cohort_members WHERE cohortid = :c AND userid = :u"),
            {"c": cohort_id, "u": user_id},
        )
    engine.dispose()
    unseen = cohorts_night(settings, ["cohorts"])
    assert unseen.plan is not None and not unseen.plan.operations
    assert READ not in unseen.calls
    assert memberships(moodle_db) == before - {(cohort_id, user_id)}

    week = datetime.now(UTC) + timedelta(days=settings.cohorts.full_check_days)
    full = cohorts_night(settings, ["cohorts"], now=week)
    assert full.plan is not None and full.plan.stats["cohorts_full_check"] == 1
    assert READ in full.calls
    assert [(str(op.action), op.source["user_id"]) for op in full.plan.operations] == [
        ("add", user_id)
    ]
    assert full.outcome_counts() == {"applied": 1}
    assert memberships(moodle_db) == before
