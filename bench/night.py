"""One night: `jonction nightly` in a child process, timed, its peak memory taken from the
kernel (wait4), its steps read back from the journal, the simulator's cost read from its
admin endpoint."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jonction.db import make_engine
from jonction.journal.reading import RunView, get_run, latest_run_id, step_sizes

from . import sources_floor
from .simulator import Simulator

NIGHTS = ("first", "changed", "quiet")
NIGHT_TITLES = {
    "first": "first night (empty Moodle, empty REFER)",
    "changed": "night after evolve-apogee",
    "quiet": "no-change night",
}
# Rows of the external enrolment table written by a step (its journaled stats).
TABLE_ROW_STATS = ("rows_added", "rows_removed", "rows_marked_or_unmarked")


def client_specs() -> dict[str, Any]:
    """The web service functions of jonction's Moodle client (none while it is missing)."""
    try:
        module = importlib.import_module("jonction.moodle")
    except ImportError:
        return {}
    return dict(getattr(module, "SPECS", {}))


def is_web_service(function: str) -> bool:
    """Whether a journaled call is a web service function; the enrolments step also journals
    its trigger of Moodle's enrol_database sync ("enrol_database_sync (url)"), which is
    Moodle's own work, outside jonction's calls and figures."""
    return " " not in function


def is_write(function: str) -> bool:
    """Whether a web service function writes, as jonction's client classes it."""
    spec = client_specs().get(function)
    if spec is not None:
        return bool(spec.is_write)
    return not any(part in function for part in ("_get_", "_search_", "site_info"))


@dataclass
class StepFigures:
    step: str
    status: str
    seconds: float
    calls: dict[str, dict[str, float]]
    operations: int
    outcomes: dict[str, int]
    table_rows: int
    sync_s: float
    error: str
    # Unix times of the step, and the highest resident memory sampled meanwhile.
    started: float = 0.0
    finished: float = 0.0
    peak_rss_bytes: int | None = None

    @property
    def jonction_s(self) -> float:
        """The step's time without Moodle's enrol_database sync it waited for."""
        return max(0.0, self.seconds - self.sync_s)

    def count(self, writes: bool, what: str = "calls") -> int:
        return int(
            sum(
                entry.get(what, 0)
                for f, entry in self.calls.items()
                if is_web_service(f) and is_write(f) == writes
            )
        )

    @property
    def read_calls(self) -> int:
        return self.count(False)

    @property
    def write_calls(self) -> int:
        return self.count(True)

    @property
    def items_written(self) -> int:
        return self.count(True, "items")

    @property
    def items_read(self) -> int:
        return self.count(False, "items")

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "jonction_s": round(self.jonction_s, 3),
            "sync_s": round(self.sync_s, 3),
            "read_calls": self.read_calls,
            "write_calls": self.write_calls,
            "items_written": self.items_written,
            "items_read": self.items_read,
            "table_rows_written": self.table_rows,
            "operations": self.operations,
            "outcomes": self.outcomes,
            "calls": self.calls,
            "error": self.error,
            "peak_rss_bytes": self.peak_rss_bytes,
        }


