"""Writing a benchmark's result: JSON (everything), Markdown (the tables) and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .machine import describe
from .night import NIGHT_TITLES, NIGHTS, is_web_service

RESULTS = Path(__file__).resolve().parent / "results"


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 100:
        return f"{value:,.0f} s"
    return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MiB"


def times(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}×"


def _met(value: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[value]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _nights(result: Mapping[str, Any]) -> list[str]:
    return [name for name in NIGHTS if name in result.get("nights", {})]


def _per_item_text(figure: Mapping[str, Any]) -> str:
    method = figure.get("method")
    if method == "measured":
        return f"{seconds(figure['seconds'])} (measured)"
    if method == "extrapolated":
        return f"{seconds(figure['seconds'])} (extrapolated*)"
    return "n/a"


def sync_text(night: Mapping[str, Any], scale: float) -> str:
    """The sync's time; when it ran at a scaled cost, also its time at the measured cost."""
    if not night["sync_s"]:
        return "none"
    text = seconds(night["sync_s"])
    cost_ms = night["simulator"].get("enrol_database_sync", {}).get("cost_ms")
    if scale != 1.0 and scale > 0 and cost_ms is not None:
        text += f" at {scale:g}× its cost ({seconds(cost_ms / scale / 1000)} at the measured cost)"
    answer = night.get("sync", {}).get("answer")
    if isinstance(answer, dict):
        done = {k: v for k, v in answer.items() if isinstance(v, int) and v and k != "cost_ms"}
        if done:
            text += ": " + ", ".join(f"{k} {v:,}" for k, v in sorted(done.items()))
    return text


def summary_rows(result: Mapping[str, Any]) -> list[list[str]]:
    nights = [result["nights"][name] for name in _nights(result)]

    def row(label: str, cell: Any) -> list[str]:
        return [label] + [cell(n) for n in nights]

    return [
        row("jonction's time (sync excluded)", lambda n: seconds(n["batched"]["jonction_s"])),
        row(
            "Moodle's enrol_database sync (not counted)",
            lambda n: sync_text(
                n["batched"], n["batched"].get("sync_scale", result.get("sync_scale", 1.0))
            ),
        ),
        row(
            "Moodle calls: reads / writes",
            lambda n: f"{n['batched']['read_calls']:,} / {n['batched']['write_calls']:,}",
        ),
        row("items written to Moodle", lambda n: f"{n['batched']['items_written']:,}"),
        row(
            "rows written to the enrolment table",
            lambda n: f"{n['batched']['table_rows_written']:,}",
        ),
        row("peak memory (RSS)", lambda n: mib(n["batched"]["peak_rss_bytes"])),
        row(
            "lower bound: sources + Moodle",
            lambda n: (
                f"{seconds(n['lower_bound']['seconds'])} = "
                f"{seconds(sum(n['lower_bound']['sources_s'].values()))} + "
                f"{seconds(n['lower_bound']['moodle_s'])}"
            ),
        ),
        row("jonction ÷ lower bound", lambda n: times(n.get("bound_ratio"), 2)),
        row("per-item way", lambda n: _per_item_text(n["per_item"])),
        row("faster than per-item", lambda n: times(n.get("speedup"))),
        row(
            "most any client can gain over per-item",
            lambda n: times(n["lower_bound"].get("speedup_ceiling")),
        ),
        row("run status", lambda n: n["batched"]["run_status"]),
    ]


