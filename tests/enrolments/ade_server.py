"""A small ADE web API for tests: serves saved answers through the real query protocol.

connect (login/password in the query, HTTP Basic, or a data= token), setProject, getProjects,
getResources (by category or id, flat), getEvents (by resources and a month-first date
range), getActivities (by resources), disconnect. Sessions can be made to expire; the server
then answers an `error` root, as ADE does for faults. Every request is recorded.

It reads the XML with ElementTree on its own, on purpose: it shares no code with the client.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "/jsp/webapi"
# Element and root names of getResources filtered by category (README §4.2, shape 2).
CATEGORY_TAGS = {
    "instructor": ("instructors", "instructor"),
    "classroom": ("rooms", "room"),
    "trainee": ("trainees", "trainee"),
}


def _xml(element: ET.Element) -> Response:
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8")
    return Response(body, media_type="text/xml; charset=UTF-8")


def _error(name: str, trace: str) -> Response:
    return _xml(ET.Element("error", name=name, trace=trace))


def _request_date(value: str) -> date:
    # Month first, as ADE reads it; a day-first date would be refused or misread.
    return datetime.strptime(value, "%m/%d/%Y").date()


@dataclass
class AdeServer:
    resources_xml: bytes
    events_xml: bytes
    activities_xml: bytes | None = None
    login: str = "jonction"
    password: str = "s3cret"
    token: str = "0a1b2c3d4e,1"
    project_id: int = 7
    max_ids: int = 100
    requests: list[dict[str, str]] = field(default_factory=list)
    sessions: dict[str, int | None] = field(default_factory=dict)
    # Answer the next N data calls with an empty body (an "unexpected answer").
    empty_answers: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.resources = list(ET.fromstring(self.resources_xml))
        self.events = list(ET.fromstring(self.events_xml).iter("event"))
        self.activities = (
            list(ET.fromstring(self.activities_xml).iter("activity")) if self.activities_xml else []
        )
        self.app = Starlette(routes=[Route(PATH, self.endpoint)])

    def expire_sessions(self) -> None:
        """Every open session dies (as after an ADE restart or a timeout)."""
        self.sessions.clear()

    def calls(self, function: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("function", "connect") == function]

    async def endpoint(self, request: Request) -> Response:
        params = dict(request.query_params)
        recorded = dict(params)
        if "authorization" in request.headers:
            recorded["_authorization"] = request.headers["authorization"]
        self.requests.append(recorded)
        function = params.get("function")
        if function is None and "data" in params:
            return self._connect_token(params["data"])
        if function == "connect":
            return self._connect(params, request.headers.get("authorization", ""))
        if function == "getProjects":
            project = ET.Element("project", id=str(self.project_id), name="2026-2027")
            root = ET.Element("projects")
            root.append(project)
            return _xml(root)
        session = params.get("sessionId", "")
        if function == "disconnect":
            self.sessions.pop(session, None)
            return _xml(ET.Element("disconnected", sessionId=session))
        if session not in self.sessions:
            return _error("java.lang.NullPointerException", "no session " + session)
        if function == "setProject":
            if params.get("projectId") != str(self.project_id):
                return _error("com.adesoft.errors.ProjectException", "unknown project")
            self.sessions[session] = self.project_id
            return _xml(ET.Element("setProject", projectId=params["projectId"], sessionId=session))
        if self.sessions[session] is None:
            return _error("java.lang.IllegalStateException", "no project chosen")
        if self.empty_answers > 0:
            self.empty_answers -= 1
            return Response(b"", media_type="text/xml")
        if function == "getResources":
            return self._resources(params)
        if function == "getEvents":
            return self._events(params)
        if function == "getActivities":
            return self._activities(params)
        return Response(b"", media_type="text/xml")  # an unknown function: empty body

    def _new_session(self) -> Response:
        session = f"{next(self._ids):x}cef878c17"
        self.sessions[session] = None
        return _xml(ET.Element("session", id=session))

    def _connect(self, params: dict[str, str], authorization: str) -> Response:
        login, password = params.get("login"), params.get("password")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            login, _, password = decoded.partition(":")
        if (login, password) != (self.login, self.password):
            return _error("com.adesoft.errors.LoginException", "bad login or password")
        return self._new_session()

    def _connect_token(self, data: str) -> Response:
        if data != self.token:
            return _error("com.adesoft.errors.LoginException", "bad token")
        return self._new_session()

    def _ids_param(self, params: dict[str, str], name: str) -> set[str] | Response:
        ids = [part for part in params.get(name, "").split("|") if part]
        if len(ids) > self.max_ids:
            return _error("java.lang.IllegalArgumentException", "URL too long")
        return set(ids)

    def _resources(self, params: dict[str, str]) -> Response:
        category = params.get("category")
        wanted = [
            r
            for r in self.resources
            if (category is None or r.get("category") == category)
            and ("id" not in params or r.get("id") == params["id"])
        ]
        if category is None:
            root_tag, tag = "resources", "resource"
        else:
            root_tag, tag = CATEGORY_TAGS.get(category, ("resources", category))
        root = ET.Element(root_tag)
        for resource in wanted:
            copy = ET.SubElement(root, tag, dict(resource.attrib))
            copy.extend(list(resource))
        return _xml(root)

    def _events(self, params: dict[str, str]) -> Response:
        ids = self._ids_param(params, "resources")
        if isinstance(ids, Response):
            return ids
        try:
            first = _request_date(params["startDate"])
            last = _request_date(params["endDate"])
        except (KeyError, ValueError):
            return _error("java.text.ParseException", "Unparseable date")
        root = ET.Element("events")
        for event in self.events:
            day = datetime.strptime(event.get("date", ""), "%d/%m/%Y").date()
            on = {r.get("id") for r in event.iter("resource")}
            if first <= day <= last and (not ids or on & ids):
                root.append(event)
        return _xml(root)

    def _activities(self, params: dict[str, str]) -> Response:
        ids = self._ids_param(params, "resources")
        if isinstance(ids, Response):
            return ids
        used = {
            event.get("activityId")
            for event in self.events
            if not ids or {r.get("id") for r in event.iter("resource")} & ids
        }
        root = ET.Element("activities")
        for activity in self.activities:
            if activity.get("id") in used:
                root.append(activity)
        return _xml(root)


@contextlib.contextmanager
def serving(server: AdeServer) -> Iterator[str]:
    """The server over real HTTP on a free port, from a thread; yields the web API's URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(server.app, log_level="warning", access_log=False, lifespan="off")
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not http.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        http.should_exit = True
        thread.join(timeout=10)
        sock.close()
