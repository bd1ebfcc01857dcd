"""The dashboard's ASGI application: pages, static files, sessions and the login wall."""

from __future__ import annotations

from ipaddress import ip_address

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..journal.store import Journal
from .accounts import AccountStore
from .context import WebContext, web
from .i18n import pick_language
from .pages import routes as page_routes
from .plan_view import PlanRefresher
from .secret import session_secret
from .security import AccessGuard, networks
from .templating import Templates
from .throttle import LoginThrottle

SESSION_COOKIE = "jonction_session"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def secure_cookies(settings: Settings) -> bool:
    web_settings = settings.web
    if web_settings.cookie_secure != "auto":
        return web_settings.cookie_secure == "always"
    behind_tls = web_settings.tls_certfile is not None or bool(web_settings.proxy_addresses)
    return behind_tls or not _loopback(web_settings.host)


class PageDefaults:
    """Sets the language of the request and the headers every answer carries."""

    def __init__(self, app: ASGIApp, default_language: str) -> None:
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["language"] = pick_language(scope["session"].get("lang"), self.default_language)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not static:  # pages hold personal data: never kept by a browser or proxy
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not hasattr(request.state, "language"):
        request.state.language = web(request).settings.web.language
    return web(request).templates.render(
        request, "error.html", {"status": exc.status_code, "detail": exc.detail}, exc.status_code
    )


def create_app(settings: Settings, journal: Journal | None = None) -> Starlette:
    """The dashboard on the state database of `settings` (or of `journal`)."""
    if journal is None:
        from ..db import make_engine

        journal = Journal(make_engine(settings.state.url))
        journal.ensure_schema()
    web_settings = settings.web
    context = WebContext(
        settings=settings,
        engine=journal.engine,
        accounts=AccountStore(journal.engine),
        templates=Templates(web_settings.timezone),
        throttle=LoginThrottle(web_settings.login_attempts, web_settings.login_window_s),
        refresher=PlanRefresher(settings),
    )
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=session_secret(web_settings),
            session_cookie=SESSION_COOKIE,
            max_age=web_settings.session_minutes * 60,
            same_site="lax",
            https_only=secure_cookies(settings),
        ),
        Middleware(PageDefaults, default_language=web_settings.language),
        Middleware(
            AccessGuard,
            store=context.accounts,
            session_seconds=web_settings.session_minutes * 60,
            proxy_header=web_settings.proxy_header,
            proxies=networks(web_settings.proxy_addresses),
        ),
    ]
    app = Starlette(
        routes=[
            *page_routes(),
            Mount("/static", StaticFiles(packages=[("jonction.web", "static")]), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _error_page},
    )
    app.state.web = context
    return app
