"""Undoing a run from its journal (pure): each applied operation turned into its inverse.

`jonction undo RUN` reads the operations run RUN applied (kind, key, before, after, source)
and builds, for each step, a plan of inverse operations that the step's own apply carries out:
a rename is renamed back, a move moved back, a hidden course shown, a suspended account
reactivated, a member removed re-added, an archived course moved back. What cannot be undone
is said, never forced:

- creations: undo never deletes (a created course stays; hide it by hand if it must go);
- deletions: jonction cannot bring a deleted course back (Moodle's recycle bin may);
- adoptions and objects taken back after a stopped run: they stay managed;
- an object a later run changed again: undoing the older change would overwrite the newer one;
- a move from a category jonction does not manage.

Undo restores Moodle as it was; if the sources still say what they said, the next night does
the same again: correct the source first (or `jonction pause`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .plan import Action, Notice, Operation, Plan

FLIP = {
    Action.HIDE: Action.SHOW,
    Action.SHOW: Action.HIDE,
    Action.SUSPEND: Action.REACTIVATE,
    Action.REACTIVATE: Action.SUSPEND,
    Action.ADD: Action.REMOVE,
    Action.REMOVE: Action.ADD,
    Action.RENAME: Action.RENAME,
    Action.MOVE: Action.MOVE,
    Action.UPDATE: Action.UPDATE,
    Action.ARCHIVE: Action.MOVE,
}
NEVER = {
    Action.CREATE: "created objects are kept: undo never deletes (hide it by hand if it must go)",
    Action.DELETE: "jonction cannot bring a deleted course back (Moodle's recycle bin may hold it)",
}
_CHANGES = frozenset({Action.RENAME, Action.MOVE, Action.UPDATE})
# What each step's apply can carry out, by kind.
UNDOABLE: Mapping[str, frozenset[Action]] = {
    "category": frozenset({Action.RENAME, Action.MOVE}),
    "course": _CHANGES | {Action.HIDE, Action.SHOW, Action.ARCHIVE},
    "user": frozenset({Action.UPDATE, Action.SUSPEND, Action.REACTIVATE}),
    "cohort": _CHANGES,
    "cohort_member": frozenset({Action.ADD, Action.REMOVE}),
    "space": frozenset({Action.HIDE, Action.SHOW}),
    "space_cohort": frozenset({Action.RENAME}),
    "space_member": frozenset({Action.ADD, Action.REMOVE}),
    "space_member_ended": frozenset({Action.REMOVE}),
    "group": frozenset({Action.RENAME}),
    # Rows of the external enrolment table (course, user, role, origin, missing_since): a row
    # removed comes back (Moodle reactivates the enrolment), a row added goes (suspended).
    "enrolment": frozenset({Action.ADD, Action.REMOVE, Action.UPDATE}),
    "group_member": frozenset({Action.ADD, Action.REMOVE, Action.MOVE}),
}
# Memberships: the inverse swaps before and after (ids, and for a move its two groups).
MEMBER_KINDS = frozenset(
    {"cohort_member", "space_member", "space_member_ended", "group_member", "enrolment"}
)
VALUES_KINDS = frozenset({"cohort", "space_cohort"})  # their apply sends every value


@dataclass
class UndoPlan:
    run_id: int
    plans: dict[str, Plan] = field(default_factory=dict)
    kept: list[Notice] = field(default_factory=list)  # what is not undone, and why

    @property
    def steps(self) -> list[str]:
        return [step for step, plan in self.plans.items() if plan.operations]


def _value_back(op: Operation, key: str) -> Any:
    before = op.before or {}
    if key in before:
        value = before[key]
        if key == "summary" and value is None and op.kind == "course":
            return ""  # no summary before: an empty one (Moodle has no "none")
        return value
    if key == "hidden_by_jonction":
        return not (op.after or {}).get(key)
    return None


def _with_group_id(
    side: Mapping[str, Any] | None, created: Mapping[tuple[str, str], int]
) -> Mapping[str, Any] | None:
    """A membership side naming a group created by the same run gets that group's id (the
    journal holds it on the creation, not on the memberships planned before it)."""
    if side is None or side.get("group_id") is not None or "group" not in side:
        return side
    group_id = created.get(("group", str(side["group"])))
    return {**side, "group_id": group_id} if group_id is not None else side


def inverse(
    op: Operation, run_id: int, created: Mapping[tuple[str, str], int] | None = None
) -> Operation | str:
    """The operation that undoes `op`, or why it cannot be undone. `created` gives the Moodle
    ids of what the run created, by (kind, key)."""
    if op.action in NEVER:
        return NEVER[op.action]
    if op.action not in UNDOABLE.get(op.kind, frozenset()):
        return f"{op.kind} {op.action} is not something undo can revert"
    after = dict(op.after or {})
    if "managed" in after:
        return "an object handed over to jonction stays managed by it"
    source: dict[str, Any] = {**op.source, "undo_of_run": run_id}
    if op.kind in MEMBER_KINDS:
        ids = created or {}
        new_before, new_after = _with_group_id(op.after, ids), _with_group_id(op.before, ids)
    else:
        new_before = after
        new_after = {key: _value_back(op, key) for key in after}
        for place in ("category", "parent"):
            previous = str(new_after.get(place) or "")
            if place in new_after and previous.startswith("#"):
                return (
                    f"it came from category {previous}, which jonction does not manage: not "
                    "moved back"
                )
        if op.kind in VALUES_KINDS and isinstance(op.source.get("values"), Mapping):
            values = dict(op.source["values"])
            values.update({k: v for k, v in new_after.items() if k in values})
            source["values"] = values
    return Operation(
        op.kind,
        FLIP[op.action],
        op.key,
        op.label,
        before=new_before,
        after=new_after,
        reason=f"undo of run {run_id}, which did: {op.action} — {op.reason}",
        source=source,
        scope=op.scope,
    )


def _touches(first: Operation, later: Operation) -> bool:
    """Whether a later operation changed what `first` changed (then `first` is not undone)."""
    if first.kind in MEMBER_KINDS or later.action is Action.DELETE:
        return True
    fields = set(first.after or {})
    if later.action is Action.ARCHIVE and fields & {"category", "visible"}:
        return True
    return bool(fields & set(later.after or {}))


def undo_plan(
    run_id: int,
    done: Sequence[tuple[str, Operation]],
    later: Sequence[tuple[int, Operation]],
    created: Mapping[tuple[str, str], int] | None = None,
) -> UndoPlan:
    """The inverse of the operations run `run_id` applied (`done`: step and operation, in the
    order applied), knowing what later runs applied to the same objects (`later`) and the
    Moodle ids of what the run created (`created`, by kind and key)."""
    result = UndoPlan(run_id)
    newer: dict[tuple[str, str], list[tuple[int, Operation]]] = defaultdict(list)
    for later_run, op in later:
        newer[(op.kind, op.key)].append((later_run, op))
    by_step: dict[str, list[Operation]] = defaultdict(list)
    for step, op in done:
        undone = inverse(op, run_id, created)
        if isinstance(undone, Operation):
            overwritten = [r for r, o in newer.get((op.kind, op.key), []) if _touches(op, o)]
            if overwritten:
                undone = (
                    f"run {overwritten[-1]} changed it again since: undoing run {run_id} "
                    "would overwrite that change"
                )
        if isinstance(undone, str):
            result.kept.append(
                Notice(
                    "not_undone",
                    op.key,
                    f"{op.action} {op.kind} {op.key} ({op.label}): {undone}",
                    severity="info",
                    data={
                        "step": step,
                        "kind": op.kind,
                        "action": str(op.action),
                        **_composante(op),
                    },
                )
            )
            continue
        by_step[step].append(undone)
    for step, ops in by_step.items():
        result.plans[step] = Plan(
            step,
            operations=list(reversed(ops)),
            notices=[n for n in result.kept if n.data.get("step") == step],
            stats={"undone": len(ops)},
        )
    for notice in result.kept:
        step = str(notice.data.get("step"))
        if step not in result.plans:
            result.plans[step] = Plan(
                step, notices=[n for n in result.kept if n.data.get("step") == step]
            )
    return result


def _composante(op: Operation) -> dict[str, str]:
    scope = op.scope
    if op.kind in ("course", "category") and scope:
        return {"composante": scope}
    return {}