@dataclass
class Night:
    name: str
    variant: str
    students: int
    exit_code: int
    process_s: float
    peak_rss_bytes: int
    run_status: str
    steps: list[StepFigures]
    simulator: dict[str, Any]
    sync: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    profile: str = ""
    # Seconds to read each source of the night at the least (bench/sources_floor.py).
    source_floor: dict[str, float] = field(default_factory=dict)
    # The time Moodle's sync took, as a share of its measured cost.
    sync_scale: float = 1.0

    @property
    def sync_s(self) -> float:
        return sum(step.sync_s for step in self.steps)

    @property
    def jonction_s(self) -> float:
        """Wall time of the jonction process, less Moodle's enrol_database sync."""
        return max(0.0, self.process_s - self.sync_s)

    def total(self, attribute: str) -> int:
        return int(sum(getattr(step, attribute) for step in self.steps))

    def calls_by_function(self) -> dict[str, dict[str, float]]:
        merged: dict[str, dict[str, float]] = {}
        for step in self.steps:
            for function, entry in step.calls.items():
                into = merged.setdefault(function, {"calls": 0, "items": 0, "seconds": 0.0})
                for key in ("calls", "items", "seconds"):
                    into[key] += entry.get(key, 0)
        return dict(sorted(merged.items()))

    def step(self, name: str) -> StepFigures | None:
        return next((s for s in self.steps if s.step == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "night": self.name,
            "variant": self.variant,
            "students": self.students,
            "exit_code": self.exit_code,
            "run_status": self.run_status,
            "process_s": round(self.process_s, 3),
            "jonction_s": round(self.jonction_s, 3),
            "sync_s": round(self.sync_s, 3),
            "peak_rss_bytes": self.peak_rss_bytes,
            "read_calls": self.total("read_calls"),
            "write_calls": self.total("write_calls"),
            "items_written": self.total("items_written"),
            "table_rows_written": self.total("table_rows"),
            "calls_by_function": self.calls_by_function(),
            "steps": [step.as_dict() for step in self.steps],
            "simulator": self.simulator,
            "sync": self.sync,
            "log": self.log,
            "profile": self.profile,
            "source_floor_s": {k: round(v, 3) for k, v in self.source_floor.items()},
            "sync_scale": self.sync_scale,
        }


@dataclass(frozen=True)
class Process:
    exit_code: int
    seconds: float
    peak_rss_bytes: int
    # (Unix time, resident bytes) every quarter of a second: the peak of each step.
    rss_samples: list[tuple[float, int]] = field(default_factory=list)


class RssSampler(threading.Thread):
    """Reads a process's resident memory from /proc while it runs (Linux): its size every
    `every_s`, and its high-water mark since it started the program (VmHWM).

    The processes it starts (the sources read ahead, docs/operations.md) count with it: each
    sample adds to the process's size the high-water mark of each of its descendants then
    alive, which cannot be less than what they held at that moment."""

    def __init__(self, pid: int, every_s: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every_s = every_s
        self.samples: list[tuple[float, int]] = []
        self.high_water = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            figures = _memory_of(self.pid)
            if figures is None:
                return
            rss, high_water = figures
            children = sum((_memory_of(child) or (0, 0))[1] for child in _descendants(self.pid))
            self.samples.append((time.time(), rss + children))
            self.high_water = max(self.high_water, high_water)
            self.done.wait(self.every_s)

    def peak(self, kernel_peak: int) -> int:
        """The process's peak: its high-water mark, read until it ended, or what the kernel
        tells if it ended before the first reading. The kernel's figure (ru_maxrss) counts the
        pages the child shared with this process between fork and exec: a benchmark that
        has grown would lend its own size to every small night."""
        seen = max((rss for _, rss in self.samples), default=0)
        return max(self.high_water, seen) or kernel_peak


def _memory_of(pid: int) -> tuple[int, int] | None:
    """(resident bytes, high-water mark) of a process, None once it has ended."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    figures = {"VmRSS:": 0, "VmHWM:": 0}
    for line in text.splitlines():
        name = line.split(maxsplit=1)[0] if line else ""
        if name in figures:
            figures[name] = int(line.split()[1]) * 1024
    return figures["VmRSS:"], figures["VmHWM:"]


def _descendants(pid: int) -> list[int]:
    """The processes started by `pid`, and by them, as /proc lists them now."""
    found: list[int] = []
    waiting = [pid]
    while waiting:
        parent = waiting.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            found += children
            waiting += children
    return found


def run_child(command: list[str], cwd: Path, log: Path, profile: Path | None = None) -> Process:
    """Runs `command`, its output to `log`; wall time and the peak resident memory of the
    process, as the kernel accounts it. With `profile`, py-spy attaches to the process (from
    outside: the process and its memory are its own) and writes its samples there."""
    with log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        spy = _attach_py_spy(process.pid, profile, log) if profile is not None else None
        sampler = RssSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if spy is not None:
        try:
            spy.wait(timeout=120)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
    # Linux gives ru_maxrss in kibibytes.
    peak = sampler.peak(usage.ru_maxrss * 1024)
    return Process(process.returncode, seconds, peak, sampler.samples)


def _attach_py_spy(pid: int, profile: Path, log: Path) -> subprocess.Popen[bytes]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    # Raw (collapsed) stacks, summarised by bench.profile; sampled without pausing the process.
    command = [spy, "record", "--nonblocking", "--format", "raw", "--rate", "50"]
    command += ["-o", str(profile), "--pid", str(pid)]
    spy_log = log.with_suffix(".py-spy.log").open("w")
    return subprocess.Popen(command, stdout=spy_log, stderr=subprocess.STDOUT)


def nightly_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "jonction.cli", "nightly", "--config", str(config)]


def _step_figures(view: RunView, sizes: dict[int, tuple[int, int]]) -> list[StepFigures]:
    figures = []
    for item in view.steps:
        stats = item.stats or {}
        sync = stats.get("sync") or {}
        outcomes = (item.counts or {}).get("outcomes", {})
        figures.append(
            StepFigures(
                step=item.step,
                status=item.status,
                seconds=item.seconds or 0.0,
                calls={k: dict(v) for k, v in (item.calls or {}).items()},
                operations=sizes.get(item.id, (0, 0))[0],
                outcomes=dict(outcomes),
                table_rows=int(sum(int(stats.get(key, 0) or 0) for key in TABLE_ROW_STATS)),
                sync_s=float(sync.get("seconds", 0.0) or 0.0) if sync.get("method") else 0.0,
                error=item.error or "",
                started=_unix(item.started_at),
                finished=_unix(item.finished_at),
            )
        )
    return figures


def _unix(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # the journal keeps UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def step_peaks(steps: list[StepFigures], samples: list[tuple[float, int]]) -> None:
    """Sets each step's peak resident memory from the samples taken while it ran."""
    for step in steps:
        inside = [rss for at, rss in samples if step.started <= at <= (step.finished or at)]
        step.peak_rss_bytes = max(inside) if inside else None


def read_run(state_url: str) -> tuple[str, list[StepFigures], dict[str, Any]]:
    """The last run of the journal: its status, its steps, and the sync's answer."""
    engine = make_engine(state_url)
    try:
        run_id = latest_run_id(engine)
        view = get_run(engine, run_id) if run_id is not None else None
        if view is None:
            return "not journaled", [], {}
        sync: dict[str, Any] = {}
        for item in view.steps:
            found = (item.stats or {}).get("sync")
            if found:
                sync = dict(found)
        return view.status, _step_figures(view, step_sizes(engine, view.id)), sync
    finally:
        engine.dispose()


def run_night(
    name: str,
    variant: str,
    students: int,
    workspace: Path,
    config: Path,
    state_url: str,
    simulator: Simulator,
    profile: bool = False,
) -> Night:
    floor = sources_floor.measure(workspace)
    simulator.reset_stats()
    log = workspace / f"night-{name}.log"
    profile_file = workspace / f"profile-{name}.txt" if profile else None
    process = run_child(nightly_command(config), workspace, log, profile_file)
    status, steps, sync = read_run(state_url)
    step_peaks(steps, process.rss_samples)
    return Night(
        name=name,
        variant=variant,
        students=students,
        exit_code=process.exit_code,
        process_s=process.seconds,
        peak_rss_bytes=process.peak_rss_bytes,
        run_status=status,
        steps=steps,
        simulator=simulator.stats(),
        sync=sync,
        log=str(log),
        profile=str(profile_file) if profile_file else "",
        source_floor=floor,
    )
