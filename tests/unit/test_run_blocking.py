"""run_blocking: a coroutine's result comes back without ever being formatted."""

from __future__ import annotations

import asyncio

from jonction.steps.runner import run_blocking


class Report:
    """Stands for a whole night's report: formatting it costs gigabytes at scale."""

    formatted = 0

    def __repr__(self) -> str:
        Report.formatted += 1
        return "Report()"


async def _produce() -> Report:
    return Report()


def test_the_result_comes_back_unformatted() -> None:
    Report.formatted = 0
    assert isinstance(run_blocking(_produce()), Report)
    assert Report.formatted == 0


def test_plain_asyncio_run_formats_it() -> None:
    # What run_blocking avoids (Python 3.11); if this ever stops, run_blocking can go.
    Report.formatted = 0
    asyncio.run(_produce())
    assert Report.formatted > 0
