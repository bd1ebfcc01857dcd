from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jonction.config import ConfigError, Settings, current_academic_year, load_settings
from jonction.config.example import render_example


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JONCTION_CONFIG", raising=False)
    settings = load_settings()
    assert settings.refer.url.startswith("sqlite:///var/")
    assert settings.moodle.max_input_vars == 5000


def test_unknown_key_and_bad_value_are_named(tmp_path: Path) -> None:
    file = tmp_path / "jonction.toml"
    file.write_text('[moodle]\nconcurency = 3\ntimeout_s = "soon"\n[nosuch]\nx = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(file)
    message = str(caught.value)
    assert str(file) in message
    assert "[moodle] concurency: unknown key" in message
    assert "[moodle] timeout_s" in message and "'soon'" in message
    assert "[nosuch]: unknown key" in message


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "broken.toml"
    file.write_text("[moodle\n")
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML"):
        load_settings(file)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "jonction.toml"
    file.write_text("[moodle]\nconcurrency = 2\n")
    monkeypatch.setenv("JONCTION_MOODLE__CONCURRENCY", "9")
    assert load_settings(file).moodle.concurrency == 9


def test_config_from_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "site.toml"
    file.write_text('[apogee]\nyears = ["2025", "2026"]\n')
    monkeypatch.setenv("JONCTION_CONFIG", str(file))
    assert load_settings().apogee.effective_years() == ["2025", "2026"]


def test_bad_year_is_explained(tmp_path: Path) -> None:
    file = tmp_path / "jonction.toml"
    file.write_text('[apogee]\nyears = ["26"]\n')
    with pytest.raises(ConfigError, match="four digits"):
        load_settings(file)


def test_token_from_environment_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JONCTION_MOODLE_TOKEN", "cafe1234")
    settings = load_settings()
    assert settings.moodle.token is not None
    assert settings.moodle.token.get_secret_value() == "cafe1234"
    assert "cafe1234" not in settings.model_dump_json()
    assert "cafe1234" not in repr(settings)


def test_token_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("deadbeef\n")
    secret.chmod(0o600)
    file = tmp_path / "jonction.toml"
    file.write_text(f'[moodle]\ntoken_file = "{secret}"\n')
    token = load_settings(file).moodle.token
    assert token is not None and token.get_secret_value() == "deadbeef"


def test_unreadable_token_file_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "jonction.toml"
    file.write_text(f'[moodle]\ntoken_file = "{tmp_path / "nope"}"\n')
    with pytest.raises(ConfigError, match="cannot read the Moodle token file"):
        load_settings(file)


@pytest.mark.parametrize(
    ("today", "year"),
    [(date(2026, 11, 30), "2026"), (date(2027, 6, 30), "2026"), (date(2027, 7, 1), "2027")],
)
def test_academic_year_starts_in_july(today: date, year: str) -> None:
    assert current_academic_year(today) == year


def test_example_file_is_current_and_valid() -> None:
    """The annotated example documents every key; regenerate it with `jonction config --example`."""
    example = Path(__file__).resolve().parents[2] / "jonction.example.toml"
    assert example.read_text() == render_example(Settings), (
        "jonction.example.toml is stale: run `jonction config --example > jonction.example.toml`"
    )
    load_settings(example)
