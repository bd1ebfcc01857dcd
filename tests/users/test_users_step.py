"""The users step through the runner: journaled, idempotent, safe with an outage."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jonction.config import Settings
from jonction.domain.accounts import USER, MoodleAccount
from jonction.domain.plan import Operation, Plan
from jonction.steps import registry
from jonction.steps.base import ApplyResult, Step, StepContext
from jonction.steps.runner import StepReport, open_journal, run_steps
from jonction.steps.users import DIRECTORY_COUNT_FLAG, UsersStep

from .factories import account, sample_ldif
from .fake_moodle import FakeMoodle


def drop_entry(text: str, uid: str) -> str:
    """The LDIF without the entry of `uid` (and the comment line above it)."""
    blocks = re.split(r"\n\n+", text)
    return "\n\n".join(b for b in blocks if f"\ndn: uid={uid}," not in f"\n{b}")


@pytest.fixture
def moodle() -> FakeMoodle:
    return FakeMoodle()


@pytest.fixture
def ldif(tmp_path: Path) -> Path:
    path = tmp_path / "directory.ldif"
    path.write_text(sample_ldif().read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path, ldif: Path) -> Settings:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.ldap.ldif = ldif
    settings.apogee.years = ["2026"]
    return settings


@pytest.fixture(autouse=True)
def steps(monkeypatch: pytest.MonkeyPatch, moodle: FakeMoodle) -> Iterator[None]:
    step = type("TestUsers", (UsersStep,), {"gateway_factory": staticmethod(moodle.factory)})
    table: dict[str, type[Step]] = {"users": step}
    monkeypatch.setattr(registry, "all_steps", lambda: table)
    yield


def _run(settings: Settings, force: bool = False) -> StepReport:
    report = asyncio.run(run_steps(settings, ["users"], force=["users"] if force else []))
    return report.steps[0]


def _plan(report: StepReport) -> Plan:
    assert report.plan is not None, report.error
    return report.plan


def _ops(report: StepReport) -> list[Operation]:
    return _plan(report).operations


def _user(moodle: FakeMoodle, username: str) -> MoodleAccount:
    found = moodle.by_username(username)
    assert found is not None
    return found


def test_first_run_creates_accounts_and_a_rerun_writes_nothing(
    settings: Settings, moodle: FakeMoodle
) -> None:
    first = _run(settings)
    assert first.status == "succeeded", first.error
    assert first.outcome_counts() == {"applied": 9}
    assert moodle.by_username("hoconnor") is not None
    journal = open_journal(settings)
    managed = journal.managed(USER)
    assert set(managed) == {a.account.username for a in moodle.users.values()}
    assert managed["sroux"].data["student_id"] == "22600233"
    assert journal.flag(DIRECTORY_COUNT_FLAG) == 10
    # REFER holds nothing yet: noted, not fatal.
    assert any(n.kind == "refer_unavailable" for n in _plan(first).notices)
    writes = moodle.writes
    second = _run(settings)
    assert second.status == "succeeded"
    assert _ops(second) == []
    assert moodle.writes == writes


def test_update_suspend_and_reactivate(settings: Settings, moodle: FakeMoodle, ldif: Path) -> None:
    _run(settings)
    original = ldif.read_text(encoding="utf-8")
    ldif.write_text(
        drop_entry(original, "mdurand").replace("sn: Dubois", "sn: Dubois-Martin"),
        encoding="utf-8",
    )
    report = _run(settings)
    changed = {(op.key, str(op.action)) for op in _ops(report)}
    assert changed == {("mdurand", "suspend"), ("adubois", "update")}
    assert _user(moodle, "mdurand").suspended
    assert _user(moodle, "adubois").lastname == "Dubois-Martin"
    assert open_journal(settings).managed(USER)["mdurand"].data["suspended_by_jonction"]
    ldif.write_text(original, encoding="utf-8")
    back = _run(settings)
    changed = {(op.key, str(op.action)) for op in _ops(back)}
    assert changed == {("mdurand", "reactivate"), ("adubois", "update")}
    assert not _user(moodle, "mdurand").suspended


def test_manual_accounts_are_never_touched(settings: Settings, moodle: FakeMoodle) -> None:
    moodle.add_account(account(2, "admin", auth="manual"))
    moodle.add_account(account(3, "lmoreau", auth="manual", lastname="Autre"))
    report = _run(settings)
    assert _user(moodle, "lmoreau").lastname == "Autre"
    kinds = [n.kind for n in _plan(report).notices]
    assert "account_not_managed" in kinds
    assert "lmoreau" not in open_journal(settings).managed(USER)


def test_a_shrunk_directory_blocks_the_step_and_suspends_nobody(
    settings: Settings, moodle: FakeMoodle, ldif: Path
) -> None:
    _run(settings)
    text = ldif.read_text(encoding="utf-8")
    for uid in ("lmoreau", "ngarcia", "clefevre", "sroux", "adubois", "fbenali"):
        text = drop_entry(text, uid)
    ldif.write_text(text, encoding="utf-8")
    report = _run(settings)
    assert report.status == "blocked"
    assert "looks truncated" in report.error
    assert _ops(report) == []
    assert not any(s.account.suspended for s in moodle.users.values())
    forced = _run(settings, force=True)
    assert forced.status == "succeeded"
    assert sum(s.account.suspended for s in moodle.users.values()) == 6


def test_an_unreadable_directory_fails_the_step_before_any_change(
    settings: Settings, moodle: FakeMoodle, ldif: Path
) -> None:
    _run(settings)
    writes = moodle.writes
    ldif.write_text("dn: uid=x\nbroken line\n", encoding="utf-8")
    report = _run(settings)
    assert report.status == "failed"
    assert "not valid LDIF" in report.error
    assert moodle.writes == writes
    assert not any(s.account.suspended for s in moodle.users.values())


def test_guard_stops_mass_suspension(settings: Settings, moodle: FakeMoodle, ldif: Path) -> None:
    settings.guards.min_items_for_share = 5
    _run(settings)
    text = ldif.read_text(encoding="utf-8")
    ldif.write_text(drop_entry(text, "lmoreau"), encoding="utf-8")
    report = _run(settings)
    assert report.status == "guarded"
    assert "1 of 9 user objects" in report.error
    assert not _user(moodle, "lmoreau").suspended


def _run_on(settings: Settings, day: datetime) -> StepReport:
    return asyncio.run(run_steps(settings, ["users"], now=day)).steps[0]


NIGHT = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def test_a_quiet_night_reads_no_account_and_a_full_check_catches_hand_changes(
    settings: Settings, moodle: FakeMoodle
) -> None:
    first = _run_on(settings, NIGHT)
    assert first.status == "succeeded", first.error
    assert _plan(first).stats["full_check"] == 1
    managed = set(open_journal(settings).managed(USER))
    assert managed <= set(moodle.accounts_read[0])
    reads = len(moodle.accounts_read)
    adubois = _user(moodle, "adubois")
    moodle.users[adubois.id].account = replace(adubois, lastname="Changed by hand")

    quiet = _run_on(settings, NIGHT + timedelta(days=1))
    assert _plan(quiet).stats["full_check"] == 0
    assert _plan(quiet).stats["moodle_accounts_trusted"] == len(managed)
    # Only people without an account record are looked for again (none are managed).
    assert all(not set(names) & managed for names in moodle.accounts_read[reads:])
    assert _ops(quiet) == []
    assert _user(moodle, "adubois").lastname == "Changed by hand"

    week = _run_on(settings, NIGHT + timedelta(days=7, minutes=-5))
    assert _plan(week).stats["full_check"] == 1
    assert {(op.key, str(op.action)) for op in _ops(week)} == {("adubois", "update")}
    assert _user(moodle, "adubois").lastname == "Dubois"
    assert _plan(_run_on(settings, NIGHT + timedelta(days=8))).stats["full_check"] == 0


def test_full_check_days_zero_reads_every_account_every_night(
    settings: Settings, moodle: FakeMoodle
) -> None:
    settings.accounts.full_check_days = 0
    _run_on(settings, NIGHT)
    managed = set(open_journal(settings).managed(USER))
    second = _run_on(settings, NIGHT + timedelta(days=1))
    assert _plan(second).stats["full_check"] == 1
    assert managed <= set(moodle.accounts_read[-1])


def test_a_person_changed_in_the_directory_is_read_and_updated_on_a_quiet_night(
    settings: Settings, moodle: FakeMoodle, ldif: Path
) -> None:
    _run_on(settings, NIGHT)
    reads = len(moodle.accounts_read)
    original = ldif.read_text(encoding="utf-8")
    ldif.write_text(
        drop_entry(original, "mdurand").replace("sn: Dubois", "sn: Dubois-Martin"),
        encoding="utf-8",
    )
    changed = _run_on(settings, NIGHT + timedelta(days=1))
    assert _plan(changed).stats["full_check"] == 0
    read = {name for names in moodle.accounts_read[reads:] for name in names}
    assert {"adubois", "mdurand"} <= read
    assert "hoconnor" not in read
    assert {(op.key, str(op.action)) for op in _ops(changed)} == {
        ("mdurand", "suspend"),
        ("adubois", "update"),
    }
    reads = len(moodle.accounts_read)
    # mdurand stays suspended, adubois as the directory says: nothing to read any more.
    again = _run_on(settings, NIGHT + timedelta(days=2))
    assert _ops(again) == []
    read = {name for names in moodle.accounts_read[reads:] for name in names}
    assert not read & {"adubois", "mdurand"}
    ldif.write_text(original, encoding="utf-8")
    back = _run_on(settings, NIGHT + timedelta(days=3))
    assert {(op.key, str(op.action)) for op in _ops(back)} == {
        ("mdurand", "reactivate"),
        ("adubois", "update"),
    }


class _StepBefore(Step):
    """A step the users step waits for, so that the run reads the directory ahead."""

    name = "refer"
    title = "before"

    async def plan(self, ctx: StepContext) -> Plan:
        return Plan(step=self.name)

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        return ApplyResult()


def _run_after_another(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> StepReport:
    table = dict(registry.all_steps())
    monkeypatch.setattr(registry, "all_steps", lambda: {"refer": _StepBefore, **table})
    report = asyncio.run(run_steps(settings, ["refer", "users"]))
    return report.steps[1]


@pytest.mark.parametrize("read_ahead", [True, False])
def test_the_directory_read_ahead_in_another_process_gives_the_same_accounts(
    settings: Settings, moodle: FakeMoodle, monkeypatch: pytest.MonkeyPatch, read_ahead: bool
) -> None:
    settings.pipeline.read_ahead = read_ahead
    first = _run_after_another(settings, monkeypatch)
    assert first.status == "succeeded", first.error
    assert _plan(first).stats["directory_read_ahead"] == int(read_ahead)
    assert first.outcome_counts() == {"applied": 9}
    assert moodle.by_username("hoconnor") is not None
    assert _ops(_run_after_another(settings, monkeypatch)) == []


def test_a_directory_read_ahead_that_fails_fails_the_step_as_when_read_in_the_run(
    settings: Settings, moodle: FakeMoodle, ldif: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.pipeline.read_ahead = True
    ldif.write_text("dn: uid=x\nbroken line\n", encoding="utf-8")
    report = _run_after_another(settings, monkeypatch)
    assert report.status == "failed"
    assert "not valid LDIF" in report.error
    assert moodle.writes == 0
