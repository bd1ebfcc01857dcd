"""Groups step at scale: groups and memberships created, Moodle calls and wall time of the first
run, of a run after one night of `evolve-apogee`, and of a rerun with no change, against the
simulator with its default cost model (over HTTP, in its own process).

    .venv/bin/python -m bench.groups_night --students 30000 --seed 1 --workdir var/bench-groups
    .venv/bin/python -m bench.groups_night --workdir var/bench-groups --again   # one more night
    .venv/bin/python -m bench.groups_night --workdir var/bench-groups --once    # one more run

`--prepare-only` stops before the first groups run: a copy of such a workdir, measured with
`--once`, gives the first run again.

Each measured run is a process of its own, so that its peak memory (`peak_rss_mib`) is the
groups step's. `--cost-scale 0` switches the simulated Moodle's costs off (memory does not
depend on them; the first run's million member additions then take minutes, not a quarter of
an hour).

What the steps before groups leave behind is made here with the simulator's costs switched off
(they are not what is measured): the offer's courses (one per course of the offer's catalogue)
and the students' accounts are created directly and recorded in the state database as those
steps record them (under a run of their own), then the enrolments step itself writes the
external table and triggers Moodle's enrol_database sync, which enrols every student in the
courses of their registrations. After the evolution night, the new courses and accounts are
added the same way and the enrolments step runs again before the groups step. Then the
simulator is restarted with its default cost model (about 20 ms a call plus the measured
per-item costs, 6 workers) for each measured run.

The groups step runs here in a run of its own, after the run that made the courses: it reads
the groups of the courses where it creates groups (in a night, it does not read those of the
courses the offer step created in the same run; `python -m bench.run` measures whole nights).

Prints one JSON object per measured run, then a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jonction.config import Settings
from jonction.domain.catalogue import desired_catalogue
from jonction.moodle import MoodleClient, NewCategory, NewCourse, NewUser
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps.runner import StepReport, open_journal, run_steps
from moodlesim.testing import RunningSimulator, running_simulator

from .simulator import ENROL_DB, ENROL_SETTINGS

JONCTION = Path(sys.executable).with_name("jonction")
COURSES_PER_CATEGORY = 400


@dataclass
class Provisioned:
    """What the bench made in Moodle for the steps before groups (kept between runs)."""

    categories: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # COD_ETU → Moodle id

    @classmethod
    def load(cls, path: Path) -> Provisioned:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(data["categories"], data["courses"], data["users"])

    def save(self, path: Path) -> None:
        data = {"categories": self.categories, "courses": self.courses, "users": self.users}
        path.write_text(json.dumps(data))


def settings_for(workdir: Path, moodle: RunningSimulator, year: str) -> Settings:
    return Settings(
        apogee={"url": f"sqlite:///{workdir / 'apogee.db'}", "years": [year]},
        refer={"url": f"sqlite:///{workdir / 'refer.db'}"},
        state={"url": f"sqlite:///{workdir / 'state.db'}"},
        moodle={"url": moodle.base_url, "token": moodle.token},
        enrol_database={
            "url": f"sqlite:///{workdir / ENROL_DB}",
            "sync_url": f"{moodle.base_url}/admin/enrol_database_sync",
        },
        pipeline={"lock_file": str(workdir / "jonction.lock")},
    )


@contextmanager
def simulator(workdir: Path, *, cost_scale: float) -> Iterator[RunningSimulator]:
    # The default cost model at 1: about 20 ms a call plus the per-item costs.
    options: dict[str, Any] = {"latency_ms": 20.0 * cost_scale, "cost_scale": cost_scale}
    with running_simulator(
        db_url=f"sqlite:///{workdir / 'moodle.db'}",
        mode="process",
        enrol_db=f"sqlite:///{workdir / ENROL_DB}",
        enrol_settings=list(ENROL_SETTINGS),
        **options,
    ) as moodle:
        yield moodle


async def provision(settings: Settings, year: str, state: Provisioned) -> dict[str, int]:
    """Creates the missing courses and accounts; records them as the offer and users steps
    do, in a run of their own."""
    engine = open_refer(settings)
    snapshot = load_snapshot(engine, year, exclusions=False)
    engine.dispose()
    course_map = desired_catalogue([snapshot], settings.policy).course_maps[year]
    made = {"courses": 0, "users": 0}
    async with MoodleClient.from_settings(settings.moodle) as client:
        new_courses = sorted(set(course_map.courses) - set(state.courses))
        for start in range(0, len(new_courses), COURSES_PER_CATEGORY):
            name = f"bench-{len(state.categories)}"
            created = await client.create_categories([NewCategory(name, 0, name)])
            state.categories[name] = created.ids()[0]
            chunk = new_courses[start : start + COURSES_PER_CATEGORY]
            report = await client.create_courses(
                [
                    NewCourse(
                        idnumber,
                        idnumber.replace(":", "-"),
                        state.categories[name],
                        idnumber=idnumber,
                    )
                    for idnumber in chunk
                ]
            )
            assert report.ok, report.failed[:3]
            state.courses.update(zip(chunk, report.ids(), strict=True))
            made["courses"] += len(chunk)
        people = sorted(
            (s for s in snapshot.students.values() if s.cod_etu and s.cod_etu not in state.users),
            key=lambda s: s.cod_ind,
        )
        users = await client.create_users(
            [
                NewUser(
                    f"e{s.cod_etu}".lower(),
                    s.first_name or "-",
                    s.last_name or "-",
                    f"e{s.cod_etu}@bench.invalid",
                )
                for s in people
            ]
        )
        assert users.ok, users.failed[:3]
        state.users.update(zip((str(s.cod_etu) for s in people), users.ids(), strict=True))
        made["users"] = len(people)
    journal = open_journal(settings)
    run_id = journal.start_run("bench-provision", ["offer", "users"])
    journal.save_managed(
        "course",
        [
            (i, cid, {"element": i.rsplit(":", 1)[-1], "year": year})
            for i, cid in state.courses.items()
        ],
        run_id,
    )
    journal.save_managed(
        "user",
        [
            (f"e{number}".lower(), uid, {"student_id": number})
            for number, uid in state.users.items()
        ],
        run_id,
    )
    journal.finish_run(run_id, "succeeded", {})
    return made


def figures(label: str, step: StepReport, moodle: RunningSimulator) -> dict[str, Any]:
    outcomes = step.outcome_counts()
    assert step.plan is not None and step.result is not None, step.error
    done: dict[str, int] = {}
    for outcome in step.result.outcomes:
        op = outcome.operation
        name = f"{op.kind}.{op.action}.{outcome.outcome}"
        done[name] = done.get(name, 0) + 1
    calls = {name: int(entry["calls"]) for name, entry in sorted(step.calls.items())}
    items = {name: int(entry["items"]) for name, entry in sorted(step.calls.items())}
    server = moodle.stats()
    return {
        "run": label,
        "status": step.status,
        "wall_s": round(step.seconds, 1),
        "calls": sum(calls.values()),
        "write_calls": sum(n for f, n in calls.items() if "_get_" not in f),
        "calls_by_function": calls,
        "items_by_function": items,
        "operations": done,
        "outcomes": dict(outcomes),
        "stats": step.plan.stats,
        "simulator": {
            k: v for k, v in server.items() if k in ("calls", "errors", "cost_ms", "lower_bound_s")
        },
    }


def measured_run(workdir: Path, year: str, label: str, cost_scale: float) -> dict[str, Any]:
    """Runs the groups step in a process of its own; returns what it printed."""
    command = [
        sys.executable,
        "-m",
        "bench.groups_night",
        "--workdir",
        str(workdir),
        "--year",
        year,
        "--cost-scale",
        str(cost_scale),
        "--measure",
        label,
    ]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def measure(workdir: Path, year: str, label: str, cost_scale: float) -> None:
    """One groups run (the body of a `--measure` process): prints its figures."""
    with simulator(workdir, cost_scale=cost_scale) as moodle:
        settings = settings_for(workdir, moodle, year)
        started = time.perf_counter()
        report = asyncio.run(run_steps(settings, ["groups"]))
        (step,) = report.steps
        result = figures(label, step, moodle)
        result["process_wall_s"] = round(time.perf_counter() - started, 1)
        # Linux gives ru_maxrss in kibibytes; this process ran only the groups step.
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        result["cost_scale"] = cost_scale
    print(json.dumps(result), flush=True)


def prepare(workdir: Path, year: str, state_file: Path) -> dict[str, int]:
    state = Provisioned.load(state_file)
    with simulator(workdir, cost_scale=0) as moodle:
        settings = settings_for(workdir, moodle, year)
        report = asyncio.run(run_steps(settings, ["refer"]))
        assert report.steps[0].status == "succeeded", report.steps[0].error
        made = asyncio.run(provision(settings, year, state))
        report = asyncio.run(run_steps(settings, ["enrolments"]))
        (step,) = report.steps
        assert step.status == "succeeded", step.error
        assert step.result is not None
        made["table_rows"] = int(step.result.stats.get("rows_added", 0))
    state.save(state_file)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", default="2026")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-groups"))
    parser.add_argument(
        "--cost-scale",
        type=float,
        default=1.0,
        help="Scale of the simulated Moodle's costs in the measured runs (0: none).",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="Make the workspace (REFER, courses, accounts, enrolments) but run no groups step.",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="Reuse a --workdir made by this bench: measure one groups run on it as it is.",
    )
    parser.add_argument("--measure", metavar="LABEL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--again",
        action="store_true",
        help="Reuse a --workdir where the bench already ran: measure one more night of "
        "evolve-apogee and a no-change rerun.",
    )
    args = parser.parse_args()
    workdir: Path = args.workdir.resolve()
    apogee = f"sqlite:///{workdir / 'apogee.db'}"
    state_file = workdir / "provisioned.json"
    results: list[dict[str, Any]] = []
    scale: float = args.cost_scale
    if args.measure:
        measure(workdir, args.year, args.measure, scale)
        return
    if args.once:
        if not state_file.exists():
            raise SystemExit(f"{workdir} holds no earlier run of this bench")
        measured_run(workdir, args.year, "one run", scale)
        return
    if args.again:
        if not state_file.exists():
            raise SystemExit(f"{workdir} holds no earlier run of this bench")
        nights = len(list(workdir.glob("night-*"))) + 2
        (workdir / f"night-{nights}").touch()
        seed = args.seed + nights
    else:
        if workdir.exists() and any(workdir.iterdir()):
            raise SystemExit(f"{workdir} is not empty: give a new --workdir, or --again")
        workdir.mkdir(parents=True, exist_ok=True)
        seed = args.seed + 1
        first_run(workdir, apogee, args, state_file, results)
        if args.prepare_only:
            return
    subprocess.run(
        [str(JONCTION), "evolve-apogee", "--url", apogee, "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    made = prepare(workdir, args.year, state_file)
    print(json.dumps({"provisioned after evolve": made}), flush=True)
    results.append(measured_run(workdir, args.year, "after one night of evolve-apogee", scale))
    results.append(measured_run(workdir, args.year, "no-change rerun", scale))
    print()
    print(f"{'run':<34} {'wall s':>8} {'calls':>7} {'writes':>7} {'MiB':>6}  operations")
    for r in results:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(r["operations"].items()))
        print(
            f"{r['run']:<34} {r['wall_s']:>8} {r['calls']:>7} {r['write_calls']:>7} "
            f"{r['peak_rss_mib']:>6}  {ops}"
        )


def first_run(
    workdir: Path,
    apogee: str,
    args: argparse.Namespace,
    state_file: Path,
    results: list[dict[str, Any]],
) -> None:
    subprocess.run(
        [
            str(JONCTION),
            "generate-apogee",
            "--url",
            apogee,
            "--students",
            str(args.students),
            "--seed",
            str(args.seed),
            "--year",
            args.year,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    made = prepare(workdir, args.year, state_file)
    print(json.dumps({"provisioned": made}), flush=True)
    if args.prepare_only:
        return
    results.append(measured_run(workdir, args.year, "first run", args.cost_scale))


if __name__ == "__main__":
    main()
