"""Which accounts the users step reads back from Moodle, as pure functions.

Moodle spends about 5 ms on each account it returns: reading every account of a university's
directory every night costs minutes of server time for nothing on most nights. Each record of a
managed account keeps `synced`, the digest of what the directory asked when Moodle was last
known to match it (`domain.accounts.synced_marker`). A normal night reads only:

- the people jonction has no record of (new in the directory, or never matched);
- the accounts whose digest differs from tonight's (the directory changed, an earlier write
  failed, an account suspended by hand…);
- the managed accounts that left the directory and are not known to be suspended.

Every other account is trusted to be as jonction left it. A full check reads every account
(changes made by hand in Moodle are caught then): on the first run, every `full_check_days`,
or when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .accounts import GONE, AccountPolicy, AccountRules, DesiredAccounts, ManagedAccount
from .accounts import wanted_digest as digest_of


@dataclass(frozen=True, slots=True)
class AccountReads:
    """The usernames to read from Moodle, and the managed accounts trusted without reading."""

    read: list[str]
    trusted: frozenset[str]
    full: bool


def accounts_to_read(
    desired: DesiredAccounts,
    managed: Mapping[str, ManagedAccount],
    policy: AccountPolicy,
    rules: AccountRules,
    *,
    full: bool,
) -> AccountReads:
    """Which accounts to read tonight (see the module's description)."""
    if full:
        return AccountReads(sorted(set(desired.people) | set(managed)), frozenset(), True)
    read: list[str] = []
    trusted: set[str] = set()
    for username, person in desired.people.items():
        record = managed.get(username)
        if record is not None and record.synced == digest_of(person, rules, policy):
            trusted.add(username)
        else:
            read.append(username)
    for username, record in managed.items():
        if username in desired.people:
            continue
        if record.synced == GONE and username not in desired.held:
            trusted.add(username)
        else:
            read.append(username)
    return AccountReads(sorted(read), frozenset(trusted), False)
