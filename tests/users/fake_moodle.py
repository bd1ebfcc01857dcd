"""An in-memory Moodle behind the users and cohorts gateways, for fast step tests.

It keeps accounts, cohorts and members, counts read and write calls, and refuses what Moodle
refuses (an upper-case username, an invalid address, a taken username or cohort idnumber).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from jonction.domain.accounts import MoodleAccount, valid_email
from jonction.domain.cohorts import MoodleCohort
from jonction.steps.base import StepContext
from jonction.steps.moodle_gateways import WriteResult


@dataclass
class Stored:
    account: MoodleAccount
    maildisplay: int = 2


@dataclass
class FakeMoodle:
    users: dict[int, Stored] = field(default_factory=dict)
    cohorts: dict[int, MoodleCohort] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    contexts: dict[int, str] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0
    next_id: int = 100
    # Usernames asked for by each account read.
    accounts_read: list[list[str]] = field(default_factory=list)
    # Cohort ids asked for by each read of members.
    members_read: list[list[int]] = field(default_factory=list)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_account(self, account: MoodleAccount) -> None:
        self.users[account.id] = Stored(account)

    def by_username(self, username: str) -> MoodleAccount | None:
        for stored in self.users.values():
            if stored.account.username == username:
                return stored.account
        return None

    # Accounts -------------------------------------------------------------------------------

    async def read_accounts(self, usernames: Sequence[str]) -> dict[str, MoodleAccount]:
        self.reads += 1
        self.accounts_read.append(list(usernames))
        wanted = set(usernames)
        return {
            s.account.username: s.account
            for s in self.users.values()
            if s.account.username in wanted
        }

    async def create_accounts(self, accounts: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        self.writes += 1
        results = []
        for item in accounts:
            username = item["username"]
            if username != username.lower() or self.by_username(username) is not None:
                results.append(WriteResult(username, False, message="invalidparameter"))
                continue
            if not valid_email(item["email"]):
                results.append(WriteResult(username, False, message="invalidparameter"))
                continue
            new = MoodleAccount(
                id=self._id(),
                username=username,
                auth=item["auth"],
                suspended=False,
                firstname=item["firstname"],
                lastname=item["lastname"],
                email=item["email"],
                idnumber=item.get("idnumber", ""),
            )
            self.users[new.id] = Stored(new, int(item.get("maildisplay", 2)))
            results.append(WriteResult(username, True, new.id))
        return results

    async def update_accounts(
        self, changes: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        self.writes += 1
        results = []
        for moodle_id, values in changes:
            stored = self.users.get(moodle_id)
            if stored is None:
                results.append(WriteResult(str(moodle_id), False, message="invaliduserid"))
                continue
            fields = {k: v for k, v in values.items() if k in MoodleAccount.__dataclass_fields__}
            stored.account = replace(stored.account, **fields)
            if "maildisplay" in values:
                stored.maildisplay = int(values["maildisplay"])
            results.append(WriteResult(str(moodle_id), True))
        return results

    # Cohorts --------------------------------------------------------------------------------

    async def read_cohorts(self) -> list[MoodleCohort]:
        self.reads += 1
        return list(self.cohorts.values())

    async def read_members(self, cohort_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        self.reads += 1
        self.members_read.append(list(cohort_ids))
        return {cid: frozenset(self.members.get(cid, set())) for cid in cohort_ids}

    async def create_cohorts(self, cohorts: Sequence[Mapping[str, Any]]) -> list[WriteResult]:
        self.writes += 1
        results = []
        for item in cohorts:
            if any(c.idnumber == item["idnumber"] for c in self.cohorts.values()):
                results.append(WriteResult(item["idnumber"], False, message="invalidparameter"))
                continue
            cohort = MoodleCohort(
                self._id(), item["idnumber"], item["name"], item["description"], item["visible"]
            )
            self.cohorts[cohort.id] = cohort
            self.members[cohort.id] = set()
            self.contexts[cohort.id] = item["context"]
            results.append(WriteResult(item["idnumber"], True, cohort.id))
        return results

    async def update_cohorts(
        self, changes: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        self.writes += 1
        for cohort_id, values in changes:
            cohort = self.cohorts[cohort_id]
            self.cohorts[cohort_id] = replace(
                cohort,
                idnumber=values["idnumber"],
                name=values["name"],
                description=values["description"],
                visible=values["visible"],
            )
            self.contexts[cohort_id] = values["context"]
        return [WriteResult(str(cohort_id), True) for cohort_id, _ in changes]

    async def add_members(self, pairs: Sequence[tuple[int, int]]) -> list[WriteResult]:
        self.writes += 1
        results = []
        for cohort_id, user_id in pairs:
            ok = cohort_id in self.cohorts and user_id in self.users
            if ok:
                self.members[cohort_id].add(user_id)
            results.append(WriteResult(f"{cohort_id}|{user_id}", ok, message="" if ok else "2"))
        return results

    async def remove_members(self, pairs: Sequence[tuple[int, int]]) -> list[WriteResult]:
        self.writes += 1
        for cohort_id, user_id in pairs:
            self.members.get(cohort_id, set()).discard(user_id)
        return [WriteResult(f"{c}|{u}", True) for c, u in pairs]

    async def factory(self, ctx: StepContext) -> FakeMoodle:
        del ctx
        return self
