from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jonction.moodle.encoding import encode_params, field_count, form_body

from ..conftest import shared_dir
from .php_form import as_lists, php_decode, php_fields


def test_nested_lists_and_structures_are_flattened_as_php_reads_them() -> None:
    params = {
        "courses": [
            {
                "fullname": "Algèbre & co",
                "categoryid": 7,
                "visible": False,
                "customfields": [{"shortname": "level", "value": "L1"}],
            }
        ]
    }
    assert encode_params(params) == [
        ("courses[0][fullname]", "Algèbre & co"),
        ("courses[0][categoryid]", "7"),
        ("courses[0][visible]", "0"),
        ("courses[0][customfields][0][shortname]", "level"),
        ("courses[0][customfields][0][value]", "L1"),
    ]


def test_booleans_are_sent_as_one_and_zero() -> None:
    assert encode_params({"a": True, "b": False}) == [("a", "1"), ("b", "0")]


def test_none_in_a_mapping_is_not_sent_but_none_in_a_list_is_refused() -> None:
    assert encode_params({"users": [{"id": 3, "idnumber": None}]}) == [("users[0][id]", "3")]
    with pytest.raises(ValueError, match=r"values\[1\]"):
        encode_params({"values": ["a", None]})


@pytest.mark.parametrize("name", ["a b", "a.b", "a[b]", ""])
def test_names_that_php_would_mangle_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="cannot be sent"):
        encode_params({name: "x"})


def test_objects_that_have_no_form_are_refused() -> None:
    with pytest.raises(TypeError):
        encode_params({"a": object()})
    with pytest.raises(TypeError):
        encode_params({"a": b"bytes"})


def test_field_count_is_what_php_counts() -> None:
    params = {"field": "username", "values": [f"u{i}" for i in range(10)]}
    assert field_count(params) == 11
    assert len(php_fields(form_body(encode_params(params)))) == 11


def _recorded_requests() -> list[list[tuple[str, str]]]:
    requests = []
    for name in ("transcripts.jsonl", "transcripts2.jsonl"):
        path = shared_dir() / "moodle" / name
        for line in path.read_text(encoding="utf-8").splitlines():
            params = json.loads(line)["request"]["params"]
            if isinstance(params, list) and len(params) < 100:
                requests.append([(str(k), str(v)) for k, v in params])
    return requests


def test_every_recorded_request_is_reproduced_field_for_field() -> None:
    # Read each request that a real Moodle accepted back into its structure, encode it
    # again: the client must send exactly the recorded fields, in the same order.
    recorded = _recorded_requests()
    assert len(recorded) > 50
    for fields in recorded:
        structure = as_lists(php_decode(form_body(fields)))
        assert encode_params(structure) == fields


# --- round trip against the independent decoder ----------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(names, inner, min_size=1, max_size=4),
    ),
    max_leaves=20,
)


def expected(value: Any) -> Any:
    """What PHP ends up with: every scalar a string, booleans as 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    return value


def _numeric_keys_only(value: Any) -> bool:
    # A mapping whose keys are 0..n-1 is indistinguishable from a list in PHP.
    if isinstance(value, dict):
        if value and list(value) == [str(i) for i in range(len(value))]:
            return True
        return any(_numeric_keys_only(v) for v in value.values())
    if isinstance(value, list):
        return any(_numeric_keys_only(v) for v in value)
    return False


@given(st.dictionaries(names, values, min_size=1, max_size=5))
def test_round_trip_through_a_php_style_decoder(params: dict[str, Any]) -> None:
    body = form_body(encode_params(params))
    decoded = as_lists(php_decode(body))
    if not _numeric_keys_only(params):
        assert decoded == expected(params)
    assert len(php_fields(body)) == field_count(params)
