"""What every page shares: the settings, the state database, the accounts, the templates,
and the decorators that say who may open a page."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..config import Settings
from .accounts import Account, AccountStore
from .plan_view import PlanRefresher
from .roles import Permission
from .templating import Templates
from .throttle import LoginThrottle

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    accounts: AccountStore
    templates: Templates
    throttle: LoginThrottle
    refresher: PlanRefresher
    extras: dict[str, Any] = field(default_factory=dict)


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def account_of(request: Request) -> Account:
    account: Account | None = getattr(request.state, "account", None)
    if account is None:  # the access guard lets no anonymous request reach a page
        raise HTTPException(401)
    return account


def requires(permission: Permission) -> Callable[[Endpoint], Endpoint]:
    """Marks a page as needing `permission`; others get 403."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if not account_of(request).can(permission):
                raise HTTPException(403)
            return await endpoint(request)

        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(endpoint: Endpoint) -> Endpoint:
    """Marks a page open to anonymous visitors (the login page only)."""
    endpoint.public = True  # type: ignore[attr-defined]
    return endpoint


def signed_in(endpoint: Endpoint) -> Endpoint:
    """Marks a page open to every signed-in account whatever its role."""
    endpoint.signed_in = True  # type: ignore[attr-defined]
    return endpoint
