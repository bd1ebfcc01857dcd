"""Members removed while Moodle syncs the enrolments.

A removal from a group needs no enrolment, so the plain removals of tonight's plan are sent
during the sync, which the night waits for anyway; the leaving half of a move still waits for
its joining half, after the sync (a student is never left out of both groups). Only when the
run applies the step's own plan (`StepContext.writes_ahead`), and only if that plan, computed
then, passes the guards: a plan the guards stop sends nothing ahead, and is stopped after the
sync as any other.

The plan made after the sync knows what the one made ahead knew, and more about enrolments,
which changes additions only: it plans the same removals, and the operations sent stand for
them in it, with their outcomes. A removal Moodle refused is journaled as failed, and its
member stays in the group's record: the next night removes them again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import structlog

from ..config import Settings
from ..domain.group_plan import Resolved, determine_actions
from ..domain.group_state import KnownGroups
from ..domain.groups import MEMBER, DesiredGroups
from ..domain.guards import check_plan
from ..domain.plan import Action, Operation, Plan
from ..journal.store import Outcome
from .groups_apply import GroupsApplier
from .groups_moodle import MoodleGroupings, MoodleGroups

log = structlog.get_logger("jonction.groups")


def _is_removal(op: Operation) -> bool:
    return op.kind == MEMBER and op.action is Action.REMOVE


class RemovingAhead:
    """The plain removals sent ahead, and their outcomes once Moodle has answered."""

    def __init__(self, applier: GroupsApplier, removals: Sequence[Operation]) -> None:
        self.removals = {op.key: op for op in removals}
        self._applier = applier
        self._task = asyncio.create_task(self._send(list(removals)), name="groups ahead")

    async def _send(self, removals: list[Operation]) -> list[Outcome]:
        outcomes = self._applier.outcomes
        try:
            await self._applier.remove(removals)
        except Exception as exc:  # what was answered is kept; the others failed, for tonight
            error = f"{type(exc).__name__}: {exc}"
            log.warning("removals sent ahead stopped", error=error)
            answered = {id(outcome.operation) for outcome in outcomes}
            outcomes += [Outcome(op, "failed", error) for op in removals if id(op) not in answered]
        return list(outcomes)

    async def outcomes(self) -> list[Outcome]:
        return await self._task

    def into(self, plan: Plan) -> set[int]:
        """Puts the operations sent in the plan made after the sync, for those it planned
        (any other at its head); returns their ids, which are applied already."""
        operations = [
            self.removals.get(op.key, op) if _is_removal(op) else op for op in plan.operations
        ]
        planned = {op.key for op in operations if _is_removal(op)}
        missing = [op for key, op in self.removals.items() if key not in planned]
        plan.operations = [*missing, *operations]
        return {id(op) for op in self.removals.values()}


async def remove_ahead(
    moodle: MoodleGroups,
    groupings: MoodleGroupings,
    desired: DesiredGroups,
    resolved: Resolved,
    known: KnownGroups,
    settings: Settings,
    *,
    today: str,
    cod_ind_of: dict[int, int],
    syncing: Callable[[], bool],
) -> RemovingAhead | None:
    """Starts sending the plan's plain removals; None when the plan does not pass the
    guards, has none, or when Moodle's sync was over by the time it was made (`syncing`):
    they then go with the rest of the plan, without waiting for these."""

    def plan_now() -> Plan:
        plan, _ = determine_actions(
            desired, resolved, known, settings.groups, today=today, cod_ind_of=cod_ind_of
        )
        return plan

    plan = await asyncio.to_thread(plan_now)
    if plan.blockers or check_plan(plan, settings.guards) or not syncing():
        return None
    removals = [op for op in plan.operations if _is_removal(op)]
    if not removals:
        return None
    return RemovingAhead(GroupsApplier(moodle, groupings), removals)
