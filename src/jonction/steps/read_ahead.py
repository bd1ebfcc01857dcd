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
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
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


class ReadAheadFailed(Exception):
    """The process, not the source: it could not start, died, or its answer could not travel."""


def read_and_answer(read: SourceRead[Any]) -> bytes:
    """In the other process: the read's result, or the source's own error (raised again in the
    step), pickled for the run."""
    try:
        answer: tuple[bool, Any] = (True, read())
    except Exception as exc:
        answer = (False, exc)
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an answer that cannot be pickled
        failed = ReadAheadFailed(f"its answer could not be sent: {exc}")
        return pickle.dumps((False, failed), protocol=pickle.HIGHEST_PROTOCOL)


class ReadAhead:
    """Reads started at once, one after the other in the order given, each in a process of its
    own that ends with its read (its memory with it)."""

    def __init__(self, reads: Sequence[SourceRead[Any]]) -> None:
        self._reads = {read.key: read for read in reads}
        # Only the step that takes a read holds its result: a directory or a timetable kept
        # here would stay in memory until the run ends.
        self._untaken: dict[str, Future[Any]] = {key: Future() for key in self._reads}
        self._queue = [(self._reads[key], future) for key, future in self._untaken.items()]
        self._closing = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        # One read at a time: two would take the core the steps before need (the refer step
        # reading Apogée), and hold their memory together.
        self._thread = threading.Thread(target=self._read_all, name="read ahead", daemon=True)
        self._thread.start()

    def _read_all(self) -> None:
        while self._queue:
            read, future = self._queue.pop(0)
            if self._closing.is_set() or not future.set_running_or_notify_cancel():
                continue
            self._read_one(read, future)
            del future

    def _read_one(self, read: SourceRead[Any], future: Future[Any]) -> None:
        # A new interpreter that imports only what the read needs (a fork would copy the run's
        # memory and its threads' locks; multiprocessing's spawn would import the whole
        # command line first, a second and 80 MiB more).
        answer: tuple[bool, Any]
        try:
            request = pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
            self._process = subprocess.Popen(
                [sys.executable, "-m", "jonction.steps.read_ahead_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            output, _ = self._process.communicate(request)
            if self._process.returncode != 0:
                raise ReadAheadFailed(f"the process ended with status {self._process.returncode}")
            answer = pickle.loads(output)
        except Exception as exc:  # could not start, died, or its answer cannot be unpickled
            answer = (False, ReadAheadFailed(f"{type(exc).__name__}: {exc}"))
        finally:
            self._process = None
        # Last: this thread holds the result no longer than it takes to hand it over.
        ok, value = answer
        del answer
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    async def take(self, read: SourceRead[T]) -> tuple[T, bool]:
        """The source's content, and whether it was read ahead."""
        future = self._untaken.pop(read.key, None)
        if future is None:
            return await asyncio.to_thread(read), False
        if self._reads[read.key] != read:
            future.cancel()
            return await asyncio.to_thread(read), False
        try:
            return await asyncio.wrap_future(future), True
        except ReadAheadFailed as exc:
            log.warning("read ahead failed, reading here", source=read.key, error=str(exc))
            return await asyncio.to_thread(read), False

    def close(self) -> None:
        """Stops what no step took: a read under way ends with its process."""
        self._closing.set()
        for future in self._untaken.values():
            future.cancel()
        self._untaken.clear()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
        self._thread.join()
