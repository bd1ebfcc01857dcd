"""The offer step (04:00): Moodle's categories and courses follow Apogée's catalogue.

    snapshots (REFER, one per managed year) ─┐
    known catalogue (Moodle + state DB) ─────┼─► desired_catalogue ─► determine_actions ─► plan
                                             │                                              │
    gateway (Moodle client) ◄──────────────── apply: categories level by level, courses ◄──┘

The rules (tree, naming, primary parent, FOAD, collisions, obsolescence) are in the domain
modules `catalogue`, `naming`, `primary_parent`, `course_map` and `offer_plan`, and in words
in docs/offer.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from ..config.policy import PolicySection
from ..domain.catalogue import Catalogue, desired_catalogue
from ..domain.offer_plan import determine_actions, stale_courses
from ..domain.plan import Plan
from ..domain.refer_model import ReferSnapshot
from ..journal.store import Journal, Outcome
from ..moodle import MoodleClient
from .base import ApplyResult, ProgressTask, Step, StepContext
from .course_maps import share_course_maps
from .offer_apply import OfferApplier
from .offer_gateway import OfferGateway
from .offer_known import (
    FOREIGN_FLAG,
    KnownState,
    RootCategoryMissing,
    look_for_collisions,
    read_known,
    refresh_courses,
)
from .offer_moodle import MoodleOfferGateway
from .refer_snapshots import refer_snapshots as refer_snapshots  # the groups step's import
from .registry import register


@dataclass
class OfferPlan:
    plan: Plan
    desired: Catalogue
    known: KnownState


async def plan_offer(
    gateway: OfferGateway,
    journal: Journal,
    snapshots: Sequence[ReferSnapshot],
    policy: PolicySection,
    today: str,
) -> OfferPlan:
    """Reads what is needed and computes the plan (nothing is written anywhere)."""
    known = await read_known(gateway, journal, policy, today)
    # The pure parts in a thread: the steps beside this one (the users step) get their
    # Moodle answers meanwhile instead of after it.
    desired = await asyncio.to_thread(
        desired_catalogue, snapshots, policy, known.catalogue.placements()
    )
    plan = await asyncio.to_thread(determine_actions, desired, known.catalogue, policy)
    again = await look_for_collisions(gateway, known.catalogue, plan)
    stale = stale_courses(plan, known.catalogue)
    if stale:
        await refresh_courses(gateway, known.catalogue, stale)
    if again or stale:
        plan = await asyncio.to_thread(determine_actions, desired, known.catalogue, policy)
    plan.stats["categories_read"] = known.read_categories
    return OfferPlan(plan, desired, known)


async def apply_offer(
    gateway: OfferGateway,
    journal: Journal,
    planned: OfferPlan,
    run_id: int | None,
    progress: ProgressTask | None = None,
) -> list[Outcome]:
    """Applies the plan; records what was created and changed, and what the reads learned."""
    applier = OfferApplier(gateway, journal, planned.known.catalogue, run_id, progress)
    outcomes = await applier.apply(planned.plan)
    journal.set_flag(FOREIGN_FLAG, planned.known.foreign or None)
    return outcomes


def outcome_counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """What the apply did, e.g. {"course_create_applied": 14000}, for the run's report."""
    counts: dict[str, int] = {}
    for item in outcomes:
        name = f"{item.operation.kind}_{item.operation.action}_{item.outcome}"
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


# The step ---------------------------------------------------------------------------------


async def moodle_client(ctx: StepContext) -> MoodleClient:
    """The run's Moodle client (opened once, shared by the steps of the run)."""
    return await ctx.shared("moodle", lambda: MoodleClient.from_settings(ctx.settings.moodle))


@register
class OfferStep(Step):
    name = "offer"
    title = "Course offering"
    requires = ("refer",)

    def __init__(self) -> None:
        self._planned: OfferPlan | None = None

    async def plan(self, ctx: StepContext) -> Plan:
        snapshots = await refer_snapshots(ctx)
        client = await moodle_client(ctx)
        mark = client.stats.calls
        try:
            self._planned = await plan_offer(
                MoodleOfferGateway(client),
                ctx.journal,
                snapshots,
                ctx.settings.policy,
                ctx.now.date().isoformat(),
            )
        except RootCategoryMissing as exc:
            return Plan(self.name, blockers=[str(exc)])
        finally:
            client.stats.tally_into(ctx.calls, since=mark)
        # Placements change where courses go, not which ones: the maps are the later steps'.
        share_course_maps(ctx, self._planned.desired.course_maps)
        return self._planned.plan

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        if self._planned is None:
            raise RuntimeError("the offer step applies a plan it computed itself")
        client = await moodle_client(ctx)
        mark = client.stats.calls
        planned = OfferPlan(plan, self._planned.desired, self._planned.known)
        try:
            with ctx.progress("offer: categories and courses", len(plan.operations)) as task:
                outcomes = await apply_offer(
                    MoodleOfferGateway(client), ctx.journal, planned, ctx.run_id, task
                )
        finally:
            client.stats.tally_into(ctx.calls, since=mark)
        return ApplyResult(outcomes, stats=outcome_counts(outcomes))
