"""Tonight's plan: what the next night would change, with the guards it would meet."""

from __future__ import annotations

from collections import Counter
from itertools import islice

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..context import account_of, requires, web
from ..journal_views import OperationFilter
from ..plan_view import PlanFileError, matching_operations, read_saved_night, visible_notices
from ..roles import Permission
from .common import is_htmx, page_number, reach, with_query


@requires(Permission.PLAN)
async def tonight(request: Request) -> Response:
    context = web(request)
    account = account_of(request)
    wanted = OperationFilter.from_query(request.query_params)
    size = context.settings.web.page_size
    page = page_number(request)
    error = ""
    try:
        night = read_saved_night(context.settings.web.plan_file)
    except PlanFileError as exc:
        night, error = None, str(exc)
    values: dict[str, object] = {
        "night": night,
        "error": error,
        "wanted": wanted,
        "refresher": context.refresher,
        "page": page,
    }
    if night is not None:
        seen = await reach(request)
        matching = matching_operations(night.plans, wanted, seen)
        rows = list(islice(matching, (page - 1) * size, page * size))
        # Counting the rest of the generator: the total without keeping every row.
        total = (page - 1) * size + len(rows) + sum(1 for _ in matching)
        visible = Counter(
            (step, op.kind, str(op.action))
            for step, op in matching_operations(night.plans, OperationFilter(), seen)
        )
        values.update(
            rows=rows,
            total=total,
            pages=max(1, -(-total // size)),
            summary=sorted(visible.items()),
            violations=night.violations(context.settings) if not account.restricted else {},
            notices=visible_notices(night.plans, seen)[:500],
            facets={
                "step": [plan.step for plan in night.plans],
                "kind": sorted({op.kind for plan in night.plans for op in plan.operations}),
                "action": sorted(
                    {str(op.action) for plan in night.plans for op in plan.operations}
                ),
            },
            page_url=lambda n: with_query("/plan", {**wanted.as_query(), "page": n}),
        )
    template = "plan_table.html" if is_htmx(request) and night is not None else "plan.html"
    return context.templates.render(request, template, values, headers={"Vary": "HX-Request"})


@requires(Permission.ACT)
async def refresh(request: Request) -> Response:
    web(request).refresher.start()
    return RedirectResponse("/plan", 303)


routes = [
    Route("/plan", tonight, methods=["GET"]),
    Route("/plan/refresh", refresh, methods=["POST"]),
]
