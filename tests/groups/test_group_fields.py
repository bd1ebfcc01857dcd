"""The compact fields of member operations read like the dicts they stand for."""

from __future__ import annotations

import json

from jonction.domain.group_fields import MemberIds, MemberSource
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
