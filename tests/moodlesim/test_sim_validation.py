"""Parameter validation, generated from ws-api.json: for every function, a missing required
parameter and a value of the wrong type answer Moodle's `invalidparameter`, with the
debuginfo that names the path (Moodle's `key => Invalid parameter value detected: …` form)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moodlesim.ws.spec import REQUIRED, Multiple, Node, Single, Value, functions

from .sim_support import TOKEN, SimClient, flatten

PLACEHOLDER = {
    "int": "1",
    "bool": "1",
    "alpha": "abc",
    "alphanum": "abc1",
    "alphanumext": "abc_1",
    "safedir": "abc",
    "raw": "x",
    "raw_trimmed": "x",
    "text": "x",
    "notags": "x",
    "username": "someone",
    "auth": "manual",
    "plugin": "topics",
    "theme": "boost",
    "lang": "en",
    "timezone": "99",
    "capability": "moodle/course:view",
}
WRAP = "Invalid parameter value detected"


def minimal(node: Node, along: tuple[Any, ...] = (), top: bool = True) -> Any:
    """The smallest valid value: required keys only, one item per list, plus the optional
    keys named by `along` (a path) so that the value reaches that path."""
    if isinstance(node, Value):
        return PLACEHOLDER[node.type]
    if isinstance(node, Multiple):
        return [minimal(node.content, along[1:], top=False)]
    value = {
        key: minimal(sub, along[1:] if along[:1] == (key,) else (), top=False)
        for key, sub in node.keys.items()
        if sub.required == REQUIRED or along[:1] == (key,)
    }
    if not value and not top:
        # An empty structure cannot be sent as form fields: send one of its optional keys.
        key, sub = next((k, s) for k, s in node.keys.items() if isinstance(s, Value))
        value[key] = minimal(sub)
    return value


def required_paths(node: Node, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of required keys, outermost first, also inside optional structures."""
    if isinstance(node, Multiple):
        yield from required_paths(node.content, (*path, 0))
    elif isinstance(node, Single):
        for key, sub in node.keys.items():
            if sub.required == REQUIRED and path:
                yield (*path, key)
            elif sub.required == REQUIRED:
                yield (key,)
            yield from required_paths(sub, (*path, key))


