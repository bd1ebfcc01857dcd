"""external_api::clean_returnvalue and the REST server's XML rendering.

Cleaning keeps only the described keys, in the description's order (that is the order of keys
in Moodle's JSON), leaves out absent optional keys, and casts booleans and integers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from ..php.text import htmlspecialchars
from .errors import MoodleError
from .spec import DEFAULT, REQUIRED, Multiple, Node, Single, Value

Cleaner = Callable[[Any], Any]


def _response_error(debuginfo: str) -> MoodleError:
    return MoodleError(
        "invalid_response_exception",
        "invalidresponse",
        "Invalid response value detected",
        debuginfo,
    )


def _value_cleaner(node: Value) -> Cleaner:
    if node.type == "bool":

        def clean_bool(value: Any) -> Any:
            return None if value is None else bool(value)

        return clean_bool
    if node.type == "int":

        def clean_int(value: Any) -> Any:
            if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                return value
            if isinstance(value, bool):
                return int(value)
            try:
                return int(value)
            except (TypeError, ValueError):
                raise _response_error(f"Invalid external api response: {value!r}") from None

        return clean_int
    if node.type == "float":
        return lambda value: None if value is None else float(value)
    return lambda value: value


def _single_cleaner(node: Single) -> Cleaner:
    parts = [(key, _cleaner(sub), sub.required, sub.default) for key, sub in node.keys.items()]

    def clean_single(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _response_error("Only arrays accepted.")
        result: dict[str, Any] = {}
        for key, cleaner, required, default in parts:
            if key in value:
                result[key] = cleaner(value[key])
            elif required == REQUIRED:
                raise _response_error(
                    "Error in response - Missing following required key in a single structure: "
                    + key
                )
            elif required == DEFAULT:
                result[key] = cleaner(default)
        return result

    return clean_single


def _multiple_cleaner(node: Multiple) -> Cleaner:
    content = _cleaner(node.content)

    def clean_multiple(value: Any) -> Any:
        if value is None:
            return []
        items = value.values() if isinstance(value, dict) else value
        return [content(item) for item in items]

    return clean_multiple


@cache
def _cleaner(node: Node) -> Cleaner:
    if isinstance(node, Value):
        return _value_cleaner(node)
    if isinstance(node, Single):
        return _single_cleaner(node)
    return _multiple_cleaner(node)


def clean_returnvalue(node: Node | None, value: Any) -> Any:
    if node is None:
        return None
    return _cleaner(node)(value)


def xmlize(value: Any, node: Node | None) -> str:
    """webservice_rest_server::xmlize_result: every described key, absent ones as null."""
    if node is None:
        return ""
    if isinstance(node, Value):
        if value is None:
            return '<VALUE null="null"/>\n'
        if isinstance(value, bool):
            value = int(value)
        return f"<VALUE>{htmlspecialchars(str(value))}</VALUE>\n"
    if isinstance(node, Multiple):
        inner = "".join(xmlize(item, node.content) for item in (value or []))
        return f"<MULTIPLE>\n{inner}</MULTIPLE>\n"
    fields = value if isinstance(value, dict) else {}
    inner = "".join(
        f'<KEY name="{key}">{xmlize(fields.get(key), sub)}</KEY>\n'
        for key, sub in node.keys.items()
    )
    return f"<SINGLE>\n{inner}</SINGLE>\n"
