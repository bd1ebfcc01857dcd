"""PHP's json_encode with default flags: `\\/` for slashes, `\\uXXXX` for non-ASCII."""

from __future__ import annotations

import json
from typing import Any


def json_encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")
