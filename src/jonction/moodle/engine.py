"""Batched writes: batches sized in items and form fields, calls run concurrently, a batch
that Moodle rejects split in halves until the bad items are alone, and a write that got no
answer read back before it is sent again (see `functions` for what each function does)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from .batching import even_batch_size, plan_batches
from .encoding import field_count
from .errors import MoodleDecodeError, MoodleError, MoodleException, MoodleTransportError
from .functions import SPECS, FunctionSpec
from .report import Applied, Failed, WriteReport
from .transport import FIXED_FIELDS, MoodleTransport

T = TypeVar("T")

Outcome = Applied[T] | Failed[T]
# Turns Moodle's answer to a successful call into one outcome per item, in item order.
# Warnings that name no item go to the list given as third argument.
Interpret = Callable[[list[T], Any, list[str]], Awaitable[list[Outcome[T]]]]
# Looks items up after a fault: for each item its id when found, None when surely absent,
# "unknown" when the read cannot tell (the item is then not sent again, and reported).
Found = int | None | Literal["unknown"]
ReadBack = Callable[[list[T]], Awaitable[list[Found]]]
Indexed = list[tuple[int, T]]


class _Rejected(Exception):
    """Moodle refused a batch as a whole: `pending` are the items still undecided."""

    def __init__(self, pending: Indexed[Any], error: MoodleException) -> None:
        super().__init__(str(error))
        self.pending = pending
        self.error = error


class _GaveUp(Exception):
    """Transport faults outlasted the retries: `pending` were not found by the read back."""

    def __init__(self, pending: Indexed[Any], error: MoodleTransportError) -> None:
        super().__init__(str(error))
        self.pending = pending
        self.error = error


@dataclass
class _Run(Generic[T]):
    spec: FunctionSpec
    list_name: str
    param: Callable[[T], Any]
    interpret: Interpret[T]
    readback: ReadBack[T] | None
    extra: Mapping[str, Any]
    results: dict[int, Outcome[T]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fatal: MoodleError | None = None

    def params(self, batch: Indexed[T]) -> dict[str, Any]:
        return {**self.extra, self.list_name: [self.param(item) for _, item in batch]}

    def fail(self, batch: Indexed[T], error: MoodleError, code: str | None = None) -> None:
        """Fails the items not yet decided (an item found by a read back stays applied)."""
        for index, item in batch:
            if index in self.results:
                continue
            message = error.message if isinstance(error, MoodleException) else str(error)
            self.results[index] = Failed(item, code or error.code, message, error)


class BatchWriter:
    def __init__(self, transport: MoodleTransport, batch_sizes: Mapping[str, int]) -> None:
        self.transport = transport
        self.batch_sizes = batch_sizes

    async def run(
        self,
        function: str,
        list_name: str,
        items: Sequence[T],
        *,
        interpret: Interpret[T],
        readback: ReadBack[T] | None = None,
        param: Callable[[T], Any],
        extra: Mapping[str, Any] | None = None,
    ) -> WriteReport[T]:
        """Writes `items` with `function`, whose parameter `list_name` takes the list of
        `param(item)`; `extra` holds the other parameters of every call."""
        spec = SPECS[function]
        to_param = param
        run: _Run[T] = _Run(spec, list_name, to_param, interpret, readback, extra or {})
        indexed: Indexed[T] = list(enumerate(items))
        fixed = FIXED_FIELDS + field_count(run.extra)
        sizes = [field_count({list_name: [to_param(item)]}) for _, item in indexed]
        plan = plan_batches(
            indexed,
            sizes,
            max_items=even_batch_size(
                len(indexed),
                self.batch_sizes.get(function, spec.batch_size),
                self.transport.concurrency,
            ),
            field_budget=self.transport.max_input_vars - fixed,
        )
        for (index, item), size in plan.oversized:
            run.results[index] = Failed(
                item,
                "toomanyfields",
                f"needs {size} form fields; a request may carry "
                f"{self.transport.max_input_vars} (max_input_vars)",
            )
        await asyncio.gather(*(self._batch(run, batch) for batch in plan.batches))
        report: WriteReport[T] = WriteReport(function, notes=run.notes, fatal=run.fatal)
        for _, outcome in sorted(run.results.items(), key=lambda pair: pair[0]):
            if isinstance(outcome, Applied):
                report.applied.append(outcome)
            else:
                report.failed.append(outcome)
        return report

    async def _batch(self, run: _Run[T], batch: Indexed[T]) -> None:
        if run.fatal is not None:
            run.fail(batch, run.fatal, "notsent")
            return
        try:
            await self._send(run, batch)
        except _Rejected as rejected:
            pending, error = rejected.pending, rejected.error
            if not error.concerns_items:
                run.fatal = run.fatal or error
                run.fail(pending, error)
            elif len(pending) == 1:
                run.fail(pending, error)
            else:
                middle = len(pending) // 2
                await asyncio.gather(
                    self._batch(run, pending[:middle]), self._batch(run, pending[middle:])
                )
        except _GaveUp as gave_up:
            run.fail(gave_up.pending, gave_up.error)
        except MoodleTransportError as error:
            run.fail(batch, error)
        except MoodleError as error:
            # A wrong URL, an HTML page instead of JSON: every other call would fail alike.
            run.fatal = run.fatal or error
            run.fail(batch, error)

    async def _send(self, run: _Run[T], batch: Indexed[T]) -> None:
        function = run.spec.name
        if run.spec.after_fault == "retry" or run.readback is None:
            try:
                answer = await self.transport.call(
                    function, run.params(batch), kind="write", items=len(batch), retry=True
                )
            except MoodleException as error:
                raise _Rejected(batch, error) from None
            await self._interpret(run, batch, answer)
            return
        pending = batch
        faults = 0
        uncertain = False  # an earlier attempt may have been applied
        while pending:
            try:
                answer = await self.transport.call(
                    function, run.params(pending), kind="write", items=len(pending), retry=False
                )
            except MoodleTransportError as error:
                faults += 1
                if faults > self.transport.retry.retries:
                    raise _GaveUp(await self._read_back(run, pending), error) from None
                await self.transport.backoff(faults)
                pending = await self._read_back(run, pending)
                uncertain = True
                continue
            except MoodleException as error:
                if uncertain:
                    # The write that timed out may have landed after our read back: then
                    # Moodle now refuses it as a duplicate. Look again before splitting.
                    rest = await self._read_back(run, pending)
                    if len(rest) < len(pending):
                        pending = rest
                        continue
                raise _Rejected(pending, error) from None
            await self._interpret(run, pending, answer)
            return

    async def _read_back(self, run: _Run[T], pending: Indexed[T]) -> Indexed[T]:
        """Records the items found as applied; returns those not found."""
        assert run.readback is not None
        ids = await run.readback([item for _, item in pending])
        rest: Indexed[T] = []
        for (index, item), found in zip(pending, ids, strict=True):
            if found is None:
                rest.append((index, item))
            elif found == "unknown":
                run.results[index] = Failed(
                    item,
                    "unknown",
                    "Moodle did not answer and a read back cannot tell whether it was "
                    "applied; not sent again",
                )
            else:
                run.results[index] = Applied(item, found, "found by read back after a fault")
        return rest

    async def _interpret(self, run: _Run[T], batch: Indexed[T], answer: Any) -> None:
        outcomes = await run.interpret([item for _, item in batch], answer, run.notes)
        if len(outcomes) != len(batch):
            raise MoodleDecodeError(
                f"{run.spec.name}: {len(outcomes)} results for {len(batch)} items",
                function=run.spec.name,
            )
        for (index, _), outcome in zip(batch, outcomes, strict=True):
            run.results[index] = outcome


# --- interpreting answers ------------------------------------------------------------------


async def nothing_returned(items: list[T], answer: Any, notes: list[str]) -> list[Outcome[T]]:
    """Functions answering `null`: every item was applied."""
    return [Applied(item) for item in items]


def created(function: str) -> Interpret[T]:
    """Create functions answer one `{id, …}` per item, in the order sent."""

    async def interpret(items: list[T], answer: Any, notes: list[str]) -> list[Outcome[T]]:
        if not isinstance(answer, list) or len(answer) != len(items):
            raise MoodleDecodeError(
                f"{function}: expected {len(items)} created items, got {str(answer)[:200]}",
                function=function,
            )
        return [Applied(item, int(entry["id"])) for item, entry in zip(items, answer, strict=True)]

    return interpret


class HasId(Protocol):
    @property
    def id(self) -> int: ...


WithId = TypeVar("WithId", bound=HasId)


def warnings_by_itemid(function: str) -> Interpret[WithId]:
    """Update functions answer `{"warnings": [{item, itemid, warningcode, message}]}` for the
    items they could not apply; the others were applied. Items are matched by their `id`."""

    async def interpret(
        items: list[WithId], answer: Any, notes: list[str]
    ) -> list[Outcome[WithId]]:
        warnings = answer.get("warnings", []) if isinstance(answer, dict) else []
        by_id: dict[int, list[Mapping[str, Any]]] = {}
        for warning in warnings:
            itemid = warning.get("itemid")
            if itemid is None:
                notes.append(f"{function}: {warning.get('warningcode')}: {warning.get('message')}")
                continue
            by_id.setdefault(int(itemid), []).append(warning)
        outcomes: list[Outcome[WithId]] = []
        for item in items:
            mine = by_id.get(item.id, [])
            if mine:
                outcomes.append(
                    Failed(
                        item,
                        str(mine[0].get("warningcode", "warning")),
                        "; ".join(str(w.get("message", "")) for w in mine),
                    )
                )
            else:
                outcomes.append(Applied(item))
        return outcomes

    return interpret
