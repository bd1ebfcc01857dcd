"""The client benchmark still runs (at a tiny size, on a fast simulator)."""

from __future__ import annotations

import pytest
from bench.client_bench import TOKEN, run_mode

from moodlesim.testing import running_simulator

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["defaults", "per-item"])
async def test_bench_runs_and_counts_calls(mode: str) -> None:
    with running_simulator(token=TOKEN, latency_ms=0.5, cost_scale=0.01) as sim:
        phases = await run_mode(sim.base_url, mode, 1 / 250)
    timed = {p.name: p for p in phases if p.timed}
    assert [p.items for p in timed.values()] == [20, 200, 200]
    assert all(p.failed == 0 for p in phases)
    if mode == "per-item":
        assert [p.calls for p in timed.values()] == [20, 200, 200]
        assert all(p.full_items == 250 * p.items for p in timed.values())
    else:
        # 20 items in one call; 200 spread over the 6 calls in flight (34 items each).
        assert [p.calls for p in timed.values()] == [1, 6, 6]
