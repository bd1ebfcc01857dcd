"""Running the simulator for tests and benchmarks: over real HTTP, on a free port.

    with running_simulator(latency_ms=0) as moodle:
        httpx.post(moodle.rest_url, data={"wstoken": moodle.token, ...})

`mode="thread"` serves it from a thread of this process (the `simulator` object is then at
hand); `mode="process"` runs `python -m moodlesim` in a child process, so that the
simulator's own CPU does not compete with the client's (benchmarks).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .cli import make_config
from .server import bind, uvicorn_server
from .simulator import Simulator

DEFAULT_TOKEN = "moodlesim-test-token"


@dataclass
class RunningSimulator:
    base_url: str
    token: str
    simulator: Simulator | None = None

    @property
    def rest_url(self) -> str:
        return f"{self.base_url}/webservice/rest/server.php"

    def _admin(self, path: str, **fields: str) -> Any:
        response = httpx.post(
            f"{self.base_url}/admin/{path}", data={"wstoken": self.token, **fields}, timeout=None
        )
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.base_url}/admin/stats", headers={"X-Moodlesim-Token": self.token}, timeout=30
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset_stats(self) -> None:
        self._admin("reset_stats")

    def settings(self, **fields: str) -> Any:
        return self._admin("settings", **fields)

    def course_access(self, course_id: int, user_id: int) -> Any:
        """Someone opens a course (what Moodle records as the last course access)."""
        return self._admin("course_access", courseid=str(course_id), userid=str(user_id))

    def enrol_database_sync(self) -> dict[str, Any]:
        result: dict[str, Any] = self._admin("enrol_database_sync")
        return result


def _cli_args(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if name == "enrol_settings":
            for pair in value:
                args += ["--enrol-setting", pair]
        elif name == "without_functions":
            for function in value:
                args += ["--without-function", function]
        elif name == "db_url":
            args += ["--db", str(value)]
        elif value is True:
            args.append(flag)
        else:
            args += [flag, str(value)]
    return args


def _wait_until_up(url: str, token: str, deadline_s: float = 30.0) -> None:
    stop = time.monotonic() + deadline_s
    while True:
        try:
            httpx.get(f"{url}/admin/stats", headers={"X-Moodlesim-Token": token}, timeout=2)
            return
        except httpx.TransportError:
            if time.monotonic() > stop:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def running_simulator(
    *,
    token: str = DEFAULT_TOKEN,
    db_url: str | None = None,
    mode: str = "thread",
    host: str = "127.0.0.1",
    **options: Any,
) -> Iterator[RunningSimulator]:
    """A simulator on a free port; options are those of `moodlesim.cli.make_config`
    (latency_ms, per_item_ms, cost_scale, workers, fault_rate, seed, fault_hang_s,
    max_input_vars, debug, enrol_db, enrol_settings, site_url, without_functions).

    Without `db_url` it keeps its state in a temporary SQLite file, removed afterwards.
    """
    scratch = None
    if db_url is None:
        scratch = Path(tempfile.mkdtemp(prefix="moodlesim-"))
        db_url = f"sqlite:///{scratch / 'moodle.db'}"
    try:
        if mode == "thread":
            with _in_thread(token, db_url, host, options) as running:
                yield running
        elif mode == "process":
            with _in_process(token, db_url, host, options) as running:
                yield running
        else:
            raise ValueError(f"mode must be 'thread' or 'process', not {mode!r}")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _in_thread(
    token: str, db_url: str, host: str, options: dict[str, Any]
) -> Iterator[RunningSimulator]:
    simulator = Simulator(make_config(token=token, db_url=db_url, **options))
    sock = bind(host, 0)
    port = sock.getsockname()[1]
    server = uvicorn_server(simulator)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    try:
        _wait_until_up(url, token)
        yield RunningSimulator(url, token, simulator)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        simulator.close()


@contextlib.contextmanager
def _in_process(
    token: str, db_url: str, host: str, options: dict[str, Any]
) -> Iterator[RunningSimulator]:
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "moodlesim",
        "--host",
        host,
        "--port",
        "0",
        "--announce",
        "--token",
        token,
        "--db",
        db_url,
        *_cli_args(options),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the simulator did not start (exit status {process.wait()})")
        url = json.loads(line)["url"]
        _wait_until_up(url, token)
        yield RunningSimulator(url, token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
