"""The enrolments step at university scale: rows written, wall time of the first run and of a
no-change rerun, and the time of the simulator's enrol_database sync.

A university of N students is generated (Apogée stand-in, LDIF directory, ADE answers),
REFER refreshed, and the users and offer steps run against a simulator without costs (they are
measured by their own benchmarks). The simulator is then restarted on the same state with the
cost model of a real Moodle 4.1 (`--cost-scale 1`: 5.3-5.7 ms a row for a first
enrol_database sync), and `jonction run enrolments` is run twice, each in its own process
measured by /usr/bin/time -v: the first run writes the table and triggers the sync, the second
finds nothing to do and triggers nothing.

    .venv/bin/python -m bench.enrolments --students 30000 [--seed 1] [--workdir DIR]
        [--cost-scale 1.0] [--enrol-url postgresql+psycopg://postgres@127.0.0.1/enrol_bench]
        [--reuse]

With `--workdir DIR --reuse`, the state after the setup is saved in DIR/setup the first time,
and later runs start again from it (the university is neither generated nor set up again):
the enrolments step alone can then be measured again and again (SQLite table only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jonction.config import load_settings
from jonction.db import make_engine, redact
from jonction.journal.schema import step_runs
from jonction.sources.generator.generate import default_paths, generate
from jonction.steps.runner import run_steps
from moodlesim.testing import running_simulator

from .simulator import ENROL_SETTINGS

YEAR = "2026"
JONCTION = Path(sys.executable).with_name("jonction")


def _config(workdir: Path, ldif: Path, ade: Path, enrol_url: str, moodle_url: str) -> Path:
    path = workdir / "jonction.toml"
    path.write_text(
        f'[apogee]\nurl = "sqlite:///{workdir / "apogee.db"}"\nyears = ["{YEAR}"]\n'
        f'[refer]\nurl = "sqlite:///{workdir / "refer.db"}"\n'
        f'[state]\nurl = "sqlite:///{workdir / "state.db"}"\n'
        f'[moodle]\nurl = "{moodle_url}"\ntoken_file = "{workdir / "token"}"\n'
        f'[enrol_database]\nurl = "{enrol_url}"\n'
        f'sync_url = "{moodle_url}/admin/enrol_database_sync"\n'
        f'[ldap]\nldif = "{ldif}"\n'
        f'[ade]\npath = "{ade}"\nteacher_key = "code_or_email"\n'
        f'[pipeline]\nlock_file = "{workdir / "jonction.lock"}"\n',
        encoding="utf-8",
    )
    return path


# The databases a setup leaves, saved for --reuse.
SAVED = ("apogee.db", "refer.db", "state.db", "moodle.db", "enrolments.db")


def _copy_database(source: Path, target: Path) -> None:
    # SQLite's backup, not a file copy: the databases are in WAL mode.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    if source.exists():
        with closing(sqlite3.connect(source)) as read, closing(sqlite3.connect(target)) as write:
            read.backup(write)


def _save_setup(workdir: Path) -> None:
    (workdir / "setup").mkdir(exist_ok=True)
    for name in SAVED:
        _copy_database(workdir / name, workdir / "setup" / name)


def _restore_setup(workdir: Path) -> None:
    for name in SAVED:
        _copy_database(workdir / "setup" / name, workdir / name)


def _timed(command: list[str]) -> dict[str, float]:
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False
    )
    report = done.stderr
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if wall is None or rss is None:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{report}")
    hours, minutes, seconds = wall.groups()
    return {
        "exit_status": done.returncode,
        "wall_s": round(int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds), 1),
        "peak_rss_mib": int(rss.group(1)) // 1024,
    }


def _last_step(state_url: str) -> dict[str, Any]:
    engine = make_engine(state_url)
    with engine.connect() as connection:
        row = connection.execute(
            select(step_runs.c.status, step_runs.c.counts, step_runs.c.stats)
            .where(step_runs.c.step == "enrolments")
            .order_by(step_runs.c.id.desc())
            .limit(1)
        ).one()
    engine.dispose()
    stats = dict(row.stats)
    sync = stats.get("sync") or {}
    answer = sync.get("answer") or {}
    return {
        "status": row.status,
        "planned": row.counts.get("planned", {}),
        "rows_added": stats.get("rows_added"),
        "rows_removed": stats.get("rows_removed"),
        "desired_rows": stats.get("desired_rows"),
        "table_rows_before": stats.get("table_rows"),
        "sync": {
            "triggered": bool(sync),
            "call_wall_s": sync.get("seconds"),
            "simulated_moodle_s": answer.get("seconds"),
            "enrolled": answer.get("enrolled"),
            "roles_assigned": answer.get("roles_assigned"),
            "skipped": answer.get("skipped"),
        },
    }


def _set_up(
    workdir: Path,
    apogee: str,
    options: argparse.Namespace,
    token: str,
    moodle_db: str,
    sim_options: dict[str, Any],
    results: dict[str, Any],
) -> tuple[Path, Path]:
    """Generates the university and runs the steps before enrolments; returns the paths of
    its directory (LDIF) and timetable."""
    started = time.perf_counter()
    university = generate(apogee, options.students, options.seed, YEAR)
    results["generated_s"] = round(time.perf_counter() - started, 1)
    enrol_url = sim_options["enrol_db"]
    with running_simulator(
        mode="process", token=token, db_url=moodle_db, cost_scale=0, **sim_options
    ) as moodle:
        config = _config(workdir, university.ldif, university.ade, enrol_url, moodle.base_url)
        started = time.perf_counter()
        report = asyncio.run(run_steps(load_settings(config), ["refer", "users", "offer"]))
        results["setup"] = {
            "steps": {step.step: step.status for step in report.steps},
            "wall_s": round(time.perf_counter() - started, 1),
        }
    return university.ldif, university.ade


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--cost-scale", type=float, default=1.0)
    parser.add_argument("--enrol-url", default="")
    parser.add_argument(
        "--reuse", action="store_true", help="start again from the setup saved in --workdir"
    )
    options = parser.parse_args(argv)
    if options.reuse and (options.workdir is None or options.enrol_url):
        parser.error("--reuse needs --workdir and the SQLite enrolment table (no --enrol-url)")
    workdir = (options.workdir or Path(tempfile.mkdtemp(prefix="bench-enrolments-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    enrol_url = options.enrol_url or f"sqlite:///{workdir / 'enrolments.db'}"
    token = secrets.token_hex(16)
    (workdir / "token").write_text(token)
    (workdir / "token").chmod(0o600)
    moodle_db = f"sqlite:///{workdir / 'moodle.db'}"

    results: dict[str, Any] = {
        "students": options.students,
        "enrolment_table": redact(enrol_url),
        "cost_scale": options.cost_scale,
    }
    sim_options: dict[str, Any] = {"enrol_db": enrol_url, "enrol_settings": list(ENROL_SETTINGS)}
    apogee = f"sqlite:///{workdir / 'apogee.db'}"
    if options.reuse and (workdir / "setup").is_dir():
        _restore_setup(workdir)
        ldif, ade = default_paths(apogee, None, None)
        results["setup"] = "reused"
    else:
        ldif, ade = _set_up(workdir, apogee, options, token, moodle_db, sim_options, results)
        if options.reuse:
            _save_setup(workdir)
    with running_simulator(
        mode="process",
        token=token,
        db_url=moodle_db,
        cost_scale=options.cost_scale,
        **sim_options,
    ) as moodle:
        config = _config(workdir, ldif, ade, enrol_url, moodle.base_url)
        state_url = load_settings(config).state.url
        command = [str(JONCTION), "run", "enrolments", "--config", str(config)]
        results["first_run"] = {**_timed(command), **_last_step(state_url)}
        results["no_change_rerun"] = {**_timed(command), **_last_step(state_url)}
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
