"""`make bench` / `python -m bench.run`: whole nights of jonction at university scale against
the Moodle simulator, side by side with the per-item way, against the lower bound.

    python -m bench.run --students 30000          # the reference benchmark
    python -m bench.run --students 3000           # a smaller one (minutes)
    python -m bench.run --scaling 3000,30000,100000
    python -m bench.run --students 30000 --profile   # py-spy on the batched nights

For each size: the university is generated once (cached under var/bench/university/), then
each way (jonction's defaults, the per-item way) gets a fresh workspace under var/bench/runs/
with its own simulator (a child process, the measured cost model), REFER, journal and
external enrolment table, and runs three nights: a first night, a night after
`evolve-apogee`, a night with no change. Results go to bench/results/ (JSON, Markdown, PNG).
docs/performance.md explains every figure.
"""

from __future__ import annotations

import argparse
import itertools
import math
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jonction.steps import registry

from . import output, targets
from .lower_bound import CostFigures, lower_bound
from .machine import machine, python_speed_ms
from .night import NIGHTS, Night, run_night
from .per_item import MODES, PerItemFigure, extrapolated, measured
from .profile import summarise
from .settings import sections, simulator_folder, write
from .simulator import running
from .university import CACHE_ROOT, University, prepare

WORK_ROOT = Path("var/bench/runs")
# The per-item way runs on the same university up to this size, on a sample beyond.
PER_ITEM_SAME_UP_TO = 1000
SAMPLE_MINIMUM = 100
# A first enrol_database sync costs 5.3 ms a row: about 55 minutes at 30,000 students, spent
# waiting. It is outside jonction's figures, and its time at the measured cost is reported
# from the simulator's cost model, so by default it runs at a tenth of it.
DEFAULT_SYNC_SCALE = 0.1
# The later nights' syncs take their measured time (about 45 s at 30,000 students, reading the
# whole table): what jonction does meanwhile is hidden as on a real Moodle.
DEFAULT_LATER_SYNC_SCALE = 1.0


@dataclass(frozen=True)
class Options:
    seed: int
    workers: int
    sync_scale: float  # the first night's
    profile: bool
    work: Path
    cache: Path
    extra: dict[str, dict[str, Any]]
    later_sync_scale: float = DEFAULT_LATER_SYNC_SCALE

    def sync_scale_of(self, night: str) -> float:
        return self.sync_scale if night == "first" else self.later_sync_scale


def say(text: str) -> None:
    print(text, flush=True)


def run_way(
    university: University, way: str, options: Options, profile: bool = False
) -> dict[str, Night]:
    """The three nights of one way on a fresh Moodle, REFER and journal."""
    workspace = (options.work / f"n{university.students}-{way}").resolve()
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    nights: dict[str, Night] = {}
    with running(simulator_folder(workspace), options.workers, options.sync_scale) as moodle:
        config = sections(workspace, moodle, university.year, way == "per-item", options.extra)
        config_path, _ = write(workspace, config)
        state_url = config["state"]["url"]
        for name in NIGHTS:
            if name == "first":
                university.install("base", workspace)
            elif name == "changed":
                university.install("evolved", workspace)
            scale = options.sync_scale_of(name)
            moodle.set_sync_scale(scale)
            night = run_night(
                name, way, university.students, workspace, config_path, state_url, moodle, profile
            )
            night.sync_scale = scale
            nights[name] = night
            say(
                f"  {university.students:,} students, {way}, {name} night: "
                f"{night.jonction_s:,.1f} s (+ sync {night.sync_s:,.1f} s), "
                f"{night.total('read_calls'):,} reads, {night.total('write_calls'):,} writes, "
                f"peak {night.peak_rss_bytes / 2**20:,.0f} MiB, run {night.run_status}"
            )
    return nights


def sample_size(students: int) -> int:
    """The per-item way's university in sample mode: a hundredth of the size, so that its
    nights (one call per item, one at a time) take minutes, not hours."""
    return max(SAMPLE_MINIMUM, round(students / 100))


