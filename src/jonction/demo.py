"""`make demo`: a generated university synchronised, night after night, with the simulator.

Everything lives under var/demo/: the Apogée stand-in with its directory (LDIF) and timetable
(ADE answers), REFER, the state database, the external enrolment table, the simulated Moodle's
database and jonction.toml. The simulator and the dashboard keep running in the background
after the demo, so that every `jonction … --config var/demo/jonction.toml` command works;
`python -m jonction.demo --stop` (or `make demo-stop`) stops them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from .commands.render import print_run, rich_progress
from .config import Settings, current_academic_year, load_settings
from .config.example import HEADER
from .db import make_engine
from .sources.generator.evolve import evolve
from .sources.generator.generate import generate
from .sources.refer.store import ensure_schema, refer_years, table_counts
from .steps.runner import run_blocking, run_steps
from .steps.saved_plans import write_plans
from .web.accounts import AccountStore
from .web.roles import Role

ROOT = Path("var/demo")
MOODLE_PORT = 8765
DASHBOARD_PORT = 8000
TOKEN_FILE = ROOT / "moodle-token"
console = Console()


def _write_config(year: str) -> Path:
    """The demo's configuration: every database under var/demo, the simulator on loopback."""
    root = ROOT.resolve()
    text = f"""{HEADER}
# The demo's configuration, written by `make demo`.

[apogee]
url = "sqlite:///{root}/apogee.db"
years = ["{year}"]

[refer]
url = "sqlite:///{root}/refer.db"

[state]
url = "sqlite:///{root}/jonction.db"

[moodle]
url = "http://127.0.0.1:{MOODLE_PORT}"
token_file = "{root / TOKEN_FILE.name}"

[enrol_database]
url = "sqlite:///{root}/enrolments.db"
sync_url = "http://127.0.0.1:{MOODLE_PORT}/admin/enrol_database_sync"

[ldap]
ldif = "{root}/apogee.ldif"

[ade]
path = "{root}/apogee-ade"

[pipeline]
lock_file = "{root}/jonction.lock"

[web]
port = {DASHBOARD_PORT}
plan_file = "{root}/plan.json"
"""
    path = ROOT / "jonction.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _pid_file(name: str) -> Path:
    return ROOT / f"{name}.pid"


def stop_background() -> None:
    for name in ("moodle", "dashboard"):
        file = _pid_file(name)
        if not file.exists():
            continue
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            os.killpg(int(file.read_text()), signal.SIGTERM)
        file.unlink(missing_ok=True)


def _start_background(name: str, command: list[str], ready_url: str) -> None:
    log = (ROOT / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    _pid_file(name).write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {name} did not start; see {ROOT / (name + '.log')}")
        try:
            httpx.get(ready_url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the {name} did not answer within a minute; see {ROOT / (name + '.log')}")


def _start_moodle(token: str) -> None:
    root = ROOT.resolve()
    _start_background(
        "moodle",
        [
            sys.executable,
            "-m",
            "moodlesim",
            "--port",
            str(MOODLE_PORT),
            "--token",
            token,
            "--db",
            f"sqlite:///{root}/moodle.db",
            # A tenth of a real Moodle's costs keeps the demo short; `make bench` uses the
            # measured ones.
            "--cost-scale",
            "0.1",
            "--enrol-db",
            f"sqlite:///{root}/enrolments.db",
            "--enrol-setting",
            "remoteenroltable=jonction_enrolments",
            "--enrol-setting",
            "remotecoursefield=course_idnumber",
            "--enrol-setting",
            "remoteuserfield=username",
            "--enrol-setting",
            "remoterolefield=role",
            "--enrol-setting",
            "unenrolaction=2",
        ],
        f"http://127.0.0.1:{MOODLE_PORT}/webservice/rest/server.php",
    )


def _print_refer(refer_url: str) -> None:
    engine = make_engine(refer_url)
    ensure_schema(engine)
    years = refer_years(engine)
    if not years:
        console.print("REFER is empty.")
        return
    table = Table(title="REFER")
    table.add_column("table")
    for year in years:
        table.add_column(year, justify="right")
    with engine.connect() as connection:
        counts = {year: table_counts(connection, year) for year in years}
    for name in counts[years[0]]:
        table.add_row(name, *(f"{counts[year][name]:,}" for year in years))
    console.print(table)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--stop", action="store_true", help="Stop the demo's background servers.")
    options = parser.parse_args(argv)
    if options.stop:
        stop_background()
        console.print("demo servers stopped")
        return
    stop_background()
    shutil.rmtree(ROOT, ignore_errors=True)
    ROOT.mkdir(parents=True)
    year = current_academic_year()

    console.rule("1. A generated university")
    summary = generate(
        f"sqlite:///{ROOT.resolve()}/apogee.db", options.students, options.seed, year
    )
    console.print(
        f"{summary.students:,} students, {summary.etapes:,} étapes, "
        f"{summary.course_elements_open:,} course-bearing elements, {summary.teachers:,} "
        f"teachers; directory in {summary.ldif}, timetable in {summary.ade}"
    )

    console.rule("2. The Moodle simulator")
    token = secrets.token_hex(16)
    TOKEN_FILE.write_text(token)
    TOKEN_FILE.chmod(0o600)
    config = _write_config(year)
    _start_moodle(token)
    console.print(f"simulated Moodle on http://127.0.0.1:{MOODLE_PORT}")

    settings = load_settings(config)
    console.rule("3. The first night: an empty Moodle")
    _night(settings)
    _print_refer(settings.refer.url)

    console.rule("4. A night of change in Apogée, the directory and ADE, then the next night")
    evolution = evolve(settings.apogee.url, options.seed + 1)
    console.print(
        ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(evolution.counts.items()))
    )
    _night(settings)

    console.rule("5. Another day of change: REFER refreshed at 18:00, tonight's plan")
    evolve(settings.apogee.url, options.seed + 2)
    _tonight(settings)

    console.rule("6. The dashboard")
    password = secrets.token_urlsafe(9)
    AccountStore(make_engine(settings.state.url)).add(
        "demo", Role.ADMIN, display_name="Demo", password=password
    )
    _start_background(
        "dashboard",
        [sys.executable, "-m", "jonction", "serve", "--config", str(config)],
        f"http://127.0.0.1:{DASHBOARD_PORT}/login",
    )
    console.print(
        f"Dashboard: http://127.0.0.1:{DASHBOARD_PORT}  login [bold]demo[/] / "
        f"password [bold]{password}[/]"
    )
    console.print(
        f"Try: .venv/bin/jonction plan offer --config {config}   (stop the servers: make demo-stop)"
    )


def _night(settings: Settings) -> None:
    report = run_blocking(
        run_steps(
            settings,
            list_steps(),
            command="nightly",
            progress=rich_progress(console),
            keep_details=False,
        )
    )
    print_run(console, report)


def _tonight(settings: Settings) -> None:
    """Refreshes REFER, then plans the rest of the night and saves it for the dashboard."""
    refer = run_blocking(run_steps(settings, ["refer"], command="run", keep_details=False))
    print_run(console, refer)
    night = [name for name in list_steps() if name != "refer"]
    plan = run_blocking(run_steps(settings, night, apply=False, command="plan"))
    plans = [step.plan for step in plan.steps if step.plan is not None]
    write_plans(settings.web.plan_file, plans)
    console.print(
        "tonight's plan: "
        + ", ".join(f"{p.step} {len(p.operations)}" for p in plans)
        + f" change(s), saved to {settings.web.plan_file}"
    )


def list_steps() -> list[str]:
    from .steps.registry import all_steps

    return list(all_steps())


if __name__ == "__main__":
    main()
