"""Sources read ahead in processes of their own, and taken by the steps."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import weakref
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from jonction.config import Settings
from jonction.config.directory import LdapSection
from jonction.domain.plan import Plan
from jonction.sources.ldap import DirectoryError, read_directory
from jonction.steps import registry
from jonction.steps.base import ApplyResult, Step, StepContext
from jonction.steps.read_ahead import ReadAhead, SourceRead
from jonction.steps.runner import RunOptions, sources_to_read_ahead


def _pid_read(key: str = "pid") -> SourceRead[int]:
    return SourceRead(key, os.getpid, ())


def test_a_read_ahead_is_read_in_another_process_and_taken_once() -> None:
    async def scenario() -> list[tuple[int, bool]]:
        with closing(ReadAhead([_pid_read()])) as ahead:
            return [await ahead.take(_pid_read()), await ahead.take(_pid_read())]

    (first, ahead_first), (second, ahead_second) = asyncio.run(scenario())
    assert first != os.getpid() and ahead_first
    # Taken already: the second asks the source again, here.
    assert second == os.getpid() and not ahead_second


def test_each_read_has_a_process_of_its_own_that_ends_with_it() -> None:
    async def scenario() -> tuple[int, int]:
        with closing(ReadAhead([_pid_read("a"), _pid_read("b")])) as ahead:
            (a, _), (b, _) = await ahead.take(_pid_read("a")), await ahead.take(_pid_read("b"))
            return a, b

    a, b = asyncio.run(scenario())
    assert len({a, b, os.getpid()}) == 3
    # Gone once its answer is in (its memory with it), not at the run's end.
    assert not Path(f"/proc/{a}").exists() and not Path(f"/proc/{b}").exists()


class Payload:
    """A result that can be followed by a weak reference."""


def payload() -> Payload:
    return Payload()


def test_a_result_taken_is_held_by_the_step_alone() -> None:
    # A directory or a timetable kept by the read ahead would stay in memory all night.
    read = SourceRead("payload", payload, ())

    async def scenario() -> bool:
        with closing(ReadAhead([read])) as ahead:
            value, was_ahead = await ahead.take(read)
            assert was_ahead
            followed = weakref.ref(value)
            del value
            for _ in range(50):  # once handed over (the reading thread lets go just after)
                gc.collect()
                if followed() is None:
                    return True  # while the run, and its read ahead, go on
                await asyncio.sleep(0.02)
            return False

    assert asyncio.run(scenario())


def test_an_answer_that_cannot_come_back_is_read_here() -> None:
    lock = SourceRead("lock", threading.Lock, ())

    async def scenario() -> tuple[object, bool]:
        with closing(ReadAhead([lock])) as ahead:
            return await ahead.take(lock)

    value, was_ahead = asyncio.run(scenario())
    assert isinstance(value, type(threading.Lock())) and not was_ahead


def test_a_read_for_other_settings_or_never_started_is_read_here(tmp_path: Path) -> None:
    started = SourceRead("directory", read_directory, (LdapSection(ldif=tmp_path / "a"), ()))
    other = SourceRead("directory", read_directory, (LdapSection(ldif=tmp_path / "b"), ()))

    async def scenario() -> bool:
        with closing(ReadAhead([started])) as ahead:
            with pytest.raises(DirectoryError) as error:
                await ahead.take(other)
            assert str(tmp_path / "b") in str(error.value)
            _, was_ahead = await ahead.take(_pid_read("never started"))
            return was_ahead

    assert asyncio.run(scenario()) is False


def test_a_source_s_error_in_the_other_process_reaches_the_step(tmp_path: Path) -> None:
    missing = SourceRead("directory", read_directory, (LdapSection(ldif=tmp_path / "x"), ()))

    async def scenario() -> None:
        with closing(ReadAhead([missing])) as ahead:
            await ahead.take(missing)

    with pytest.raises(DirectoryError, match="x"):
        asyncio.run(scenario())


class _Reads(Step):
    name = "reads"
    title = "reads a source"

    @classmethod
    def read_ahead(cls, settings: Settings, today: date) -> Sequence[SourceRead[Any]]:
        return [_pid_read()]

    async def plan(self, ctx: StepContext) -> Plan:
        return Plan(step=self.name)

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        return ApplyResult()


class _First(_Reads):
    name = "first"


class _Broken(_Reads):
    name = "broken"

    @classmethod
    def read_ahead(cls, settings: Settings, today: date) -> Sequence[SourceRead[Any]]:
        raise ValueError("the window of events is empty")


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> None:
    table: dict[str, type[Step]] = {"first": _First, "reads": _Reads, "broken": _Broken}
    monkeypatch.setattr(registry, "all_steps", lambda: table)


NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.usefixtures("steps")
def test_only_steps_that_wait_for_another_read_ahead() -> None:
    settings = Settings()
    settings.pipeline.read_ahead = True
    # "first" starts the run: reading ahead would gain nothing.
    assert sources_to_read_ahead(settings, ["first"], RunOptions(), NOW) == []
    keys = [r.key for r in sources_to_read_ahead(settings, ["first", "reads"], RunOptions(), NOW)]
    assert keys == ["pid"]
    # A step whose reads cannot be said (bad settings) reads nothing ahead; it fails itself.
    assert sources_to_read_ahead(settings, ["first", "broken"], RunOptions(), NOW) == []
    # A saved plan is applied without reading.
    saved = RunOptions(saved={"reads": Plan(step="reads")})
    assert sources_to_read_ahead(settings, ["first", "reads"], saved, NOW) == []
    settings.pipeline.read_ahead = False
    assert sources_to_read_ahead(settings, ["first", "reads"], RunOptions(), NOW) == []
