"""Shared helpers of the simulator's tests: a simulator served in-process, and its callers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from moodlesim import Simulator, create_app

T = TypeVar("T")
FORM = {"content-type": "application/x-www-form-urlencoded"}

TOKEN = "feedfacecafebeef0000000000000000"


class SimClient:
    """A simulator served in-process (ASGI) on its own event loop thread, called synchronously."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.app = create_app(simulator=simulator)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client = self.run(self._make_client())

    async def _make_client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://moodle.test", timeout=None)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.start(coroutine).result()

    def start(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Runs `coroutine` on the simulator's loop without waiting for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def post(
        self,
        fields: list[tuple[str, str]] | dict[str, str],
        path: str = "/webservice/rest/server.php",
    ) -> httpx.Response:
        return self.start_post(fields, path).result()

    def start_post(
        self,
        fields: list[tuple[str, str]] | dict[str, str],
        path: str = "/webservice/rest/server.php",
    ) -> Future[httpx.Response]:
        body = urlencode(list(fields.items()) if isinstance(fields, dict) else fields)
        return self.start(self.client.post(path, content=body, headers=FORM))

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.run(self.client.get(path, params=params))

    def admin(self, path: str, **fields: str) -> httpx.Response:
        return self.post({"wstoken": TOKEN, **fields}, path=f"/admin/{path}")

    def call(self, function: str, **params: Any) -> Any:
        """Calls a function with nested parameters; returns the decoded JSON answer."""
        response = self.start_call(function, **params).result()
        assert response.status_code == 200, response.text
        return response.json()

    def start_call(self, function: str, **params: Any) -> Future[httpx.Response]:
        """The same call, without waiting for its answer."""
        fields = [("wstoken", TOKEN), ("wsfunction", function), ("moodlewsrestformat", "json")]
        return self.start_post(fields + flatten(params))

    def close(self) -> None:
        self.run(self.client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        self.simulator.close()


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Moodle's REST encoding of nested parameters (a test helper, not the client's)."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        if isinstance(value, bool):
            value = int(value)
        return [(prefix, str(value))]
    fields: list[tuple[str, str]] = []
    for key, sub in items:
        fields += flatten(sub, f"{prefix}[{key}]" if prefix else str(key))
    return fields
