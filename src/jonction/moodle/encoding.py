"""Moodle's REST parameter encoding: nested values flattened the way PHP parses forms.

`{"courses": [{"fullname": "A", "customfields": [{"shortname": "x"}]}]}` becomes the form
fields `courses[0][fullname]=A` and `courses[0][customfields][0][shortname]=x`. Booleans
are sent as 1/0 (PHP's PARAM_BOOL), numbers in decimal. A `None` value in a mapping means
"not sent" (an optional parameter left out); `None` in a list is an error, since PHP would
see a hole in the array.

Every form field counts against PHP's `max_input_vars`, which silently drops the excess:
`field_count` is what batching measures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

FormFields = list[tuple[str, str]]

_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def encode_params(params: Mapping[str, Any]) -> FormFields:
    """The form fields of `params`, in order."""
    fields: FormFields = []
    for name, value in params.items():
        _check_name(name)
        _flatten(name, value, fields)
    return fields


def field_count(params: Mapping[str, Any]) -> int:
    """How many form fields `params` makes (what PHP counts against max_input_vars)."""
    return len(encode_params(params))


def form_body(fields: FormFields) -> bytes:
    """The application/x-www-form-urlencoded body of `fields`."""
    return urlencode(fields).encode("ascii")


def _check_name(name: object) -> None:
    # PHP rewrites or splits names holding brackets, dots or spaces: refuse them.
    if not isinstance(name, str | int) or not _NAME.match(str(name)):
        raise ValueError(f"parameter name {name!r} cannot be sent to Moodle")


def _flatten(name: str, value: Any, fields: FormFields) -> None:
    if isinstance(value, bool):
        fields.append((name, "1" if value else "0"))
    elif isinstance(value, int):
        fields.append((name, str(value)))
    elif isinstance(value, float):
        fields.append((name, repr(value)))
    elif isinstance(value, str):
        fields.append((name, value))
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _check_name(key)
            if inner is not None:
                _flatten(f"{name}[{key}]", inner, fields)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for index, inner in enumerate(value):
            if inner is None:
                raise ValueError(f"{name}[{index}] is None: Moodle cannot receive a hole")
            _flatten(f"{name}[{index}]", inner, fields)
    elif value is None:
        # A top-level None: the parameter is simply not sent.
        return
    else:
        raise TypeError(f"{name}: cannot send a {type(value).__name__} to Moodle")
