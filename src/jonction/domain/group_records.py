"""The records jonction keeps of its groups after a plan was applied. Pure functions.

A record says which Moodle group a desired group is, the name jonction gave it (and the name
it wanted then), and the members jonction put there: those are the only members it ever
removes (a member added by hand is not jonction's, see `[groups] hand_members`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Set

from .group_plan import GroupsPlanning, Placement, Resolved
from .group_state import GroupRecord, same_name
from .groups import GROUP, MEMBER
from .plan import Action, Operation
from .user_ids import UserIds


class _Applied:
    """What Moodle accepted, by group key."""

    def __init__(self, applied: Iterable[tuple[Operation, int | None]]) -> None:
        self.created: dict[str, int] = {}
        self.renamed: set[str] = set()
        self.added: dict[str, set[int]] = defaultdict(set)
        self.removed: dict[str, set[int]] = defaultdict(set)
        for op, moodle_id in applied:
            if op.kind == GROUP and op.action is Action.CREATE and moodle_id is not None:
                self.created[op.key] = moodle_id
            elif op.kind == GROUP and op.action is Action.RENAME:
                self.renamed.add(op.key)
            elif op.kind == MEMBER and op.action is Action.ADD and op.after is not None:
                self.added[op.scope].add(int(op.after["user_id"]))
            elif op.kind == MEMBER and op.action is Action.REMOVE and op.before is not None:
                self.removed[op.scope].add(int(op.before["user_id"]))
            elif op.kind == MEMBER and op.action is Action.MOVE:
                assert op.before is not None and op.after is not None
                self.removed[str(op.before["group"])].add(int(op.before["user_id"]))
                self.added[str(op.after["group"])].add(int(op.after["user_id"]))


def _placed_record(
    place: Placement, group_id: int, done: _Applied, wanted: frozenset[int]
) -> GroupRecord:
    group = place.desired
    key = group.key
    # Taken out: what was added to each group is let go as its record is made.
    present = (place.present | done.added.pop(key, set())) - done.removed.get(key, set())
    # Members jonction wants are its own; those it failed to remove stay its own (retried).
    # Most groups hold just the members wanted: then they are all ours, no set is made.
    ours = present if present == wanted else (wanted & present) | ((present & place.ours) - wanted)
    settled = (
        key in done.created or key in done.renamed or same_name(place.current_name, place.name)
    )
    if settled:
        name, base = place.name, group.name
    else:
        name = place.current_name or place.name
        base = place.record.base if place.record is not None else ""
    return GroupRecord(
        key=key,
        moodle_id=group_id,
        course=group.course,
        course_id=place.course_id,
        idnumber=group.idnumber,
        name=name,
        base=base,
        year=group.year,
        members=ours if isinstance(ours, UserIds) else UserIds(ours),
        family=group.family,
        source=group.source(),
    )


def groups_named(operations: Iterable[Operation]) -> set[str]:
    """The keys of the groups the operations act on: the others' records do not depend on
    what Moodle answers (`records_after` of `only` them may come first)."""
    keys: set[str] = set()
    for op in operations:
        keys.update((op.key, op.scope))
        for side in (op.before, op.after):
            group = (side or {}).get("group")
            if group is not None:
                keys.add(str(group))
    return keys


def records_after(
    planning: GroupsPlanning,
    resolved: Resolved,
    previous: Mapping[str, GroupRecord],
    applied: Iterable[tuple[Operation, int | None]],
    *,
    only: Set[str] | None = None,
    skip: Set[str] = frozenset(),
) -> tuple[list[GroupRecord], list[str]]:
    """The records to write (only those that changed) and the keys to forget, given the
    operations Moodle accepted (with the id a creation returned). `only`: the records of
    these placed groups alone, none of the vanished; `skip`: all but these."""
    done = _Applied(applied)
    records: list[GroupRecord] = []
    forget: list[str] = []
    placements = planning.placements
    keys = sorted(only if only is not None else placements.keys() - skip)
    for key in keys:
        place = placements[key]
        group_id = place.group_id or done.created.get(key)
        if group_id is None:
            if key in previous:
                forget.append(key)  # gone from Moodle and not created again yet
            continue
        records.append(_placed_record(place, group_id, done, frozenset(resolved.get(key, {}))))
    vanished = planning.vanished if only is None else {}
    for key, record in sorted(vanished.items()):
        records.append(
            GroupRecord(
                key=record.key,
                moodle_id=record.moodle_id,
                course=record.course,
                course_id=record.course_id,
                idnumber=record.idnumber,
                name=record.name,
                base=record.base,
                year=record.year,
                members=UserIds(record.members - done.removed[key]),
                family=record.family,
                source=record.source,
                vanished_since=record.vanished_since or planning.today,
            )
        )
    if only is None:
        forget.extend(planning.gone)
    # Field by field (members as sets): no list of members is sorted for a record unchanged.
    changed = [record for record in records if previous.get(record.key) != record]
    return changed, sorted(set(forget))
