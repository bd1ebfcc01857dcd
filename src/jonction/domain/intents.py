"""Recognising objects that a stopped run created but could not record (pure).

The write-ahead intents (`journal/intents.py`) name what a run was about to create. On the
next run, each unsettled intent is compared with what Moodle holds under its key: found and
matching what was intended, the object is jonction's own and is taken back (an operation
says so in the journal); not found, the creation never happened and the plan makes it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from .plan import Action, Operation

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Recovered(Generic[T]):
    key: str
    moodle_id: int
    found: T
    run_id: int | None
    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Recognition(Generic[T]):
    recovered: dict[str, Recovered[T]]
    # Intents examined and settled by the reading: no such object in Moodle, or already
    # recorded; they can be forgotten when the plan is applied.
    settled: frozenset[str]


class IntentLike(Protocol):
    """What recognition needs of an intent (see journal.intents.Intent)."""

    @property
    def run_id(self) -> int | None: ...

    @property
    def match(self) -> Mapping[str, Any]: ...

    @property
    def record(self) -> Mapping[str, Any]: ...


def recognise(
    intended: Mapping[str, IntentLike],
    found: Mapping[str, T],
    *,
    managed: Mapping[str, Any],
    managed_ids: set[int],
    moodle_id: Callable[[T], int],
    matches: Callable[[Mapping[str, Any], T], bool],
) -> Recognition[T]:
    """Splits unsettled intents into objects to take back and intents to forget.

    `intended` holds intents by key, `found` what Moodle holds under those keys, `managed`
    the keys already recorded, `managed_ids` the Moodle ids already recorded (an object
    recorded under another key is never taken twice). `matches(intent.match, object)` says
    whether the object is the one intended. An object found but not matching is left alone:
    the plan treats it as any other object under that key (a collision).
    """
    recovered: dict[str, Recovered[T]] = {}
    settled: set[str] = set()
    for key, intent in sorted(intended.items()):
        if key in managed:
            settled.add(key)
            continue
        obj = found.get(key)
        if obj is None:
            settled.add(key)
            continue
        ident = moodle_id(obj)
        if ident in managed_ids or not matches(intent.match, obj):
            settled.add(key)
            continue
        recovered[key] = Recovered(key, ident, obj, intent.run_id, dict(intent.record))
    return Recognition(recovered, frozenset(settled))


def recovery_operation(
    kind: str, key: str, label: str, item: Recovered[Any], what: str, reason_detail: str
) -> Operation:
    """The journal's record of an object taken back: no Moodle write, only jonction's own
    record (with the data the stopped run meant to keep)."""
    run = f"run {item.run_id}" if item.run_id is not None else "an earlier run"
    return Operation(
        kind,
        Action.UPDATE,
        key,
        label,
        before={"managed": False},
        after={"managed": True, "moodle_id": item.moodle_id},
        reason=f"{what} #{item.moodle_id} was created by {run}, which stopped before recording "
        f"it; found in Moodle with the intended {reason_detail}: it is jonction's own",
        source={
            "moodle_id": item.moodle_id,
            "recovered": True,
            "intent_run": item.run_id,
            "record": dict(item.record),
        },
    )


def is_recovery(op: Operation) -> bool:
    return bool(op.source.get("recovered"))
