"""Members removed while Moodle syncs the enrolments.

A removal from a group needs no enrolment, so the plain removals of tonight's plan are sent
during the sync, which the night waits for anyway; the leaving half of a move still waits for
its joining half, after the sync (a student is never left out of both groups). Only when the
run applies the step's own plan (`StepContext.writes_ahead`), and only if that plan, computed
now, passes the guards: a plan the guards stop sends nothing ahead, and is stopped after the
sync as any other. The removals Moodle accepted are the first operations of the step's plan
and outcomes; the others are planned again after the sync.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from ..config import Settings
from ..domain.group_plan import Resolved, determine_actions
from ..domain.group_state import KnownGroups
from ..domain.groups import MEMBER, DesiredGroups
from ..domain.guards import check_plan
from ..domain.plan import Action, Plan
from ..journal.store import Outcome
from .groups_apply import GroupsApplier
from .groups_moodle import MoodleGroupings, MoodleGroups


@dataclass
class RemovedAhead:
    """The removals Moodle accepted ahead, and what the plan counted before them (the base
    of the guards' shares)."""

    outcomes: list[Outcome] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)
    existing_by_scope: dict[str, dict[str, int]] = field(default_factory=dict)

    def into(self, plan: Plan) -> None:
        """Puts them in the plan made after the sync, as they were before it."""
        plan.operations[:0] = [outcome.operation for outcome in self.outcomes]
        plan.existing = self.existing
        plan.existing_by_scope = self.existing_by_scope


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
) -> RemovedAhead | None:
    """Sends the plan's plain removals now; `known` then holds the groups without them.
    None when the plan does not pass the guards."""

    def plan_now() -> Plan:
        plan, _ = determine_actions(
            desired, resolved, known, settings.groups, today=today, cod_ind_of=cod_ind_of
        )
        return plan

    plan = await asyncio.to_thread(plan_now)
    if plan.blockers or check_plan(plan, settings.guards):
        return None
    removals = [op for op in plan.operations if op.kind == MEMBER and op.action is Action.REMOVE]
    applier = GroupsApplier(moodle, groupings)
    await applier.remove(removals)
    # Those Moodle refused are planned again after the sync, and sent again.
    accepted = [outcome for outcome in applier.outcomes if outcome.outcome == "applied"]
    gone: defaultdict[int, set[int]] = defaultdict(set)
    for outcome in accepted:
        ids = outcome.operation.before or {}
        gone[int(ids["group_id"])].add(int(ids["user_id"]))
    for group_id, users in gone.items():
        known.members[group_id] = frozenset(known.members.get(group_id, ())) - users
    return RemovedAhead(accepted, dict(plan.existing), dict(plan.existing_by_scope))
