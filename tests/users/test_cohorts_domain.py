"""The pure rules of the cohorts step."""

from __future__ import annotations

from jonction.config.operations import GuardsSection
from jonction.domain.cohorts import (
    MEMBER,
    AccountRef,
    CohortRules,
    ManagedCohort,
    MoodleCohort,
    accounts_by_student_number,
    cohort_specs,
    desired_cohorts,
    determine_cohort_actions,
)
from jonction.domain.guards import check_plan
from jonction.domain.plan import Action

from .test_cohorts_step import university

ACCOUNTS = {
    "22600101": AccountRef("lmoreau", 11),
    "22300958": AccountRef("clefevre", 12),
    "22600233": AccountRef("sroux", 13),
}


def test_levels_and_templates() -> None:
    rules = CohortRules(levels=("etape", "diplome", "composante"))
    specs = {spec.idnumber: spec for spec in cohort_specs(university(), rules)}
    assert specs["2026:VDI:LMAT-211"].name == "Licence Mathématiques (LMAT-211) 2026-2027"
    assert specs["2026:CMP:DFC"].name == "Formation continue 2026-2027"
    assert len(specs) == 3 + 3 + 2
    custom = CohortRules(
        levels=("etape",),
        idnumber_templates={"etape": "VET-{code}-{year}"},
        name_templates={"etape": "{composante} · {label}"},
    )
    (first, *_) = cohort_specs(university(), custom)
    assert (first.idnumber, first.name) == ("VET-DUENT1-101-2026", "DFC · DU Entrepreneuriat")


def test_a_student_number_on_two_accounts_links_to_none() -> None:
    accounts, notices = accounts_by_student_number(
        [
            ("a", 1, {"student_id": "22600101"}),
            ("b", 2, {"student_id": "22600101"}),
            ("c", 3, {"student_id": "22600233"}),
            ("staff", 4, {"employee_id": "104217"}),
        ]
    )
    assert accounts == {"22600233": AccountRef("c", 3)}
    assert [n.kind for n in notices] == ["student_number_on_several_accounts"]


def test_too_long_idnumbers_are_reported_not_created() -> None:
    rules = CohortRules(
        levels=("etape",), idnumber_templates={"etape": "{year}:" + "X" * 95 + "{code}"}
    )
    desired = desired_cohorts([university()], ACCOUNTS, rules)
    assert desired.cohorts == {}
    assert {n.kind for n in desired.notices} >= {"cohort_idnumber_too_long"}


def test_an_open_year_cohort_no_longer_offered_is_emptied_under_the_scope_guard() -> None:
    desired = desired_cohorts([university()], ACCOUNTS, CohortRules())
    gone = MoodleCohort(90, "2026:VET:OLD1-101", "Old", "", True)
    members = {90: frozenset(range(100, 120))}
    managed = {gone.idnumber: ManagedCohort(gone.idnumber, 90, "2026")}
    plan = determine_cohort_actions(desired, {gone.idnumber: gone}, members, managed, ["2026"], {})
    removals = [op for op in plan.operations if op.kind == MEMBER and op.scope == gone.idnumber]
    assert len(removals) == 20 and all(op.action == Action.REMOVE for op in removals)
    assert "no longer offered" in removals[0].reason
    (violation,) = check_plan(plan, GuardsSection(min_items_for_share=1000))
    assert violation.guard == "max_remove_share_per_scope" and violation.scope == gone.idnumber


def test_a_cohort_found_by_idnumber_is_adopted() -> None:
    desired = desired_cohorts([university()], ACCOUNTS, CohortRules())
    spec = desired.cohorts["2026:CMP:DFC"]
    existing = MoodleCohort(7, spec.idnumber, spec.name, spec.description, True)
    plan = determine_cohort_actions(
        desired, {spec.idnumber: existing}, {7: frozenset()}, {}, ["2026"]
    )
    assert plan.stats["cohorts_adopted"] == 1
    assert not [op for op in plan.operations if op.key == spec.idnumber]
    assert [op.key for op in plan.operations if op.scope == spec.idnumber] == [
        "2026:CMP:DFC|clefevre"
    ]
