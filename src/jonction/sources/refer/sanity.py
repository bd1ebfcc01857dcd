"""The truncated-source check: a table that is empty or shrank far stops the refresh.

Pure functions of the counts: the rows read from each source table now and at the previous
refresh (REFER keeps them), and the rows REFER's main tables would keep.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from ...domain.plan import Notice
from .diff import TableDelta

# REFER tables whose collapse means a broken source even when the source tables look whole
# (every registration turned unpaid, every element closed…).
WATCHED = (
    "etape",
    "element",
    "link",
    "student",
    "admin_registration",
    "pedagogical_registration",
)
REGISTRATIONS = ("ins_adm_etp", "ind_contrat_elp")


def check_sources(
    year: str,
    counts: Mapping[str, int],
    previous: Mapping[str, int],
    required: Collection[str],
    ratio: float,
) -> tuple[list[str], list[Notice]]:
    """Blockers for empty or shrunk source tables; a notice for a year with no registrations."""
    blockers: list[str] = []
    notices: list[Notice] = []
    for table in sorted(set(counts) | set(previous)):
        now = counts.get(table, 0)
        before = previous.get(table)
        if now == 0 and (table in required or before):
            had = f"it had {before} rows" if before else "a working system always has rows"
            blockers.append(
                f"{year}: the source table {table} is empty (0 rows; {had} at the previous refresh)"
            )
        elif before and now < ratio * before:
            blockers.append(
                f"{year}: the source table {table} shrank from {before} to {now} rows, below "
                f"{ratio:.0%} of its previous size ([guards] source_shrink_ratio)"
            )
    if all(counts.get(table, 0) == 0 for table in REGISTRATIONS):
        notices.append(
            Notice(
                "refer_empty_year",
                year,
                f"{year}: Apogée holds no registration for this year yet.",
                severity="info",
            )
        )
    return blockers, notices


def check_tables(deltas: Sequence[TableDelta], ratio: float, min_rows: int) -> list[str]:
    """Blockers for REFER tables that would keep less than `ratio` of their rows."""
    blockers = []
    for delta in deltas:
        watched = delta.table in WATCHED and delta.existing >= min_rows
        if watched and delta.desired < ratio * delta.existing:
            blockers.append(
                f"{delta.year}: REFER's {delta.table} table would shrink from "
                f"{delta.existing} to {delta.desired} rows, below {ratio:.0%} of its size "
                "([guards] source_shrink_ratio)"
            )
    return blockers
