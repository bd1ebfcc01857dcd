"""What the university decides: which elements become courses, names, rules and delays."""

from __future__ import annotations

from string import Formatter
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from ._base import Section

CategoryLevel = Literal["year", "composante", "diplome", "etape"]
ParentCriterion = Literal["charge_ens", "same_composante", "most_students", "smallest_code"]
DEFAULT_LEVELS: tuple[CategoryLevel, ...] = ("year", "composante", "diplome", "etape")
DEFAULT_PARENT_RULE: tuple[ParentCriterion, ...] = (
    "charge_ens",
    "same_composante",
    "most_students",
    "smallest_code",
)

# What a naming template may use. Course templates speak of the element (COD_ELP, LIB_ELP…);
# category templates of the object of their level.
COURSE_PLACEHOLDERS = frozenset(
    {
        "year",  # COD_ANU, e.g. 2026
        "next_year",  # 2027
        "code",  # COD_ELP
        "label",  # LIB_ELP
        "short_label",  # LIC_ELP
        "long_label",  # ELP_LIBELLE in French, else LIB_ELP
        "nature",  # COD_NEL
        "composante",  # ELEMENT_PEDAGOGI.COD_CMP
        "period",  # COD_PEL, or empty
    }
)
# Placeholders that may change while the element stays the same: not allowed in identities.
LABEL_PLACEHOLDERS = frozenset({"label", "short_label", "long_label"})
CATEGORY_PLACEHOLDERS = frozenset({"year", "next_year", "code", "version", "label"})


