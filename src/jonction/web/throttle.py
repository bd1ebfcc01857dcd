"""Failed-login limit: a few tries per user name and address within a window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _key(self, username: str, address: str) -> tuple[str, str]:
        return (username.strip().casefold(), address)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        horizon = self.clock() - self.window_s
        while failures and failures[0] < horizon:
            failures.popleft()
        return failures

    def allowed(self, username: str, address: str) -> bool:
        """False while the user name, or the address on any name, failed too often."""
        if len(self._recent(self._key(username, address))) >= self.attempts:
            return False
        # Spraying many names from one address is limited too, more loosely.
        return len(self._recent(("", address))) < self.attempts * 4

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        self._recent(self._key(username, address)).append(now)
        self._recent(("", address)).append(now)
        if len(self._failures) > 10_000:  # bounded memory under a flood of names
            self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop(self._key(username, address), None)
