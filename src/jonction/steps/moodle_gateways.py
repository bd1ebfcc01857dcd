"""The Moodle calls of the users and cohorts steps, as small interfaces.

The steps speak to these; the adapters below implement them on jonction's Moodle client
(batching, concurrency, retries, call accounting), and the tests on an in-memory Moodle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..domain.accounts import MoodleAccount
from ..domain.cohorts import MoodleCohort


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What Moodle did with one item. `key` is the username or idnumber of a creation, the
    Moodle id (as text) of an update, `cohortid|userid` of a membership."""

    key: str
    ok: bool
    moodle_id: int | None = None
    message: str = ""


class AccountsGateway(Protocol):
    async def read_accounts(self, usernames: Sequence[str]) -> dict[str, MoodleAccount]:
        """Moodle's accounts with these usernames (unknown ones are left out)."""
        ...

    async def create_accounts(self, accounts: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        """Each mapping holds username, auth, firstname, lastname, email, idnumber and
        maildisplay."""
        ...

    async def update_accounts(
        self, changes: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        """Each change is a Moodle id and the fields to set (suspended among them)."""
        ...


class CohortsGateway(Protocol):
    async def read_cohorts(self) -> list[MoodleCohort]:
        """Every cohort of the site."""
        ...

    async def read_members(self, cohort_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        """Members (user ids) of these cohorts."""
        ...

    async def create_cohorts(self, cohorts: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        """Each mapping holds idnumber, name, description, visible and context ("system" or
        "category:<idnumber>")."""
        ...

    async def update_cohorts(
        self, changes: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        """Each change is a cohort id and its idnumber, name, description, visible, context."""
        ...

    async def add_members(self, pairs: Sequence[tuple[int, int]]) -> list[WriteResult]:
        """(cohort id, user id) pairs."""
        ...

    async def remove_members(self, pairs: Sequence[tuple[int, int]]) -> list[WriteResult]: ...
