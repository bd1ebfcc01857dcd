"""Nights: the runs and their steps, charts over time, a run's operations and notices."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...journal import reading
from .. import journal_views as views
from ..charts import stacked_bars
from ..context import requires, web
from ..roles import Permission
from .common import is_htmx, page_number, reach, with_query

CHART_NIGHTS = 30


def _charts(chronological: list[reading.RunView], _: Callable[..., str]) -> dict[str, str]:
    labels = [f"#{run.id}" for run in chronological]
    changes = {
        _("applied"): [float(run.outcomes().get("applied", 0)) for run in chronological],
        _("failed"): [float(run.outcomes().get("failed", 0)) for run in chronological],
    }
    steps = list(dict.fromkeys(step.step for run in chronological for step in run.steps))
    durations = {
        name: [
            sum((step.seconds or 0.0) for step in run.steps if step.step == name) / 60
            for run in chronological
        ]
        for name in steps
    }
    return {
        "changes": stacked_bars(_("Changes per run"), labels, changes),
        "durations": stacked_bars(_("Minutes per step"), labels, durations, " min"),
    }


@requires(Permission.NIGHTS)
async def nights(request: Request) -> Response:
    context = web(request)
    size = context.settings.web.page_size
    page = page_number(request)
    runs = reading.recent_runs(context.engine, size, (page - 1) * size)
    total = reading.count_runs(context.engine)
    helpers = context.templates.helpers(request.state.language)
    history = list(reversed(reading.recent_runs(context.engine, CHART_NIGHTS)))
    return context.templates.render(
        request,
        "nights.html",
        {
            "runs": runs,
            "charts": _charts(history, helpers["_"]),
            "history": history,
            "page": page,
            "pages": max(1, -(-total // size)),
            "total": total,
        },
    )


def _run_or_404(request: Request) -> reading.RunView:
    run = reading.get_run(web(request).engine, request.path_params["run_id"])
    if run is None:
        raise HTTPException(404)
    return run


@requires(Permission.NIGHTS)
async def run_detail(request: Request) -> Response:
    run = _run_or_404(request)
    return web(request).templates.render(request, "run.html", {"run": run})


@requires(Permission.OPERATIONS)
async def run_operations(request: Request) -> Response:
    context = web(request)
    run = _run_or_404(request)
    wanted = views.OperationFilter.from_query(request.query_params)
    size = context.settings.web.page_size
    page = page_number(request)
    rows, total = views.operation_page(
        context.engine, run.id, wanted, await reach(request), size, (page - 1) * size
    )
    values = {
        "run": run,
        "rows": rows,
        "total": total,
        "wanted": wanted,
        "facets": views.operation_facets(context.engine, run.id),
        "page": page,
        "pages": max(1, -(-total // size)),
        "page_url": lambda n: with_query(
            f"/runs/{run.id}/operations", {**wanted.as_query(), "page": n}
        ),
    }
    template = "operations_table.html" if is_htmx(request) else "operations.html"
    return context.templates.render(request, template, values, headers={"Vary": "HX-Request"})


@requires(Permission.OPERATIONS)
async def run_notices(request: Request) -> Response:
    context = web(request)
    run = _run_or_404(request)
    text = request.query_params.get("text", "").strip()[:200]
    rows, total = views.run_notices(context.engine, run.id, await reach(request), text)
    return context.templates.render(
        request, "notices.html", {"run": run, "rows": rows, "total": total, "text": text}
    )


routes = [
    Route("/nights", nights, methods=["GET"]),
    Route("/runs/{run_id:int}", run_detail, methods=["GET"]),
    Route("/runs/{run_id:int}/operations", run_operations, methods=["GET"]),
    Route("/runs/{run_id:int}/notices", run_notices, methods=["GET"]),
]
