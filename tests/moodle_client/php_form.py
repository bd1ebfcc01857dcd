"""An independent reading of a form body the way PHP builds $_POST: `a[b][0]=v` nests.

Written for the tests only, from PHP's documented behaviour, so that the client's encoder is
checked against something that does not share its code.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_PART = re.compile(r"\[([^\[\]]*)\]")


def parse_name(name: str) -> list[str]:
    head, _, rest = name.partition("[")
    parts = [head]
    if rest:
        parts += _PART.findall("[" + rest)
    return parts


def php_decode(body: str | bytes) -> dict[str, Any]:
    """The nested PHP array of a urlencoded body (later duplicates win, as in PHP)."""
    return php_decode_fields(php_fields(body))


def php_decode_fields(fields: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name, value in fields:
        node = root
        parts = parse_name(name)
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


def as_lists(value: Any) -> Any:
    """PHP arrays whose keys are 0..n-1 become lists (what Moodle sees as a list)."""
    if isinstance(value, dict):
        converted = {k: as_lists(v) for k, v in value.items()}
        if converted and list(converted) == [str(i) for i in range(len(converted))]:
            return list(converted.values())
        return converted
    return value


def php_fields(body: str | bytes) -> list[tuple[str, str]]:
    text = body.decode("ascii") if isinstance(body, bytes) else body
    return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
