"""The dashboard's pages, one module per subject; `routes()` lists them all."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import anomalies, auth, explain, nights, plan, spaces


def routes() -> list[BaseRoute]:
    return [
        *auth.routes,
        *nights.routes,
        *plan.routes,
        *explain.routes,
        *anomalies.routes,
        *spaces.routes,
    ]
