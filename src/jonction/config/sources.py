"""Sections for the sources: Apogée (or its stand-in), REFER, jonction's state database."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from ._base import Section


def current_academic_year(today: date | None = None) -> str:
    """The academic year in Apogée's form ('2026' for 2026-2027); a year starts on 1 July."""
    today = today or date.today()
    return str(today.year if today.month >= 7 else today.year - 1)


class ApogeeSection(Section):
    url: str = Field(
        "sqlite:///var/apogee.db",
        description="SQLAlchemy URL of Apogée (oracle+oracledb://…) or of its stand-in.",
    )
    years: list[str] = Field(
        default_factory=list,
        description="Academic years to read (COD_ANU, e.g. ['2026']); empty = the current one.",
    )
    payment_states: list[str] = Field(
        default_factory=lambda: ["P"],
        description="INS_ADM_ETP.ETA_PMT_IAE values that give access ('P' paid, 'A' awaiting).",
    )
    offer_range: Literal["recruitment", "validity", "recruitment_or_validity"] = Field(
        "validity",
        description="Which VDI_FRACTIONNER_VET year range makes an étape offered in a year.",
    )
    excluded_composante_types: list[str] = Field(
        default_factory=lambda: ["EXT"],
        description="COMPOSANTE.COD_TPC values left out (partner schools).",
    )
    schema_name: str = Field("", description="Oracle schema prefix of Apogée's tables, if any.")
    repair_encoding: bool = Field(
        True, description="Repair labels damaged by single-byte charsets (d¿activités)."
    )

    @field_validator("years")
    @classmethod
    def _years_are_four_digits(cls, years: list[str]) -> list[str]:
        for year in years:
            if not (len(year) == 4 and year.isdigit()):
                raise ValueError(f"a year is written with four digits, like '2026' (got {year!r})")
        return years

    def effective_years(self, today: date | None = None) -> list[str]:
        return list(self.years) or [current_academic_year(today)]


class ReferSection(Section):
    url: str = Field("sqlite:///var/refer.db", description="SQLAlchemy URL of REFER.")


class StateSection(Section):
    url: str = Field(
        "sqlite:///var/jonction.db",
        description="SQLAlchemy URL of jonction's own state: journal, managed objects, plans.",
    )
