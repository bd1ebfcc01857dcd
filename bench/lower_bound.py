"""The lower bound of a night: what Moodle itself must spend, spread over its workers.

    bound = sources + (work of the items written + unavoidable Moodle reads) / workers

- work of the items written: for every write function, the simulator's cost of the calls the
  night made, less their fixed per-call latency (a perfect client would amortise it);
  category growth (course creation in a full category) stays in, as Moodle spends it.
- sources: the least time to read the night's sources (bench/sources_floor.py), for the
  sources that the steps of the night read: no incremental feed exists, a night must read them.
- unavoidable Moodle reads: one call to start (the service check), and for each kind of object
  created, one bulk check that no object with the same key exists yet (an account made by a
  CAS login, a course made by hand), at the per-item cost of the cheapest read of that kind.

The same figures give the least the per-item way must spend on the same writes (each item
in a call of its own, one call at a time, after reading the sources), hence the most any
client can gain over it: `speedup_ceiling`.

Everything is taken from the simulator's cost model (moodlesim.costs), so the bound moves with
it. Moodle's enrol_database sync is left out, as it is from jonction's time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .night import is_write
from .sources_floor import SOURCE_STEPS

# For each creation, the read that tells whether an object with the same key already exists.
EXISTENCE_CHECKS: Mapping[str, str] = {
    "core_user_create_users": "core_user_get_users_by_field",
    "core_course_create_courses": "core_course_get_courses_by_field",
    "core_course_create_categories": "core_course_get_categories",
    "core_cohort_create_cohorts": "core_cohort_search_cohorts",
    "core_group_create_groups": "core_group_get_course_groups",
}
START_CHECK = "core_webservice_get_site_info"


@dataclass(frozen=True)
class CostFigures:
    latency_ms: float
    per_item_ms: Mapping[str, float]

    @classmethod
    def from_simulator(cls) -> CostFigures:
        from moodlesim.costs import CostModel

        model = CostModel()
        return cls(model.latency_ms * model.scale, dict(model.per_item_ms))


@dataclass
class LowerBound:
    workers: int
    write_work_ms: dict[str, float] = field(default_factory=dict)
    read_ms: dict[str, float] = field(default_factory=dict)
    by_step_ms: dict[str, float] = field(default_factory=dict)
    # Seconds to read each source of the night, and the step that reads it.
    source_s: dict[str, float] = field(default_factory=dict)
    # What the per-item way must spend at least on the same writes: each item in a call of
    # its own (latency included), one call at a time.
    per_item_ms: float = 0.0

    @property
    def per_item_floor(self) -> float:
        return sum(self.source_s.values()) + self.per_item_ms / 1000

    @property
    def speedup_ceiling(self) -> float | None:
        """The most any client can gain over the per-item way on this night's writes."""
        return self.per_item_floor / self.seconds if self.seconds > 0 else None

    @property
    def moodle_seconds(self) -> float:
        total = sum(self.write_work_ms.values()) + sum(self.read_ms.values())
        return total / self.workers / 1000

    @property
    def seconds(self) -> float:
        return sum(self.source_s.values()) + self.moodle_seconds

    def step_seconds(self, step: str) -> float:
        sources = sum(s for name, s in self.source_s.items() if SOURCE_STEPS.get(name) == step)
        return sources + self.by_step_ms.get(step, 0.0) / self.workers / 1000

    def steps(self) -> list[str]:
        named = [SOURCE_STEPS[name] for name in self.source_s if name in SOURCE_STEPS]
        return list(dict.fromkeys([*named, *self.by_step_ms]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "sources_s": {k: round(v, 3) for k, v in self.source_s.items()},
            "moodle_s": round(self.moodle_seconds, 3),
            "workers": self.workers,
            "per_item_floor_s": round(self.per_item_floor, 3),
            "speedup_ceiling": None
            if self.speedup_ceiling is None
            else round(self.speedup_ceiling, 2),
            "write_work_ms": {k: round(v, 1) for k, v in sorted(self.write_work_ms.items())},
            "unavoidable_read_ms": {k: round(v, 1) for k, v in sorted(self.read_ms.items())},
            "by_step_s": {k: round(self.step_seconds(k), 3) for k in self.steps()},
        }


def lower_bound(
    simulator_stats: Mapping[str, Any],
    step_calls: Mapping[str, Mapping[str, Mapping[str, float]]],
    costs: CostFigures,
    source_s: Mapping[str, float] | None = None,
) -> LowerBound:
    """`simulator_stats` is the simulator's /admin/stats of the night; `step_calls` the
    journal's calls of each step (function → calls, items), to share the bound among steps;
    `source_s` the seconds to read each source, counted when the step that reads it ran."""
    bound = LowerBound(workers=int(simulator_stats["workers"]))
    for name, seconds in (source_s or {}).items():
        if SOURCE_STEPS.get(name) in step_calls:
            bound.source_s[name] = seconds
    functions: Mapping[str, Mapping[str, float]] = simulator_stats.get("functions", {})
    for function, entry in functions.items():
        if not is_write(function) or not entry.get("items"):
            continue
        work = max(0.0, float(entry["cost_ms"]) - costs.latency_ms * float(entry["calls"]))
        bound.write_work_ms[function] = work
        bound.per_item_ms += work + costs.latency_ms * float(entry["items"])
        check = EXISTENCE_CHECKS.get(function)
        if check is not None:
            per_item = costs.per_item_ms.get(check, 0.0)
            bound.read_ms[check] = bound.read_ms.get(check, 0.0) + (
                costs.latency_ms + per_item * float(entry["items"])
            )
        _share(bound, step_calls, function, work + bound.read_ms.get(check or "", 0.0))
    if functions:
        bound.read_ms[START_CHECK] = costs.latency_ms
    return bound


def _share(
    bound: LowerBound,
    step_calls: Mapping[str, Mapping[str, Mapping[str, float]]],
    function: str,
    ms: float,
) -> None:
    """Gives each step the part of `ms` matching its share of the function's items."""
    items = {
        step: float(calls.get(function, {}).get("items", 0)) for step, calls in step_calls.items()
    }
    total = sum(items.values())
    if total <= 0:
        bound.by_step_ms["(unattributed)"] = bound.by_step_ms.get("(unattributed)", 0.0) + ms
        return
    for step, count in items.items():
        if count:
            bound.by_step_ms[step] = bound.by_step_ms.get(step, 0.0) + ms * count / total
