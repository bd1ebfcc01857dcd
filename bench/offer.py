"""The offer step at university scale against the simulator with its default cost model.

A university of N students is generated, REFER refreshed from it, and the offer step run twice
against a simulator started in its own process with the measured costs of a real Moodle 4.1
(`jonction moodle-sim` defaults: 20 ms a call, per-item costs by function, course creation
slowing down as a category fills, 6 workers): the first run builds the catalogue, the second
finds nothing to do. Printed: categories and courses created, calls by function, wall time
(which includes loading REFER's snapshot of the year, also measured alone: in a night it is
loaded once for every step that reads it).

    .venv/bin/python -m bench.offer --students 30000 [--seed 1] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from jonction.config import Settings
from jonction.sources.generator.generate import generate
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps.runner import StepReport, run_steps
from moodlesim.testing import running_simulator

YEAR = "2026"


def _settings(workdir: Path, url: str, token: str) -> Settings:
    settings = Settings()
    settings.apogee.url = f"sqlite:///{workdir / 'apogee.db'}"
    settings.apogee.years = [YEAR]
    settings.refer.url = f"sqlite:///{workdir / 'refer.db'}"
    settings.state.url = f"sqlite:///{workdir / 'state.db'}"
    settings.pipeline.lock_file = workdir / "jonction.lock"
    settings.moodle.url = url
    settings.moodle.token = SecretStr(token)
    return settings


def _summary(step: StepReport, wall_s: float) -> dict[str, Any]:
    outcomes: Counter[str] = Counter()
    if step.result is not None:
        for item in step.result.outcomes:
            outcomes[f"{item.operation.kind} {item.operation.action} {item.outcome}"] += 1
    calls = {name: int(v["calls"]) for name, v in sorted(step.calls.items())}
    return {
        "status": step.status,
        "wall_s": round(wall_s, 1),
        "outcomes": dict(sorted(outcomes.items())),
        "calls": calls,
        "calls_total": sum(calls.values()),
        "writes": sum(n for name, n in calls.items() if "_get_" not in name),
        "stats": step.plan.stats if step.plan else {},
    }


def _run_offer(settings: Settings) -> tuple[StepReport, float]:
    started = time.perf_counter()
    report = asyncio.run(run_steps(settings, ["offer"]))
    return report.steps[0], time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    options = parser.parse_args(argv)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="bench-offer-"))
    workdir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    started = time.perf_counter()
    generated = generate(f"sqlite:///{workdir / 'apogee.db'}", options.students, options.seed, YEAR)
    print(f"generated {generated.students:,} students in {time.perf_counter() - started:.0f} s")
    with running_simulator(
        mode="process", token=token, db_url=f"sqlite:///{workdir / 'moodle.db'}"
    ) as moodle:
        settings = _settings(workdir, moodle.base_url, token)
        started = time.perf_counter()
        refer = asyncio.run(run_steps(settings, ["refer"])).steps[0]
        print(f"refer {refer.status} in {time.perf_counter() - started:.0f} s")
        first, first_s = _run_offer(settings)
        second, second_s = _run_offer(settings)
    # Part of each run's wall time: loading REFER's snapshot (shared by the steps of a night).
    started = time.perf_counter()
    load_snapshot(open_refer(settings), YEAR)
    load_s = time.perf_counter() - started
    result = {
        "students": options.students,
        "seed": options.seed,
        "refer_snapshot_load_s": round(load_s, 1),
        "first_run": _summary(first, first_s),
        "no_change_rerun": _summary(second, second_s),
    }
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
