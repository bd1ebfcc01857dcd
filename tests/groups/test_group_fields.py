"""The compact fields of member operations read like the dicts they stand for."""

from __future__ import annotations

import copy
import json
import pickle
from dataclasses import FrozenInstanceError
from typing import NamedTuple

import pytest

from jonction.domain.group_fields import MemberAddition, MemberGroup, MemberIds, MemberSource
from jonction.domain.plan import Action, Operation

GROUP = {"origin": "apogee", "course": "2026:SMA1U01", "etape": "L1MATH-1", "group": 4711}


def test_member_ids_are_a_two_key_mapping() -> None:
    ids = MemberIds(12, 34)
    assert ids == {"group_id": 12, "user_id": 34}
    assert dict(ids) == {"group_id": 12, "user_id": 34}
    assert ids["user_id"] == 34 and ids.get("group") is None and len(ids) == 2
    assert MemberIds(None, 34)["group_id"] is None


def test_member_source_shares_the_groups_codes_and_overrides_the_etape() -> None:
    source = MemberSource(GROUP, "L1INFO-1", 17, "e17")
    assert dict(source) == {**GROUP, "etape": "L1INFO-1", "cod_ind": 17, "username": "e17"}
    assert len(source) == 6
    deferred = source.with_extra(deferred="not_enrolled")
    assert deferred["deferred"] == "not_enrolled" and "deferred" not in source
    assert {**deferred}["cod_ind"] == 17


def test_operations_with_compact_fields_become_plain_json() -> None:
    op = Operation(
        "group_member",
        Action.ADD,
        "2026:SMA1U01|2026:GPE:4711|e17",
        after=MemberIds(12, 17),
        source=MemberSource(GROUP, "L1INFO-1", 17, "e17"),
    )
    data = op.to_json()
    assert type(data["after"]) is dict and type(data["source"]) is dict
    again = Operation.from_json(json.loads(json.dumps(data)))
    assert again == Operation(
        op.kind, op.action, op.key, after=dict(op.after or {}), source=dict(op.source)
    )


class _Member(NamedTuple):
    user_id: int
    username: str
    cod_ind: int
    etape: str


SHARED = MemberGroup("2026:SMA1U01|2026:GPE:4711", "TD 1", 12, GROUP)


def _plain_addition(reason: str = "member of TD 1", **extra: str) -> Operation:
    return Operation(
        "group_member",
        Action.ADD,
        "2026:SMA1U01|2026:GPE:4711|e17",
        label="e17: TD 1",
        after={"group_id": 12, "user_id": 17},
        reason=reason,
        source={**GROUP, "etape": "L1INFO-1", "cod_ind": 1700, "username": "e17", **extra},
        scope="2026:SMA1U01|2026:GPE:4711",
    )


def test_a_member_addition_reads_like_the_operation_it_stands_for() -> None:
    op = MemberAddition(
        "group_member", SHARED, _Member(17, "e17", 1700, "L1INFO-1"), "member of TD 1"
    )
    plain = _plain_addition()
    assert op.key == plain.key and op.label == plain.label and op.scope == plain.scope
    assert op.before is None and op.after == plain.after and op.source == plain.source
    assert op == plain and plain == op and isinstance(op, Operation)
    assert op.to_json() == plain.to_json()
    assert "e17: TD 1" in repr(op)


def test_a_deferred_member_addition_says_so_in_its_source() -> None:
    member = _Member(17, "e17", 1700, "L1INFO-1")
    op = MemberAddition("group_member", SHARED, member, "later", {"deferred": "not_enrolled"})
    assert op == _plain_addition("later", deferred="not_enrolled")
    assert op != _plain_addition("later")


def test_a_member_addition_cannot_be_changed_and_survives_a_copy() -> None:
    op = MemberAddition("group_member", SHARED, _Member(17, "e17", 1700, "L1INFO-1"), "why")
    with pytest.raises(FrozenInstanceError):
        op.key = "other"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        op._group = SHARED
    assert copy.deepcopy(op) == op and pickle.loads(pickle.dumps(op)) == op
