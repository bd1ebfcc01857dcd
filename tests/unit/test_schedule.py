from __future__ import annotations

from datetime import datetime

import pytest

from jonction.config import ConfigError, load_settings
from jonction.steps.schedule import due_steps

ORIGINAL = {"refer": "0 18 * * *", "users": "0 0 * * *", "offer": "0 4 * * *"}


def test_never_run_steps_are_due_once_their_time_has_passed() -> None:
    assert due_steps(ORIGINAL, {}, datetime(2026, 11, 30, 4, 5)) == ["refer", "users", "offer"]


def test_a_step_is_due_once_per_firing() -> None:
    now = datetime(2026, 11, 30, 4, 5)
    last = {
        "refer": datetime(2026, 11, 29, 18, 0, 30),
        "users": datetime(2026, 11, 30, 0, 0, 10),
        "offer": datetime(2026, 11, 29, 4, 0, 5),
    }
    assert due_steps(ORIGINAL, last, now) == ["offer"]
    last["offer"] = datetime(2026, 11, 30, 4, 0, 2)
    assert due_steps(ORIGINAL, last, now) == []


def test_bad_cron_expression_is_named(tmp_path: pytest.TempPathFactory) -> None:
    file = tmp_path / "j.toml"  # type: ignore[operator]
    file.write_text('[pipeline]\nschedules = { refer = "at six" }\n')
    with pytest.raises(ConfigError, match="refer: 'at six' is not a cron expression"):
        load_settings(file)
