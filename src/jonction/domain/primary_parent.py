"""One parent in Moodle, n parents in Apogée: the étape whose category holds a shared course.

An element can hang under several étapes; its course lives in exactly one category. The
rule (`[policy] primary_parent_rule`) is a list of criteria applied in order, each keeping the
candidates that do best on it, until one is left:

- `charge_ens`: the étapes that ELP_CHARGE_ENS declares as carrying the element's teaching
  for the year;
- `same_composante`: the étapes of the element's own composante;
- `most_students`: the étapes through which the most students are registered to the element;
- `smallest_code`: the smallest étape code (and version); always applied last, so the choice
  is deterministic whatever the configuration.

A criterion that no candidate meets (no charge declared, no étape of the composante) keeps
them all.

Stability: once a course is placed, it stays under its étape while that étape is still a
parent, unless the rule's winner beats it on a declared criterion (`charge_ens`,
`same_composante`: a decision taken in Apogée) or has more students by more than
`primary_parent_margin` (a share: 0.2 means 20 % more). Winning on the code alone, or on a
small difference of head-counts, never moves a course: counts change every night while
registrations go on, and a course that moves is a course its teachers can no longer find.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config.policy import ParentCriterion
from .refer_model import EtapeKey

DECLARED_CRITERIA: frozenset[str] = frozenset({"charge_ens", "same_composante"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """An étape the element hangs under, with what the rule looks at."""

    etape: EtapeKey
    charge: bool  # ELP_CHARGE_ENS names this étape for the element and the year
    same_composante: bool  # the étape's composante is the element's
    students: int  # students registered to the element through this étape


@dataclass(frozen=True, slots=True)
class Placement:
    etape: EtapeKey
    # What decided: only_parent, charge_ens, same_composante, most_students, smallest_code,
    # or kept (the earlier placement stays although the rule would now choose `winner`).
    criterion: str
    reason: str
    winner: EtapeKey  # the rule's choice tonight, before stability
    previous: EtapeKey | None = None  # the placement known before tonight, if any

    @property
    def moved(self) -> bool:
        return self.previous is not None and self.previous != self.etape


def _criteria(rule: Sequence[ParentCriterion]) -> list[ParentCriterion]:
    criteria = [criterion for criterion in rule if criterion != "smallest_code"]
    return [*criteria, "smallest_code"]


def _keep_best(pool: list[Candidate], criterion: ParentCriterion) -> list[Candidate]:
    if criterion == "charge_ens":
        return [c for c in pool if c.charge] or pool
    if criterion == "same_composante":
        return [c for c in pool if c.same_composante] or pool
    if criterion == "most_students":
        best = max(c.students for c in pool)
        return [c for c in pool if c.students == best]
    return [min(pool, key=lambda c: c.etape)]


def _why(criterion: str, chosen: Candidate) -> str:
    if criterion == "only_parent":
        return f"{chosen.etape} is its only étape"
    if criterion == "charge_ens":
        return f"ELP_CHARGE_ENS names {chosen.etape} as the étape carrying its teaching"
    if criterion == "same_composante":
        return f"{chosen.etape} belongs to the element's own composante"
    if criterion == "most_students":
        return f"{chosen.etape} has the most students registered to it ({chosen.students})"
    return f"{chosen.etape} has the smallest code among equal étapes"


def rank(candidates: Sequence[Candidate], rule: Sequence[ParentCriterion]) -> tuple[Candidate, str]:
    """The rule's winner and the criterion that decided."""
    if not candidates:
        raise ValueError("an element with no étape has no primary parent")
    pool = sorted(candidates, key=lambda c: c.etape)
    if len(pool) == 1:
        return pool[0], "only_parent"
    for criterion in _criteria(rule):
        pool = _keep_best(pool, criterion)
        if len(pool) == 1:
            return pool[0], criterion
    raise AssertionError("smallest_code leaves one candidate")  # pragma: no cover


def _beats(
    winner: Candidate,
    current: Candidate,
    rule: Sequence[ParentCriterion],
    margin: float,
) -> tuple[bool, str]:
    """Whether `winner` beats the placed `current` clearly enough to move the course."""
    for criterion in _criteria(rule):
        if criterion == "charge_ens" and winner.charge != current.charge:
            return True, f"ELP_CHARGE_ENS now names {winner.etape} as the carrying étape"
        if criterion == "same_composante" and winner.same_composante != current.same_composante:
            return True, f"{winner.etape} belongs to the element's own composante"
        if criterion == "most_students" and winner.students != current.students:
            threshold = current.students * (1 + margin)
            if winner.students > threshold:
                return True, (
                    f"{winner.etape} has {winner.students} students against "
                    f"{current.students} for {current.etape}, more than the "
                    f"{margin:.0%} margin"
                )
            return False, (
                f"{winner.etape} has {winner.students} students against {current.students}, "
                f"within the {margin:.0%} margin"
            )
        if criterion == "smallest_code":
            return False, f"{winner.etape} wins only on its code"
    return False, "no criterion tells them apart"  # pragma: no cover


def choose_primary(
    candidates: Sequence[Candidate],
    rule: Sequence[ParentCriterion],
    margin: float,
    current: EtapeKey | None = None,
) -> Placement:
    """The étape that holds the course tonight, given where it was placed before (if)."""
    winner, criterion = rank(candidates, rule)
    if current is None or current == winner.etape:
        return Placement(winner.etape, criterion, _why(criterion, winner), winner.etape, current)
    placed = next((c for c in candidates if c.etape == current), None)
    if placed is None:
        reason = f"{current} no longer includes the element; {_why(criterion, winner)}"
        return Placement(winner.etape, criterion, reason, winner.etape, current)
    moves, why = _beats(winner, placed, rule, margin)
    if moves:
        return Placement(winner.etape, criterion, why, winner.etape, current)
    return Placement(
        current, "kept", f"stays under {current}, where it was placed: {why}", winner.etape, current
    )
