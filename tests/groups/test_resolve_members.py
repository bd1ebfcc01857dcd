"""Wanted members mapped to Moodle accounts: one Member per student and étape, shared by
the groups that want it."""

from __future__ import annotations

from jonction.domain.group_plan import Member, resolve_members
from jonction.domain.group_state import Account
from jonction.domain.groups import DesiredGroup, DesiredGroups, Origin
from jonction.domain.refer_model import EtapeKey


def group(key: str, members: dict[int, EtapeKey]) -> DesiredGroup:
    return DesiredGroup(
        key=key,
        course="C",
        idnumber=key,
        name=key,
        year="2026",
        origin=Origin.APOGEE,
        family="",
        composante="",
        group=None,
        ext_code="",
        kind="",
        element=None,
        etape=None,
        description="",
        hints=(),
        members=members,
    )


def test_a_student_through_two_etapes_has_one_member_per_etape() -> None:
    # Equal étapes that are distinct objects are the same étape.
    a, b, a_again = EtapeKey("A", 1), EtapeKey("B", 1), EtapeKey("A", 1)
    desired = DesiredGroups(
        groups={
            "C|1": group("C|1", {10: a, 11: a}),
            "C|2": group("C|2", {10: b}),
            "C|3": group("C|3", {10: a_again, 12: b}),
        }
    )
    students = {10: "E10", 11: "E11", 12: None}
    accounts = {"E10": Account("u10", 100), "E11": Account("u11", 110)}
    resolved, notices = resolve_members(desired, students, accounts)
    assert resolved["C|1"] == {100: Member(100, "u10", 10, a), 110: Member(110, "u11", 11, a)}
    assert resolved["C|2"] == {100: Member(100, "u10", 10, b)}
    assert resolved["C|3"] == {100: Member(100, "u10", 10, a)}
    assert resolved["C|3"][100] is resolved["C|1"][100]
    assert resolved["C|2"][100] is not resolved["C|1"][100]
    assert [n.data["count"] for n in notices] == [1]  # COD_IND 12: no account
