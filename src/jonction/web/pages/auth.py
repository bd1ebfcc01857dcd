"""Logging in and out, the language switch, and the home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..context import account_of, public, signed_in, web
from ..i18n import LANGUAGES
from ..roles import Permission
from ..security import start_session


def _local_target(target: str | None, default: str = "/") -> str:
    """Only paths of this site are followed after login (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@public
async def login_form(request: Request) -> Response:
    context = web(request)
    if getattr(request.state, "account", None) is not None:
        return RedirectResponse(_local_target(request.query_params.get("next")), 303)
    return context.templates.render(
        request,
        "login.html",
        {"next": _local_target(request.query_params.get("next"), ""), "error": ""},
    )


@public
async def login(request: Request) -> Response:
    context = web(request)
    if not context.settings.web.local_login:
        raise HTTPException(404)
    form = await request.form()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = _local_target(str(form.get("next", "")))
    address: str = request.state.client_ip
    error = ""
    if not context.throttle.allowed(username, address):
        error = "throttled"
    else:
        account = context.accounts.authenticate(username, password) if username else None
        if account is not None:
            context.throttle.succeeded(username, address)
            start_session(request.session, account)
            return RedirectResponse(target, 303)
        context.throttle.failed(username, address)
        error = "wrong"
    return context.templates.render(
        request,
        "login.html",
        {"next": target, "error": error, "username": username},
        status=429 if error == "throttled" else 401,
    )


@signed_in
async def logout(request: Request) -> Response:
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return RedirectResponse("/login", 303)


@public
async def switch_language(request: Request) -> Response:
    form = await request.form()
    language = str(form.get("language", ""))
    if language in LANGUAGES:
        request.session["lang"] = language
    return RedirectResponse(_local_target(str(form.get("next", ""))), 303)


@signed_in
async def home(request: Request) -> Response:
    account = account_of(request)
    for permission, path in (
        (Permission.NIGHTS, "/nights"),
        (Permission.EXPLAIN, "/explain"),
    ):
        if account.can(permission):
            return RedirectResponse(path, 303)
    raise HTTPException(403)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/lang", switch_language, methods=["POST"]),
]
