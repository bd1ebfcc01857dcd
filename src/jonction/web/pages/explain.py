"""Explain: every course and group a person is in or should be in, and why."""

from __future__ import annotations

import functools

import anyio
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...explain.service import answer
from ...sources.refer.store import open_refer
from ..context import WebContext, account_of, requires, web
from ..roles import Permission


def refer_engine(context: WebContext) -> Engine:
    """REFER's engine, opened (and its schema checked) on first use."""
    engine = context.extras.get("refer")
    if engine is None:
        engine = open_refer(context.settings)
        context.extras["refer"] = engine
    assert isinstance(engine, Engine)
    return engine


@requires(Permission.EXPLAIN)
async def explain_page(request: Request) -> Response:
    context = web(request)
    account = account_of(request)
    query = request.query_params.get("who", "").strip()[:100]
    course = request.query_params.get("course", "").strip()[:100]
    values: dict[str, object] = {"query": query, "course": course, "result": None, "error": ""}
    if query:
        try:
            values["result"] = await anyio.to_thread.run_sync(
                functools.partial(
                    answer,
                    context.settings,
                    refer_engine(context),
                    context.engine,
                    query,
                    composantes=account.composantes if account.restricted else None,
                    course=course or None,
                )
            )
        except SQLAlchemyError as exc:
            values["error"] = f"REFER: {type(exc).__name__}"
    return context.templates.render(request, "explain.html", values)


routes = [Route("/explain", explain_page, methods=["GET"])]