def steps_available() -> dict[str, list[str]]:
    registered = list(registry.all_steps())
    return {
        "registered": registered,
        "missing": [name for name in registry.ORDER if name not in registered],
    }


def nights_benchmark(
    students: int, per_item_mode: str, sample: int | None, options: Options, command: str
) -> dict[str, Any]:
    speed_before = python_speed_ms()
    say(f"university of {students:,} students (seed {options.seed})…")
    university = prepare(students, options.seed, root=options.cache)
    say(f"  {'cached' if university.cached else 'generated'} in {university.folder}")
    say("jonction's defaults:")
    batched = run_way(university, "batched", options, profile=options.profile)
    costs = CostFigures.from_simulator()

    per_item: dict[str, PerItemFigure] = {}
    per_item_info: dict[str, Any] = {"mode": per_item_mode}
    if per_item_mode == "auto":
        per_item_mode = "same" if students <= PER_ITEM_SAME_UP_TO else "sample"
        per_item_info["mode"] = per_item_mode
    if per_item_mode == "same":
        say("the per-item way, same university:")
        nights = run_way(university, "per-item", options)
        per_item = {name: measured(night) for name, night in nights.items()}
        per_item_info["how"] = (
            "batch size 1 for every web service function and one call in flight, "
            "measured on the same university in the same run."
        )
    elif per_item_mode == "sample":
        small = sample or sample_size(students)
        say(f"the per-item way, measured at {small:,} students (both ways):")
        sampled = prepare(small, options.seed, root=options.cache)
        small_batched = run_way(sampled, "batched", options)
        small_per_item = run_way(sampled, "per-item", options)
        per_item = {
            name: extrapolated(batched[name], small_batched[name], small_per_item[name], small)
            for name in NIGHTS
        }
        per_item_info.update(
            sample_students=small,
            how=(
                "batch size 1 for every web service function and one call in flight. "
                f"*Measured side by side with jonction's defaults on a university of {small:,} "
                f"students (same seed); extrapolated to {students:,} step by step: "
                "per-item(S) = batched(S) + (per-item(s) − batched(s)) × items(S) / items(s), "
                "items being the step's Moodle items (read and written) in the batched nights."
            ),
            sample={
                name: {
                    "batched": small_batched[name].as_dict(),
                    "per_item": small_per_item[name].as_dict(),
                }
                for name in NIGHTS
            },
        )
    else:
        per_item_info["how"] = "not run (--per-item off)."

    result: dict[str, Any] = {
        "kind": "nights",
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(speed_before),
        "command": command,
        "students": students,
        "seed": options.seed,
        "workers": options.workers,
        "sync_scale": options.sync_scale,
        "later_sync_scale": options.later_sync_scale,
        "university": university.summary(),
        "steps": steps_available(),
        "per_item": per_item_info,
        "nights": {},
        "profile": {},
    }
    for name in NIGHTS:
        night = batched[name]
        bound = lower_bound(
            night.simulator, {s.step: s.calls for s in night.steps}, costs, night.source_floor
        )
        figure = per_item.get(name) or PerItemFigure(name, "unavailable", None)
        entry: dict[str, Any] = {
            "batched": night.as_dict(),
            "lower_bound": bound.as_dict(),
            "bound_ratio": night.jonction_s / bound.seconds if bound.seconds > 0 else None,
            "per_item": figure.as_dict(),
            "speedup": (
                figure.seconds / night.jonction_s
                if figure.seconds is not None and night.jonction_s > 0
                else None
            ),
        }
        result["nights"][name] = entry
        if night.profile and Path(night.profile).exists():
            result["profile"][name] = summarise(Path(night.profile))
    result["targets"] = [t.as_dict() for t in night_targets(result)]
    return result


