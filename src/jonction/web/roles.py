"""Who may see what on the dashboard.

admin sees everything and may act (fresh plans); scolarite reads, restricted to the composantes
of their account; support only explains a person's courses to answer a ticket.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SCOLARITE = "scolarite"
    SUPPORT = "support"


class Permission(StrEnum):
    NIGHTS = "nights"  # runs, steps, counts, durations, charts
    OPERATIONS = "operations"  # a run's operations and notices (personal data)
    PLAN = "plan"  # tonight's plan
    EXPLAIN = "explain"
    ANOMALIES = "anomalies"
    SPACES = "spaces"
    ACT = "act"  # compute a fresh plan


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.SCOLARITE: frozenset(
        {
            Permission.NIGHTS,
            Permission.OPERATIONS,
            Permission.PLAN,
            Permission.EXPLAIN,
            Permission.ANOMALIES,
            Permission.SPACES,
        }
    ),
    Role.SUPPORT: frozenset({Permission.EXPLAIN}),
}
