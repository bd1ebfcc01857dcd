"""The simulated Moodle: its database, its PHP-FPM workers, its costs and its faults.

Database work runs on one dedicated thread, one call at a time, so that every call is one
transaction and the event loop stays free to run the simulated costs (sleeps) of the calls
served by the other workers. Moodle's enrol_database sync, a scheduled task that a real Moodle
runs in a process of its own, decides on a thread (or in a process) of its own, from a snapshot,
while the calls go on; what it decided is then written on the calls' thread, between two calls.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine

from .call import Call
from .config import SimulatorConfig
from .costs import CostMeter
from .db import schema
from .db.bootstrap import ensure_installed
from .db.engine import make_engine
from .db.sequences import Sequences
from .enrol_database import EnrolDatabaseSync, SyncJob, SyncWrites, decide_apart
from .faults import Fault, FaultInjector
from .functions import HANDLERS
from .php.forms import PhpArray
from .stats import Stats
from .ws.errors import MoodleError, coding_error, invalid_parameter, moodle_exception
from .ws.returns import clean_returnvalue
from .ws.spec import FunctionSpec, functions
from .ws.validate import validate

log = logging.getLogger("moodlesim")
T = TypeVar("T")


@dataclass
class Outcome:
    """A processed call: its cleaned result or its error, and what it cost."""

    function: str
    spec: FunctionSpec | None
    result: Any
    error: MoodleError | None
    cost_ms: float
    items: int


def _invalid_token() -> MoodleError:
    return moodle_exception("invalidtoken", "Invalid token - token not found")


def _not_in_service(name: str) -> MoodleError:
    return MoodleError(
        "webservice_access_exception",
        "accessexception",
        "Access control exception",
        f"Access to the function {name}() is not allowed. There could be multiple reasons for "
        "this: 1. The service linked to the user token does not contain the function. 2. The "
        "service linked to the user token is not enabled. 3. The function is not enabled in "
        "the web service settings.",
    )


def _unknown_function() -> MoodleError:
    return MoodleError(
        "dml_missing_record_exception",
        "invalidrecord",
        "Can't find data record in database table external_functions.",
        "SELECT * FROM {external_functions} WHERE name = ?",
    )


def _sync_process() -> Executor:
    """A process for the syncs, started now: the first sync does not wait for its start."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(int)
    return pool


class Simulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.debug = config.debug
        self.engine: Engine = make_engine(config.db_url)
        ensure_installed(self.engine, int(time.time()))
        with self.engine.begin() as connection:
            self.sequences = Sequences.load(connection)
        self.service = tuple(n for n in functions() if n not in config.without_functions)
        self.faults = FaultInjector(config.fault_rate, config.seed)
        self.stats = Stats(config.workers)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moodlesim-db")
        self._sync_executor: Executor = (
            _sync_process()
            if config.sync_process
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="moodlesim-sync")
        )
        self._workers: asyncio.Semaphore | None = None
        # Multiplies the time the sync takes (/admin/settings): a benchmark skips a first
        # sync's hour and waits out the others' minutes.
        self.sync_scale = 1.0
        self._sync_lock: asyncio.Lock | None = None
        self.enrol_sync = (
            EnrolDatabaseSync(config.enrol_db_url, config.enrol_settings, config.cost)
            if config.enrol_db_url
            else None
        )

    @property
    def workers(self) -> asyncio.Semaphore:
        if self._workers is None:
            self._workers = asyncio.Semaphore(self.config.workers)
        return self._workers

    @property
    def sync_lock(self) -> asyncio.Lock:
        if self._sync_lock is None:
            self._sync_lock = asyncio.Lock()
        return self._sync_lock

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._sync_executor.shutdown(wait=True)
        self.engine.dispose()
        if self.enrol_sync is not None:
            self.enrol_sync.close()

    async def in_db_thread(self, function: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    # -- one web service call ------------------------------------------------------------

    def process(self, token: Any, name: Any, params: PhpArray, site_url: str) -> Outcome:
        """Authenticates, finds the function, validates, runs it in one transaction."""
        meter = CostMeter(self.config.cost, name if isinstance(name, str) else "")
        label = name if isinstance(name, str) and name in functions() else "(rejected)"
        spec: FunctionSpec | None = None
        try:
            if token != self.config.token:
                raise _invalid_token()
            if not isinstance(name, str) or not name:
                raise invalid_parameter("Missing function name")
            spec = functions().get(name)
            if spec is None:
                raise _unknown_function()
            if name in self.config.without_functions:
                raise _not_in_service(name)
            validated = validate(spec.parameters, params)
            raw = self._run(spec.name, validated, meter, site_url)
            result = clean_returnvalue(spec.returns, raw)
            return Outcome(label, spec, result, None, meter.total_ms(), meter.items)
        except MoodleError as error:
            return Outcome(label, spec, None, error, meter.total_ms(), meter.items)

    def _run(self, name: str, params: dict[str, Any], meter: CostMeter, site_url: str) -> Any:
        with self.engine.connect() as connection:
            transaction = connection.begin()
            call = Call(connection, int(time.time()), self.sequences, meter, site_url, self.service)
            try:
                result = HANDLERS[name](call, params)
                self.sequences.save(connection)
                transaction.commit()
                return result
            except MoodleError:
                transaction.rollback()
                self._save_burnt_ids()
                raise
            except Exception as exc:
                transaction.rollback()
                self._save_burnt_ids()
                log.exception("simulator failure in %s", name)
                raise coding_error(f"simulator failure: {type(exc).__name__}") from exc

    def _save_burnt_ids(self) -> None:
        # Ids taken by a rolled-back transaction stay taken, as with PostgreSQL sequences.
        if self.sequences.touched:
            with self.engine.begin() as connection:
                self.sequences.save(connection)

    async def call(
        self, token: Any, name: Any, params: PhpArray, site_url: str
    ) -> tuple[Outcome | None, Fault]:
        """Serves one call as a PHP-FPM worker would, with its simulated cost and fault.

        Returns no outcome when the fault struck before the call was processed.
        """
        fault = self.faults.draw()
        if fault is not Fault.NONE:
            self.stats.record_fault(fault.value)
        if fault is Fault.HANG_BEFORE:
            await asyncio.sleep(self.config.fault_hang_s)
            return None, fault
        loop = asyncio.get_running_loop()
        async with self.workers:
            started = loop.time()
            if fault is Fault.UNAVAILABLE_BEFORE:
                await asyncio.sleep(self.config.cost.latency_ms * self.config.cost.scale / 1000)
                return None, fault
            outcome: Outcome = await self.in_db_thread(self.process, token, name, params, site_url)
            spent = loop.time() - started
            await asyncio.sleep(max(0.0, outcome.cost_ms / 1000 - spent))
        self.stats.record(
            outcome.function,
            outcome.items,
            outcome.cost_ms,
            outcome.error is not None,
            overrun_ms=max(0.0, spent * 1000 - outcome.cost_ms),
        )
        if fault is Fault.HANG_AFTER:
            await asyncio.sleep(self.config.fault_hang_s)
        return outcome, fault

    # -- enrol_database ------------------------------------------------------------------

    async def enrol_database_sync(self) -> dict[str, Any]:
        if self.enrol_sync is None:
            raise LookupError("enrol_database is not configured (--enrol-db)")
        sync = self.enrol_sync
        async with self.sync_lock:
            loop = asyncio.get_running_loop()
            started = loop.time()
            summary: dict[str, Any]
            writes: SyncWrites | None
            if self.config.sync_process:
                config = self.config
                assert config.enrol_db_url is not None  # else there is no sync
                job = SyncJob.of(
                    config.db_url, config.enrol_db_url, config.enrol_settings, sync.cost
                )
                decided = self._sync_executor.submit(decide_apart, job)
            else:
                decided = self._sync_executor.submit(sync.decide, self.engine)
            summary, writes = await asyncio.wrap_future(decided)
            if writes is not None:  # on the calls' thread: between two calls, as one of them
                await self.in_db_thread(sync.write, self.engine, self.sequences, writes)
            cost_ms = float(summary["cost_ms"]) * self.sync_scale
            summary["cost_ms"] = cost_ms
            await asyncio.sleep(max(0.0, cost_ms / 1000 - (loop.time() - started)))
            self.stats.record_sync(cost_ms)
            summary["seconds"] = round(cost_ms / 1000, 3)
            return summary

    # -- what people do in courses --------------------------------------------------------

    def _record_access(self, course_id: int, user_id: int, when: int) -> None:
        last = schema.user_lastaccess
        with self.engine.begin() as connection:
            connection.execute(
                last.delete().where(last.c.courseid == course_id, last.c.userid == user_id)
            )
            connection.execute(
                last.insert().values(courseid=course_id, userid=user_id, timeaccess=when)
            )

    async def record_course_access(self, course_id: int, user_id: int, when: int) -> None:
        """A person opens a course (Moodle then writes its user_lastaccess)."""
        await self.in_db_thread(self._record_access, course_id, user_id, when)

    def reset_stats(self) -> None:
        self.stats = Stats(self.config.workers)
