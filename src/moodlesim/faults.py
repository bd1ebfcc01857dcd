"""Seeded faults on web service calls: 503 answers and hangs, before or after the writes."""

from __future__ import annotations

import enum
import random


class Fault(enum.Enum):
    NONE = "none"
    UNAVAILABLE_BEFORE = "503_before"  # nothing applied
    UNAVAILABLE_AFTER = "503_after"  # writes applied, then 503
    HANG_BEFORE = "hang_before"  # nothing applied, the answer comes after the hang (504)
    HANG_AFTER = "hang_after"  # writes applied, the normal answer comes after the hang


_KINDS = [Fault.UNAVAILABLE_BEFORE, Fault.UNAVAILABLE_AFTER, Fault.HANG_BEFORE, Fault.HANG_AFTER]


class FaultInjector:
    """Draws one fault per call, in arrival order, from a seeded generator."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self._random = random.Random(seed)

    def draw(self) -> Fault:
        roll = self._random.random()
        kind = self._random.choice(_KINDS)
        return kind if roll < self.rate else Fault.NONE
