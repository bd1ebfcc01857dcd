"""The Moodle client against the simulator over HTTP, with the default cost model.

Measures the wall time and the number of calls to create 5,000 courses (20 in each of 250
categories), enrol 50,000 users (one enrolment each, 10 a course) and add 50,000 group
members (one group a course): once with the client's defaults, once the per-item way
(batch size 1, one call in flight). Accounts, categories and groups are created first with
the defaults and timed separately. Each mode runs on a fresh simulator in its own process
(its state in a temporary SQLite file).

    python -m bench.client_bench                     # both modes; per-item on 10 %
    python -m bench.client_bench --per-item-fraction 1
    python -m bench.client_bench --scale 0.1 --modes defaults

The per-item way at full size takes about 45 minutes: by default it runs on a fraction of
the work (the same 20 courses a category, fewer categories) and the table shows the figures
measured and those extrapolated linearly to full size, marked as such.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from jonction.moodle import (
    Enrolment,
    GroupMember,
    MoodleClient,
    MoodleError,
    NewCategory,
    NewCourse,
    NewGroup,
    NewUser,
    WriteReport,
)
from moodlesim.testing import RunningSimulator, running_simulator

TOKEN = "benchbenchbenchbench000000000000"
STUDENT_ROLE = 5
CATEGORIES = 250
COURSES_PER_CATEGORY = 20
STUDENTS_PER_COURSE = 10
RESULTS = Path(__file__).resolve().parent / "results"
PER_ITEM_SIZES = {
    "core_course_create_courses": 1,
    "enrol_manual_enrol_users": 1,
    "core_group_add_group_members": 1,
}


@dataclass
class Phase:
    mode: str
    name: str
    items: int
    wall_s: float
    calls: int
    failed: int
    timed: bool = True
    # Set when the phase ran on a fraction of the full size.
    fraction: float = 1.0
    full_items: int = 0
    full_wall_s: float = 0.0
    full_calls: int = 0
    calls_by_function: dict[str, int] = field(default_factory=dict)
    # The simulated server's work over its workers: no client can be faster.
    server_bound_s: float = 0.0


def _check(report: WriteReport[Any], what: str) -> None:
    report.raise_if_fatal()
    if report.failed:
        first = report.failed[0]
        raise RuntimeError(
            f"{what}: {len(report.failed)} failed, first: {first.code} {first.message}"
        )


async def run_mode(url: str, mode: str, share: float) -> list[Phase]:
    categories = max(1, round(CATEGORIES * share))
    fraction = categories / CATEGORIES
    courses = categories * COURSES_PER_CATEGORY
    students = courses * STUDENTS_PER_COURSE
    phases: list[Phase] = []

    server = RunningSimulator(url, TOKEN)

    async def timed(
        client: MoodleClient, name: str, items: int, work: Any, timed: bool = True
    ) -> Any:
        mark = client.stats.calls
        await asyncio.to_thread(server.reset_stats)
        started = time.monotonic()
        report = await work
        wall = time.monotonic() - started
        bound = float((await asyncio.to_thread(server.stats))["lower_bound_s"])
        records = client.stats.since(mark)
        by_function: dict[str, int] = {}
        for record in records:
            by_function[record.function] = by_function.get(record.function, 0) + 1
        phase = Phase(
            mode,
            name,
            items,
            wall,
            len(records),
            len(report.failed),
            timed,
            fraction,
            calls_by_function=by_function,
            server_bound_s=bound,
        )
        if fraction < 1:
            phase.full_items = round(items / fraction)
            phase.full_wall_s = wall / fraction
            phase.full_calls = round(len(records) / fraction)
        phases.append(phase)
        _check(report, name)
        return report

    options: dict[str, Any] = {}
    if mode == "per-item":
        options = {"batch_sizes": PER_ITEM_SIZES, "concurrency": 1}
    async with MoodleClient(url, TOKEN) as setup, MoodleClient(url, TOKEN, **options) as moodle:
        await setup.check_service()
        made = await timed(
            setup,
            "create categories (setup)",
            categories,
            setup.create_categories(
                [
                    NewCategory(f"Catégorie {c} & co", idnumber=f"CAT{c:04d}")
                    for c in range(categories)
                ]
            ),
            timed=False,
        )
        category_ids = made.ids()
        users = await timed(
            setup,
            "create accounts (setup)",
            students,
            setup.create_users(
                [
                    NewUser(
                        f"bench.u{i:06d}",
                        "Étudiant",
                        f"N°{i}",
                        f"u{i:06d}@bench.example.fr",
                        idnumber=f"{20260000 + i}",
                    )
                    for i in range(students)
                ]
            ),
            timed=False,
        )
        user_ids = users.ids()
        new_courses = [
            NewCourse(
                f"Cours {n} — {c}",
                f"B{c:04d}-{n:02d}",
                category_ids[c],
                idnumber=f"B{c:04d}-{n:02d}",
                visible=False,
            )
            for c in range(categories)
            for n in range(COURSES_PER_CATEGORY)
        ]
        created = await timed(moodle, "create courses", courses, moodle.create_courses(new_courses))
        course_ids = created.ids()
        await timed(
            moodle,
            "enrol users",
            students,
            moodle.enrol(
                [
                    Enrolment(course_ids[i // STUDENTS_PER_COURSE], user_ids[i], STUDENT_ROLE)
                    for i in range(students)
                ]
            ),
        )
        groups = await timed(
            setup,
            "create groups (setup)",
            courses,
            setup.create_groups(
                [NewGroup(course, "TD 1", idnumber=f"G{course}") for course in course_ids]
            ),
            timed=False,
        )
        group_ids = groups.ids()
        await timed(
            moodle,
            "add group members",
            students,
            moodle.add_group_members(
                [
                    GroupMember(group_ids[i // STUDENTS_PER_COURSE], user_ids[i])
                    for i in range(students)
                ]
            ),
        )
    return phases


def show(phases: list[Phase], console: Console) -> None:
    table = Table(title="Moodle client against the simulator (default cost model)")
    for column in ("mode", "operation", "items", "wall", "server bound", "calls", "failed"):
        table.add_column(column, justify="left" if column in ("mode", "operation") else "right")
    table.add_column("full size: items, wall, calls", justify="right")
    extrapolated = False
    for p in phases:
        full = "as measured"
        if p.fraction < 1:
            extrapolated = True
            full = f"{p.full_items:,}, {p.full_wall_s:,.0f} s*, {p.full_calls:,}*"
        table.add_row(
            p.mode,
            p.name if p.timed else f"[dim]{p.name}[/]",
            f"{p.items:,}",
            f"{p.wall_s:,.1f} s",
            f"{p.server_bound_s:,.1f} s",
            f"{p.calls:,}",
            str(p.failed),
            full,
        )
    console.print(table)
    console.print(
        "server bound: the simulated work divided by the simulator's workers, "
        "the least wall time any client could take"
    )
    if extrapolated:
        console.print("* extrapolated linearly from the fraction measured")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--modes", nargs="+", default=["defaults", "per-item"], choices=["defaults", "per-item"]
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="share of the full size for the client's defaults (1 = 5,000 courses)",
    )
    parser.add_argument(
        "--per-item-fraction",
        type=float,
        default=0.1,
        help="share of the full size run the per-item way (then extrapolated)",
    )
    parser.add_argument("--workers", type=int, default=6, help="the simulator's PHP-FPM workers")
    parser.add_argument(
        "--url",
        help=f"use this running simulator instead of starting one (started with --token {TOKEN})",
    )
    args = parser.parse_args(argv)
    console = Console()
    phases: list[Phase] = []
    for mode in args.modes:
        fraction = args.scale if mode == "defaults" else args.per_item_fraction
        console.print(f"[bold]{mode}[/]: {fraction:.0%} of the full size…")
        try:
            if args.url:
                phases += asyncio.run(run_mode(args.url, mode, fraction))
            else:
                # A child process: the simulator's CPU does not compete with the client's.
                with running_simulator(mode="process", token=TOKEN, workers=args.workers) as sim:
                    phases += asyncio.run(run_mode(sim.base_url, mode, fraction))
        except MoodleError as error:
            console.print(f"[red]{mode} failed[/]: {error}")
            return 1
    show(phases, console)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"client_bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "command": " ".join(["python -m bench.client_bench", *(argv or sys.argv[1:])]),
                "cpu_count": os.cpu_count(),
                "phases": [asdict(p) for p in phases],
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    console.print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
