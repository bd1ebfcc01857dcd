"""The ASGI application: Moodle's REST endpoint and the simulator's admin endpoints.

    POST|GET /webservice/rest/server.php   Moodle's REST protocol (faults apply here only)
    GET  /admin/stats                      simulated server cost, total and per function
    POST /admin/reset_stats
    POST /admin/settings                   debug=0|1, fault_rate=R
    POST /admin/enrol_database_sync        runs Moodle's enrol_database sync
    POST /admin/course_access              courseid=C userid=U: U opens course C

Admin endpoints need the web service token: `wstoken` in the form or query, or the header
`X-Moodlesim-Token`.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import SimulatorConfig
from .faults import Fault
from .php.forms import PhpArray, parse_fields, split_urlencoded
from .simulator import Simulator
from .ws.rest import render_error, render_result

_SETTING_PREFIX = "moodlewssetting"
_UNAVAILABLE = (
    "<html><head><title>503 Service Temporarily Unavailable</title></head>"
    "<body><h1>503 Service Temporarily Unavailable</h1></body></html>"
)
_GATEWAY_TIMEOUT = (
    "<html><head><title>504 Gateway Time-out</title></head>"
    "<body><h1>504 Gateway Time-out</h1></body></html>"
)


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    body = await request.body()
    return split_urlencoded(body.decode("utf-8", errors="replace"))


def _site_url(simulator: Simulator, request: Request) -> str:
    return simulator.config.site_url or str(request.base_url).rstrip("/")


async def _server_php(request: Request) -> Response:
    simulator: Simulator = request.app.state.simulator
    limit = simulator.config.max_input_vars
    params: PhpArray = parse_fields(split_urlencoded(request.url.query), limit)
    if request.method == "POST":
        # array_merge($_GET, $_POST): the body wins.
        params.update(parse_fields(await _form_pairs(request), limit))
    restformat = params.pop("moodlewsrestformat", "xml")
    if restformat not in ("json", "xml"):
        restformat = "xml"
    token = params.pop("wstoken", None)
    function = params.pop("wsfunction", None)
    for key in [k for k in params if str(k).startswith(_SETTING_PREFIX)]:
        del params[key]
    outcome, fault = await simulator.call(token, function, params, _site_url(simulator, request))
    if fault in (Fault.UNAVAILABLE_BEFORE, Fault.UNAVAILABLE_AFTER):
        return Response(_UNAVAILABLE, status_code=503, media_type="text/html")
    if outcome is None:
        return Response(_GATEWAY_TIMEOUT, status_code=504, media_type="text/html")
    assert isinstance(restformat, str)
    if outcome.error is not None:
        body, content_type = render_error(restformat, outcome.error, simulator.debug)
    else:
        returns = outcome.spec.returns if outcome.spec else None
        body, content_type = render_result(restformat, outcome.result, returns)
    return Response(body, status_code=200, headers={"content-type": content_type})


async def _admin_token(request: Request) -> str | None:
    token = request.headers.get("x-moodlesim-token") or request.query_params.get("wstoken")
    if token is None and request.method == "POST":
        token = dict(await _form_pairs(request)).get("wstoken")
    return token


async def _authorised(request: Request) -> Simulator | None:
    simulator: Simulator = request.app.state.simulator
    return simulator if await _admin_token(request) == simulator.config.token else None


def _forbidden() -> JSONResponse:
    return JSONResponse({"error": "invalid token"}, status_code=403)


async def _stats(request: Request) -> Response:
    simulator = await _authorised(request)
    if simulator is None:
        return _forbidden()
    return JSONResponse(simulator.stats.as_dict())


async def _reset_stats(request: Request) -> Response:
    simulator = await _authorised(request)
    if simulator is None:
        return _forbidden()
    simulator.reset_stats()
    return JSONResponse({"reset": True})


async def _settings(request: Request) -> Response:
    simulator = await _authorised(request)
    if simulator is None:
        return _forbidden()
    form = dict(await _form_pairs(request))
    try:
        if "debug" in form:
            simulator.debug = form["debug"] not in ("", "0", "false")
        if "fault_rate" in form:
            rate = float(form["fault_rate"])
            if not 0.0 <= rate <= 1.0:
                raise ValueError
            simulator.faults.rate = rate
    except ValueError:
        return JSONResponse({"error": "fault_rate must be a number from 0 to 1"}, status_code=400)
    try:
        if "sync_scale" in form:
            scale = float(form["sync_scale"])
            if not scale >= 0.0:
                raise ValueError
            simulator.sync_scale = scale
    except ValueError:
        return JSONResponse({"error": "sync_scale must be a number, 0 or more"}, status_code=400)
    return JSONResponse(
        {
            "debug": simulator.debug,
            "fault_rate": simulator.faults.rate,
            "sync_scale": simulator.sync_scale,
        }
    )


async def _enrol_database_sync(request: Request) -> Response:
    simulator = await _authorised(request)
    if simulator is None:
        return _forbidden()
    try:
        summary: dict[str, Any] = await simulator.enrol_database_sync()
    except LookupError as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    except Exception as exc:  # the external database is unreachable or the table is wrong
        return JSONResponse(
            {"error": f"Error reading data from the external enrolment table: {exc}"},
            status_code=500,
        )
    return JSONResponse(summary)


async def _course_access(request: Request) -> Response:
    simulator = await _authorised(request)
    if simulator is None:
        return _forbidden()
    form = dict(await _form_pairs(request))
    try:
        course, user = int(form["courseid"]), int(form["userid"])
        when = int(form.get("time") or time.time())
    except (KeyError, ValueError):
        return JSONResponse({"error": "courseid and userid are numbers"}, status_code=400)
    await simulator.record_course_access(course, user, when)
    return JSONResponse({"courseid": course, "userid": user, "timeaccess": when})


def create_app(
    config: SimulatorConfig | None = None, simulator: Simulator | None = None
) -> Starlette:
    """The simulator as an ASGI app (serve it with uvicorn, or use httpx.ASGITransport)."""
    if simulator is None:
        if config is None:
            raise ValueError("create_app needs a config or a simulator")
        simulator = Simulator(config)
    routes = [
        Route("/webservice/rest/server.php", _server_php, methods=["GET", "POST"]),
        Route("/admin/stats", _stats, methods=["GET"]),
        Route("/admin/reset_stats", _reset_stats, methods=["POST"]),
        Route("/admin/settings", _settings, methods=["POST"]),
        Route("/admin/enrol_database_sync", _enrol_database_sync, methods=["POST"]),
        Route("/admin/course_access", _course_access, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.simulator = simulator
    return app
