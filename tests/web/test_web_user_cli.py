"""`jonction web-user`: accounts managed from the command line, passwords never in argv."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jonction.cli import app
from jonction.db import make_engine
from jonction.web.accounts import AccountStore
from jonction.web.roles import Role


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "jonction.toml"
    path.write_text(f'[state]\nurl = "sqlite:///{tmp_path / "state.db"}"\n')
    return path


def test_add_list_passwd_remove(tmp_path: Path) -> None:
    runner = CliRunner()
    config = str(_config(tmp_path))
    added = runner.invoke(
        app,
        [
            "web-user",
            "add",
            "marie",
            "--role",
            "scolarite",
            "--composante",
            "SCI",
            "--password-stdin",
            "--config",
            config,
        ],
        input="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    store = AccountStore(make_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    account = store.authenticate("marie", "a long enough password")
    assert account is not None and account.role is Role.SCOLARITE
    assert account.composantes == ("SCI",)

    listed = runner.invoke(app, ["web-user", "list", "--config", config])
    assert "marie" in listed.output and "SCI" in listed.output
    assert "password" in listed.output and "argon2" not in listed.output

    changed = runner.invoke(
        app,
        ["web-user", "passwd", "marie", "--password-stdin", "--config", config],
        input="another long password\n",
    )
    assert changed.exit_code == 0, changed.output
    assert store.authenticate("marie", "a long enough password") is None
    assert store.authenticate("marie", "another long password") is not None

    removed = runner.invoke(app, ["web-user", "remove", "marie", "--config", config])
    assert removed.exit_code == 0 and store.get("marie") is None


def test_refusals(tmp_path: Path) -> None:
    runner = CliRunner()
    config = str(_config(tmp_path))
    short = runner.invoke(
        app, ["web-user", "add", "paul", "--password-stdin", "--config", config], input="short\n"
    )
    assert short.exit_code == 1 and "at least" in short.output
    no_composante = runner.invoke(
        app, ["web-user", "add", "paul", "--role", "scolarite", "--proxy-only", "--config", config]
    )
    assert no_composante.exit_code == 1 and "composante" in no_composante.output
    proxy = runner.invoke(app, ["web-user", "add", "paul", "--proxy-only", "--config", config])
    assert proxy.exit_code == 0
    twice = runner.invoke(app, ["web-user", "add", "paul", "--proxy-only", "--config", config])
    assert twice.exit_code == 1 and "exists" in twice.output
    # A proxy-only account has no password that could match.
    store = AccountStore(make_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    assert store.authenticate("paul", "") is None
    missing = runner.invoke(app, ["web-user", "remove", "nobody", "--config", config])
    assert missing.exit_code == 1
