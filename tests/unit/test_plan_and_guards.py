from __future__ import annotations

from jonction.config.operations import GuardsSection
from jonction.domain.guards import check_plan
from jonction.domain.plan import Action, Notice, Operation, Plan, fingerprint


def _removals(kind: str, count: int, scope: str = "") -> list[Operation]:
    return [Operation(kind, Action.SUSPEND, f"{kind}{i}", scope=scope) for i in range(count)]


def test_plan_round_trips_through_json() -> None:
    plan = Plan(
        step="offer",
        operations=[
            Operation(
                "course",
                Action.RENAME,
                "2026:ELP:SMA1U01",
                label="Analyse 1",
                before={"fullname": "Analyse"},
                after={"fullname": "Analyse 1"},
                reason="LIB_ELP changed",
                source={"table": "ELEMENT_PEDAGOGI", "COD_ELP": "SMA1U01"},
                scope="2026:VET:SLMAT1:101",
            )
        ],
        notices=[Notice("collision", "SMA1U01", "hand-made course", data={"id": 7})],
        existing={"course": 10},
        existing_by_scope={"enrolment": {"C1": 3}},
        basis="abc",
        stats={"desired": 1},
        blockers=["x"],
    )
    assert Plan.from_json(plan.to_json()) == plan


def test_fingerprint_is_order_sensitive_and_stable() -> None:
    assert fingerprint([{"a": 1, "b": 2}]) == fingerprint([{"b": 2, "a": 1}])
    assert fingerprint([1, 2]) != fingerprint([2, 1])


def test_guard_stops_a_mass_removal_and_names_the_numbers() -> None:
    plan = Plan("users", operations=_removals("user", 6), existing={"user": 100})
    violations = check_plan(plan, GuardsSection())
    assert len(violations) == 1
    message = violations[0].message()
    assert "6 of 100 user" in message and "5%" in message and "--force users" in message


def test_guard_accepts_a_small_removal() -> None:
    plan = Plan("users", operations=_removals("user", 5), existing={"user": 100})
    assert check_plan(plan, GuardsSection()) == []


def test_guard_ignores_small_kinds() -> None:
    plan = Plan("groups", operations=_removals("group", 10), existing={"group": 10})
    assert check_plan(plan, GuardsSection(min_items_for_share=20)) == []


def test_guard_per_scope() -> None:
    ops = _removals("enrolment", 8, scope="C1") + _removals("enrolment", 1, scope="C2")
    existing = {"enrolment": 1000}
    scoped = {"enrolment": {"C1": 12, "C2": 12}}
    plan = Plan("enrolments", operations=ops, existing=existing, existing_by_scope=scoped)
    violations = check_plan(plan, GuardsSection())
    assert [(v.scope, v.count, v.base) for v in violations] == [("C1", 8, 12)]


def test_creations_never_trip_a_guard() -> None:
    ops = [Operation("course", Action.CREATE, f"c{i}") for i in range(500)]
    assert check_plan(Plan("offer", operations=ops, existing={"course": 20}), GuardsSection()) == []
