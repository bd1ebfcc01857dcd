"""Applying a groups plan: groups first, then members, each phase one bulk operation.

Order: groups are renamed (freeing names), then created (their members need their ids), then
groupings are created and filled; members are added (the joining half of each move included)
and removed at the same time; the leaving half of a move comes after, and only when its joining
half was applied: a student is never left out of both groups. Operations whose student is not
enrolled yet are deferred, not sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..domain.group_groupings import ASSIGNMENT
from ..domain.group_plan import NOT_ENROLLED
from ..domain.groups import GROUP, GROUPING, MEMBER
from ..domain.naming import comparable
from ..domain.plan import Action, Operation, Plan
from ..journal.store import Outcome
from .base import ProgressTask
from .groups_moodle import MoodleGroupings, MoodleGroups, Written

NOT_ENROLLED_MESSAGE = "not enrolled in the course yet; retried next run"
REFUSED = "invalidparameter"
# Member operations sent to Moodle in one bulk operation (each split into calls of 200).
MEMBER_SLICE = 20_000


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


@dataclass
class GroupsApplier:
    moodle: MoodleGroups
    groupings: MoodleGroupings
    progress: ProgressTask | None = None
    # The Moodle id of the course of a member operation's group (to check, when Moodle
    # refuses a member, whether they are enrolled).
    course_of: Callable[[Operation], int | None] = lambda op: None
    outcomes: list[Outcome] = field(default_factory=list)
    # Moodle ids of the groups and groupings created tonight, by key.
    created: dict[str, int] = field(default_factory=dict)
    created_groupings: dict[str, int] = field(default_factory=dict)

    def _done(self, op: Operation, written: Written | None, moodle_id: int | None = None) -> None:
        if written is None:
            self.outcomes.append(Outcome(op, "failed", "not sent"))
        elif written.deferred:
            self.outcomes.append(Outcome(op, "deferred", written.message))
        elif written.ok:
            self.outcomes.append(Outcome(op, "applied", "", moodle_id or written.id))
        else:
            self.outcomes.append(Outcome(op, "failed", written.message))
        if self.progress is not None:
            self.progress.advance()

    def _skip(self, op: Operation, outcome: str, message: str) -> None:
        self.outcomes.append(Outcome(op, outcome, message))
        if self.progress is not None:
            self.progress.advance()

    def _group_id(self, op: Operation, side: Mapping[str, object] | None) -> int | None:
        group_id = _int((side or {}).get("group_id"))
        if group_id is not None:
            return group_id
        group = str((side or {}).get("group") or op.scope)
        return self.created.get(group)

    async def apply(self, plan: Plan) -> list[Outcome]:
        ops = plan.operations

        def pick(kind: str, action: Action) -> list[Operation]:
            return [op for op in ops if op.kind == kind and op.action is action]

        moves = pick(MEMBER, Action.MOVE)
        await self._rename(pick(GROUP, Action.RENAME))
        await self._create(pick(GROUP, Action.CREATE))
        await self._create_groupings(pick(GROUPING, Action.CREATE))
        await self._assign(pick(ASSIGNMENT, Action.ADD))
        # Plain removals wait for no addition: they share the calls in flight with them.
        joined, _ = await asyncio.gather(
            self._add(pick(MEMBER, Action.ADD), moves), self.remove(pick(MEMBER, Action.REMOVE))
        )
        await self._leave(moves, joined)
        return self.outcomes

    async def _create(self, ops: list[Operation]) -> None:
        items = [(op.key, dict(op.after or {})) for op in ops]
        written = await self.moodle.create_groups(items)
        for op in ops:
            result = written.get(op.key)
            if result is not None and result.ok and result.id is not None:
                self.created[op.key] = result.id
            self._done(op, result)

    async def _create_groupings(self, ops: list[Operation]) -> None:
        written = await self.groupings.create([(op.key, dict(op.after or {})) for op in ops])
        for op in ops:
            result = written.get(op.key)
            if result is not None and result.ok and result.id is not None:
                self.created_groupings[op.key] = result.id
            self._done(op, result)

    async def _assign(self, ops: list[Operation]) -> None:
        items: list[tuple[str, int, int]] = []
        for op in ops:
            after = dict(op.after or {})
            grouping = _int(after.get("grouping_id")) or self.created_groupings.get(
                str(after["grouping"])
            )
            group = _int(after.get("group_id")) or self.created.get(str(after["group"]))
            if grouping is None or group is None:
                self._skip(op, "skipped", "its group or grouping could not be created")
                continue
            items.append((op.key, grouping, group))
        written = await self.groupings.assign(items)
        for op in ops:
            if op.key in written:
                self._done(op, written[op.key])

    async def _rename(self, ops: list[Operation]) -> None:
        """Renames; a group whose new name another renamed group of the course still holds
        (two labels swapped in Apogée) first goes through a provisional name."""
        held = {(op.scope, comparable(str((op.before or {}).get("name")))) for op in ops}
        swapped = [
            op for op in ops if (op.scope, comparable(str((op.after or {})["name"]))) in held
        ]
        provisional = [
            (
                op.key,
                int((op.after or {})["group_id"]),
                f"{(op.after or {})['name']} ~{(op.after or {})['group_id']}",
            )
            for op in swapped
        ]
        await self.moodle.rename_groups(provisional)
        items = [
            (op.key, int((op.after or {})["group_id"]), str((op.after or {})["name"])) for op in ops
        ]
        written = await self.moodle.rename_groups(items)
        for op in ops:
            self._done(op, written.get(op.key))

    async def _add(self, adds: list[Operation], moves: list[Operation]) -> dict[str, Written]:
        """Adds members and the joining half of moves; returns the moves' results. A slice
        of members at a time, so that what a million of them take is never held at once."""
        joined: dict[str, Written] = {}
        ops = [*adds, *moves]
        for start in range(0, len(ops), MEMBER_SLICE):
            items: list[tuple[str, int, int]] = []
            sent: list[Operation] = []
            for op in ops[start : start + MEMBER_SLICE]:
                if op.source.get("deferred") == NOT_ENROLLED:
                    self._skip(op, "deferred", NOT_ENROLLED_MESSAGE)
                    continue
                after = op.after or {}
                group_id = self._group_id(op, after)
                if group_id is None:
                    self._skip(op, "skipped", "its group could not be created")
                    continue
                items.append((op.key, group_id, int(after["user_id"])))
                sent.append(op)
            written = await self.moodle.add_members(items)
            await self._not_enrolled(sent, written)
            for op in sent:
                result = written.get(op.key)
                if op.action is Action.MOVE:
                    if result is not None:
                        joined[op.key] = result
                else:
                    self._done(op, result)
        return joined

    async def _not_enrolled(self, ops: list[Operation], written: dict[str, Written]) -> None:
        """Members Moodle refused with a bare invalidparameter (its answer when someone is not
        enrolled in the course): one read of each course's enrolled users tells; those not
        enrolled are deferred to the next run, like those the plan found not enrolled."""
        refused: dict[str, tuple[int, int]] = {}
        for op in ops:
            result = written.get(op.key)
            if result is None or result.ok or not result.message.startswith(REFUSED):
                continue
            course_id = self.course_of(op)
            if course_id is not None:
                refused[op.key] = (course_id, int(dict(op.after or {})["user_id"]))
        if not refused:
            return
        enrolled, _ = await self.moodle.enrolled(sorted({c for c, _ in refused.values()}))
        for key, (course_id, user_id) in refused.items():
            if course_id in enrolled and user_id not in enrolled[course_id]:
                written[key] = Written(False, None, NOT_ENROLLED_MESSAGE, deferred=True)

    async def remove(self, removes: list[Operation]) -> None:
        """Plain removals (not the leaving half of a move)."""
        items = [
            (op.key, int((op.before or {})["group_id"]), int((op.before or {})["user_id"]))
            for op in removes
        ]
        written = await self.moodle.remove_members(items)
        for op in removes:
            self._done(op, written.get(op.key))

    async def _leave(self, moves: list[Operation], joined: dict[str, Written]) -> None:
        """The leaving half of the moves whose joining half was applied."""
        items: list[tuple[str, int, int]] = []
        leaving: list[Operation] = []
        for op in moves:
            result = joined.get(op.key)
            if result is None:
                continue  # deferred or skipped already
            if not result.ok:
                self._done(op, result)
                continue
            before = dict(op.before or {})
            items.append((f"leave|{op.key}", int(before["group_id"]), int(before["user_id"])))
            leaving.append(op)
        written = await self.moodle.remove_members(items)
        for op in leaving:
            result = written.get(f"leave|{op.key}")
            if result is not None and not result.ok:
                message = f"added to the new group, still in the old one: {result.message}"
                result = Written(False, None, message)
            self._done(op, result)
