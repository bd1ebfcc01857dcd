"""ADE's web API (`/jsp/webapi`): one GET per call, every argument in the query string.

A session is opened with `connect` (login and password in the query, HTTP Basic, or an
encrypted `data=` token) and bound to the year's project with `setProject`. Sessions die
without a documented answer, so a data call that gets an `error` root, a transport fault or
an answer of the wrong shape reconnects once, chooses the project again and retries once.
`disconnect` ends the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from types import TracebackType
from typing import TypeVar

import httpx
import structlog

from ...config.directory import AdeSection
from .model import Activity, AdeError, AdeFormatError, Event, Resource
from .parse import (
    check_disconnected,
    check_project,
    format_request_date,
    parse_activities,
    parse_events,
    parse_resources,
    parse_session,
)

T = TypeVar("T")
log = structlog.get_logger("jonction.ade")


def chunks(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


class AdeClient:
    """An open ADE session; use as `async with AdeClient(section) as ade:`."""

    def __init__(
        self, section: AdeSection, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if not section.url:
            raise AdeError("[ade] url is empty: no web API to read")
        if section.project_id is None:
            raise AdeError("[ade] project_id is missing: ADE needs the project of the year")
        self.section = section
        self.project_id = section.project_id
        self.session: str | None = None
        self.calls = 0
        self.reconnections = 0
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(section.read_timeout_s, connect=section.connect_timeout_s),
            verify=section.verify_tls,
            transport=transport,
        )

    async def __aenter__(self) -> AdeClient:
        try:
            await self.open()
        except BaseException:
            await self._http.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # Transport ------------------------------------------------------------------------------

    async def _get(self, params: dict[str, str], auth: httpx.Auth | None = None) -> bytes:
        function = params.get("function", "connect")
        self.calls += 1
        try:
            response = await self._http.get(self.section.url, params=params, auth=auth)
        except httpx.TransportError as exc:
            # The message of a transport error never carries the query (and its password).
            raise AdeError(f"{function}: ADE unreachable ({type(exc).__name__}: {exc})") from None
        if response.status_code != 200:
            raise AdeFormatError(f"{function}: ADE answered HTTP {response.status_code}")
        return response.content

    # Session --------------------------------------------------------------------------------

    async def _connect(self) -> str:
        section = self.section
        password = section.password.get_secret_value() if section.password else ""
        if section.auth == "token":
            if section.token is None or not section.token.get_secret_value():
                raise AdeError("[ade] auth = token needs token (or JONCTION_ADE_TOKEN)")
            return parse_session(await self._get({"data": section.token.get_secret_value()}))
        if not section.login:
            raise AdeError(f"[ade] auth = {section.auth} needs login and password")
        if section.auth == "basic":
            basic = httpx.BasicAuth(section.login, password)
            return parse_session(await self._get({"function": "connect"}, auth=basic))
        return parse_session(
            await self._get({"function": "connect", "login": section.login, "password": password})
        )

    async def open(self) -> None:
        """A new session, bound to the project (every new session must choose it again)."""
        self.session = await self._connect()
        check_project(
            await self._get(
                {
                    "function": "setProject",
                    "projectId": str(self.project_id),
                    "sessionId": self.session,
                }
            ),
            self.project_id,
        )

    async def close(self) -> None:
        try:
            if self.session is not None:
                check_disconnected(
                    await self._get({"function": "disconnect", "sessionId": self.session})
                )
        except AdeError as exc:
            log.warning("ADE disconnect failed", error=str(exc))
        finally:
            self.session = None
            await self._http.aclose()

    async def call(self, function: str, params: dict[str, str], parse: Callable[[bytes], T]) -> T:
        """A data call; on a dead session or a strange answer: reconnect once, retry once."""
        if self.session is None:
            await self.open()
        try:
            return parse(
                await self._get({"function": function, "sessionId": str(self.session), **params})
            )
        except AdeError as exc:
            log.info("ADE call failed, reconnecting once", function=function, error=str(exc))
        self.reconnections += 1
        await self.open()
        try:
            return parse(
                await self._get({"function": function, "sessionId": str(self.session), **params})
            )
        except AdeError as exc:
            raise AdeError(f"{exc} (after reconnecting)") from None

    # Data -----------------------------------------------------------------------------------

    async def resources(self, category: str) -> list[Resource]:
        """Every resource of a category, flat, at detail 11 (with `code` and `email`)."""
        params = {"tree": "false", "category": category, "detail": "11"}
        what = f"getResources category={category}"
        return await self.call(
            "getResources", params, lambda body: parse_resources(body, what, category)
        )

    async def events(self, resource_ids: Sequence[str], first: date, last: date) -> list[Event]:
        """The events of these resources between two days, asked by chunks of ids."""
        found: list[Event] = []
        for chunk in chunks(resource_ids, self.section.chunk_size):
            params = {
                "resources": "|".join(chunk),
                "startDate": format_request_date(first),
                "endDate": format_request_date(last),
                "detail": "8",
            }
            found.extend(await self.call("getEvents", params, parse_events))
        return found

    async def activities(self, resource_ids: Sequence[str]) -> list[Activity]:
        """The activities of these resources, at detail 9 (with `code`)."""
        found: list[Activity] = []
        for chunk in chunks(resource_ids, self.section.chunk_size):
            params = {"tree": "false", "resources": "|".join(chunk), "detail": "9"}
            found.extend(await self.call("getActivities", params, parse_activities))
        return found
