"""Python's cycle collector during a run.

A night builds millions of small objects that live until its end (REFER's snapshots, the
desired and known states, the plans). With the default thresholds the collector walks them
again and again as they pile up: a third of the time of the largest steps at 30,000 students.
They hold no reference cycles, so a run collects less often; the few cycles made meanwhile
are still collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Objects allocated between two collections of the youngest generation, then how many
# collections of a generation before one of the next (the defaults: 700, 10, 10).
RUN_THRESHOLDS = (50_000, 50, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collects cycles less often until the block ends, then as before."""
    before = gc.get_threshold()
    gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
