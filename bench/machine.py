"""The machine a benchmark ran on, and how fast it ran Python at the time.

jonction's own share of a night (decoding the sources, comparing, planning) is Python on one
processor, while the lower bound counts Moodle's work from the cost model, which is the same
on every machine. A night measured on a slower machine, or while a virtual machine's neighbours
are busy, is thus further from its bound with the same code. A fixed workload, timed before and
after the nights, says how fast this machine was: two runs compare only with this figure at hand.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

ROUNDS = 5
ROWS = 100_000


def _workload() -> int:
    """A night's kind of work in miniature: rows as tuples, keyed, compared, sorted."""
    wanted = {(n % 977, f"ELP{n:07d}"): (n, f"student {n}", n % 3 == 0) for n in range(ROWS)}
    known = {key: (n, name, flag != (key[0] == 5)) for key, (n, name, flag) in wanted.items()}
    changed = sorted(key for key, row in wanted.items() if known.get(key) != row)
    return len(changed)


def python_speed_ms(rounds: int = ROUNDS) -> float:
    """Milliseconds the workload takes here, the best of `rounds` (the least disturbed)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        _workload()
        best = min(best, time.perf_counter() - start)
    return round(best * 1000, 1)


def machine(speed_before_ms: float) -> dict[str, Any]:
    """The machine, with the workload's time before the nights (given) and now, after them."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_speed_ms": {"before": speed_before_ms, "after": python_speed_ms()},
    }


def describe(machine_figures: dict[str, Any]) -> str:
    """One line for a result's heading; results written before the workload existed lack it."""
    line = f"{machine_figures['cpus']} cores · Python {machine_figures['python']}"
    speed = machine_figures.get("python_speed_ms")
    if speed:
        line += (
            f" · reference workload {speed['before']:,.0f} ms before the nights, "
            f"{speed['after']:,.0f} ms after"
        )
    return line