def night_targets(result: dict[str, Any]) -> list[targets.Target]:
    nights = result["nights"]
    found: list[targets.Target] = [
        targets.bound_target("first", nights["first"]["bound_ratio"], 1.5),
        targets.bound_target("changed", nights["changed"]["bound_ratio"], 2.0),
        *targets.quiet_target(
            nights["quiet"]["batched"]["write_calls"],
            nights["quiet"]["batched"]["jonction_s"],
            result["students"],
        ),
    ]
    for name in ("first", "changed"):
        found.append(
            targets.speedup_target(
                name,
                nights[name]["speedup"],
                nights[name]["per_item"]["method"],
                nights[name]["batched"]["read_calls"] + nights[name]["batched"]["write_calls"],
            )
        )
    peak = max(nights[n]["batched"]["peak_rss_bytes"] for n in NIGHTS)
    found.append(targets.memory_target(peak, result["students"]))
    partial = partial_night(result)
    if not partial:
        return found
    return [targets.unmeasured(t, f"partial night ({partial})") for t in found]


def partial_night(result: dict[str, Any]) -> str:
    """Why the nights are not whole nights ('' when they are): a target is not measured on
    a night that left out or failed some of its steps."""
    reasons = []
    if result["steps"]["missing"]:
        reasons.append("not in this build: " + ", ".join(result["steps"]["missing"]))
    failed = sorted(
        {
            step["step"]
            for night in result["nights"].values()
            for step in night["batched"]["steps"]
            if step["status"] != "succeeded"
        }
    )
    if failed:
        reasons.append("did not succeed: " + ", ".join(failed))
    absent = [
        name
        for name in result["steps"]["registered"]
        if any(
            name not in {step["step"] for step in night["batched"]["steps"]}
            for night in result["nights"].values()
        )
    ]
    if absent:
        reasons.append("did not run: " + ", ".join(absent))
    return "; ".join(reasons)


def exponent(small: float, large: float, n_small: int, n_large: int) -> float:
    if small <= 0 or large <= 0:
        return math.nan
    return math.log(large / small) / math.log(n_large / n_small)


