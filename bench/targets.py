"""The targets a benchmark reports against: met, not met, or not measured (and why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GIB = 1024**3
REFERENCE_STUDENTS = 30_000


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    measured: str
    met: bool | None  # None: not measured in this run
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "wanted": self.wanted,
            "measured": self.measured,
            "met": self.met,
            "note": self.note,
        }


def unmeasured(target: Target, why: str) -> Target:
    """The same target, not measured, with the reason (a partial night, a profiled one…)."""
    note = why + (f"; {target.note}" if target.note else "")
    return Target(target.name, target.wanted, target.measured, None, note)


def _ratio(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}×"


def bound_target(night: str, ratio: float | None, limit: float) -> Target:
    return Target(
        f"{night} night within {limit:g}× of the lower bound",
        f"≤ {limit:g}×",
        _ratio(ratio, 2),
        None if ratio is None else ratio <= limit,
    )


def quiet_target(write_calls: int, seconds: float, students: int) -> list[Target]:
    note = "" if students == REFERENCE_STUDENTS else f"measured at {students:,} students"
    return [
        Target("no-change night: zero write calls", "0", str(write_calls), write_calls == 0),
        Target(
            "no-change night under 60 s at 30,000 students",
            "< 60 s",
            f"{seconds:.1f} s",
            seconds < 60 if students >= REFERENCE_STUDENTS else None,
            note or "",
        ),
    ]


def speedup_target(night: str, speedup: float | None, method: str, moodle_calls: int) -> Target:
    if not moodle_calls:
        # Batching cannot make a difference where no step calls Moodle.
        return Target(
            f"{night} night ≥ 20× faster than the per-item way",
            "≥ 20×",
            _ratio(speedup),
            None,
            "no Moodle call in this night",
        )
    return Target(
        f"{night} night ≥ 20× faster than the per-item way",
        "≥ 20×",
        _ratio(speedup),
        None if speedup is None else speedup >= 20,
        f"per-item figure {method}",
    )


def memory_target(peak_bytes: int, students: int) -> Target:
    measured = f"{peak_bytes / 2**20:,.0f} MiB"
    if students >= REFERENCE_STUDENTS:
        return Target("peak memory under 1 GiB at 30,000", "< 1 GiB", measured, peak_bytes < GIB)
    return Target(
        "peak memory under 1 GiB at 30,000",
        "< 1 GiB",
        measured,
        None,
        f"measured at {students:,} students",
    )


def growth_target(kind: str, exponents: list[float]) -> Target:
    """Linear or better: the exponent of n between consecutive sizes stays ≤ 1.1 (a tenth of
    slack for noise and fixed costs)."""
    worst = max(exponents) if exponents else None
    return Target(
        f"{kind} grows linearly or better with students",
        "exponent ≤ 1.1",
        "n/a" if worst is None else f"worst {worst:.2f}",
        None if worst is None else worst <= 1.1,
    )
