"""One web service call over HTTP: encoding, the in-flight bound, retries, accounting.

The token travels only in the POST body; it is never put in a URL, a log line, an
exception message or a repr, and any text Moodle sends back is scrubbed of it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from .encoding import FormFields, encode_params, form_body
from .errors import (
    MoodleConnectionError,
    MoodleDecodeError,
    MoodleError,
    MoodleHTTPError,
    MoodleServerError,
    MoodleTimeout,
    MoodleTransportError,
    error_from_payload,
)
from .stats import CallKind, CallRecord, CallStats, current_caller

ENDPOINT = "/webservice/rest/server.php"
# wstoken, wsfunction, moodlewsrestformat: sent first so that PHP can never drop them.
FIXED_FIELDS = 3

log = structlog.get_logger("jonction.moodle")


class TooManyFields(MoodleError):
    """A request that PHP's max_input_vars would silently cut: refused before sending."""

    @property
    def code(self) -> str:
        return "toomanyfields"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th retry waits between half and all of
    `backoff_s × 2^(n-1)`, capped at `backoff_max_s`, so that parallel callers spread out."""

    retries: int = 4
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0

    def delay(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.backoff_max_s, self.backoff_s * 2.0 ** (retry - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


Sleep = Callable[[float], Awaitable[None]]


class MoodleTransport:
    """Makes single calls; at most `concurrency` are in flight at once."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout_s: float = 120.0,
        max_input_vars: int = 5000,
        concurrency: int = 6,
        retry: RetryPolicy | None = None,
        verify_tls: bool = True,
        stats: CallStats | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not token:
            raise ValueError("no Moodle token: set [moodle] token_file or JONCTION_MOODLE_TOKEN")
        self.url = url.rstrip("/")
        self.endpoint = self.url + ENDPOINT
        self.max_input_vars = max_input_vars
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.stats = stats if stats is not None else CallStats()
        self._token = token
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight = 0
        self._rng = random.Random(seed)
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            verify=verify_tls,
            transport=http_transport,
            headers={"User-Agent": "jonction"},
        )

    def __repr__(self) -> str:
        return f"MoodleTransport(url={self.url!r}, concurrency={self.concurrency})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def backoff(self, retry: int) -> None:
        """Waits before the `retry`-th retry (1 for the first)."""
        await self._sleep(self.retry.delay(retry, self._rng))

    def fields_of(self, function: str, params: Mapping[str, Any]) -> FormFields:
        return [
            ("wstoken", self._token),
            ("wsfunction", function),
            ("moodlewsrestformat", "json"),
            *encode_params(params),
        ]

    async def call(
        self,
        function: str,
        params: Mapping[str, Any],
        *,
        kind: CallKind,
        items: int = 1,
        retry: bool = True,
    ) -> Any:
        """Calls `function` and returns Moodle's decoded JSON answer.

        With `retry`, transport faults (timeouts, connection errors, 5xx) are retried with
        backoff; Moodle's own errors never are. Writes that must not be repeated blindly
        pass `retry=False` and handle the fault themselves (read back first).
        """
        fields = self.fields_of(function, params)
        if len(fields) > self.max_input_vars:
            raise TooManyFields(
                f"{function}: {len(fields)} form fields exceed max_input_vars "
                f"({self.max_input_vars}); PHP would drop the excess silently",
                function=function,
            )
        body = form_body(fields)
        started = time.monotonic()
        attempts = 0
        received = 0
        while True:
            attempts += 1
            try:
                answer, size = await self._attempt(function, body)
                received += size
            except MoodleTransportError as exc:
                if retry and attempts <= self.retry.retries:
                    log.warning(
                        "moodle call failed, retrying",
                        function=function,
                        attempt=attempts,
                        error=str(exc),
                    )
                    await self.backoff(attempts)
                    continue
                self._record(function, kind, items, fields, started, exc.code, attempts, body)
                raise
            except MoodleError as exc:
                self._record(function, kind, items, fields, started, exc.code, attempts, body)
                raise
            outcome = "warnings" if _has_warnings(answer) else "ok"
            self._record(function, kind, items, fields, started, outcome, attempts, body, received)
            return answer

    def _record(
        self,
        function: str,
        kind: CallKind,
        items: int,
        fields: FormFields,
        started: float,
        outcome: str,
        attempts: int,
        body: bytes,
        received: int = 0,
    ) -> None:
        duration = time.monotonic() - started
        self.stats.add(
            CallRecord(
                function=function,
                kind=kind,
                items=items,
                fields=len(fields),
                duration_s=duration,
                outcome=outcome,
                attempts=attempts,
                bytes_sent=len(body) * attempts,
                bytes_received=received,
                caller=current_caller(),
                started=time.time() - duration,
            )
        )

    async def _attempt(self, function: str, body: bytes) -> tuple[Any, int]:
        async with self._slots:
            self._in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self._in_flight)
            try:
                response = await self._http.post(
                    self.endpoint,
                    content=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            except httpx.TimeoutException:
                raise MoodleTimeout(
                    f"{function}: no answer from Moodle within {self.timeout_s:g} s",
                    function=function,
                ) from None
            except httpx.TransportError as exc:
                raise MoodleConnectionError(
                    f"{function}: {self._scrub(f'{type(exc).__name__}: {exc}')}",
                    function=function,
                ) from None
            finally:
                self._in_flight -= 1
        return self._decode(function, response), len(response.content)

    def _decode(self, function: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status >= 500 or status == 429:
            raise MoodleServerError(
                f"{function}: Moodle answered HTTP {status}", status=status, function=function
            )
        if status != 200:
            raise MoodleHTTPError(
                f"{function}: Moodle answered HTTP {status} at {self.endpoint}",
                status=status,
                function=function,
            )
        try:
            answer = json.loads(response.content)
        except ValueError:
            snippet = self._scrub(response.content[:200].decode("utf-8", "replace"))
            raise MoodleDecodeError(
                f"{function}: the answer is not JSON "
                f"({response.headers.get('content-type', 'no content type')}): {snippet!r}",
                function=function,
            ) from None
        if isinstance(answer, dict) and "exception" in answer:
            raise error_from_payload(function, answer, redact=self._token)
        return answer

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")


def _has_warnings(answer: Any) -> bool:
    return isinstance(answer, dict) and bool(answer.get("warnings"))
