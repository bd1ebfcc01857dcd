"""A year's close at university scale against the simulator with its default cost model.

A university of N students is generated; the offer builds its 2026 catalogue; Apogée opens
2027 (`evolve --rollover`) and so does jonction (`rollover 2027`, ten days of overlap), the
offer builds 2027; then, nights at given dates (the run's clock): the night 2026 closes (the
obsolescence step hides every 2026 course, forced past the guard), the night they are
archived (thirty days later, forced), and a night with nothing to do. Printed for each: the
operations, the Moodle calls by function and the wall time of the obsolescence step.

    .venv/bin/python -m bench.obsolescence --students 30000 [--seed 1] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from jonction.commands.rollover import record_years
from jonction.config import Settings
from jonction.domain.years import rollover
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.generate import generate
from jonction.steps.runner import StepReport, open_journal, run_steps
from jonction.steps.years import years_state
from moodlesim.testing import running_simulator


def _settings(workdir: Path, url: str, token: str) -> Settings:
    settings = Settings()
    settings.apogee.url = f"sqlite:///{workdir / 'apogee.db'}"
    settings.apogee.years = ["2026"]
    settings.refer.url = f"sqlite:///{workdir / 'refer.db'}"
    settings.state.url = f"sqlite:///{workdir / 'state.db'}"
    settings.pipeline.lock_file = workdir / "jonction.lock"
    settings.moodle.url = url
    settings.moodle.token = SecretStr(token)
    settings.obsolescence.archive_after_days = 30
    return settings


def _night(
    settings: Settings, day: str, steps: list[str], force: tuple[str, ...] = ()
) -> tuple[dict[str, StepReport], float]:
    started = time.perf_counter()
    moment = datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)
    report = asyncio.run(run_steps(settings, steps, now=moment, force=force))
    for step in report.steps:
        if step.status != "succeeded":
            raise SystemExit(f"{day} {step.step}: {step.status} {step.error}")
    return {step.step: step for step in report.steps}, time.perf_counter() - started


def _summary(step: StepReport) -> dict[str, Any]:
    done: Counter[str] = Counter()
    if step.result is not None:
        for item in step.result.outcomes:
            done[f"{item.operation.kind} {item.operation.action} {item.outcome}"] += 1
    calls = {name: int(v["calls"]) for name, v in sorted(step.calls.items())}
    return {
        "wall_s": round(step.seconds, 1),
        "outcomes": dict(sorted(done.items())),
        "calls": calls,
        "calls_total": sum(calls.values()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    options = parser.parse_args(argv)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="bench-obsolescence-"))
    workdir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    apogee = f"sqlite:///{workdir / 'apogee.db'}"
    generate(apogee, options.students, options.seed, "2026")
    result: dict[str, Any] = {"students": options.students}
    with running_simulator(
        mode="process", token=token, db_url=f"sqlite:///{workdir / 'moodle.db'}"
    ) as moodle:
        settings = _settings(workdir, moodle.base_url, token)
        built, seconds = _night(settings, "2026-09-15", ["refer", "offer"])
        result["2026 built"] = {"night_s": round(seconds, 1), "offer": _summary(built["offer"])}
        evolve(apogee, seed=options.seed, rollover=True)
        journal = open_journal(settings)
        day = date(2027, 7, 1)
        state = years_state(settings, journal, day)
        record_years(journal, state, rollover(state, "2027", day, 10), "bench")
        opened, seconds = _night(settings, "2027-07-01", ["refer", "offer", "obsolescence"])
        result["2027 opened"] = {
            "night_s": round(seconds, 1),
            "offer": _summary(opened["offer"]),
            "obsolescence": _summary(opened["obsolescence"]),
        }
        steps = ["refer", "offer", "obsolescence"]
        for label, when in (
            ("2026 closed: hidden", "2027-07-15"),
            ("2026 archived", "2027-08-20"),
            ("nothing to do", "2027-08-21"),
        ):
            night, seconds = _night(settings, when, steps, force=("obsolescence",))
            result[label] = {
                "night_s": round(seconds, 1),
                "offer": _summary(night["offer"]),
                "obsolescence": _summary(night["obsolescence"]),
            }
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
