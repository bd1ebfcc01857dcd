"""Anomalies for scolarité: what in Apogée prevents a clean Moodle, by composante, as CSV too."""

from __future__ import annotations

import csv
import io
from collections import Counter

import anyio
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...domain.anomalies import RULES, Anomaly, find_anomalies, journal_anomalies
from ...journal import reading
from ...sources.refer import schema as refer
from ...sources.refer.store import load_snapshot
from ..accounts import Account
from ..context import WebContext, account_of, requires, web
from ..i18n import translations
from ..roles import Permission
from .explain import refer_engine

# The steps whose notices hold anomalies for scolarité, and the kinds of those notices.
# The enrolments step first: of a student both steps report, its notice says what is lost.
NIGHT_NOTICES = {
    "enrolments": (
        "ade_code_without_element",
        "instructor_without_account",
        "instructor_without_key",
        "student_without_account",
    ),
    "users": (
        "student_without_account",
        "student_without_directory_entry",
        "student_without_number",
    ),
    "spaces": (
        "space_conflict",
        "space_duplicates_course",
        "space_is_catalogue_course",
        "space_cohort_collision",
    ),
}


def _latest(context: WebContext) -> tuple[str, object, int | None] | None:
    """REFER's latest year with the time it changed, and the journal's latest run: the
    anomalies change with either."""
    table = refer.refer_year
    with refer_engine(context).connect() as connection:
        row = connection.execute(
            select(table.c.year, table.c.changed_at).order_by(table.c.year.desc()).limit(1)
        ).first()
    return (row.year, row.changed_at, reading.latest_run_id(context.engine)) if row else None


async def all_anomalies(context: WebContext) -> tuple[str | None, list[Anomaly]]:
    """The anomalies of REFER's latest year, computed again only when REFER changed."""
    latest = await anyio.to_thread.run_sync(_latest, context)
    if latest is None:
        return None, []
    cached = context.extras.get("anomalies")
    if cached is not None and cached[0] == latest:
        return latest[0], list(cached[1])
    year = latest[0]

    def compute() -> list[Anomaly]:
        snapshot = load_snapshot(refer_engine(context), year)
        night = journal_anomalies(
            snapshot,
            [
                notice
                for step, kinds in NIGHT_NOTICES.items()
                for notice in reading.latest_notices(context.engine, step, kinds)
            ],
            reading.latest_operations(context.engine, "offer", "course", ["move", "update"]),
        )
        return find_anomalies(snapshot, context.settings.policy.course_natures, night)

    found = await anyio.to_thread.run_sync(compute)
    context.extras["anomalies"] = (latest, found)
    return year, found


def _visible(found: list[Anomaly], account: Account, composante: str, rule: str) -> list[Anomaly]:
    return [
        a
        for a in found
        if account.sees_composante(a.composante)
        and (not composante or a.composante == composante)
        and (not rule or a.rule == rule)
    ]


@requires(Permission.ANOMALIES)
async def anomalies(request: Request) -> Response:
    context = web(request)
    account = account_of(request)
    composante = request.query_params.get("composante", "").strip()[:10]
    rule = request.query_params.get("rule", "").strip()[:40]
    year, found = await all_anomalies(context)
    mine = _visible(found, account, "", "")
    shown = _visible(found, account, composante, rule)
    return context.templates.render(
        request,
        "anomalies.html",
        {
            "year": year,
            "rows": shown[:2000],
            "total": len(shown),
            "counts": Counter(a.rule for a in mine),
            "rules": RULES,
            "composantes": sorted({a.composante for a in mine}),
            "composante": composante,
            "rule": rule,
        },
    )


@requires(Permission.ANOMALIES)
async def anomalies_csv(request: Request) -> Response:
    context = web(request)
    account = account_of(request)
    composante = request.query_params.get("composante", "").strip()[:10]
    rule = request.query_params.get("rule", "").strip()[:40]
    _, found = await all_anomalies(context)
    gettext = translations(request.state.language).gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            gettext(name)
            for name in ("Anomaly", "Composante", "Code", "Label", "Detail", "How to fix it")
        ]
    )
    for item in _visible(found, account, composante, rule):
        writer.writerow(
            [
                gettext(item.rule),
                item.composante,
                item.code,
                item.label,
                item.detail,
                gettext(f"fix:{item.rule}"),
            ]
        )
    # A byte-order mark lets spreadsheet programs read the accents right.
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="anomalies.csv"'},
    )


routes = [
    Route("/anomalies", anomalies, methods=["GET"]),
    Route("/anomalies.csv", anomalies_csv, methods=["GET"]),
]
