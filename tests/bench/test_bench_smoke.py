"""The benchmark harness end to end on a tiny university, so that it keeps working: three
nights against the simulator in its own process, read back from the journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("moodlesim")

from bench import run
from jonction.steps import registry


def test_three_nights_of_a_tiny_university(tmp_path: Path) -> None:
    results = tmp_path / "results"
    code = run.main(
        [
            "--students",
            "100",
            "--per-item",
            "off",
            "--no-chart",
            "--sync-scale",
            "0",
            "--results",
            str(results),
            "--work",
            str(tmp_path / "work"),
            "--cache",
            str(tmp_path / "cache"),
        ]
    )
    assert code == 0
    (data,) = results.glob("bench-n100-*.json")
    result = json.loads(data.read_text())
    assert list(result["nights"]) == ["first", "changed", "quiet"]
    steps = list(registry.all_steps())
    for night in result["nights"].values():
        batched = night["batched"]
        assert [step["step"] for step in batched["steps"]] == steps
        assert batched["process_s"] > 0 and batched["peak_rss_bytes"] > 0
        assert batched["simulator"]["workers"] == 6
        assert night["lower_bound"]["seconds"] >= 0
        assert night["per_item"]["method"] == "unavailable"
    assert result["university"]["figures"]["students"] == 100
    # The first sync skips its wait (--sync-scale 0); the later ones take their measured time.
    scales = {name: night["batched"]["sync_scale"] for name, night in result["nights"].items()}
    assert scales == {"first": 0.0, "changed": 1.0, "quiet": 1.0}
    changed = result["nights"]["changed"]["batched"]
    assert changed["sync_s"] * 1000 >= changed["simulator"]["enrol_database_sync"]["cost_ms"] > 0
    assert {t["target"] for t in result["targets"]} >= {"no-change night: zero write calls"}
    speed = result["machine"]["python_speed_ms"]
    assert speed["before"] > 0 and speed["after"] > 0
    table = data.with_suffix(".md").read_text()
    assert "| jonction's time (sync excluded) |" in table
    assert f"reference workload {speed['before']:,.0f} ms before the nights" in table
    assert not list(results.glob("*.png"))
