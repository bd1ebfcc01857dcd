"""PHP's form parsing, max_input_vars cut, PARAM cleaning and Moodle's text formatting."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moodlesim.php.forms import parse_fields, register, split_urlencoded
from moodlesim.php.json import json_encode
from moodlesim.php.params import InvalidValue, validate_value
from moodlesim.php.text import format_string, format_text, strip_tags

from .sim_support import TOKEN, SimClient, flatten


def parse(body: str, limit: int = 5000) -> dict[Any, Any]:
    return parse_fields(split_urlencoded(body), limit)


def test_nested_fields_become_nested_arrays() -> None:
    body = "courses[0][fullname]=A&courses[0][customfields][0][shortname]=x&courses[1][fullname]=B"
    assert parse(body) == {
        "courses": {
            0: {"fullname": "A", "customfields": {0: {"shortname": "x"}}},
            1: {"fullname": "B"},
        }
    }


def test_php_name_rules() -> None:
    assert parse("a.b=1&c d=2") == {"a_b": "1", "c_d": "2"}
    assert parse("v[]=1&v[]=2&v[7]=3&v[]=4") == {"v": {0: "1", 1: "2", 7: "3", 8: "4"}}
    assert parse("k[01]=a&k[1]=b&k[-2]=c") == {"k": {"01": "a", 1: "b", -2: "c"}}
    assert parse("x[a=1") == {"x_a": "1"}  # an unterminated bracket is part of the name
    assert parse("=1&[a]=2") == {}  # no name: dropped
    assert parse("a=1&a=2") == {"a": "2"}
    assert parse("a=1&a[x]=2") == {"a": {"x": "2"}}
    assert parse("a+b=c+d&e=%26") == {"a_b": "c d", "e": "&"}


def test_max_input_vars_keeps_the_field_that_crosses_the_limit() -> None:
    body = "&".join(f"v[{i}]=x" for i in range(10))
    assert list(parse(body, limit=5)["v"]) == [0, 1, 2, 3, 4, 5]


scalars = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(
            st.from_regex(r"[a-z]{1,5}", fullmatch=True), inner, min_size=1, max_size=3
        ),
    ),
    max_leaves=12,
)


def as_php(value: Any) -> Any:
    if isinstance(value, list):
        return {i: as_php(v) for i, v in enumerate(value)}
    if isinstance(value, dict):
        return {k: as_php(v) for k, v in value.items()}
    return value


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), trees, min_size=1, max_size=4))
def test_flattened_parameters_parse_back(params: dict[str, Any]) -> None:
    result: dict[Any, Any] = {}
    for name, value in flatten(params):
        register(result, name, value)
    assert result == as_php(params)


@pytest.mark.parametrize(
    ("value", "param_type", "cleaned"),
    [
        ("alice", "username", "alice"),
        ("Alice", "username", None),
        (" alice", "username", None),
        ("a b", "text", "a b"),
        ("a <b>x</b>", "text", None),
        ("a < b", "text", "a < b"),
        ("Maths-1_a", "alphanumext", "Maths-1_a"),
        ("a.b", "alphanumext", None),
        ("cas", "auth", "cas"),
        ("nosuchauth", "auth", None),
        ("topics", "plugin", "topics"),
        ("Topics", "plugin", None),
        ("x@example.com ", "raw_trimmed", None),
        ("Europe/Paris", "timezone", "Europe/Paris"),
        ("99", "timezone", "99"),
        ("fr", "lang", "fr"),
        ("xx", "lang", None),
    ],
)
def test_validate_param(value: str, param_type: str, cleaned: str | None) -> None:
    if cleaned is None:
        with pytest.raises(InvalidValue):
            validate_value(value, param_type, True)
    else:
        assert validate_value(value, param_type, True) == cleaned


def test_text_helpers() -> None:
    assert strip_tags("a<b>c</b>d") == "acd"
    assert strip_tags("x <y") == "x "
    assert format_string("Arts & Humanities") == "Arts &amp; Humanities"
    assert format_string("Arts &amp; Humanities") == "Arts &amp; Humanities"
    assert format_text("<p>Linear & algebra</p>", 1) == ("<p>Linear &amp; algebra</p>", 1)
    assert format_text(None, 1) == ("", 1)
    assert json_encode({"u": "http://x/é"}) == '{"u":"http:\\/\\/x\\/\\u00e9"}'


def test_max_input_vars_cuts_requests_silently(make_sim: Any) -> None:
    sim: SimClient = make_sim(max_input_vars=10)
    for name in ("u0", "u1", "u2"):
        user = {
            "username": name,
            "firstname": "F",
            "lastname": "L",
            "email": f"{name}@example.com",
            "auth": "cas",
        }
        assert sim.call("core_user_create_users", users=[user])[0]["username"] == name
    # 3 protocol fields + field + 10 values: only 11 fields reach PHP, values[0..6].
    fields = [
        ("wstoken", TOKEN),
        ("wsfunction", "core_user_get_users_by_field"),
        ("moodlewsrestformat", "json"),
        ("field", "username"),
    ]
    placed = {0: "u0", 6: "u1", 7: "u2"}
    fields += [(f"values[{i}]", placed.get(i, f"nobody{i}")) for i in range(10)]
    answer = sim.post(fields).json()
    assert [user["username"] for user in answer] == ["u0", "u1"]


def test_protocol_fields_can_be_cut_too(make_sim: Any) -> None:
    sim: SimClient = make_sim(max_input_vars=3)
    fields = [("field", "username")] + [(f"values[{i}]", "x") for i in range(5)]
    fields += [("wstoken", TOKEN), ("wsfunction", "core_user_get_users_by_field")]
    response = sim.post(fields)
    assert "<EXCEPTION" in response.text and "invalidtoken" in response.text


def test_get_and_post_parameters_merge(sim: SimClient) -> None:
    response = sim.run(
        sim.client.post(
            "/webservice/rest/server.php",
            params={"wstoken": TOKEN, "moodlewsrestformat": "json"},
            content="wsfunction=core_course_get_categories",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    )
    assert response.json()[0]["name"] == "Category 1"
    get = sim.get(
        "/webservice/rest/server.php",
        wstoken=TOKEN,
        wsfunction="core_course_get_courses",
        moodlewsrestformat="json",
    )
    assert get.json()[0]["format"] == "site"
