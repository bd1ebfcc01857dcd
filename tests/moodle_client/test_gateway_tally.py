"""A step's call accounting when its gateway runs operations at the same time: each call that
Moodle served is counted once (the journal's per-step figures and the benchmark rely on it)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from jonction.steps.moodle_gateways import MoodleCohorts

from .conftest import Sleeps, make_client
from .fake_moodle import FakeMoodle

pytestmark = pytest.mark.anyio


class Tally:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def add(
        self,
        function: str,
        calls: int,
        items: int,
        seconds: float,
        errors: int = 0,
        window: tuple[float, float] | None = None,
    ) -> None:
        self.calls[function] += calls


async def test_operations_run_together_count_each_call_once(sleeps: Sleeps) -> None:
    fake = FakeMoodle()
    fake.users = {u: {"id": u, "username": f"u{u}"} for u in range(2, 400)}
    fake.cohorts = {c: {"id": c, "idnumber": f"C{c}", "name": f"C{c}"} for c in (1, 2)}
    fake.cohort_members = {1: set(), 2: set()}
    tally = Tally()
    async with make_client(fake, sleeps, concurrency=6) as client:
        gateway = MoodleCohorts(client, tally)
        await asyncio.gather(
            gateway.add_members([(1, u) for u in range(2, 400)]),
            gateway.add_members([(2, u) for u in range(2, 300)]),
            gateway.read_members([1, 2]),
        )
    served = Counter(
        call.function for call in fake.calls if call.function.startswith("core_cohort")
    )
    assert served["core_cohort_add_cohort_members"] > 1  # spread over calls run together
    assert tally.calls == served
    assert fake.cohort_members == {1: set(range(2, 400)), 2: set(range(2, 300))}
