"""The removals a groups step sends while Moodle syncs (steps/groups_ahead.py): their outcomes,
and their place in the plan made after the sync."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

from jonction.domain.groups import MEMBER
from jonction.domain.plan import Action, Operation, Plan
from jonction.steps.groups_ahead import RemovingAhead
from jonction.steps.groups_apply import GroupsApplier
from jonction.steps.groups_moodle import MoodleGroupings, MoodleGroups, Written


def removal(user: int) -> Operation:
    ids = {"group_id": 7, "user_id": user}
    return Operation(MEMBER, Action.REMOVE, f"G|u{user}", before=ids, scope="G")


class Moodle:
    def __init__(self, fails: bool) -> None:
        self.fails = fails

    async def remove_members(self, items: Sequence[tuple[str, int, int]]) -> dict[str, Written]:
        if self.fails:
            raise ConnectionError("Moodle went away")
        return {key: Written(True, None, "") for key, _, user in items if user != 2}


def sent(fails: bool, removals: list[Operation]) -> RemovingAhead:
    moodle = cast(MoodleGroups, Moodle(fails))
    return RemovingAhead(GroupsApplier(moodle, cast(MoodleGroupings, None)), removals)


def test_each_removal_sent_has_an_outcome_even_when_moodle_goes_away() -> None:
    async def both() -> tuple[list[Any], list[Any]]:
        answered = sent(False, [removal(1), removal(2)])
        stopped = sent(True, [removal(1), removal(2)])
        return await answered.outcomes(), await stopped.outcomes()

    answered, stopped = asyncio.run(both())
    assert [(o.operation.key, o.outcome) for o in answered] == [
        ("G|u1", "applied"),
        ("G|u2", "failed"),  # no answer for it: not sent
    ]
    assert [(o.operation.key, o.outcome) for o in stopped] == [
        ("G|u1", "failed"),
        ("G|u2", "failed"),
    ]
    assert {o.message for o in stopped} == {"ConnectionError: Moodle went away"}


def test_the_plan_after_the_sync_takes_the_removals_sent_in_place_of_its_own() -> None:
    async def run() -> tuple[Plan, set[int], list[Operation]]:
        first, second = removal(1), removal(3)
        ahead = sent(False, [first, second])
        await ahead.outcomes()
        add = Operation(MEMBER, Action.ADD, "H|u4", after={"group_id": 8, "user_id": 4})
        plan = Plan("groups", operations=[add, removal(1)])
        return plan, ahead.into(plan), [first, second]

    plan, applied, (first, second) = asyncio.run(run())
    # The one planned again is replaced; the one the plan no longer has is kept, first.
    assert plan.operations[0] is second and plan.operations[2] is first
    assert [op.key for op in plan.operations] == ["G|u3", "H|u4", "G|u1"]
    assert applied == {id(first), id(second)}
