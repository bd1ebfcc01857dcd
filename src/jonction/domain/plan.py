"""Plans: what a step would change, each change with its reason.

A plan is the pure output of a step's `determine_actions(desired, known)`: it is computed
without I/O, printed by `jonction plan`, saved by `plan --save`, checked by the guards,
applied by the step's adapter and recorded in the journal operation by operation.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    RENAME = "rename"
    MOVE = "move"
    HIDE = "hide"
    SHOW = "show"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    ADD = "add"
    REMOVE = "remove"
    DELETE = "delete"
    ARCHIVE = "archive"


# Actions that take something away from people: the guards count them.
REMOVING_ACTIONS = frozenset(
    {Action.SUSPEND, Action.REMOVE, Action.DELETE, Action.HIDE, Action.ARCHIVE}
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One change to one object, identified by a stable key (never by a label)."""

    kind: str
    action: Action
    key: str
    label: str = ""
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str = ""
    source: Mapping[str, Any] = field(default_factory=dict)
    # A scope for per-scope guards and filters (the course of an enrolment, the composante…).
    scope: str = ""

    def to_json(self) -> dict[str, Any]:
        # Field by field: a step may give compact mappings that asdict would not turn into
        # plain dicts.
        return {
            "kind": self.kind,
            "action": str(self.action),
            "key": self.key,
            "label": self.label,
            "before": _plain(self.before),
            "after": _plain(self.after),
            "reason": self.reason,
            "source": _plain(self.source),
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Operation:
        values = dict(data)
        values["action"] = Action(values["action"])
        return cls(**values)


def _plain(value: Any) -> Any:
    """A copy of `value` with every mapping a dict (what JSON and asdict expect)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if type(value) is tuple:
        return tuple(_plain(item) for item in value)
    return value


@dataclass(frozen=True, slots=True)
class Notice:
    """Something reported, not changed: a student without account, a collision, an anomaly."""

    kind: str
    key: str
    message: str
    severity: str = "warning"
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Plan:
    step: str
    operations: list[Operation] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    # How many objects of each kind jonction manages now: the base of the guards' shares.
    existing: dict[str, int] = field(default_factory=dict)
    # The same within scopes (kind → scope → count), for the per-course guards.
    existing_by_scope: dict[str, dict[str, int]] = field(default_factory=dict)
    # Fingerprint of the known state the plan was computed from (stale plans are refused).
    basis: str = ""
    # Figures worth printing (desired counts, source sizes…).
    stats: dict[str, int] = field(default_factory=dict)
    # Reasons the step must not apply, found while planning (e.g. a truncated source).
    blockers: list[str] = field(default_factory=list)

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((op.kind, str(op.action)) for op in self.operations)

    def is_empty(self) -> bool:
        return not self.operations

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "basis": self.basis,
            "existing": self.existing,
            "existing_by_scope": self.existing_by_scope,
            "stats": self.stats,
            "blockers": self.blockers,
            "operations": [op.to_json() for op in self.operations],
            "notices": [asdict(notice) for notice in self.notices],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            step=data["step"],
            operations=[Operation.from_json(op) for op in data["operations"]],
            notices=[Notice(**notice) for notice in data.get("notices", [])],
            existing=dict(data.get("existing", {})),
            existing_by_scope={k: dict(v) for k, v in data.get("existing_by_scope", {}).items()},
            basis=data.get("basis", ""),
            stats=dict(data.get("stats", {})),
            blockers=list(data.get("blockers", [])),
        )


def fingerprint(items: Iterable[Any]) -> str:
    """A stable digest of a known state, for refusing a saved plan whose basis changed."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item, sort_keys=True, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]
