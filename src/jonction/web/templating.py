"""Jinja2 templates rendered in the language of the request, with the page's helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .i18n import translations
from .security import CSRF_FIELD, csrf_token


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Templates:
    def __init__(self, timezone: str) -> None:
        self.env = Environment(
            loader=PackageLoader("jonction.web", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.zone = ZoneInfo(timezone)

    def helpers(self, language: str) -> dict[str, Callable[..., Any]]:
        catalogue = translations(language)

        def gettext(message: str, **values: Any) -> str:
            text = catalogue.gettext(message)
            return text % values if values else text

        def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
            text = catalogue.ngettext(singular, plural, n)
            return text % {"n": n, **values}

        def when(moment: datetime | None, form: str = "short") -> str:
            if moment is None:
                return "—"
            aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
            return format_datetime(aware.astimezone(self.zone), form, locale=language)

        def number(value: float | int | None) -> str:
            return "—" if value is None else format_decimal(value, locale=language)

        return {
            "_": gettext,
            "ngettext": ngettext,
            "when": when,
            "number": number,
            "duration": _duration,
        }

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        language: str = request.state.language
        token = csrf_token(request.session)
        values: dict[str, Any] = {
            "request": request,
            "account": getattr(request.state, "account", None),
            "language": language,
            "csrf_token": token,
            "csrf_input": Markup(
                f'<input type="hidden" name="{CSRF_FIELD}" value="{Markup.escape(token)}">'
            ),
            **self.helpers(language),
            **(context or {}),
        }
        html = self.env.get_template(name).render(values)
        return HTMLResponse(html, status_code=status, headers=dict(headers or {}))