def step_rows(result: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for name in _nights(result):
        night = result["nights"][name]
        bound = night["lower_bound"]["by_step_s"]
        per_item = night["per_item"].get("by_step", {})
        for step in night["batched"]["steps"]:
            rows.append(
                [
                    name,
                    step["step"],
                    step["status"],
                    seconds(step["jonction_s"]),
                    f"{step['read_calls']:,}",
                    f"{step['write_calls']:,}",
                    f"{step['items_written']:,}",
                    f"{step['table_rows_written']:,}",
                    seconds(bound.get(step["step"])) if step["step"] in bound else "—",
                    seconds(per_item.get(step["step"])),
                    mib(step.get("peak_rss_bytes")),
                ]
            )
    return rows


def function_rows(result: Mapping[str, Any]) -> list[list[str]]:
    names = _nights(result)
    # Moodle's enrol_database sync has its own line in the table of the nights.
    functions = sorted(
        {
            f
            for n in names
            for f in result["nights"][n]["batched"]["calls_by_function"]
            if is_web_service(f)
        }
    )
    rows = []
    for function in functions:
        cells = [function]
        for n in names:
            entry = result["nights"][n]["batched"]["calls_by_function"].get(function)
            cells.append(f"{int(entry['calls']):,} / {int(entry['items']):,}" if entry else "—")
        rows.append(cells)
    return rows


def overrun_text(result: Mapping[str, Any], name: str) -> str:
    """A night whose calls took the simulator longer than its cost model: those seconds are the
    simulator's (one database thread), not a real Moodle's, and weigh on jonction's time."""
    simulator = result["nights"][name]["batched"]["simulator"]
    functions = simulator.get("functions", {})
    total_ms = float(simulator.get("overrun_ms", 0.0))
    if total_ms / max(int(simulator.get("workers", 1)), 1) < 500:  # under half a second
        return ""
    worst = sorted(functions.items(), key=lambda item: -item[1].get("overrun_ms", 0.0))[:3]
    parts = ", ".join(
        f"{function} {seconds(entry['overrun_ms'] / 1000)}"
        for function, entry in worst
        if entry.get("overrun_ms")
    )
    return (
        f"{name} night: the simulator took {seconds(total_ms / 1000)} longer than its cost model "
        f"over all calls ({parts}): its own limit (one database thread), not a real Moodle's, "
        "which lengthens jonction's time and not the bound."
    )


def notes(result: Mapping[str, Any]) -> list[str]:
    """What a reader must know to trust the table: unaccounted calls, a scaled sync."""
    found = []
    for name in _nights(result):
        night = result["nights"][name]["batched"]
        seen = int(night["simulator"].get("calls", 0))
        journaled = night["read_calls"] + night["write_calls"]
        if seen != journaled:
            found.append(
                f"{name} night: the simulator served {seen:,} calls, the journal accounts for "
                f"{journaled:,}: some step does not report its calls."
            )
    found += [line for name in _nights(result) if (line := overrun_text(result, name))]
    if result.get("profile"):
        found.append(
            "The batched nights ran with py-spy attached (sampling without pausing): their "
            "times carry its small overhead."
        )
    scale, later = result.get("sync_scale", 1.0), result.get("later_sync_scale", 1.0)
    if (scale, later) != (1.0, 1.0):
        found.append(
            f"Moodle's enrol_database sync ran at {scale:g}× its measured cost on the first night "
            f"(--sync-scale), {later:g}× on the others (--later-sync-scale)."
        )
    return ["", *(f"- {line}" for line in found)] if found else []


def markdown(result: Mapping[str, Any]) -> str:
    if result.get("kind") == "scaling":
        return scaling_markdown(result)
    names = _nights(result)
    lines = [
        f"# Benchmark at {result['students']:,} students",
        "",
        f"{result['when']} · {describe(result['machine'])} · `{result['command']}`",
        "",
        f"University: seed {result['seed']}, year {result['university']['year']}, "
        + ", ".join(
            f"{key.replace('_', ' ')} {value:,}"
            for key, value in result["university"]["figures"].items()
            if isinstance(value, int)
        )
        + ".",
        "",
        "Steps run: "
        + (", ".join(result["steps"]["registered"]) or "none")
        + (
            f". **Steps not available in this build: {', '.join(result['steps']['missing'])}** "
            "(their work is absent from every figure)."
            if result["steps"]["missing"]
            else "."
        ),
        "",
        "## The nights",
        "",
    ]
    lines += _table(["", *(NIGHT_TITLES[n] for n in names)], summary_rows(result))
    per_item = result["per_item"]
    lines += ["", f"Per-item way: {per_item['how']}"]
    if per_item.get("sample"):
        lines += [""]
        lines += _table(
            ["measured at " + f"{per_item['sample_students']:,} students", *names],
            [
                ["batched (jonction's defaults)"]
                + [seconds(per_item["sample"][n]["batched"]["jonction_s"]) for n in names],
                ["per-item way"]
                + [seconds(per_item["sample"][n]["per_item"]["jonction_s"]) for n in names],
                ["per-item ÷ batched"]
                + [times(result["nights"][n]["per_item"].get("sample_ratio")) for n in names],
            ],
        )
    lines += notes(result)
    lines += ["", "## Steps", ""]
    lines += _table(
        [
            "night",
            "step",
            "status",
            "time",
            "reads",
            "writes",
            "items written",
            "table rows",
            "lower bound",
            "per-item",
            "peak memory",
        ],
        step_rows(result),
    )
    lines += ["", "## Moodle calls per function (calls / items)", ""]
    lines += _table(["function", *names], function_rows(result))
    lines += ["", "## Targets", ""]
    lines += _table(
        ["target", "wanted", "measured", "", "note"],
        [
            [t["target"], t["wanted"], t["measured"], _met(t["met"]), t["note"]]
            for t in result["targets"]
        ],
    )
    errors = [
        f"- {n} night, {s['step']}: {s['status']} — {s['error'][:300]}"
        for n in names
        for s in result["nights"][n]["batched"]["steps"]
        if s["error"]
    ]
    if errors:
        lines += ["", "## Step errors", "", *errors]
    profiles = result.get("profile") or {}
    if profiles:
        lines += ["", "## Hot spots (py-spy, batched nights)", ""]
        for name, summary in profiles.items():
            lines += [f"{NIGHT_TITLES.get(name, name)}: {summary['samples']:,} samples", ""]
            lines += _table(
                ["innermost jonction function (with the libraries it calls)", "share"],
                [
                    [f"`{item['function']}`", f"{item['share']:.0%}"]
                    for item in summary["own_innermost"][:12]
                ],
            )
            lines += [""]
            lines += _table(
                ["function at the top of the stack", "share"],
                [[f"`{item['function']}`", f"{item['share']:.0%}"] for item in summary["self"][:8]],
            )
            lines += [""]
    return "\n".join(lines) + "\n"


def scaling_markdown(result: Mapping[str, Any]) -> str:
    sizes = result["sizes"]
    lines = [
        "# Scaling of the nights",
        "",
        f"{result['when']} · {describe(result['machine'])} · `{result['command']}`",
        "",
    ]
    header = ["night", *(f"{size:,} students" for size in sizes), "exponent"]
    rows = []
    for name in NIGHTS:
        for kind, key, fmt in (
            ("time", "jonction_s", seconds),
            ("memory", "peak_rss_bytes", mib),
        ):
            cells = [f"{name}: {kind}"]
            for size in sizes:
                night = result["runs"].get(str(size), {}).get(name)
                cells.append(fmt(night[key]) if night else "n/a")
            growth = result["growth"].get(name, {}).get(kind, [])
            cells.append(", ".join(f"{g:.2f}" for g in growth) or "n/a")
            rows.append(cells)
    lines += _table(header, rows)
    lines += [
        "",
        "Exponent: log(value₂ / value₁) / log(students₂ / students₁) between consecutive sizes "
        "(1 is linear).",
        "",
        "Steps run: "
        + (", ".join(result["steps"]["registered"]) or "none")
        + (
            f". **Not available in this build: {', '.join(result['steps']['missing'])}**."
            if result["steps"]["missing"]
            else "."
        ),
        "",
        "## Time per step (sync excluded)",
        "",
    ]
    step_rows = []
    for name in NIGHTS:
        steps: list[str] = []
        for size in sizes:
            for step in result["runs"].get(str(size), {}).get(name, {}).get("steps", {}):
                if step not in steps:
                    steps.append(step)
        for step in steps:
            cells = [name, step]
            for size in sizes:
                night = result["runs"].get(str(size), {}).get(name)
                value = night["steps"].get(step) if night else None
                status = night.get("statuses", {}).get(step, "") if night else ""
                cells.append(
                    seconds(value) + ("" if status in ("", "succeeded") else f" ({status})")
                )
            step_rows.append(cells)
    lines += _table(["night", "step", *(f"{size:,}" for size in sizes)], step_rows)
    universities = result.get("universities", {})
    if universities:
        lines += [
            "",
            "Generated universities: "
            + "; ".join(
                f"{int(size):,} students: {u['figures'].get('course_elements_open') or 0:,} "
                f"course elements, {u['figures'].get('ip_rows') or 0:,} IP rows, generated in "
                + (f"{u['generation_s']:,.0f} s" if not u["cached"] else "an earlier run")
                for size, u in universities.items()
            ),
        ]
    if result.get("notes"):
        lines += ["", *(f"- {note}" for note in result["notes"])]
    lines += ["", "## Targets", ""]
    lines += _table(
        ["target", "wanted", "measured", ""],
        [[t["target"], t["wanted"], t["measured"], _met(t["met"])] for t in result["targets"]],
    )
    return "\n".join(lines) + "\n"


def chart(result: Mapping[str, Any], path: Path) -> str:
    """Time per step for the three nights; '' if written, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]')"
    names = _nights(result)
    steps: list[str] = []
    for n in names:
        for step in result["nights"][n]["batched"]["steps"]:
            if step["step"] not in steps:
                steps.append(step["step"])
    figure, axis = plt.subplots(figsize=(9, 0.6 * max(3, len(steps)) + 1.5))
    height = 0.8 / max(1, len(names))
    for index, n in enumerate(names):
        by_step = {s["step"]: s["jonction_s"] for s in result["nights"][n]["batched"]["steps"]}
        positions = [i + index * height for i in range(len(steps))]
        axis.barh(positions, [by_step.get(s, 0.0) for s in steps], height, label=NIGHT_TITLES[n])
    axis.set_yticks([i + height * (len(names) - 1) / 2 for i in range(len(steps))], steps)
    axis.invert_yaxis()
    axis.set_xlabel("seconds (Moodle's enrol_database sync excluded)")
    axis.set_title(f"jonction nightly at {result['students']:,} students, time per step")
    axis.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return ""


def write(
    result: dict[str, Any], stem: str, folder: Path = RESULTS, with_chart: bool = True
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    data = folder / f"{stem}.json"
    data.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    written.append(data)
    table = folder / f"{stem}.md"
    table.write_text(markdown(result), encoding="utf-8")
    written.append(table)
    if with_chart and result.get("kind") == "nights":
        png = folder / f"{stem}.png"
        problem = chart(result, png)
        if problem:
            result.setdefault("notes", []).append(f"no chart: {problem}")
        else:
            written.append(png)
    return written
