"""Per-step clock times: which steps are due, from their cron expressions and last runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from croniter import croniter


def due_steps(
    schedules: Mapping[str, str], last_started: Mapping[str, datetime], now: datetime
) -> list[str]:
    """Steps whose latest scheduled time (at or before `now`) came after their last start.

    Times are compared as given: pass local times for cron expressions in local time. A step
    that never ran is due as soon as its expression has fired once before `now`.
    """
    due = []
    for step, expression in schedules.items():
        fired: datetime = croniter(expression, now).get_prev(datetime)
        last = last_started.get(step)
        if last is None or last < fired:
            due.append(step)
    return due
