"""Small helpers shared by the pages: paging and query strings."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    try:
        return max(1, min(int(raw), 1_000_000))
    except ValueError:
        raise HTTPException(400, "page must be a number") from None


def with_query(path: str, values: Mapping[str, object]) -> str:
    query = urlencode({k: v for k, v in values.items() if v not in ("", None)})
    return f"{path}?{query}" if query else path


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