def typed_paths(node: Node, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Paths of values: int and bool ones first (a word is the wrong type), then the others
    (an array is the wrong type)."""
    if isinstance(node, Value):
        yield path, node.type
    elif isinstance(node, Multiple):
        yield from typed_paths(node.content, (*path, 0))
    else:
        for key, sub in node.keys.items():
            yield from typed_paths(sub, (*path, key))


def expected_debuginfo(path: tuple[Any, ...], reason: str) -> str:
    """Moodle wraps the reason once per named key above the failing one."""
    names = [part for part in path if isinstance(part, str)]
    for name in reversed(names):
        reason = f"{name} => {WRAP}: {reason}"
    return reason


def without(value: Any, path: tuple[Any, ...], node: Node, top: bool = True) -> Any:
    """`value` without the key at `path`; a nested structure left empty keeps another key."""
    head, rest = path[0], path[1:]
    if isinstance(node, Multiple):
        return [without(value[0], rest, node.content, top=False)]
    assert isinstance(node, Single)
    copy = dict(value)
    if rest:
        copy[head] = without(value[head], rest, node.keys[head], top=False)
        return copy
    del copy[head]
    if not copy and not top:
        other = next(k for k in node.keys if k != head)
        copy[other] = minimal(node.keys[other])
    return copy


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        copy_list = list(value)
        copy_list[head] = replaced(value[head], rest, new)
        return copy_list
    copy = dict(value)
    copy[head] = replaced(
        value.get(head, {} if rest and isinstance(rest[0], str) else []), rest, new
    )
    return copy


def call_raw(sim: SimClient, function: str, params: dict[str, Any]) -> Any:
    fields = [("wstoken", TOKEN), ("wsfunction", function), ("moodlewsrestformat", "json")]
    response = sim.post(fields + flatten(params))
    assert response.status_code == 200
    return response.json()


def _missing_cases() -> list[tuple[str, tuple[Any, ...]]]:
    cases = []
    for name, spec in functions().items():
        paths = list(required_paths(spec.parameters))
        if paths:
            cases.append((name, paths[0]))
            if len(paths) > 1:
                cases.append((name, paths[-1]))
    return cases


def _type_cases() -> list[tuple[str, tuple[Any, ...], str]]:
    cases = []
    for name, spec in functions().items():
        found = list(typed_paths(spec.parameters))
        numeric = [(path, kind) for path, kind in found if kind in ("int", "bool")]
        path, kind = (numeric or found)[0]
        cases.append((name, path, kind))
    return cases


def test_every_function_gets_a_generated_case() -> None:
    missing = {name for name, _ in _missing_cases()}
    typed = {name for name, _, _ in _type_cases()}
    # Functions whose parameters are all optional or defaulted have no missing-key case.
    assert set(functions()) - missing <= {
        "core_webservice_get_site_info",
        "core_course_get_courses",
        "core_course_get_courses_by_field",
        "core_cohort_get_cohorts",
    }
    assert typed == set(functions())


@pytest.fixture(scope="module")
def debug_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimClient]:
    from moodlesim import CostModel, Simulator, SimulatorConfig

    path = tmp_path_factory.mktemp("validation") / "sim.db"
    config = SimulatorConfig(
        token=TOKEN, db_url=f"sqlite:///{path}", cost=CostModel(latency_ms=0, scale=0), debug=True
    )
    client = SimClient(Simulator(config))
    yield client
    client.close()


@pytest.mark.parametrize(("function", "path"), _missing_cases())
def test_missing_required_parameter(
    debug_sim: SimClient, function: str, path: tuple[Any, ...]
) -> None:
    spec = functions()[function].parameters
    params = without(minimal(spec, path), path, spec)
    answer = call_raw(debug_sim, function, params)
    assert answer["exception"] == "invalid_parameter_exception", answer
    assert answer["errorcode"] == "invalidparameter"
    assert answer["message"] == WRAP
    key = path[-1]
    parent_names = path[:-1]
    reason = f"Missing required key in single structure: {key}"
    assert answer["debuginfo"] == expected_debuginfo(parent_names, reason)


@pytest.mark.parametrize(("function", "path", "kind"), _type_cases())
def test_wrong_type(debug_sim: SimClient, function: str, path: tuple[Any, ...], kind: str) -> None:
    wrong: Any = "abc" if kind in ("int", "bool") else {"0": "x"}
    params = replaced(minimal(functions()[function].parameters, path), path, wrong)
    answer = call_raw(debug_sim, function, params)
    assert answer["errorcode"] == "invalidparameter", answer
    if kind in ("int", "bool"):
        reason = (
            'Invalid external api parameter: the value is "abc", '
            f'the server was expecting "{kind}" type'
        )
    else:
        reason = "Scalar type expected, array or object received."
    assert answer["debuginfo"] == expected_debuginfo(path, reason)


@pytest.mark.parametrize("function", sorted(functions()))
def test_unexpected_parameter(debug_sim: SimClient, function: str) -> None:
    params = {**minimal(functions()[function].parameters), "bogus": "1"}
    answer = call_raw(debug_sim, function, params)
    assert answer["errorcode"] == "invalidparameter"
    assert answer["debuginfo"] == "Unexpected keys (bogus) detected in parameter array."


def test_no_debuginfo_at_normal_debug_level(sim: SimClient) -> None:
    answer = sim.call("core_enrol_get_enrolled_users", courseid="abc")
    assert answer == {
        "exception": "invalid_parameter_exception",
        "errorcode": "invalidparameter",
        "message": WRAP,
    }


def test_array_where_a_scalar_is_expected(debug_sim: SimClient) -> None:
    answer = debug_sim.call("core_enrol_get_enrolled_users", courseid=["1"])
    assert answer["debuginfo"] == (
        f"courseid => {WRAP}: Scalar type expected, array or object received."
    )


def test_scalar_where_a_list_is_expected(debug_sim: SimClient) -> None:
    answer = debug_sim.call("core_group_get_group_members", groupids="3")
    assert answer["debuginfo"] == f"groupids => {WRAP}: Only arrays accepted. The bad value is: '3'"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("12", True),
        ("-3", True),
        ("0", True),
        ("012", False),
        ("+5", False),
        (" 5", False),
        ("5 ", False),
        ("1e3", False),
        ("1.0", False),
        ("", False),
        ("99999999999999999999", False),
    ],
)
def test_int_parameters_accept_only_canonical_integers(
    sim: SimClient, value: str, accepted: bool
) -> None:
    answer = sim.call("core_group_get_course_groups", courseid=value)
    if accepted:
        assert answer.get("errorcode") != "invalidparameter"
    else:
        assert answer["errorcode"] == "invalidparameter"


@pytest.mark.parametrize(
    ("value", "accepted"), [("0", True), ("1", True), ("true", False), ("2", False)]
)
def test_bool_parameters_accept_only_0_and_1(sim: SimClient, value: str, accepted: bool) -> None:
    answer = sim.call("core_course_get_categories", addsubcategories=value)
    assert isinstance(answer, list) is accepted


def test_defaults_are_used_when_absent(sim: SimClient) -> None:
    sim.call("core_course_create_categories", categories=[{"name": "Parent", "idnumber": "P"}])
    sim.call("core_course_create_categories", categories=[{"name": "Child", "parent": 2}])
    by_idnumber = sim.call(
        "core_course_get_categories", criteria=[{"key": "idnumber", "value": "P"}]
    )
    assert [c["name"] for c in by_idnumber] == ["Parent", "Child"]  # addsubcategories defaults to 1
    only = sim.call(
        "core_course_get_categories",
        criteria=[{"key": "idnumber", "value": "P"}],
        addsubcategories=0,
    )
    assert [c["name"] for c in only] == ["Parent"]
