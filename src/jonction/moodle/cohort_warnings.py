"""core_cohort_add_cohort_members answers warnings that do not say which item they concern;
they quote the ids sent, which is enough to tie most of them to their items."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .engine import Outcome
from .items import CohortMember
from .report import Applied, Failed

# Moodle quotes the ids it was given: "user id=7 not exists", "cohort id=3 not exists",
# "record already exists: cohort(id=3 id=7)".
_MISSING = re.compile(r"^(user|cohort) id=(\d+) not exists$")
_ALREADY = re.compile(r"^record already exists: cohort\(id=(\d+) id=(\d+)\)$")


def _cohort_warning_key(warning: Mapping[str, Any]) -> tuple[str, int, int] | None:
    message = str(warning.get("message", ""))
    if match := _MISSING.match(message):
        return (match.group(1), int(match.group(2)), 0)
    if match := _ALREADY.match(message):
        return ("member", int(match.group(1)), int(match.group(2)))
    return None


def unexplained_warnings(warnings: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The warnings that quote no item in a known form."""
    return [w for w in warnings if _cohort_warning_key(w) is None]


def trace_cohort_warnings(
    items: list[CohortMember], warnings: Sequence[Mapping[str, Any]]
) -> list[Outcome[CohortMember]]:
    """Ties core_cohort_add_cohort_members warnings to the items they quote. An item that
    was already a member counts as applied; one quoting an unknown user or cohort fails."""
    missing_users: dict[int, str] = {}
    missing_cohorts: dict[int, str] = {}
    already: set[tuple[int, int]] = set()
    for warning in warnings:
        key = _cohort_warning_key(warning)
        message = str(warning.get("message", ""))
        if key is None:
            continue
        kind, first, second = key
        if kind == "user":
            missing_users[first] = message
        elif kind == "cohort":
            missing_cohorts[first] = message
        else:
            already.add((first, second))
    outcomes: list[Outcome[CohortMember]] = []
    for item in items:
        if item.cohortid in missing_cohorts:
            outcomes.append(Failed(item, "nocohort", missing_cohorts[item.cohortid]))
        elif item.userid in missing_users:
            outcomes.append(Failed(item, "nouser", missing_users[item.userid]))
        elif (item.cohortid, item.userid) in already:
            outcomes.append(Applied(item, note="already a member"))
        else:
            outcomes.append(Applied(item))
    return outcomes
