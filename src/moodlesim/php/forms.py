"""PHP's parsing of form fields into nested arrays, with its `max_input_vars` cut.

`courses[0][customfields][0][shortname]=x` becomes nested dictionaries exactly as PHP builds
`$_POST`: keys that look like canonical integers become integers, `[]` appends, a later value
overwrites an earlier one in place, and only the first `max_input_vars + 1` fields are kept
(PHP registers the field that crosses the limit, then stops, silently).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

PhpValue = str | dict["PhpKey", "PhpValue"]
PhpKey = int | str
PhpArray = dict[PhpKey, PhpValue]

_INT_KEY = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_INT64_MAX = 2**63 - 1


def php_key(index: str) -> PhpKey:
    """PHP's symbol-table key: a canonical decimal integer string becomes an int."""
    if _INT_KEY.match(index):
        value = int(index)
        if -_INT64_MAX - 1 <= value <= _INT64_MAX and index != "-0":
            return value
    return index


def split_urlencoded(body: str) -> list[tuple[str, str]]:
    """Name/value pairs of an application/x-www-form-urlencoded string, in order."""
    return parse_qsl(body, keep_blank_values=True, encoding="utf-8", errors="replace")


def _parse_name(raw: str) -> list[str | None] | None:
    """The path of a field name: base name then indexes (None for `[]`), or None to drop it."""
    name = raw.lstrip(" ")
    bracket = name.find("[")
    base = name if bracket < 0 else name[:bracket]
    if bracket >= 0 and name.find("]", bracket) < 0:
        # An unterminated first bracket is not an index: PHP keeps it in the name.
        base, bracket = name[:bracket] + "_" + name[bracket + 1 :], -1
    base = base.replace(" ", "_").replace(".", "_")
    if not base:
        return None
    path: list[str | None] = [base]
    position = bracket
    while 0 <= position < len(name) and name[position] == "[":
        close = name.find("]", position + 1)
        if close < 0:
            break
        index = name[position + 1 : close]
        path.append(index if index else None)
        position = close + 1
    return path


def _next_index(array: PhpArray) -> int:
    integers = [key for key in array if isinstance(key, int)]
    return max(integers) + 1 if integers else 0


def register(target: PhpArray, raw_name: str, value: str) -> None:
    """Registers one field into `target` the way php_register_variable_ex does."""
    path = _parse_name(raw_name)
    if path is None:
        return
    current = target
    for depth, index in enumerate(path):
        key: PhpKey = _next_index(current) if index is None else php_key(index)
        if depth == len(path) - 1:
            current[key] = value
            return
        child = current.get(key)
        if not isinstance(child, dict):
            child = {}
            current[key] = child
        current = child


def parse_fields(pairs: list[tuple[str, str]], max_input_vars: int) -> PhpArray:
    """The PHP array of a request's fields, keeping only what PHP keeps."""
    result: PhpArray = {}
    for name, value in pairs[: max_input_vars + 1]:
        register(result, name, value)
    return result
