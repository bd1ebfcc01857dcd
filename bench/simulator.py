"""The Moodle simulator of a benchmark: a child process serving HTTP, with the measured cost
model (moodlesim's defaults), its state and the external enrolment table in the workspace.

`python -m bench.simulator FOLDER [--workers W]` is the child itself: moodlesim's own server.
The time Moodle's enrol_database sync takes (which no figure of jonction includes) is set
night by night (`Simulator.set_sync_scale`): a first sync at 30,000 students would wait an
hour at its measured cost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TOKEN = "benchbenchbenchbench000000000000"
MOODLE_DB = "moodle.db"
ENROL_DB = "enrolments.db"
# Moodle's enrol_database settings that match jonction's default table (docs/enrolments.md).
ENROL_SETTINGS = (
    "remoteenroltable=jonction_enrolments",
    "remotecoursefield=course_idnumber",
    "remoteuserfield=username",
    "remoterolefield=role",
    "localcoursefield=idnumber",
    "localuserfield=username",
    "localrolefield=shortname",
    "unenrolaction=2",
)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


@dataclass
class Simulator:
    base_url: str
    workers: int
    token: str = TOKEN

    @property
    def sync_url(self) -> str:
        return f"{self.base_url}/admin/enrol_database_sync"

    def stats(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.base_url}/admin/stats", headers={"X-Moodlesim-Token": self.token}, timeout=60
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset_stats(self) -> None:
        response = httpx.post(
            f"{self.base_url}/admin/reset_stats", data={"wstoken": self.token}, timeout=60
        )
        response.raise_for_status()

    def set_sync_scale(self, scale: float) -> None:
        """The sync takes `scale` times its measured cost from now on (0: no wait beyond the
        simulator's own work)."""
        response = httpx.post(
            f"{self.base_url}/admin/settings",
            data={"wstoken": self.token, "sync_scale": str(scale)},
            timeout=60,
        )
        response.raise_for_status()


def _wait_until_up(simulator: Simulator, deadline_s: float = 60.0) -> None:
    stop = time.monotonic() + deadline_s
    while True:
        try:
            simulator.stats()
            return
        except httpx.TransportError:
            if time.monotonic() > stop:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def running(folder: Path, workers: int = 6, sync_scale: float = 1.0) -> Iterator[Simulator]:
    """A simulator serving from `folder` (created if need be) until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "bench.simulator",
        str(folder),
        "--workers",
        str(workers),
    ]
    log = (folder / "simulator.log").open("a")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"the simulator did not start (exit {process.wait()}); see {folder}/simulator.log"
            )
        simulator = Simulator(json.loads(line)["url"], workers)
        _wait_until_up(simulator)
        simulator.set_sync_scale(sync_scale)
        yield simulator
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def serve(folder: Path, workers: int) -> None:
    """The child process: moodlesim's server on a free port, announcing its URL."""
    from moodlesim.cli import make_config
    from moodlesim.server import serve as serve_simulator

    config = make_config(
        token=TOKEN,
        db_url=sqlite_url(folder / MOODLE_DB),
        workers=workers,
        enrol_db=sqlite_url(folder / ENROL_DB),
        enrol_settings=ENROL_SETTINGS,
        sync_process=True,  # a real Moodle's sync does not share the workers' processors
    )
    serve_simulator(config, "127.0.0.1", 0, announce=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark's Moodle simulator (child).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, default=6)
    args = parser.parse_args(argv)
    serve(args.folder, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
