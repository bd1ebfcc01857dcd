"""The primary parent: deterministic rule, then stability against small changes."""

from __future__ import annotations

from random import Random

from hypothesis import given
from hypothesis import strategies as st

from jonction.config.policy import DEFAULT_PARENT_RULE
from jonction.domain.primary_parent import Candidate, choose_primary, rank
from jonction.domain.refer_model import EtapeKey

A, B, C = EtapeKey("AAA", 1), EtapeKey("BBB", 1), EtapeKey("CCC", 1)
RULE = list(DEFAULT_PARENT_RULE)


def cand(etape: EtapeKey, students: int = 0, charge: bool = False, same: bool = False) -> Candidate:
    return Candidate(etape, charge, same, students)


def test_only_parent() -> None:
    assert rank([cand(B)], RULE) == (cand(B), "only_parent")


def test_declared_charge_wins_over_everything() -> None:
    winner, criterion = rank([cand(A, 500, same=True), cand(C, 3, charge=True)], RULE)
    assert (winner.etape, criterion) == (C, "charge_ens")


def test_own_composante_then_students_then_code() -> None:
    assert rank([cand(A, 500), cand(C, 3, same=True)], RULE)[0].etape == C
    assert rank([cand(A, 5), cand(B, 50), cand(C, 50)], RULE) == (cand(B, 50), "smallest_code")
    assert rank([cand(A, 5), cand(C, 50)], RULE) == (cand(C, 50), "most_students")


def test_a_criterion_nobody_meets_keeps_everyone() -> None:
    winner, criterion = rank([cand(C, 10), cand(B, 10)], RULE)
    assert (winner.etape, criterion) == (B, "smallest_code")


def test_configured_order_is_followed_and_code_always_decides_last() -> None:
    candidates = [cand(A, 10, charge=True), cand(B, 90)]
    assert rank(candidates, ["most_students", "charge_ens"])[0].etape == B
    assert rank([cand(B), cand(A)], ["charge_ens"]) == (cand(A), "smallest_code")


def test_placed_course_stays_within_the_margin() -> None:
    placement = choose_primary([cand(A, 100), cand(B, 115)], RULE, 0.2, current=A)
    assert placement.etape == A and placement.criterion == "kept" and placement.winner == B
    assert not placement.moved
    assert "within the 20% margin" in placement.reason


def test_placed_course_moves_beyond_the_margin() -> None:
    placement = choose_primary([cand(A, 100), cand(B, 121)], RULE, 0.2, current=A)
    assert placement.etape == B and placement.moved
    assert "121 students against 100" in placement.reason


def test_placed_course_moves_when_its_parent_goes() -> None:
    placement = choose_primary([cand(B, 1), cand(C, 2)], RULE, 0.2, current=A)
    assert placement.etape == C and placement.moved
    assert "AAA-1 no longer includes the element" in placement.reason


def test_declared_charge_moves_a_placed_course() -> None:
    placement = choose_primary([cand(A, 100), cand(B, 10, charge=True)], RULE, 0.2, current=A)
    assert placement.etape == B
    assert "ELP_CHARGE_ENS" in placement.reason


def test_a_smaller_code_alone_never_moves_a_course() -> None:
    placement = choose_primary([cand(A, 10), cand(B, 10)], RULE, 0.0, current=B)
    assert placement.etape == B and placement.criterion == "kept"


candidate_lists = st.lists(
    st.builds(
        Candidate,
        st.builds(EtapeKey, st.sampled_from(["L1A", "L1B", "L2A", "M1X"]), st.integers(1, 3)),
        st.booleans(),
        st.booleans(),
        st.integers(0, 300),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda c: c.etape,
)


@given(candidate_lists, st.randoms())
def test_rule_is_deterministic_whatever_the_order(
    candidates: list[Candidate], random: Random
) -> None:
    shuffled = list(candidates)
    random.shuffle(shuffled)
    assert rank(candidates, RULE) == rank(shuffled, RULE)
    assert rank(candidates, RULE)[0] in candidates


@given(candidate_lists, st.floats(0, 1))
def test_a_placement_is_stable_when_nothing_changes(
    candidates: list[Candidate], margin: float
) -> None:
    first = choose_primary(candidates, RULE, margin)
    again = choose_primary(candidates, RULE, margin, current=first.etape)
    assert again.etape == first.etape and not again.moved


@given(candidate_lists, st.integers(0, 7))
def test_a_placed_course_stays_while_its_parent_is_within_the_margin(
    candidates: list[Candidate], index: int
) -> None:
    placed = candidates[index % len(candidates)]
    # Nobody declared, every count within 20 % of the placed one's: the course must stay.
    levelled = [
        Candidate(c.etape, False, False, min(c.students, int(placed.students * 1.2)))
        for c in candidates
    ]
    assert choose_primary(levelled, RULE, 0.2, current=placed.etape).etape == placed.etape
