"""What the university decides: which elements become courses, names, rules and delays."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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


class PolicySection(Section):
    course_natures: list[str] = Field(
        default_factory=lambda: ["UE", "EC", "MATI", "MATC", "MODU", "STAG", "PRJ"],
        description="COD_NEL of the elements that get a Moodle course.",
    )
    category_levels: list[CategoryLevel] = Field(
        default_factory=lambda: list(DEFAULT_LEVELS),
        description="Levels of the category tree, top down.",
    )
    primary_parent_rule: list[ParentCriterion] = Field(
        default_factory=lambda: list(DEFAULT_PARENT_RULE),
        description="Criteria choosing the one étape whose category holds a shared element's "
        "course, in order; the last one always decides.",
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
