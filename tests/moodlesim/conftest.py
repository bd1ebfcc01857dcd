"""Fixtures for the simulator's tests: a fresh simulator on a temporary database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from moodlesim import CostModel, Simulator, SimulatorConfig
from tests.conftest import shared_dir

from .sim_support import TOKEN, SimClient


@pytest.fixture(scope="session")
def moodle_reference() -> Path:
    folder = shared_dir() / "moodle"
    if not (folder / "transcripts.jsonl").is_file():
        pytest.fail(
            f"the recorded Moodle answers are missing: {folder} has no transcripts.jsonl "
            "(set JONCTION_SHARED_DIR to the folder holding moodle/)"
        )
    return folder


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator[Callable[..., SimClient]]:
    made: list[SimClient] = []

    def make(**overrides: Any) -> SimClient:
        options: dict[str, Any] = {
            "token": TOKEN,
            "db_url": f"sqlite:///{tmp_path / f'sim{len(made)}.db'}",
            "cost": CostModel(latency_ms=0, scale=0),
        }
        options.update(overrides)
        client = SimClient(Simulator(SimulatorConfig(**options)))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def sim(make_sim: Callable[..., SimClient]) -> SimClient:
    return make_sim()
