"""Triggering Moodle's enrol_database sync once the table is written.

A real Moodle (4.1 and later) runs the scheduled task from the command line:
`php admin/cli/scheduled_task.php --execute='\\enrol_database\\task\\sync_enrolments'`;
the simulator offers the same through `POST /admin/enrol_database_sync`. Without either,
Moodle's cron runs the task on its own schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ..config.moodle import EnrolDatabaseSection, MoodleSection

OUTPUT_KEPT = 20_000  # characters of output kept for the journal (the end, where errors are)


@dataclass(frozen=True, slots=True)
class SyncReport:
    method: str  # command | url
    ok: bool
    seconds: float
    detail: str
    exit_code: int | None = None
    answer: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
            "exit_code": self.exit_code,
            "answer": self.answer,
        }


def _tail(text: str) -> str:
    return text if len(text) <= OUTPUT_KEPT else "…" + text[-OUTPUT_KEPT:]


async def _keep_tail(stream: asyncio.StreamReader, kept: bytearray) -> None:
    # Moodle prints a line per enrolment: keep only the end, where errors are.
    while data := await stream.read(65536):
        kept.extend(data)
        if len(kept) > 4 * OUTPUT_KEPT:
            del kept[: len(kept) - 4 * OUTPUT_KEPT]


async def run_sync_command(command: str, timeout_s: float) -> SyncReport:
    """Runs the command through the shell, output captured; stopped (its whole process
    group) when it outlives the timeout."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_shell(
        command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.stdout is not None
    kept = bytearray()
    reader = asyncio.create_task(_keep_tail(process.stdout, kept))
    stopped = ""
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        stopped = f"stopped after {timeout_s:g} s\n"
    await reader
    text = stopped + kept.decode("utf-8", "replace")
    code = process.returncode
    ok = not stopped and code == 0
    return SyncReport("command", ok, time.monotonic() - started, _tail(text), code)


async def call_sync_url(
    url: str,
    token: str,
    timeout_s: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SyncReport:
    """POSTs to the simulator's sync endpoint, the token in the body (never in the URL)."""
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=timeout_s, transport=transport) as client:
        try:
            response = await client.post(url, data={"wstoken": token})
        except httpx.HTTPError as exc:
            return SyncReport(
                "url", False, time.monotonic() - started, f"{type(exc).__name__}: {exc}"
            )
    seconds = time.monotonic() - started
    try:
        answer = response.json()
    except ValueError:
        answer = None
    problem = answer.get("message") or answer.get("error") if isinstance(answer, dict) else None
    failed = response.status_code != 200 or (isinstance(answer, dict) and "exception" in answer)
    detail = f"HTTP {response.status_code}" + (f": {problem}" if problem else "")
    return SyncReport("url", not failed, seconds, detail, answer=answer)


async def trigger_sync(
    section: EnrolDatabaseSection,
    moodle: MoodleSection,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SyncReport | None:
    """Runs the configured trigger; None when Moodle's cron is left to do it."""
    if section.sync_command:
        return await run_sync_command(section.sync_command, section.sync_timeout_s)
    if section.sync_url:
        token = moodle.token.get_secret_value() if moodle.token else ""
        return await call_sync_url(section.sync_url, token, section.sync_timeout_s, transport)
    return None
