from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from jonction.moodle import MoodleClient

from .fake_moodle import TOKEN, FakeMoodle


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeMoodle:
    return FakeMoodle()


class Sleeps:
    """Records backoff waits instead of sleeping, so that retry tests are instant."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(fake: FakeMoodle, sleeps: Sleeps) -> AsyncIterator[MoodleClient]:
    async with make_client(fake, sleeps) as moodle:
        yield moodle


def make_client(fake: FakeMoodle, sleeps: Sleeps, **options: Any) -> MoodleClient:
    return MoodleClient(
        "http://moodle.test/",
        options.pop("token", TOKEN),
        http_transport=fake.transport(),
        sleep=sleeps,
        seed=1,
        **options,
    )
