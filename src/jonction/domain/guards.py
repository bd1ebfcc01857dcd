"""Mass-change guards: pure checks of a plan against the configured shares."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..config.operations import GuardsSection
from .plan import REMOVING_ACTIONS, Plan


@dataclass(frozen=True, slots=True)
class GuardViolation:
    step: str
    guard: str
    kind: str
    count: int
    base: int
    limit: float
    scope: str = ""

    def message(self) -> str:
        where = f" in {self.scope}" if self.scope else ""
        share = self.count / self.base if self.base else 1.0
        return (
            f"{self.step}: {self.count} of {self.base} {self.kind} objects{where} would be "
            f"removed, suspended or hidden ({share:.1%}); the limit is {self.limit:.0%} "
            f"([guards] {self.guard}). Check the sources; if the change is intended, run "
            f"again with --force {self.step}."
        )


def check_plan(plan: Plan, guards: GuardsSection) -> list[GuardViolation]:
    """Every share of removals in `plan` that goes beyond the configured limits."""
    removing = [op for op in plan.operations if op.action in REMOVING_ACTIONS]
    violations: list[GuardViolation] = []
    by_kind = Counter(op.kind for op in removing)
    for kind, count in sorted(by_kind.items()):
        base = plan.existing.get(kind, 0)
        limit = guards.max_remove_share_by_kind.get(kind, guards.max_remove_share)
        guard = (
            "max_remove_share_by_kind"
            if kind in guards.max_remove_share_by_kind
            else ("max_remove_share")
        )
        if base >= guards.min_items_for_share and count > limit * base:
            violations.append(GuardViolation(plan.step, guard, kind, count, base, limit))
    by_scope = Counter((op.kind, op.scope) for op in removing if op.scope)
    for (kind, scope), count in sorted(by_scope.items()):
        base = plan.existing_by_scope.get(kind, {}).get(scope, 0)
        limit = guards.max_remove_share_per_scope
        if base >= guards.min_items_per_scope and count > limit * base:
            violations.append(
                GuardViolation(
                    plan.step, "max_remove_share_per_scope", kind, count, base, limit, scope
                )
            )
    return violations
