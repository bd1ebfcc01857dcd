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

from collections.abc import Sequence
from dataclasses import dataclass

from ..config.policy import PolicySection
from ..domain.catalogue import Catalogue, desired_catalogue
from ..domain.offer_plan import determine_actions, stale_courses
from ..domain.plan import Plan
from ..domain.refer_model import ReferSnapshot
from ..journal.store import Journal, Outcome
from .base import ProgressTask
from .offer_apply import OfferApplier
from .offer_gateway import OfferGateway
from .offer_known import (
    FOREIGN_FLAG,
    KnownState,
    look_for_collisions,
    read_known,
    refresh_courses,
)


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
    desired = desired_catalogue(snapshots, policy, known.catalogue.placements())
    plan = determine_actions(desired, known.catalogue, policy)
    again = await look_for_collisions(gateway, known.catalogue, plan)
    stale = stale_courses(plan, known.catalogue)
    if stale:
        await refresh_courses(gateway, known.catalogue, stale)
    if again or stale:
        plan = determine_actions(desired, known.catalogue, policy)
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
