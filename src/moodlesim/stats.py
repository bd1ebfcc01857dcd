"""What the simulated server has spent, for benchmarks: per function and in total."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FunctionStats:
    calls: int = 0
    items: int = 0
    cost_ms: float = 0.0
    errors: int = 0
    # Time the simulator itself took beyond the cost model (its one database thread busy or
    # slower than the measured Moodle): seconds a real Moodle would not have spent.
    overrun_ms: float = 0.0


@dataclass
class Stats:
    workers: int
    functions: dict[str, FunctionStats] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    sync_runs: int = 0
    sync_cost_ms: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def record(
        self, function: str, items: int, cost_ms: float, failed: bool, overrun_ms: float = 0.0
    ) -> None:
        entry = self.functions.setdefault(function, FunctionStats())
        entry.calls += 1
        entry.items += items
        entry.cost_ms += cost_ms
        entry.errors += int(failed)
        entry.overrun_ms += overrun_ms

    def record_fault(self, kind: str) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + 1

    def record_sync(self, cost_ms: float) -> None:
        self.sync_runs += 1
        self.sync_cost_ms += cost_ms

    def as_dict(self) -> dict[str, Any]:
        total_ms = sum(f.cost_ms for f in self.functions.values())
        return {
            "workers": self.workers,
            "calls": sum(f.calls for f in self.functions.values()),
            "items": sum(f.items for f in self.functions.values()),
            "errors": sum(f.errors for f in self.functions.values()),
            "cost_ms": round(total_ms, 3),
            "overrun_ms": round(sum(f.overrun_ms for f in self.functions.values()), 3),
            # No client can finish faster than the work spread over every worker.
            "lower_bound_s": round(total_ms / self.workers / 1000, 3),
            "functions": {
                name: {
                    "calls": f.calls,
                    "items": f.items,
                    "cost_ms": round(f.cost_ms, 3),
                    "errors": f.errors,
                    "overrun_ms": round(f.overrun_ms, 3),
                }
                for name, f in sorted(self.functions.items())
            },
            "faults": dict(sorted(self.faults.items())),
            "enrol_database_sync": {"runs": self.sync_runs, "cost_ms": round(self.sync_cost_ms, 3)},
            "elapsed_s": round(time.monotonic() - self.started, 3),
        }
