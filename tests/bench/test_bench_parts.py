"""The benchmark's pure parts: lower bound, per-item extrapolation, targets, profile, TOML."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from bench.lower_bound import CostFigures, lower_bound
from bench.machine import describe, python_speed_ms
from bench.night import Night, StepFigures, run_child, step_peaks
from bench.output import overrun_text
from bench.per_item import extrapolated, measured
from bench.profile import summarise
from bench.settings import render, sections
from bench.simulator import Simulator
from bench.targets import growth_target, quiet_target, speedup_target, unmeasured
from bench.timeline import timeline

COSTS = CostFigures(
    latency_ms=20.0,
    per_item_ms={"core_user_get_users_by_field": 5.0, "core_group_get_course_groups": 0.5},
)


def _step(name: str, seconds: float, calls: dict[str, dict[str, float]]) -> StepFigures:
    return StepFigures(name, "succeeded", seconds, calls, 0, {}, 0, 0.0, "")


def _night(steps: list[StepFigures], process_s: float) -> Night:
    return Night("first", "batched", 100, 0, process_s, 1, "succeeded", steps, {})


def test_bound_counts_item_work_and_existence_checks_over_workers() -> None:
    stats = {
        "workers": 6,
        "functions": {
            # 10 calls of 200 accounts at 20 ms + 2.8 ms each
            "core_user_create_users": {"calls": 10, "items": 2000, "cost_ms": 10 * 20 + 5600.0},
            "core_user_get_users_by_field": {"calls": 3, "items": 2000, "cost_ms": 10060.0},
            "core_group_add_group_members": {"calls": 5, "items": 1000, "cost_ms": 5500.0},
        },
    }
    steps = {
        "users": {"core_user_create_users": {"calls": 10, "items": 2000}},
        "groups": {"core_group_add_group_members": {"calls": 5, "items": 1000}},
    }
    bound = lower_bound(stats, steps, COSTS)
    # the reads jonction made are not in the bound; the existence check of 2,000 accounts is
    assert bound.write_work_ms == {
        "core_user_create_users": 5600.0,
        "core_group_add_group_members": 5400.0,
    }
    assert bound.read_ms == {
        "core_user_get_users_by_field": 20.0 + 2000 * 5.0,
        "core_webservice_get_site_info": 20.0,
    }
    assert bound.seconds == pytest.approx((5600 + 5400 + 10020 + 20) / 6 / 1000)
    assert bound.step_seconds("users") == pytest.approx((5600 + 10020) / 6 / 1000)
    assert bound.step_seconds("groups") == pytest.approx(5400 / 6 / 1000)
    # one call per item, one at a time: 3,000 items × 20 ms of latency on top of the work
    assert bound.per_item_floor == pytest.approx((5600 + 5400 + 3000 * 20) / 1000)
    assert bound.speedup_ceiling == pytest.approx(bound.per_item_floor / bound.seconds)


def test_bound_adds_the_reading_of_the_sources_of_the_steps_that_ran() -> None:
    stats = {"workers": 6, "functions": {}}
    floor = {"apogee": 2.0, "directory": 0.5, "timetable": 0.25}
    bound = lower_bound(stats, {"refer": {}, "enrolments": {}}, COSTS, floor)
    # the directory is read by the users step, which did not run
    assert bound.source_s == {"apogee": 2.0, "timetable": 0.25}
    assert bound.seconds == pytest.approx(2.25)
    assert bound.step_seconds("refer") == 2.0 and bound.step_seconds("users") == 0


def test_bound_of_a_night_without_writes_is_nothing_but_the_start() -> None:
    stats = {
        "workers": 6,
        "functions": {"core_course_get_categories": {"calls": 1, "items": 60, "cost_ms": 29.0}},
    }
    assert lower_bound(stats, {}, COSTS).seconds == pytest.approx(20 / 6 / 1000)
    assert lower_bound({"workers": 6, "functions": {}}, {}, COSTS).seconds == 0


def test_per_item_surcharge_is_scaled_by_the_items_of_each_step() -> None:
    create = {"core_user_create_users": {"calls": 1, "items": 100}}
    full = _night(
        [
            _step("refer", 30.0, {}),
            _step("users", 10.0, {k: {**v, "items": 1000} for k, v in create.items()}),
        ],
        41.0,
    )
    small_b = _night([_step("refer", 3.0, {}), _step("users", 1.0, create)], 5.0)
    small_pi = _night([_step("refer", 3.1, {}), _step("users", 4.0, create)], 8.1)
    figure = extrapolated(full, small_b, small_pi, 100)
    assert figure.method == "extrapolated"
    # refer has no Moodle item: the batched figure; users: 10 + (4 - 1) × 1000 / 100
    assert figure.by_step == {"refer": 30.0, "users": 40.0}
    assert figure.seconds == pytest.approx(41.0 + 30.0)
    assert figure.sample_ratio == pytest.approx(8.1 / 5.0)


def test_per_item_is_unavailable_when_the_sample_lacks_a_step() -> None:
    full = _night([_step("users", 10.0, {"core_user_create_users": {"items": 5}})], 11.0)
    figure = extrapolated(full, _night([], 1.0), _night([], 1.0), 100)
    assert figure.method == "unavailable" and figure.seconds is None
    assert measured(full).seconds == 11.0


def test_targets_say_met_not_met_or_not_measured() -> None:
    zero, slow = quiet_target(0, 75.0, 30_000)
    assert zero.met is True and slow.met is False
    assert quiet_target(3, 1.0, 3_000)[0].met is False
    assert quiet_target(0, 1.0, 3_000)[1].met is None
    assert speedup_target("first", 25.0, "measured", 10).met is True
    assert speedup_target("first", 5.0, "measured", 10).met is False
    assert speedup_target("first", 1.0, "measured", 0).met is None
    assert growth_target("time", [0.95, 1.05]).met is True
    assert growth_target("time", [1.3]).met is False
    assert growth_target("time", []).met is None
    partial = unmeasured(zero, "partial night (not in this build: groups)")
    assert partial.met is None and partial.measured == "0"
    assert partial.note == "partial night (not in this build: groups)"


def test_profile_counts_inclusive_and_self_samples(tmp_path: Path) -> None:
    raw = tmp_path / "profile.txt"
    raw.write_text(
        "<module> (jonction/cli.py:1);plan (jonction/steps/offer.py:10);"
        "loads (json/decoder.py:3) 6\n"
        "<module> (jonction/cli.py:1);apply (jonction/steps/offer.py:20) 4\n"
    )
    summary = summarise(raw)
    assert summary["samples"] == 10
    own = {item["function"]: item["samples"] for item in summary["own_inclusive"]}
    assert own["<module> (jonction/cli.py)"] == 10
    assert own["plan (jonction/steps/offer.py)"] == 6
    innermost = {item["function"]: item["samples"] for item in summary["own_innermost"]}
    assert innermost == {"plan (jonction/steps/offer.py)": 6, "apply (jonction/steps/offer.py)": 4}
    assert summary["self"][0] == {
        "function": "loads (json/decoder.py)",
        "samples": 6,
        "share": 0.6,
    }


def test_rendered_configuration_reads_back() -> None:
    config = {
        "apogee": {"url": "sqlite:////tmp/a b/apogee.db", "years": ["2026"]},
        "moodle": {"batch_sizes": {"core_user_create_users": 1}, "concurrency": 1},
        "enrol_database": {"sync_url": "http://127.0.0.1:1/admin/enrol_database_sync"},
    }
    assert tomllib.loads(render(config)) == config


def test_each_step_gets_the_highest_memory_sampled_while_it_ran() -> None:
    first = _step("refer", 2.0, {})
    first.started, first.finished = 100.0, 102.0
    second = _step("users", 1.0, {})
    second.started, second.finished = 102.5, 103.5
    idle = _step("groups", 0.0, {})
    idle.started, idle.finished = 200.0, 200.1
    step_peaks([first, second, idle], [(100.5, 10), (101.9, 30), (102.6, 20), (103.0, 25)])
    assert (first.peak_rss_bytes, second.peak_rss_bytes, idle.peak_rss_bytes) == (30, 25, None)


def test_the_enrol_database_sync_trigger_is_not_a_web_service_call() -> None:
    step = _step(
        "enrolments",
        40.0,
        {
            "enrol_database_sync (url)": {"calls": 1, "items": 685_420},
            "core_enrol_get_enrolled_users": {"calls": 2, "items": 2},
        },
    )
    assert (step.read_calls, step.write_calls) == (2, 0)
    assert (step.items_read, step.items_written) == (2, 0)


def test_a_small_night_is_not_charged_with_the_benchmark_s_own_memory(tmp_path: Path) -> None:
    # The kernel's ru_maxrss of a child counts the pages it shared with its parent until exec:
    # a benchmark process grown to hundreds of MiB would lend them to a tiny night.
    held = bytearray(300 * 2**20)
    held[::4096] = b"\x01" * len(held[::4096])
    small = [sys.executable, "-c", "import time; b = bytearray(20 * 2**20); time.sleep(0.6)"]
    process = run_child(small, tmp_path, tmp_path / "child.log")
    assert process.exit_code == 0
    assert 20 * 2**20 < process.peak_rss_bytes < 150 * 2**20
    del held


def test_the_memory_of_the_processes_a_night_starts_counts_with_its_own(tmp_path: Path) -> None:
    # A source read ahead runs in a process of its own: its memory is the night's too.
    grandchild = (
        "import time; b = bytearray(120 * 2**20); b[::4096] = bytes(len(b[::4096])); "
        "time.sleep(1.2)"
    )
    small = [
        sys.executable,
        "-c",
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])",
    ]
    process = run_child(small, tmp_path, tmp_path / "child.log")
    assert process.exit_code == 0
    assert process.peak_rss_bytes > 120 * 2**20


def test_the_per_item_way_sends_one_item_a_call_and_runs_its_steps_one_after_the_other(
    tmp_path: Path,
) -> None:
    simulator = Simulator("http://127.0.0.1:1", workers=6)
    per_item = sections(tmp_path, simulator, "2026", per_item=True)
    batched = sections(tmp_path, simulator, "2026", per_item=False)
    assert per_item["moodle"]["concurrency"] == 1
    assert set(per_item["moodle"]["batch_sizes"].values()) == {1}
    assert per_item["pipeline"]["concurrent_steps"] is False
    assert "concurrent_steps" not in batched["pipeline"]  # jonction's default
    assert "batch_sizes" not in batched["moodle"]


def test_a_night_the_simulator_served_slower_than_its_cost_model_says_so() -> None:
    def result(overrun_ms: float) -> dict[str, Any]:
        functions = {
            "core_group_get_group_members": {"calls": 18, "overrun_ms": overrun_ms},
            "core_group_add_group_members": {"calls": 30, "overrun_ms": 0.0},
        }
        simulator = {"workers": 6, "overrun_ms": overrun_ms, "functions": functions}
        return {"nights": {"changed": {"batched": {"simulator": simulator}}}}

    line = overrun_text(result(5_400.0), "changed")
    assert "5.4 s longer than its cost model" in line
    assert "core_group_get_group_members" in line and "add_group_members" not in line
    assert overrun_text(result(1_200.0), "changed") == ""  # 0.2 s over six workers


def test_the_timeline_shows_steps_and_their_calls_from_the_nights_start() -> None:
    refer = _step("refer", 2.0, {})
    refer.started, refer.finished = 1000.0, 1002.0
    groups = _step(
        "groups",
        5.0,
        {
            "core_group_add_group_members": {
                "calls": 3,
                "items": 90,
                "first": 1004.0,
                "last": 1007.0,
            },
            "core_group_get_group_members": {
                "calls": 2,
                "items": 40,
                "first": 1003.0,
                "last": 1003.5,
            },
            "enrol_database_sync (url)": {"calls": 1, "items": 9, "first": 1002.5, "last": 1002.9},
        },
    )
    groups.started, groups.finished = 1002.5, 1007.5
    lines = timeline(_night([groups, refer], 8.0))
    assert lines[1:] == [
        "  refer           0.00 →    2.00  (2.00 s)",
        "  groups          2.50 →    7.50  (5.00 s)",
        "       2.50 →    2.90  enrol_database_sync (url) (Moodle, 9 items)",
        "       3.00 →    3.50  core_group_get_group_members (2 calls, 40 items)",
        "       4.00 →    7.00  core_group_add_group_members (3 calls, 90 items)",
    ]


def test_the_machine_line_gives_the_reference_workload_when_a_result_has_it() -> None:
    older = {"cpus": 2, "platform": "Linux", "python": "3.11.7"}
    assert describe(older) == "2 cores · Python 3.11.7"
    timed = {**older, "python_speed_ms": {"before": 175.4, "after": 181.2}}
    assert describe(timed).endswith("reference workload 175 ms before the nights, 181 ms after")
    assert python_speed_ms(rounds=1) > 0
