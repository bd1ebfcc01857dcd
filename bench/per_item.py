"""The per-item way (batch size 1, one call in flight), and how its figure is obtained.

`same`: the per-item nights run on the same university as the batched ones: measured.

`sample`: a per-item night of a large university takes hours, so both ways run on a smaller
university of the same seed (`students × fraction`), measured side by side; the per-item time
at full size is then, for each step,

    per_item(S) = batched(S) + (per_item(s) − batched(s)) × items(S) / items(s)

where items are the Moodle items (read and written) of that step in the batched nights: the
per-item way makes one call per item, so its surcharge grows with the items while the step's
own work (reading the sources, planning, journaling) is the batched figure measured at full
size. A step without Moodle calls costs the same both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .night import Night, StepFigures

MODES = ("sample", "same", "off")


def moodle_items(step: StepFigures) -> int:
    return step.items_read + step.items_written


@dataclass
class PerItemFigure:
    """The per-item way's time for one night at the benchmark's size."""

    night: str
    method: str  # measured | extrapolated | unavailable
    seconds: float | None
    by_step: dict[str, float | None] = field(default_factory=dict)
    sample_students: int | None = None
    # Measured at the sample size: batched and per-item times and their ratio.
    sample_batched_s: float | None = None
    sample_per_item_s: float | None = None
    note: str = ""

    @property
    def sample_ratio(self) -> float | None:
        if not self.sample_batched_s or self.sample_per_item_s is None:
            return None
        return self.sample_per_item_s / self.sample_batched_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "night": self.night,
            "method": self.method,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "by_step": {k: None if v is None else round(v, 3) for k, v in self.by_step.items()},
            "sample_students": self.sample_students,
            "sample_batched_s": self.sample_batched_s,
            "sample_per_item_s": self.sample_per_item_s,
            "sample_ratio": None if self.sample_ratio is None else round(self.sample_ratio, 2),
            "note": self.note,
        }


def measured(per_item: Night) -> PerItemFigure:
    return PerItemFigure(
        per_item.name,
        "measured",
        per_item.jonction_s,
        {step.step: step.jonction_s for step in per_item.steps},
    )


def extrapolated(
    full: Night, sample_batched: Night, sample_per_item: Night, sample_students: int
) -> PerItemFigure:
    figure = PerItemFigure(
        full.name,
        "extrapolated",
        None,
        sample_students=sample_students,
        sample_batched_s=round(sample_batched.jonction_s, 3),
        sample_per_item_s=round(sample_per_item.jonction_s, 3),
    )
    total = full.jonction_s
    missing = []
    for step in full.steps:
        small_b = sample_batched.step(step.step)
        small_pi = sample_per_item.step(step.step)
        items_full = moodle_items(step)
        if small_b is None or small_pi is None:
            value: float | None = None
        elif items_full == 0:
            value = step.jonction_s
        elif moodle_items(small_b) == 0:
            value = None
        else:
            surcharge = small_pi.jonction_s - small_b.jonction_s
            value = step.jonction_s + surcharge * items_full / moodle_items(small_b)
        figure.by_step[step.step] = value
        if value is None:
            missing.append(step.step)
        else:
            total += value - step.jonction_s
    if missing:
        figure.method = "unavailable"
        figure.note = "no per-item figure for " + ", ".join(missing)
    else:
        figure.seconds = total
    return figure
