"""What the journal tells the groups step before it chooses whose members to read: whether a
full check is due, and the students the enrolments step unenrolled since its last run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from jonction.commands.steps_cmd import _full_check
from jonction.config import Settings
from jonction.domain.enrolments import KIND as ENROLMENT
from jonction.domain.plan import Action, Operation
from jonction.journal.store import Journal, Outcome
from jonction.steps.base import StepContext
from jonction.steps.groups_checks import FULL_CHECK_FLAG, member_check, unenrolled_since_groups
from jonction.steps.runner import open_journal


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    return open_journal(settings)


def _step(journal: Journal, step: str, outcomes: list[Outcome], status: str = "succeeded") -> None:
    run_id = journal.start_run("nightly", [step])
    step_run = journal.start_step(run_id, step, "apply")
    journal.record_outcomes(step_run, outcomes)
    journal.finish_step(step_run, status)


def _row(action: Action, course: str, user: str, outcome: str = "applied") -> Outcome:
    return Outcome(Operation(ENROLMENT, action, f"{course}|{user}|student"), outcome)


def test_students_unenrolled_since_the_last_groups_run(journal: Journal) -> None:
    _step(journal, "enrolments", [_row(Action.REMOVE, "2026:ELP:OLD", "e1")])
    _step(journal, "groups", [])
    assert unenrolled_since_groups(journal) == {}
    _step(
        journal,
        "enrolments",
        [
            _row(Action.REMOVE, "2026:ELP:A|B", "e1"),  # an idnumber may hold "|"
            _row(Action.REMOVE, "2026:ELP:C", "e2", outcome="failed"),
            _row(Action.ADD, "2026:ELP:D", "e3"),
            _row(Action.UPDATE, "2026:ELP:E", "e4"),
        ],
    )
    # A groups run that failed read nothing that counts: the removals stay pending.
    _step(journal, "groups", [], status="failed")
    _step(journal, "enrolments", [_row(Action.REMOVE, "2026:ELP:F", "e5")])
    assert unenrolled_since_groups(journal) == {"2026:ELP:A|B": {"e1"}, "2026:ELP:F": {"e5"}}
    _step(journal, "groups", [])
    assert unenrolled_since_groups(journal) == {}


def test_the_rows_removed_tonight_join_those_of_the_journal(journal: Journal) -> None:
    # The groups step reads Moodle while the sync runs, before the enrolments step is
    # journaled: the rows it removed tonight come from the run.
    _step(journal, "groups", [])
    _step(journal, "enrolments", [_row(Action.REMOVE, "2026:ELP:A", "e1")])
    ctx = StepContext(settings=Settings(), journal=journal, now=datetime.now(UTC))
    journal.set_flag(FULL_CHECK_FLAG, ctx.now.isoformat())
    tonight = ["2026:ELP:A|e2|student", "2026:ELP:B|C|e3|editingteacher"]
    assert member_check(ctx, tonight) == (
        False,
        {"2026:ELP:A": {"e1", "e2"}, "2026:ELP:B|C": {"e3"}},
    )
    # A full check reads every group: no list is needed.
    journal.set_flag(FULL_CHECK_FLAG, None)
    assert member_check(ctx, tonight) == (True, {})


def test_full_forces_both_full_checks() -> None:
    settings = _full_check(Settings(), True)
    assert settings.accounts.full_check_days == 0
    assert settings.groups.full_check_days == 0
    assert _full_check(Settings(), False).groups.full_check_days == 7
