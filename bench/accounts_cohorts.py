"""Accounts and cohorts of a generated university, against the simulator over HTTP.

Generates the university (Apogée stand-in and its LDIF directory), fills REFER with the refer
step, starts the Moodle simulator in its own process with the default cost model, then runs
the users and cohorts steps twice: the first night (everything created) and a night with no
change (reads only). Prints, for each step and night, the objects created, the calls (reads
and writes) and the wall time.

    .venv/bin/python -m bench.accounts_cohorts --students 30000
    .venv/bin/python -m bench.accounts_cohorts --students 3000 --json results.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from jonction.config import Settings
from jonction.sources.generator import generate
from jonction.steps.runner import RunReport, StepReport, run_steps
from moodlesim.testing import running_simulator

YEAR = "2026"
TOKEN = "benchaccountscohorts000000000000"
READS = ("get_users", "get_cohorts", "get_cohort_members", "get_site_info")


def _calls(step: StepReport) -> tuple[int, int]:
    reads = writes = 0
    for function, entry in step.calls.items():
        if any(marker in function for marker in READS):
            reads += int(entry["calls"])
        else:
            writes += int(entry["calls"])
    return reads, writes


def _applied(step: StepReport, kind: str, action: str) -> int:
    if step.result is None:
        return 0
    return sum(
        1
        for o in step.result.outcomes
        if o.outcome == "applied" and o.operation.kind == kind and str(o.operation.action) == action
    )


def _figures(night: str, report: RunReport) -> list[dict[str, Any]]:
    rows = []
    for step in report.steps:
        reads, writes = _calls(step)
        rows.append(
            {
                "night": night,
                "step": step.step,
                "status": step.status,
                "seconds": round(step.seconds, 1),
                "reads": reads,
                "writes": writes,
                "accounts_created": _applied(step, "user", "create"),
                "cohorts_created": _applied(step, "cohort", "create"),
                "members_added": _applied(step, "cohort_member", "add"),
                "operations": len(step.plan.operations) if step.plan else 0,
                "failed": step.outcome_counts().get("failed", 0),
                "calls_by_function": {k: int(v["calls"]) for k, v in sorted(step.calls.items())},
            }
        )
    return rows


def _settings(work: Path, url: str) -> Settings:
    settings = Settings()
    settings.apogee.url = f"sqlite:///{work / 'apogee.db'}"
    settings.apogee.years = [YEAR]
    settings.refer.url = f"sqlite:///{work / 'refer.db'}"
    settings.state.url = f"sqlite:///{work / 'state.db'}"
    settings.pipeline.lock_file = work / "lock"
    settings.ldap.ldif = work / "directory.ldif"
    settings.moodle.url = url
    settings.moodle.token = SecretStr(TOKEN)
    return settings


def bench(students: int, seed: int, work: Path) -> list[dict[str, Any]]:
    console = Console(stderr=True)
    started = time.monotonic()
    generate(
        f"sqlite:///{work / 'apogee.db'}",
        students,
        seed,
        YEAR,
        ldif=work / "directory.ldif",
        ade=work / "ade",
    )
    console.print(
        f"university of {students} students generated in {time.monotonic() - started:.1f} s"
    )
    rows: list[dict[str, Any]] = []
    with running_simulator(
        token=TOKEN, mode="process", db_url=f"sqlite:///{work / 'moodle.db'}"
    ) as moodle:
        settings = _settings(work, moodle.base_url)
        refer = asyncio.run(run_steps(settings, ["refer"]))
        console.print(f"refer: {refer.steps[0].status} in {refer.steps[0].seconds:.1f} s")
        for night in ("first", "no change"):
            report = asyncio.run(run_steps(settings, ["users", "cohorts"]))
            rows += _figures(night, report)
            for step in report.steps:
                if step.status != "succeeded":
                    console.print(f"[red]{step.step}: {step.status} {step.error}[/]")
    return rows


def _table(rows: list[dict[str, Any]], students: int) -> Table:
    table = Table(title=f"users and cohorts, {students} students, simulator with default costs")
    columns = ("night", "step", "status", "accounts_created", "cohorts_created", "members_added")
    columns += ("reads", "writes", "seconds")
    for column in columns:
        table.add_column(
            column.replace("_", " "),
            justify="left" if column in {"night", "step", "status"} else "right",
        )
    for row in rows:
        table.add_row(*(str(row[column]) for column in columns))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="Keep the files here.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-accounts-") as scratch:
        work = options.workdir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        rows = bench(options.students, options.seed, work)
    Console(width=150).print(_table(rows, options.students))
    if options.json is not None:
        options.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
