"""What becomes of what the catalogue no longer wants ([obsolescence]), and the complementary
spaces ([spaces])."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ._base import Section


class ObsolescenceSection(Section):
    """Courses of elements that left the catalogue and courses of closed years: hidden, then
    moved to archive categories split by year and composante, deleted only if never used and
    only when `delete` says so. Years: `jonction rollover YEAR` opens a year; the previous one
    stays open for `rollover_overlap_days`, then closes."""

    rollover_overlap_days: int = Field(
        60,
        ge=0,
        description="Days the previous year stays open (synchronised, its courses readable) "
        "after `jonction rollover YEAR` opened the next one.",
    )
    closed_year_courses: Literal["hide", "keep"] = Field(
        "hide",
        description="Once a year is closed, its courses are hidden from students (teachers "
        "still see them, to reuse their content) or kept as they are.",
    )
    archive_after_days: int = Field(
        365,
        ge=0,
        description="A course hidden by jonction (obsolete, or of a closed year) moves to the "
        "archive this many days after it was hidden; 0: never archived.",
    )
    archive_root: str = Field(
        "",
        description="Idnumber of an existing category that holds the archive; empty: a "
        "category `archive_name` at the top of Moodle.",
    )
    archive_name: str = Field("Archives", min_length=1, description="Name of the archive's top.")
    archive_category_size: int = Field(
        200,
        ge=10,
        le=5000,
        description="Courses per archive category at most: a composante's archive of a year "
        "that would hold more goes on in numbered sibling categories (Moodle slows down badly "
        "when one category holds thousands of courses).",
    )
    delete: Literal["never", "unused"] = Field(
        "never",
        description="never: no course is ever deleted. unused: an archived course that was "
        "never used (checked through Moodle, see docs/operations.md) is deleted "
        "`delete_after_days` after it was archived; any doubt counts as used.",
    )
    delete_after_days: int = Field(
        365, ge=30, description="Days a course stays in the archive before it may be deleted."
    )


class SpacesSection(Section):
    """Complementary spaces (`jonction spaces`): courses made on demand outside the catalogue,
    each given a cohort of its own that jonction fills and empties at the end date."""

    cohort_idnumber: str = Field(
        "space:{id}",
        description="Idnumber of a space's cohort; {id} is the space's number in the registry.",
    )
    cohort_name: str = Field(
        "Espace complémentaire {shortname}",
        description="Name of a space's cohort: {id}, {shortname}, {fullname}.",
    )
    hide_expired: bool = Field(
        True, description="Hide a space's course once its end date has passed (never deleted)."
    )

    @field_validator("cohort_idnumber")
    @classmethod
    def _has_id(cls, value: str) -> str:
        if "{id}" not in value:
            raise ValueError("the cohort idnumber must contain {id}: one cohort per space")
        return value
