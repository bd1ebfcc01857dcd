"""The pipeline verbs end to end on fake steps: nightly selection, pause, saved plans, report."""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from jonction.cli import app
from jonction.domain.plan import Action, Operation, Plan
from jonction.journal.store import Outcome
from jonction.steps import registry
from jonction.steps.base import ApplyResult, Step, StepContext

APPLIED: list[str] = []
STATE: dict[str, str] = {"basis": "v1"}


class Recorded(Step):
    title: ClassVar[str] = "recorded"

    async def plan(self, ctx: StepContext) -> Plan:
        return Plan(
            self.name,
            operations=[Operation("thing", Action.CREATE, f"{self.name}-1", reason="because")],
            basis=STATE["basis"],
        )

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        APPLIED.append(self.name)
        return ApplyResult([Outcome(op, "applied", moodle_id=7) for op in plan.operations])


def _make(name: str, requires: tuple[str, ...] = ()) -> type[Step]:
    return type(name, (Recorded,), {"name": name, "requires": requires})


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    table = {name: _make(name) for name in ("refer", "users", "offer", "groups")}
    monkeypatch.setattr(registry, "all_steps", lambda: table)
    monkeypatch.setenv("JONCTION_STATE__URL", f"sqlite:///{tmp_path / 'state.db'}")
    monkeypatch.setenv("JONCTION_PIPELINE__LOCK_FILE", str(tmp_path / "lock"))
    monkeypatch.delenv("JONCTION_CONFIG", raising=False)
    APPLIED.clear()
    STATE["basis"] = "v1"
    yield


runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_nightly_runs_every_step_in_order() -> None:
    invoke("nightly")
    assert APPLIED == ["refer", "users", "offer", "groups"]


def test_nightly_only_skip_from() -> None:
    invoke("nightly", "--only", "groups,users")
    assert APPLIED == ["users", "groups"]
    APPLIED.clear()
    invoke("nightly", "--skip", "offer")
    assert APPLIED == ["refer", "users", "groups"]
    APPLIED.clear()
    invoke("nightly", "--from", "offer")
    assert APPLIED == ["offer", "groups"]


def test_unknown_step_is_refused() -> None:
    result = runner.invoke(app, ["nightly", "--only", "nosuch"])
    assert result.exit_code == 2
    assert "unknown step(s): nosuch" in result.output


def test_pause_refuses_runs_until_resume() -> None:
    invoke("pause", "--reason", "summer")
    result = runner.invoke(app, ["nightly"])
    assert result.exit_code == 3
    assert "paused" in result.output and "summer" in result.output
    assert APPLIED == []
    invoke("resume")
    invoke("nightly")
    assert APPLIED


def test_expired_pause_is_ignored() -> None:
    invoke("pause", "--until", "2000-01-01")
    invoke("run", "offer")
    assert APPLIED == ["offer"]


def test_saved_plan_is_applied_and_refused_when_stale(tmp_path: Path) -> None:
    saved = tmp_path / "night.json"
    invoke("plan", "--save", str(saved))
    document = json.loads(saved.read_text())
    assert set(document["steps"]) == {"refer", "users", "offer", "groups"}
    assert APPLIED == []
    invoke("apply", str(saved))
    assert APPLIED == ["refer", "users", "offer", "groups"]

    APPLIED.clear()
    STATE["basis"] = "v2"
    result = runner.invoke(app, ["apply", str(saved)])
    assert result.exit_code == 1
    assert "changed" in result.output
    assert APPLIED == []


def test_report_text_json_csv() -> None:
    invoke("nightly")
    text = invoke("report")
    assert "run 1" in text and "succeeded" in text
    document = json.loads(invoke("report", "1", "--format", "json"))
    assert [step["step"] for step in document["steps"]] == ["refer", "users", "offer", "groups"]
    assert len(document["operations"]) == 4
    rows = list(csv.DictReader(io.StringIO(invoke("report", "--format", "csv", "--step", "offer"))))
    assert [(row["step"], row["key"], row["outcome"]) for row in rows] == [
        ("offer", "offer-1", "applied")
    ]


def test_report_without_runs() -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 1
    assert "no run" in result.output


def test_nightly_mails_its_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[str] = []

    class Collect(Message):  # type: ignore[misc]
        def handle_message(self, message: object) -> None:
            received.append(str(message))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("JONCTION_REPORT__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv(
            "JONCTION_REPORT__SMTP_PORT", str(controller.server.sockets[0].getsockname()[1])
        )
        monkeypatch.setenv("JONCTION_REPORT__RECIPIENTS", '["admin@univ.example"]')
        invoke("nightly")
    finally:
        controller.stop()
    assert len(received) == 1
    assert "Subject: [jonction] run 1: succeeded" in received[0]
    assert "- offer: succeeded, 1 change(s) applied" in received[0]


def test_nightly_due_runs_only_steps_whose_time_has_come(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["nightly", "--due"])
    assert result.exit_code == 2 and "schedules" in result.output
    monkeypatch.setenv(
        "JONCTION_PIPELINE__SCHEDULES", '{"users": "* * * * *", "groups": "0 0 1 1 *"}'
    )
    invoke("nightly", "--due")
    assert APPLIED == ["users", "groups"]
    APPLIED.clear()
    assert "no step is due" in invoke("nightly", "--due")
    assert APPLIED == []
