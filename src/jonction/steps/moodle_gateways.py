"""The Moodle calls of the users and cohorts steps, as small interfaces.

The steps speak to these; the adapters below implement them on jonction's Moodle client
(batching, concurrency, retries, call accounting), and the tests on an in-memory Moodle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..domain.accounts import MoodleAccount
from ..domain.cohorts import MoodleCohort
from ..moodle import (
    SYSTEM,
    CohortContext,
    CohortMember,
    CohortUpdate,
    MoodleClient,
    NewCohort,
    NewUser,
    UserUpdate,
    WriteReport,
)
from ..moodle.stats import CallSink
from .base import StepContext


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


# Adapters over jonction's Moodle client ---------------------------------------------------------


async def moodle_client(ctx: StepContext) -> MoodleClient:
    """The run's Moodle client (opened once, shared by the steps of the run)."""
    return await ctx.shared("moodle", lambda: MoodleClient.from_settings(ctx.settings.moodle))


Item = TypeVar("Item", bound=Hashable)
READ_BATCH_MIN = 200
READ_BATCH_MAX = 2000


def _results(report: WriteReport[Item], keys: Mapping[Item, str]) -> list[WriteResult]:
    """Item-by-item results; an error that stopped the whole write fails the step."""
    report.raise_if_fatal()
    results = [WriteResult(keys[a.item], True, a.id, a.note) for a in report.applied]
    results += [
        WriteResult(keys[f.item], False, message=f"{f.code}: {f.message}".strip(": "))
        for f in report.failed
    ]
    return results


class _Accounted:
    """Tallies every call an adapter makes into the step's call accounting."""

    def __init__(self, client: MoodleClient, calls: CallSink) -> None:
        self.client = client
        self.calls = calls
        # The client's calls already tallied: operations run at the same time see each other's
        # calls after their own mark, and each call must be counted once.
        self._tallied = client.stats.calls

    def _lanes(self) -> int:
        return max(1, self.client.transport.concurrency)

    @contextmanager
    def _tally(self) -> Iterator[None]:
        mark = self.client.stats.calls
        try:
            yield
        finally:
            self.client.stats.tally_into(self.calls, since=max(mark, self._tallied))
            self._tallied = self.client.stats.calls


class MoodleAccounts(_Accounted):
    async def read_accounts(self, usernames: Sequence[str]) -> dict[str, MoodleAccount]:
        # Moodle spends ~5 ms on each account it returns: parts small enough to keep every
        # PHP worker busy, at most the client's batch size.
        names = sorted(set(usernames))
        size = min(READ_BATCH_MAX, max(READ_BATCH_MIN, -(-len(names) // self._lanes())))
        parts = [names[start : start + size] for start in range(0, len(names), size)]
        with self._tally():
            found = await asyncio.gather(*(self.client.users_by_username(p) for p in parts))
        users = {name: user for part in found for name, user in part.items()}
        return {
            name: MoodleAccount(
                u.id, u.username, u.auth, u.suspended, u.firstname, u.lastname, u.email, u.idnumber
            )
            for name, u in users.items()
        }

    async def create_accounts(self, accounts: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        items = [
            NewUser(
                username=a["username"],
                firstname=a["firstname"],
                lastname=a["lastname"],
                email=a["email"],
                auth=a["auth"],
                idnumber=a.get("idnumber") or None,
                maildisplay=a.get("maildisplay"),
            )
            for a in accounts
        ]
        with self._tally():
            report = await self.client.create_users(items)
        return _results(report, {item: item.username for item in items})

    async def update_accounts(
        self, changes: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        fields = ("firstname", "lastname", "email", "idnumber", "suspended", "maildisplay")
        items = [
            UserUpdate(id=moodle_id, **{k: v for k, v in values.items() if k in fields})
            for moodle_id, values in changes
        ]
        with self._tally():
            report = await self.client.update_users(items)
        return _results(report, {item: str(item.id) for item in items})


def _context(value: str) -> CohortContext:
    if value.startswith("category:"):
        return CohortContext("idnumber", value.removeprefix("category:"))
    return SYSTEM


class MoodleCohorts(_Accounted):
    async def read_cohorts(self) -> list[MoodleCohort]:
        with self._tally():
            cohorts = await self.client.cohorts()
        return [MoodleCohort(c.id, c.idnumber, c.name, c.description, c.visible) for c in cohorts]

    async def read_members(self, cohort_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        with self._tally():
            found = await self.client.cohort_members(cohort_ids)
        return {cohort_id: found.members.get(cohort_id, frozenset()) for cohort_id in cohort_ids}

    async def create_cohorts(self, cohorts: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        items = [
            NewCohort(
                name=c["name"],
                idnumber=c["idnumber"],
                context=_context(c["context"]),
                description=c["description"],
                visible=c["visible"],
            )
            for c in cohorts
        ]
        with self._tally():
            report = await self.client.create_cohorts(items)
        return _results(report, {item: item.idnumber for item in items})

    async def update_cohorts(
        self, changes: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        items = [
            CohortUpdate(
                id=cohort_id,
                name=values["name"],
                idnumber=values["idnumber"],
                context=_context(values["context"]),
                description=values["description"],
                visible=values["visible"],
            )
            for cohort_id, values in changes
        ]
        with self._tally():
            report = await self.client.update_cohorts(items)
        return _results(report, {item: str(item.id) for item in items})

    async def add_members(self, pairs: Sequence[tuple[int, int]]) -> list[WriteResult]:
        items = [CohortMember(cohort_id, user_id) for cohort_id, user_id in pairs]
        with self._tally():
            report = await self.client.add_cohort_members(items)
        return _results(report, {item: f"{item.cohortid}|{item.userid}" for item in items})

    async def remove_members(self, pairs: Sequence[tuple[int, int]]) -> list[WriteResult]:
        items = [CohortMember(cohort_id, user_id) for cohort_id, user_id in pairs]
        with self._tally():
            report = await self.client.delete_cohort_members(items)
        return _results(report, {item: f"{item.cohortid}|{item.userid}" for item in items})


async def accounts_gateway(ctx: StepContext) -> AccountsGateway:
    return MoodleAccounts(await moodle_client(ctx), ctx.calls)


async def cohorts_gateway(ctx: StepContext) -> CohortsGateway:
    return MoodleCohorts(await moodle_client(ctx), ctx.calls)
