"""The compact sets of user ids of the group records behave like frozensets."""

from __future__ import annotations

import pickle
from array import array

from jonction.domain.group_state import GroupRecord
from jonction.domain.user_ids import UserIds


def test_user_ids_are_a_set_of_ints() -> None:
    ids = UserIds([9, 3, 5, 3])
    assert list(ids) == [3, 5, 9] and len(ids) == 3
    assert 5 in ids and 4 not in ids and 10 not in ids
    assert ids == frozenset({3, 5, 9}) and frozenset({3, 5, 9}) == ids
    assert ids != frozenset({3, 5}) and ids == UserIds([5, 9, 3])
    assert hash(ids) == hash(frozenset({3, 5, 9}))
    assert pickle.loads(pickle.dumps(ids)) == ids and not UserIds()


def test_set_operations_mix_with_frozensets() -> None:
    ids, other = UserIds([3, 5, 9]), frozenset({3, 9, 11})
    assert ids & other == {3, 9} and other & ids == {3, 9}
    assert ids | other == {3, 5, 9, 11} and other | ids == {3, 5, 9, 11}
    assert ids - other == {5} and other - ids == {11}
    assert ids - {3: "x"}.keys() == {5, 9}


def test_comparisons_with_sets_and_dict_keys() -> None:
    ids = UserIds([3, 5, 9])
    assert ids == {3, 5, 9} and ids != {3, 5, 8} and ids != {3, 5, 9, 10} and ids != {3, 5}
    assert ids == dict.fromkeys([9, 5, 3]).keys() and dict.fromkeys([9, 5, 3]).keys() == ids
    assert ids != dict.fromkeys([3, 5]).keys() and ids != dict.fromkeys([3, 5, 8]).keys()
    assert ids != [3, 5, 9] and UserIds() == frozenset() == {}.keys()
    assert ids | set() is ids and ids - frozenset() is ids  # immutable: itself
    assert ids.packed() == array("q", [3, 5, 9]).tobytes()


def test_records_read_back_keep_their_members_compact() -> None:
    data = {"course": "C", "course_id": 4, "idnumber": "G", "name": "TD", "members": [12, 7]}
    record = GroupRecord.from_data("C|G", 40, data)
    assert isinstance(record.members, UserIds) and record.members == {7, 12}
    assert record.to_data()["members"] == [7, 12]
    assert record == GroupRecord.from_data("C|G", 40, {**data, "members": [7, 12]})
