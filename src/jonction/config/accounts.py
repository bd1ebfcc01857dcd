"""Who gets a Moodle account and how it is filled ([accounts]); the cohorts ([cohorts])."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ._base import Section

IdnumberSource = Literal["student", "employee"]
CohortLevel = Literal["etape", "diplome", "composante"]
CohortContext = Literal["system", "category"]

DEFAULT_AFFILIATIONS = ("student", "faculty", "teacher", "staff", "employee", "affiliate")
DEFAULT_IDNUMBER_SOURCES: tuple[IdnumberSource, ...] = ("student", "employee")
DEFAULT_COHORT_LEVELS: tuple[CohortLevel, ...] = ("etape", "composante")
# Fields a cohort template may use; `years` reads "2026-2027".
TEMPLATE_FIELDS = frozenset({"year", "years", "code", "label", "composante"})


class AccountsSection(Section):
    """Accounts made from the directory by the users step: the auth method and the accounts
    jonction may change are [policy] auth and managed_auths."""

    affiliations: list[str] = Field(
        default_factory=lambda: list(DEFAULT_AFFILIATIONS),
        description="eduPersonAffiliation values that give an account; a person needs one of "
        "them (alum alone does not).",
    )
    idnumber_sources: list[IdnumberSource] = Field(
        default_factory=lambda: list(DEFAULT_IDNUMBER_SOURCES),
        description="Where the Moodle idnumber comes from, in order: the first number a person "
        "has wins. A value shared by several people goes to the one whose number comes from "
        "the earlier source, or to nobody if that still leaves several; each clash is reported. "
        "Empty: idnumber left empty.",
    )
    student_idnumber_prefix: str = Field(
        "", description="Put before a student number in idnumber (e.g. 'E')."
    )
    employee_idnumber_prefix: str = Field(
        "",
        description="Put before an employee number in idnumber (e.g. 'P'); different prefixes "
        "keep the two number spaces apart.",
    )
    reactivate: Literal["suspended_by_jonction", "all"] = Field(
        "suspended_by_jonction",
        description="Which suspended accounts are reactivated when their owner is back in the "
        "directory: only those jonction suspended, or also those suspended by hand.",
    )
    hide_red_list_email: bool = Field(
        True, description="Hide the e-mail (maildisplay 0) of people on the red list."
    )
    maildisplay_default: int = Field(
        2,
        ge=0,
        le=2,
        description="Moodle maildisplay of everyone else (0 hidden, 1 everyone, 2 course members).",
    )
    extended_username_chars: bool = Field(
        False,
        description="Moodle's extendedusernamechars setting: when false, usernames may only "
        "hold a-z 0-9 . _ - @.",
    )
    full_check_days: int = Field(
        7,
        ge=0,
        description="Days between two full checks, when the users step reads every account "
        "back from Moodle (changes made by hand in Moodle are caught then). Other nights it "
        "reads only the accounts whose directory entry changed, new people, and accounts not "
        "left as wanted. 0: a full check every night; `--full` forces one.",
    )

    @field_validator("affiliations")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [value.strip().lower() for value in values if value.strip()]


def _check_template(level: str, template: str, what: str) -> set[str]:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise ValueError(f"{what} template of {level} {template!r}: {exc}") from None
    unknown = names - TEMPLATE_FIELDS
    if unknown:
        known = ", ".join(sorted(TEMPLATE_FIELDS))
        raise ValueError(
            f"{what} template of {level} {template!r} uses {', '.join(sorted(unknown))}; "
            f"the fields are {known}"
        )
    return names


class CohortsSection(Section):
    """Cohorts of the open years: one per étape (and diplôme, composante), members from the
    valid administrative registrations of REFER, kept exact every night."""

    levels: list[CohortLevel] = Field(
        default_factory=lambda: list(DEFAULT_COHORT_LEVELS),
        description="Which cohorts exist: etape, diplome, composante.",
    )
    idnumber_templates: dict[str, str] = Field(
        default_factory=lambda: {
            "etape": "{year}:VET:{code}",
            "diplome": "{year}:VDI:{code}",
            "composante": "{year}:CMP:{code}",
        },
        description="idnumber of a cohort by level; must hold {year} and {code} so that a new "
        "year never reuses a cohort. Fields: year, years, code, label, composante.",
    )
    name_templates: dict[str, str] = Field(
        default_factory=lambda: {
            "etape": "{label} ({code}) {years}",
            "diplome": "{label} ({code}) {years}",
            "composante": "{label} {years}",
        },
        description="Name of a cohort by level (a change renames the cohort).",
    )
    description: str = Field(
        "Students with a valid administrative registration, kept by jonction.",
        description="Description given to the cohorts.",
    )
    context: CohortContext = Field(
        "system", description="Where cohorts live: system, or the category given below."
    )
    category_idnumber: str = Field(
        "", description="idnumber of the category that holds the cohorts when context=category."
    )
    visible: bool = Field(True, description="Whether the cohorts are visible.")
    full_check_days: int = Field(
        7,
        ge=0,
        description="Days between two full checks, when the cohorts step reads the members of "
        "every cohort it keeps back from Moodle: a member removed or added by hand is put back "
        "or taken out at the latest then. Other nights it reads only the cohorts whose members "
        "may have changed: new to jonction, recreated in Moodle, or whose wanted members differ "
        "from those recorded. 0: a full check every night; `--full` forces one.",
    )

    @model_validator(mode="after")
    def _templates(self) -> CohortsSection:
        for level in self.levels:
            if level not in self.idnumber_templates:
                raise ValueError(f"idnumber_templates has no template for level {level!r}")
            if level not in self.name_templates:
                raise ValueError(f"name_templates has no template for level {level!r}")
            names = _check_template(level, self.idnumber_templates[level], "idnumber")
            if not {"year", "code"} <= names:
                raise ValueError(
                    f"idnumber template of {level} {self.idnumber_templates[level]!r} must "
                    "hold {year} and {code}"
                )
            _check_template(level, self.name_templates[level], "name")
        if self.context == "category" and not self.category_idnumber:
            raise ValueError("context = 'category' needs category_idnumber")
        return self
