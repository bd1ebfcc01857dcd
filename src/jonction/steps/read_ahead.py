"""Sources read ahead: the directory and the timetable, which no earlier step changes, are read
at the start of the run in processes of their own, while the refer step reads Apogée.

Decoding a directory or a timetable is processor work (an LDIF or LDAP answers of tens of
thousands of people, ADE's XML): in the run's process it would wait for the steps before, or
slow them down beside it. In another process it uses another core, and a server's latency
(LDAP, ADE over HTTP) is spent while the night does something else. The step then takes the
result, or reads the source itself when the read ahead is missing, was for other settings, or
could not be done (the process could not start or its result could not come back). An error
of the source itself (a malformed file, a server that refuses) reaches the step as if it had
read the source itself.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("jonction.read_ahead")


@dataclass(frozen=True)
class SourceRead(Generic[T]):
    """One read of a source: a module-level function and its arguments, both picklable (they
    travel to the other process); equal reads read the same thing."""

    key: str
    function: Callable[..., T]
    args: tuple[Any, ...]

    def __call__(self) -> T:
        return self.function(*self.args)


class ReadAhead:
    """Reads started at once, each in a process of its own that ends once its read is taken
    (its memory with it)."""

    def __init__(self, reads: Sequence[SourceRead[Any]]) -> None:
        self._reads = {read.key: read for read in reads}
        self._running: dict[str, tuple[ProcessPoolExecutor, Future[Any]]] = {}
        # A new interpreter, not a fork: the run's process has threads (a fork would copy
        # their locks) and its memory, which a fork would share until written.
        context = multiprocessing.get_context("spawn")
        for read in self._reads.values():
            executor = ProcessPoolExecutor(max_workers=1, mp_context=context)
            self._running[read.key] = (executor, executor.submit(read.function, *read.args))

    @property
    def keys(self) -> list[str]:
        return list(self._reads)

    async def take(self, read: SourceRead[T]) -> tuple[T, bool]:
        """The source's content, and whether it was read ahead."""
        running = self._running.pop(read.key, None)
        if running is None:
            return await asyncio.to_thread(read), False
        executor, future = running
        try:
            if self._reads[read.key] != read:
                future.cancel()
                return await asyncio.to_thread(read), False
            try:
                return await asyncio.wrap_future(future), True
            except (BrokenProcessPool, pickle.PicklingError, AttributeError, TypeError) as exc:
                # The process, not the source: read it here.
                log.warning("read ahead failed, reading here", source=read.key, error=str(exc))
                return await asyncio.to_thread(read), False
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Cancels what no step took; waits for the reads under way (seconds at most)."""
        for executor, _ in self._running.values():
            executor.shutdown(wait=True, cancel_futures=True)
        self._running.clear()
