"""Which groups jonction wants, in which courses, with which members."""

from __future__ import annotations

from jonction.config.groups import GroupsSection
from jonction.config.policy import PolicySection
from jonction.domain.groups import DesiredGroups, Origin, desired_groups

from .builders import L1DIST, L1INFO, L1MATH, Campus, course, standard_campus


def _desired(campus: Campus, **config: object) -> DesiredGroups:
    policy = PolicySection(foad_policy=str(config.pop("foad_policy", "shared")))  # type: ignore[arg-type]
    return desired_groups(
        [campus.snapshot], campus.course_maps(policy), GroupsSection.model_validate(config)
    )


def _members(desired: DesiredGroups, key: str) -> dict[int, str]:
    return {cod_ind: str(etape) for cod_ind, etape in desired.groups[key].members.items()}


def test_element_group_goes_into_the_element_course() -> None:
    desired = _desired(standard_campus(), parent_etape_groups=False, etape_groups="none")
    key = f"{course('MAT101')}|2026:GPE:100"
    group = desired.groups[key]
    assert group.name == "TD 1"
    assert group.idnumber == "2026:GPE:100"
    assert group.origin is Origin.APOGEE
    assert group.composante == "SCI"
    assert _members(desired, key) == {1: "L1MATH-1", 2: "L1MATH-1"}
    assert group.source()["group"] == 100 and group.source()["element"] == "MAT101"
    assert set(desired.groups) == {key, f"{course('MAT101')}|2026:GPE:101"}


def test_etape_group_goes_into_the_courses_its_students_follow() -> None:
    campus = standard_campus()
    campus.element("MAT103", L1MATH)  # nobody of group GA follows it
    campus.student(9, L1MATH, "MAT103")
    desired = _desired(campus, parent_etape_groups=False)
    keys = {k for k, g in desired.groups.items() if g.group == 200}
    assert keys == {f"{course(code)}|2026:GPE:200" for code in ("MAT101", "MAT102", "SHARED1")}
    assert _members(desired, f"{course('MAT102')}|2026:GPE:200") == {
        1: "L1MATH-1",
        3: "L1MATH-1",
    }
    everywhere = _desired(campus, parent_etape_groups=False, etape_groups="all_courses")
    assert f"{course('MAT103')}|2026:GPE:200" in everywhere.groups
    assert everywhere.groups[f"{course('MAT103')}|2026:GPE:200"].members == {}
    nowhere = _desired(campus, parent_etape_groups=False, etape_groups="none")
    assert not any(g.group == 200 for g in nowhere.groups.values())


def test_shared_course_gets_one_group_per_etape() -> None:
    desired = _desired(standard_campus(), etape_groups="none")
    shared = course("SHARED1")
    math = desired.groups[f"{shared}|2026:VET:L1MATH:1"]
    info = desired.groups[f"{shared}|2026:VET:L1INFO:1"]
    assert math.origin is Origin.ETAPE and math.name == "Licence 1 Mathématiques (L1MATH)"
    assert set(math.members) == {1, 2, 3, 4} and set(info.members) == {5, 6}
    assert info.composante == "INF"
    # A course of one étape gets no such group.
    assert not any(k.startswith(course("MAT101") + "|2026:VET") for k in desired.groups)
    off = _desired(standard_campus(), etape_groups="none", parent_etape_groups=False)
    assert not any(g.origin is Origin.ETAPE for g in off.groups.values())


def test_same_names_in_a_course_are_told_apart() -> None:
    campus = standard_campus()
    campus.group(300, "GA", "Groupe A", etape=L1INFO, kind="GRP", members=(5,))
    desired = _desired(campus, parent_etape_groups=False)
    shared = course("SHARED1")
    assert desired.groups[f"{shared}|2026:GPE:200"].name == "Groupe A (L1MATH-1)"
    assert desired.groups[f"{shared}|2026:GPE:300"].name == "Groupe A (L1INFO-1)"
    # Where only one of them is, its name stays plain.
    assert desired.groups[f"{course('MAT101')}|2026:GPE:200"].name == "Groupe A"


def test_name_template_and_label_fallback() -> None:
    campus = standard_campus()
    campus.rename(101, "")
    desired = _desired(campus, name="{kind} {label}", parent_etape_groups=False)
    assert desired.groups[f"{course('MAT101')}|2026:GPE:101"].name == "TD TD2"


def test_skipped_kinds_and_groups_without_course() -> None:
    campus = standard_campus()
    campus.element("SEM1", L1MATH, nature="SEM")
    campus.group(400, "CM", "Amphi", element="SEM1", kind="CM")
    desired = _desired(campus, skip_kinds=["GRP"], parent_etape_groups=False)
    assert not any(g.group == 200 for g in desired.groups.values())
    notice = next(n for n in desired.notices if n.kind == "group_without_course")
    assert notice.data["count"] == 1


def test_member_not_registered_to_the_element_is_reported() -> None:
    campus = standard_campus()
    campus.student(7, L1MATH, "MAT102")
    campus.join(7, 100)
    desired = _desired(campus, parent_etape_groups=False, etape_groups="none")
    assert 7 not in desired.groups[f"{course('MAT101')}|2026:GPE:100"].members
    notice = next(n for n in desired.notices if n.kind == "group_member_not_registered")
    assert notice.data["items"] == ["7/100"]


def test_empty_element_group_is_still_created() -> None:
    campus = standard_campus()
    campus.group(102, "TD3", "TD 3", element="MAT101")
    desired = _desired(campus)
    assert desired.groups[f"{course('MAT101')}|2026:GPE:102"].members == {}


def test_foad_split_puts_members_in_their_own_course() -> None:
    campus = Campus()
    campus.element("MAT201", L1MATH, L1DIST)
    campus.student(1, L1MATH, "MAT201")
    campus.student(2, L1DIST, "MAT201")
    campus.group(500, "TD1", "TD 1", element="MAT201", members=(1, 2))
    desired = _desired(campus, foad_policy="split", parent_etape_groups=False)
    assert _members(desired, f"{course('MAT201')}|2026:GPE:500") == {1: "L1MATH-1"}
    assert _members(desired, f"{course('MAT201')}:FOAD|2026:GPE:500") == {2: "L1DIST-1"}


def test_groupings_per_etape() -> None:
    desired = _desired(standard_campus(), groupings=True)
    shared = course("SHARED1")
    grouping = desired.groupings[f"{shared}|2026:VET:L1MATH:1"]
    assert grouping.groups == (f"{shared}|2026:GPE:200", f"{shared}|2026:VET:L1MATH:1")
    assert grouping.name == "Licence 1 Mathématiques (L1MATH)"
    assert f"{shared}|2026:VET:L1INFO:1" in desired.groupings
