"""The filters a real Apogée needs, as small pure functions (see docs/refer.md).

Each returns None when the row passes, or the reason it is left out: the reason is stored in
REFER's exclusions so that `explain` and the anomaly report can say why someone is missing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Literal

OfferRange = Literal["recruitment", "validity", "recruitment_or_validity"]

# ETA_IAE: only 'E' (en cours) gives access.
_IAE_STATES = {"A": "cancelled", "R": "resigned", "C": "being_created"}


def composante_reason(
    in_service: str | None, kind: str | None, excluded: Collection[str]
) -> str | None:
    """COMPOSANTE: in service (TEM_EN_SVE_CMP='O') and not of an excluded type (COD_TPC)."""
    if in_service != "O":
        return "composante_closed"
    if kind in excluded:
        return "composante_excluded"
    return None


def _within(year: str, first: str | None, last: str | None) -> bool:
    # Years are V(4) text; comparing them as text is exact for four digits.
    return (first or "0000") <= year <= (last or "9999")


def offered(
    year: str,
    recruitment: tuple[str | None, str | None],
    validity: tuple[str | None, str | None],
    offer_range: OfferRange,
) -> bool:
    """VDI_FRACTIONNER_VET: is the étape offered in `year` under the configured range?"""
    in_recruitment = _within(year, *recruitment)
    in_validity = _within(year, *validity)
    if offer_range == "recruitment":
        return in_recruitment
    if offer_range == "validity":
        return in_validity
    return in_recruitment or in_validity


def admin_registration_reason(
    state: str | None, payment: str | None, accepted: Collection[str]
) -> str | None:
    """INS_ADM_ETP: ETA_IAE='E' and a payment state (ETA_PMT_IAE) the policy accepts."""
    if state != "E":
        return _IAE_STATES.get(state or "", "not_valid")
    if payment not in accepted:
        return "unpaid"
    return None


def element_reason(state: str | None, suspended: str | None) -> str | None:
    """ELEMENT_PEDAGOGI: open (ETA_ELP='O') and not suspended (TEM_SUS_ELP='N')."""
    if state != "O":
        return "element_closed"
    if suspended == "O":
        return "element_suspended"
    return None


def as_date(value: date | datetime | str | None) -> date | None:
    """A DATE column as a date, whatever the driver returns (Oracle gives datetimes)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def link_open(closing: date | None, today: date) -> bool:
    """A list link is open when it has no closing date, or one still in the future."""
    return closing is None or closing > today


def group_valid(year: str, first: str | None, last: str | None) -> bool:
    """GROUPE: valid in `year` (DAA_DEB_VAL_GPE ≤ year ≤ DAA_FIN_VAL_GPE, open ends allowed)."""
    return _within(year, first, last)
