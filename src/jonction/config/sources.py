"""Sections for the sources: Apogée (or its stand-in), REFER, jonction's state database."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from ._base import Section, secret_from


def current_academic_year(today: date | None = None) -> str:
    """The academic year in Apogée's form ('2026' for 2026-2027); a year starts on 1 July."""
    today = today or date.today()
    return str(today.year if today.month >= 7 else today.year - 1)


class ApogeeSection(Section):
    url: str = Field(
        "sqlite:///var/apogee.db",
        description="SQLAlchemy URL of Apogée (oracle+oracledb://…) or of its stand-in.",
    )
    password: SecretStr | None = Field(
        None, description="Password, if not in the URL (or JONCTION_APOGEE_PASSWORD)."
    )
    password_file: Path | None = Field(None, description="File holding the password.")
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
    fictitious_natures: list[str] = Field(
        default_factory=list,
        description="COD_NEL of technical natures, pruned when they have nothing under them; "
        "natures flagged NATURE_ELP.TEM_FICTIF='O' are pruned too.",
    )
    foad_etapes: list[str] = Field(
        default_factory=list,
        description="COD_ETP of distance-learning étapes, beside those with TEM_TLS_VET='O'.",
    )
    foad_diplomes: list[str] = Field(
        default_factory=list,
        description="COD_DIP of distance-learning diplômes: all their étapes are FOAD.",
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

    @model_validator(mode="after")
    def _load_password(self) -> ApogeeSection:
        password = secret_from(
            self.password, self.password_file, ("JONCTION_APOGEE_PASSWORD",), "Apogée password"
        )
        if password is not self.password:
            object.__setattr__(self, "password", password)
        return self

    def effective_years(self, today: date | None = None) -> list[str]:
        return list(self.years) or [current_academic_year(today)]


class ReferSection(Section):
    url: str = Field("sqlite:///var/refer.db", description="SQLAlchemy URL of REFER.")
    password: SecretStr | None = Field(
        None, description="Password, if not in the URL (or JONCTION_REFER_PASSWORD)."
    )

    @model_validator(mode="after")
    def _load_password(self) -> ReferSection:
        password = secret_from(self.password, None, ("JONCTION_REFER_PASSWORD",), "REFER password")
        if password is not self.password:
            object.__setattr__(self, "password", password)
        return self


class StateSection(Section):
    url: str = Field(
        "sqlite:///var/jonction.db",
        description="SQLAlchemy URL of jonction's own state: journal, managed objects, plans.",
    )
