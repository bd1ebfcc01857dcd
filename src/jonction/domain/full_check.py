"""When a step reads back from Moodle everything it manages (a full check) instead of only what
may have changed: never done, every N days, or every night. Pure; used by the users step for
accounts and by the cohorts and groups steps for their members."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class MemberReads:
    """The cohorts or groups whose members to read tonight (Moodle ids), and the members of
    the others, trusted from their records; `full` on a full check (every one read)."""

    read: list[int]
    trusted: dict[int, Set[int]] = field(default_factory=dict)
    full: bool = True


def full_check_due(last: str | None, now: datetime, every_days: int) -> bool:
    """Whether tonight is a full check: never done, `every_days` 0, or that many days since the
    last one (`last`: its moment, ISO 8601)."""
    if not last or every_days == 0:
        return True
    try:
        previous = datetime.fromisoformat(last)
    except ValueError:
        return True
    if (previous.tzinfo is None) != (now.tzinfo is None):
        previous = previous.replace(tzinfo=now.tzinfo)
    # An hour of slack: a night that starts a few seconds earlier than a week ago is due.
    return now - previous >= timedelta(days=every_days) - timedelta(hours=1)
