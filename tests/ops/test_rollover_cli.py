"""`jonction rollover`: status, opening a year, refusals, closing early; journaled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from jonction.cli import app
from jonction.config import load_settings
from jonction.journal.schema import operations, runs
from jonction.steps.runner import open_journal
from jonction.steps.years import settings_for_day, years_state

runner = CliRunner()


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JONCTION_STATE__URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("JONCTION_PIPELINE__LOCK_FILE", str(tmp_path / "lock"))
    monkeypatch.setenv("JONCTION_APOGEE__YEARS", '["2026"]')
    monkeypatch.delenv("JONCTION_CONFIG", raising=False)
    yield


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["rollover", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_rollover_opens_the_year_keeps_the_overlap_and_is_journaled() -> None:
    assert "2026: open" in invoke("--status") and "configuration" in invoke("--status")
    output = invoke("2027", "--overlap", "30", "--yes")
    last = (date.today() + timedelta(days=30)).isoformat()
    assert f"2026: open until {last} included" in output
    assert "2027: open" in output
    settings = load_settings()
    journal = open_journal(settings)
    assert years_state(settings, journal, date.today()).stored
    assert settings_for_day(settings, journal, date.today()).apogee.years == ["2026", "2027"]
    later = date.today() + timedelta(days=31)
    assert settings_for_day(settings, journal, later).apogee.years == ["2027"]
    with journal.engine.connect() as connection:
        assert connection.execute(select(runs.c.command)).scalars().all() == ["rollover"]
        keys = connection.execute(select(operations.c.key, operations.c.action)).all()
    assert sorted(keys) == [("2026", "update"), ("2027", "create")]

    assert "refused" in invoke("2027", "--yes", code=1)
    assert "refused" in invoke("2025", "--yes", code=1)
    invoke("--close", "2026", "--yes")
    assert settings_for_day(settings, journal, date.today()).apogee.years == ["2027"]
    assert "refused" in invoke("--close", "2027", "--yes", code=1)


def test_rollover_asks_before_applying() -> None:
    result = runner.invoke(app, ["rollover", "2027"], input="n\n")
    assert result.exit_code == 1
    assert not years_state(load_settings(), open_journal(load_settings()), date.today()).stored