def scaling_benchmark(sizes: list[int], options: Options, command: str) -> dict[str, Any]:
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    universities: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    speed_before = python_speed_ms()
    for size in sizes:
        say(f"university of {size:,} students (seed {options.seed})…")
        try:
            university = prepare(size, options.seed, root=options.cache)
        except Exception as exc:  # report the size that could not be generated, go on
            notes.append(f"{size:,} students: the generator failed: {type(exc).__name__}: {exc}")
            say(f"  {notes[-1]}")
            continue
        universities[str(size)] = university.summary()
        nights = run_way(university, "batched", options)
        runs[str(size)] = {
            name: {
                "jonction_s": night.jonction_s,
                "sync_s": night.sync_s,
                "peak_rss_bytes": night.peak_rss_bytes,
                "read_calls": night.total("read_calls"),
                "write_calls": night.total("write_calls"),
                "items_written": night.total("items_written"),
                "run_status": night.run_status,
                "steps": {s.step: round(s.jonction_s, 3) for s in night.steps},
                "statuses": {s.step: s.status for s in night.steps},
            }
            for name, night in nights.items()
        }
    done = [size for size in sizes if str(size) in runs]
    growth: dict[str, dict[str, list[float]]] = {}
    for name in NIGHTS:
        for kind, key in (("time", "jonction_s"), ("memory", "peak_rss_bytes")):
            values = [
                exponent(runs[str(a)][name][key], runs[str(b)][name][key], a, b)
                for a, b in itertools.pairwise(done)
            ]
            growth.setdefault(name, {})[kind] = [round(v, 3) for v in values]
    if (options.sync_scale, options.later_sync_scale) != (1.0, 1.0):
        notes.append(
            f"Moodle's enrol_database sync ran at {options.sync_scale:g}× its measured cost on "
            f"the first night (--sync-scale), {options.later_sync_scale:g}× on the others "
            "(--later-sync-scale): it is outside every figure above."
        )
    result: dict[str, Any] = {
        "kind": "scaling",
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(speed_before),
        "command": command,
        "sizes": sizes,
        "steps": steps_available(),
        "runs": runs,
        "universities": universities,
        "growth": growth,
        "notes": notes,
    }
    time_exponents = [g for n in NIGHTS if n != "quiet" for g in growth[n]["time"]]
    memory_exponents = [g for n in NIGHTS for g in growth[n]["memory"]]
    found = [
        targets.growth_target("time of the first and changed nights", time_exponents),
        targets.growth_target("peak memory", memory_exponents),
    ]
    failed = sorted(
        {
            step
            for nights in runs.values()
            for night in nights.values()
            for step, status in night["statuses"].items()
            if status != "succeeded"
        }
    )
    missing = result["steps"]["missing"]
    why = "; ".join(
        part
        for part in (
            "not in this build: " + ", ".join(missing) if missing else "",
            "did not succeed: " + ", ".join(failed) if failed else "",
        )
        if part
    )
    result["targets"] = [
        (targets.unmeasured(t, f"partial night ({why})") if why else t).as_dict() for t in found
    ]
    return result


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are numbers, like 3000,30000 (got {text!r})"
        ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("give at least one size of at least 1 student")
    return sizes


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").split("\n\n")[0]
    )
    p.add_argument("--students", type=int, default=30_000, help="size of the university")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated university")
    p.add_argument(
        "--scaling", type=_sizes, metavar="N,N,…", help="measure the nights at these sizes"
    )
    p.add_argument(
        "--per-item",
        choices=("auto", *MODES),
        default="auto",
        help="how the per-item way is measured: on the same university (same), on a smaller "
        f"one and extrapolated (sample), or not (off); auto: same up to {PER_ITEM_SAME_UP_TO:,} "
        "students, sample beyond",
    )
    p.add_argument(
        "--per-item-students",
        type=int,
        default=None,
        help="size of the university the per-item way is measured on in sample mode "
        f"(default: a hundredth of --students, at least {SAMPLE_MINIMUM})",
    )
    p.add_argument("--workers", type=int, default=6, help="the simulator's PHP-FPM workers")
    p.add_argument(
        "--sync-scale",
        type=float,
        default=DEFAULT_SYNC_SCALE,
        help="multiplies the time Moodle's enrol_database sync takes on the first night "
        "(outside every figure of jonction; its time at the measured cost is reported beside); "
        "1 waits it out in full",
    )
    p.add_argument(
        "--later-sync-scale",
        type=float,
        default=DEFAULT_LATER_SYNC_SCALE,
        help="the same for the nights after the first (by default their measured time)",
    )
    p.add_argument("--profile", action="store_true", help="py-spy on the batched nights")
    p.add_argument("--no-chart", action="store_true", help="no PNG chart")
    p.add_argument("--results", type=Path, default=output.RESULTS, help="where results go")
    p.add_argument("--work", type=Path, default=WORK_ROOT, help="workspaces of the nights")
    p.add_argument(
        "--cache", type=Path, default=CACHE_ROOT, help="where generated universities are kept"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=TOML",
        help="an extra jonction setting for every night, e.g. policy.auth='\"cas\"'",
    )
    return p


def _extra(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    import tomllib

    extra: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        section, dot, key = name.partition(".")
        if not sep or not dot:
            raise SystemExit(f"--set expects SECTION.KEY=VALUE, got {pair!r}")
        extra.setdefault(section, {})[key] = tomllib.loads(f"v = {value}")["v"]
    return extra


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    options = Options(
        seed=args.seed,
        workers=args.workers,
        sync_scale=args.sync_scale,
        later_sync_scale=args.later_sync_scale,
        profile=args.profile,
        work=args.work,
        cache=args.cache,
        extra=_extra(args.set),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    available = steps_available()
    say("steps: " + (", ".join(available["registered"]) or "none"))
    if available["missing"]:
        say("not available in this build: " + ", ".join(available["missing"]))
    if args.scaling:
        result = scaling_benchmark(args.scaling, options, command)
        stem = f"scaling-{stamp}"
    else:
        result = nights_benchmark(
            args.students, args.per_item, args.per_item_students, options, command
        )
        stem = f"bench-n{args.students}-{stamp}"
    written = output.write(result, stem, args.results, with_chart=not args.no_chart)
    print()
    print(output.markdown(result))
    for path in written:
        say(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
