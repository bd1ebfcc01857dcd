"""Small helpers shared by the pages: paging, query strings, the reach of the account."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..context import account_of, web
from ..reach import Reach, reach_of


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


async def reach(request: Request) -> Reach:
    """What the signed-in account reaches (everything, unless restricted to composantes)."""
    from .explain import refer_engine

    context = web(request)
    account = account_of(request)
    if not account.restricted:
        return Reach.everything()

    def compute() -> Reach:
        try:
            refer = refer_engine(context)
        except SQLAlchemyError:  # REFER unreadable: only what names a composante is shown
            refer = None
        return reach_of(account, context.engine, refer, context.extras)

    return await anyio.to_thread.run_sync(compute)
