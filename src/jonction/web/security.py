"""Who is asking: session or trusted proxy header, CSRF tokens, and the login wall.

A pure ASGI middleware placed inside Starlette's SessionMiddleware. Every path but the login
page, the language switch and the static files needs an account; every POST carries the
session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import parse_qs, quote

import structlog
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .accounts import Account, AccountStore

log = structlog.get_logger("jonction.web")

PUBLIC_PATHS = frozenset({"/login", "/lang"})
PUBLIC_PREFIXES = ("/static/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 64 * 1024
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

Network = IPv4Network | IPv6Network


def networks(values: Sequence[str]) -> list[Network]:
    return [ip_network(value, strict=False) for value in values]


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def csrf_token(session: dict[str, Any]) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def start_session(session: dict[str, Any], account: Account) -> None:
    """A new session for `account`: a fresh CSRF token, the login time, the account's
    generation (a later password or role change ends it)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session["user"] = account.username
    session["gen"] = account.generation
    session["since"] = int(time.time())
    csrf_token(session)


class AccessGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: AccountStore,
        session_seconds: int,
        proxy_header: str,
        proxies: Sequence[Network],
    ) -> None:
        self.app = app
        self.store = store
        self.session_seconds = session_seconds
        self.proxy_header = proxy_header.lower()
        self.proxies = list(proxies)

    def _from_proxy(self, peer: str) -> bool:
        try:
            address = ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def _session_account(self, session: dict[str, Any]) -> Account | None:
        username = session.get("user")
        if not isinstance(username, str):
            return None
        account = self.store.get(username)
        since = session.get("since")
        expired = not isinstance(since, int) or time.time() - since > self.session_seconds
        if account is None or account.generation != session.get("gen") or expired:
            session.pop("user", None)
            session.pop("gen", None)
            return None
        return account

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        session: dict[str, Any] = scope["session"]
        peer = scope["client"][0] if scope.get("client") else ""
        from_proxy = self._from_proxy(peer)
        client_ip = peer
        forwarded = headers.get("x-forwarded-for")
        if from_proxy and forwarded:
            client_ip = forwarded.split(",")[-1].strip()
        state = scope.setdefault("state", {})
        state["client_ip"] = client_ip

        account: Account | None = None
        if self.proxy_header and self.proxy_header in headers:
            if not from_proxy:
                log.warning("proxy header refused", peer=peer, header=self.proxy_header)
                await PlainTextResponse("403: identity header refused from this address", 403)(
                    scope, receive, send
                )
                return
            username = headers[self.proxy_header].strip()
            account = self.store.get(username) if username else None
            if account is None:
                await PlainTextResponse(
                    "403: no dashboard account for this user; ask an administrator", 403
                )(scope, receive, send)
                return
            state["via_proxy"] = True
        else:
            account = self._session_account(session)
        state["account"] = account
        token = csrf_token(session)

        if scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive)
            if body is None:
                await PlainTextResponse("413: form too large", 413)(scope, receive, send)
                return
            sent = headers.get(CSRF_HEADER) or _form_field(headers, body, CSRF_FIELD)
            if not sent or not secrets.compare_digest(sent, token):
                log.warning("csrf refused", path=scope["path"], client=client_ip)
                await PlainTextResponse("403: missing or wrong CSRF token; reload the page", 403)(
                    scope, receive, send
                )
                return
            receive = _replay(body, receive)

        if account is None and not is_public(scope["path"]):
            response: Response
            if scope["method"] in SAFE_METHODS:
                target = scope["path"] + (
                    "?" + scope["query_string"].decode() if scope["query_string"] else ""
                )
                response = RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            else:
                response = PlainTextResponse("401: log in first", 401)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return None
    return body


def _form_field(headers: Headers, body: bytes, name: str) -> str | None:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("utf-8", "replace")).get(name)
    return values[0] if values else None


def _replay(body: bytes, receive: Receive) -> Receive:
    done = False

    async def replay() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
