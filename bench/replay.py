"""`python -m bench.replay`: one night at a time from a kept first night, to profile and
compare builds without paying for a first night each time.

    python -m bench.replay prepare --students 30000      # the first night, kept aside
    python -m bench.replay changed --students 30000      # from a copy of the first night
    python -m bench.replay quiet --students 30000        # again, on the state now there
    python -m bench.replay changed --profile             # under py-spy (pip install py-spy)
    python -m bench.replay changed --timeline            # when each step and its calls ran

Each night prints its time and memory per step; the figures are those of `bench.run`
(bench/night.py), without the per-item way and the lower bound.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

from .machine import python_speed_ms
from .night import Night, run_night
from .profile import summarise
from .settings import sections, simulator_folder, write
from .simulator import running
from .timeline import timeline
from .university import CACHE_ROOT, prepare

REPLAY_ROOT = Path("var/bench/replay")


def _folders(root: Path, students: int) -> tuple[Path, Path]:
    base = (root / f"n{students}").resolve()
    return base / "work", base / "first"


def show(night: Night, with_timeline: bool = False) -> None:
    print(
        f"{night.name} night, {night.students:,} students: {night.jonction_s:,.1f} s "
        f"(+ sync {night.sync_s:,.1f} s), {night.total('read_calls'):,} reads, "
        f"{night.total('write_calls'):,} writes, peak {night.peak_rss_bytes / 2**20:,.0f} MiB, "
        f"run {night.run_status}"
    )
    for step in night.steps:
        peak = f"{step.peak_rss_bytes / 2**20:,.0f} MiB" if step.peak_rss_bytes else "-"
        print(
            f"  {step.step:<12} {step.jonction_s:8.1f} s  reads {step.read_calls:>5,}  "
            f"writes {step.write_calls:>5,}  items {step.items_written:>9,}  peak {peak}"
        )
    if with_timeline:
        print("\n".join(timeline(night)))
    if night.profile:
        hot = summarise(Path(night.profile), top=30)
        for heading in ("own_innermost", "own_inclusive"):
            print(f"  {heading}:")
            for row in hot[heading]:
                print(f"    {row['share']:6.1%}  {row['function']}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    p.add_argument("night", choices=["prepare", "changed", "quiet"])
    p.add_argument("--students", type=int, default=30000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=6)
    p.add_argument("--profile", action="store_true", help="py-spy on the night")
    p.add_argument(
        "--timeline", action="store_true", help="when each step and its Moodle calls ran"
    )
    p.add_argument(
        "--sync-scale",
        type=float,
        default=0.0,
        help="Moodle's sync at this share of its measured cost (0: the simulator's own work)",
    )
    p.add_argument("--root", type=Path, default=REPLAY_ROOT)
    p.add_argument("--cache", type=Path, default=CACHE_ROOT)
    args = p.parse_args(argv)

    university = prepare(args.students, args.seed, root=args.cache)
    work, first = _folders(args.root, args.students)
    if args.night == "prepare":
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        university.install("base", work)
    elif args.night == "changed":
        if not first.exists():
            p.error(f"no first night kept in {first}: run `prepare` first")
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(first, work)
        university.install("evolved", work)
    elif not work.exists():
        p.error(f"no workspace in {work}: run `prepare` and `changed` first")

    with running(simulator_folder(work), args.workers, sync_scale=args.sync_scale) as moodle:
        config = sections(work, moodle, university.year, per_item=False)
        config_path, _ = write(work, config)
        name = "first" if args.night == "prepare" else args.night
        night = run_night(
            name,
            "batched",
            args.students,
            work,
            config_path,
            config["state"]["url"],
            moodle,
            args.profile,
        )
    show(night, args.timeline)
    # Replays compare only on an equally fast machine: the figure says whether it still is.
    print(f"reference workload: {python_speed_ms():,.0f} ms (bench/machine.py)")
    if args.night == "prepare":
        shutil.rmtree(first, ignore_errors=True)
        shutil.copytree(work, first)
    return 0 if night.run_status == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