def template_fields(template: str) -> set[str]:
    """The placeholders a template uses; raises ValueError when it cannot be parsed."""
    try:
        return {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{template!r} is not a valid template: {exc}") from None


def _check_template(template: str, allowed: frozenset[str]) -> str:
    fields = template_fields(template)
    unknown = sorted(name for name in fields if name not in allowed)
    if "" in fields or unknown:
        shown = ", ".join("{" + name + "}" for name in sorted(allowed))
        bad = ", ".join("{" + name + "}" for name in unknown) or "{}"
        raise ValueError(f"{template!r} uses {bad}; the placeholders are {shown}")
    return template


def _check_identity(template: str) -> str:
    _check_template(template, COURSE_PLACEHOLDERS)
    fields = template_fields(template)
    if "code" not in fields or "year" not in fields:
        raise ValueError(
            f"{template!r} must contain {{code}} and {{year}}: a course is one element in one "
            "academic year, and its identity must not be shared with another"
        )
    if fields & LABEL_PLACEHOLDERS:
        raise ValueError(
            f"{template!r} uses a label: identities are built from codes only, or every "
            "change of label in Apogée would make a new course"
        )
    return template


class PolicySection(Section):
    course_natures: list[str] = Field(
        default_factory=lambda: ["UE", "EC", "MATI", "MATC", "MODU", "STAG", "PRJ"],
        description="COD_NEL of the elements that get a Moodle course.",
    )
    category_levels: list[CategoryLevel] = Field(
        default_factory=lambda: list(DEFAULT_LEVELS),
        description="Levels of the category tree, top down, in this order (any may be left "
        "out). Without the year level, composante and diplôme categories are shared by the "
        "years. Keep the étape or diplôme level: Moodle slows down badly when one category "
        "holds thousands of courses.",
    )
    category_root: str = Field(
        "",
        description="Idnumber of an existing Moodle category under which the tree is built; "
        "empty: at the top of Moodle.",
    )
    year_category_name: str = Field(
        "{year}-{next_year}",
        description="Name of a year's category. Placeholders: {year}, {next_year}.",
    )
    composante_category_name: str = Field(
        "{label}",
        description="Name of a composante's category: {code} (COD_CMP), {label} (LIB_CMP), "
        "{year}, {next_year}.",
    )
    diplome_category_name: str = Field(
        "{label}",
        description="Name of a diplôme's category: {code} (COD_DIP), {version} (COD_VRS_VDI), "
        "{label}, {year}, {next_year}.",
    )
    etape_category_name: str = Field(
        "{label} ({code})",
        description="Name of an étape's category: {code} (COD_ETP), {version} (COD_VRS_VET), "
        "{label} (LIB_WEB_VET or LIB_ETP), {year}, {next_year}.",
    )
    course_fullname: str = Field(
        "{label} ({code})",
        description="Full name of a course. Placeholders: {code} (COD_ELP), {label} (LIB_ELP), "
        "{short_label} (LIC_ELP), {long_label} (ELP_LIBELLE, else LIB_ELP), {nature} (COD_NEL), "
        "{composante}, {period} (COD_PEL), {year} (COD_ANU), {next_year}.",
    )
    course_shortname: str = Field(
        "{code}-{year}",
        description="Short name of a course (unique in Moodle); codes only, with {code} and "
        "{year}.",
    )
    course_idnumber: str = Field(
        "{year}:ELP:{code}",
        description="Idnumber of a course, its identity for jonction and for enrol_database; "
        "codes only, with {code} and {year}.",
    )
    course_start: str = Field(
        "09-01",
        description="Start date (MM-DD) given to a new course, in its academic year.",
    )
    course_end: str = Field(
        "08-31",
        description="End date (MM-DD) given to a new course, in the year after its academic "
        "year; empty: no end date.",
    )
    timezone: str = Field("Europe/Paris", description="Time zone of course dates.")
    new_courses_visible: bool = Field(
        True,
        description="Whether new courses are visible to students. jonction never changes the "
        "visibility of a course afterwards, except to hide obsolete ones (obsolete_courses).",
    )
    primary_parent_rule: list[ParentCriterion] = Field(
        default_factory=lambda: list(DEFAULT_PARENT_RULE),
        description="Criteria choosing the one étape whose category holds a shared element's "
        "course, in order; the smallest code always decides last.",
    )
    primary_parent_margin: float = Field(
        0.2,
        ge=0,
        description="A placed course moves to another étape only when that étape's student count "
        "beats the current one's by this share.",
    )
    foad_policy: Literal["shared", "split"] = Field(
        "shared",
        description="An element taught in FOAD and on-site étapes: one shared course, or one "
        "course per modality.",
    )
    foad_suffix: str = Field(
        "FOAD",
        min_length=1,
        max_length=12,
        description="With foad_policy = 'split', marks the distance course: idnumber "
        "'<idnumber>:FOAD', shortname '<shortname>-FOAD', fullname '<fullname> (FOAD)'.",
    )
    obsolete_courses: Literal["hide_at_rollover", "hide", "keep"] = Field(
        "hide_at_rollover",
        description="A course whose element left the catalogue is never deleted; it is marked "
        "obsolete and hidden when a later year is managed (hide_at_rollover), at once (hide), "
        "or never (keep).",
    )
    crowded_category: int = Field(
        1000,
        ge=1,
        description="Warn when the layout would put more courses than this in one category.",
    )
    auth: str = Field("cas", description="Moodle auth method of the accounts jonction creates.")
    managed_auths: list[str] = Field(
        default_factory=lambda: ["cas", "ldap", "shibboleth"],
        description="Only accounts with these auth methods are ever changed.",
    )
    student_role: str = Field("student", description="Moodle role shortname of students.")
    teacher_role: str = Field("editingteacher", description="Moodle role shortname of teachers.")
    teacher_grace_days: int = Field(
        30, ge=0, description="Days a teacher keeps a course after the last scheduled event."
    )
    student_grace_days: int = Field(
        0,
        ge=0,
        description="Days before a student who left is removed from the table (Moodle suspends).",
    )

    @field_validator("category_levels")
    @classmethod
    def _levels_in_order(cls, levels: list[CategoryLevel]) -> list[CategoryLevel]:
        if len(set(levels)) != len(levels):
            raise ValueError("a level appears twice")
        ranks = [DEFAULT_LEVELS.index(level) for level in levels]
        if ranks != sorted(ranks):
            raise ValueError("levels go top down in the order year, composante, diplome, etape")
        return levels

    @field_validator("primary_parent_rule")
    @classmethod
    def _rule_once_each(cls, rule: list[ParentCriterion]) -> list[ParentCriterion]:
        if len(set(rule)) != len(rule):
            raise ValueError("a criterion appears twice")
        return rule

    @field_validator("year_category_name")
    @classmethod
    def _year_name(cls, template: str) -> str:
        return _check_template(template, frozenset({"year", "next_year"}))

    @field_validator("composante_category_name", "diplome_category_name", "etape_category_name")
    @classmethod
    def _category_name(cls, template: str) -> str:
        return _check_template(template, CATEGORY_PLACEHOLDERS)

    @field_validator("course_fullname")
    @classmethod
    def _fullname(cls, template: str) -> str:
        return _check_template(template, COURSE_PLACEHOLDERS)

    @field_validator("course_shortname", "course_idnumber")
    @classmethod
    def _identity(cls, template: str) -> str:
        return _check_identity(template)

    @field_validator("course_start", "course_end")
    @classmethod
    def _month_day(cls, value: str) -> str:
        if value == "":
            return value
        month, _, day = value.partition("-")
        if not (month.isdigit() and day.isdigit() and 1 <= int(month) <= 12):
            raise ValueError(f"write the date as MM-DD, like 09-01 (got {value!r})")
        if not 1 <= int(day) <= 31:
            raise ValueError(f"write the date as MM-DD, like 09-01 (got {value!r})")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value
