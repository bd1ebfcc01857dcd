from __future__ import annotations

from pathlib import Path

import pytest

from jonction.config import ConfigError, load_settings
from jonction.moodle import MoodleClient


def test_batch_sizes_name_known_functions(tmp_path: Path) -> None:
    path = tmp_path / "j.toml"
    path.write_text("[moodle]\nbatch_sizes = { core_course_create_course = 10 }\n")
    with pytest.raises(ConfigError, match="core_course_create_course"):
        load_settings(path)
    path.write_text("[moodle]\nbatch_sizes = { core_course_create_courses = 0 }\n")
    with pytest.raises(ConfigError, match="batch_sizes"):
        load_settings(path)


def test_client_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JONCTION_MOODLE_TOKEN", raising=False)
    token = tmp_path / "token"
    token.write_text("abc123\n")
    token.chmod(0o600)
    path = tmp_path / "j.toml"
    path.write_text(
        f'[moodle]\nurl = "https://moodle.example.fr/"\ntoken_file = "{token}"\n'
        "concurrency = 3\nbatch_sizes = { core_course_create_courses = 10 }\n"
    )
    client = MoodleClient.from_settings(load_settings(path).moodle)
    assert client.transport.endpoint == "https://moodle.example.fr/webservice/rest/server.php"
    assert client.transport.concurrency == 3
    assert "abc123" not in repr(client)


def test_client_without_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JONCTION_MOODLE_TOKEN", raising=False)
    with pytest.raises(ValueError, match="no Moodle token"):
        MoodleClient.from_settings(load_settings(None).moodle)
