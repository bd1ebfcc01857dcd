"""Triggering Moodle's enrol_database sync: a command (output, exit code, timeout) or the
simulator's endpoint (token in the body)."""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jonction.config.moodle import EnrolDatabaseSection, MoodleSection
from jonction.moodle.enrol_sync import SyncReport, run_sync_command, trigger_sync


def test_command_output_and_exit_code_are_kept() -> None:
    report = asyncio.run(run_sync_command("echo enrolling: 12; echo oops >&2; exit 3", 10))
    assert (report.method, report.ok, report.exit_code) == ("command", False, 3)
    assert "enrolling: 12" in report.detail and "oops" in report.detail
    assert asyncio.run(run_sync_command("true", 10)).ok


def test_a_command_that_hangs_is_stopped() -> None:
    started = time.monotonic()
    report = asyncio.run(run_sync_command("echo started; sleep 30", 0.5))
    assert time.monotonic() - started < 10
    assert not report.ok and "stopped after 0.5 s" in report.detail and "started" in report.detail


def test_url_gets_the_token_in_the_body() -> None:
    seen: list[dict[str, str]] = []

    async def sync(request: Request) -> JSONResponse:
        form = await request.form()
        seen.append({"query": str(request.url.query), "wstoken": str(form.get("wstoken"))})
        if form.get("wstoken") == "unconfigured":
            return JSONResponse({"error": "enrol_database is not configured"}, status_code=409)
        if form.get("wstoken") != "t0k3n":
            return JSONResponse({"exception": "moodle_exception", "message": "Invalid token"})
        return JSONResponse({"enrolled": 3, "suspended": 0})

    app = Starlette(routes=[Route("/admin/enrol_database_sync", sync, methods=["POST"])])
    section = EnrolDatabaseSection(sync_url="http://moodle.test/admin/enrol_database_sync")

    async def call(token: str) -> SyncReport | None:
        return await trigger_sync(
            section,
            MoodleSection(token=SecretStr(token)),
            transport=httpx.ASGITransport(app=app),
        )

    good = asyncio.run(call("t0k3n"))
    assert good is not None and good.ok and good.answer == {"enrolled": 3, "suspended": 0}
    bad = asyncio.run(call("wrong"))
    assert bad is not None and not bad.ok and "Invalid token" in bad.detail
    refused = asyncio.run(call("unconfigured"))
    assert refused is not None and not refused.ok
    assert refused.detail == "HTTP 409: enrol_database is not configured"
    assert seen[0] == {"query": "", "wstoken": "t0k3n"}


def test_nothing_configured_leaves_it_to_moodle_cron() -> None:
    assert asyncio.run(trigger_sync(EnrolDatabaseSection(), MoodleSection())) is None
