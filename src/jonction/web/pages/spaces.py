"""Complementary spaces: the registry (owner, purpose, étapes, end date) and what the last
night found about them (collisions with the catalogue, cohorts or étapes that do not exist)."""

from __future__ import annotations

from datetime import date

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...domain.spaces import STEP, Space
from ...journal import reading
from ...journal.spaces import list_spaces
from ...journal.store import Journal
from ..context import account_of, requires, web
from ..roles import Permission

# What the spaces step reports about a space (its notices' keys are `space:<id>`).
SPACE_NOTICES = (
    "space_conflict",
    "space_duplicates_course",
    "space_is_catalogue_course",
    "space_cohort_collision",
    "space_course_gone",
    "space_unknown_cohort",
    "space_unknown_etape",
)


@requires(Permission.SPACES)
async def spaces_page(request: Request) -> Response:
    context = web(request)
    account = account_of(request)
    show_ended = request.query_params.get("ended") == "1"

    def read() -> tuple[list[Space], dict[str, list[str]]]:
        found = list_spaces(Journal(context.engine))
        notes: dict[str, list[str]] = {}
        for notice in reading.latest_notices(context.engine, STEP, SPACE_NOTICES):
            notes.setdefault(notice["key"], []).append(notice["message"])
        return found, notes

    found, notes = await anyio.to_thread.run_sync(read)
    today = date.today()
    mine = [s for s in found if account.sees_composante(s.composante or None)]
    shown = [s for s in mine if show_ended or not s.expired(today)]
    return context.templates.render(
        request,
        "spaces.html",
        {
            "spaces": shown,
            "ended": sum(1 for s in mine if s.expired(today)),
            "show_ended": show_ended,
            "notes": notes,
            "today": today,
        },
    )


routes = [Route("/spaces", spaces_page, methods=["GET"])]
