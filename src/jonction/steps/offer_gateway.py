"""What the offer step needs from Moodle, as a small port.

The step's shell (reading the known state, applying a plan) talks to this protocol; the
adapter over jonction's Moodle client implements it (`offer_moodle.py`), and the tests use an
in-memory Moodle. Each method is one bulk operation: the adapter batches, runs calls
concurrently and splits rejected batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..domain.offer_state import MoodleCategory, MoodleCourse


@dataclass(frozen=True, slots=True)
class CategoryWrite:
    """A category to create (`id` None) or to update (only the fields that are set)."""

    key: str  # the category's idnumber, to tie the result back
    id: int | None = None
    name: str | None = None
    parent: int | None = None
    idnumber: str | None = None


@dataclass(frozen=True, slots=True)
class CourseWrite:
    """A course to create (`id` None) or to update (only the fields that are set)."""

    key: str  # the course's idnumber as jonction wants it
    id: int | None = None
    fullname: str | None = None
    shortname: str | None = None
    idnumber: str | None = None
    category: int | None = None
    summary: str | None = None
    visible: bool | None = None
    startdate: int | None = None
    enddate: int | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    key: str
    ok: bool
    id: int | None = None  # of what a create made
    message: str = ""
    # A failed write whose answer was lost: it may have been applied all the same.
    may_exist: bool = False


class OfferGateway(Protocol):
    async def categories(self) -> list[MoodleCategory]:
        """Every category of Moodle (one call), with its course count."""
        ...

    async def courses_in_categories(self, category_ids: Sequence[int]) -> list[MoodleCourse]:
        """The courses directly in these categories (one call each, concurrently)."""
        ...

    async def courses_by_id(self, ids: Sequence[int]) -> list[MoodleCourse]:
        """The courses of these ids that exist (batched)."""
        ...

    async def find_courses(
        self, idnumbers: Sequence[str], shortnames: Sequence[str], site_courses: int
    ) -> list[MoodleCourse]:
        """Courses bearing any of these idnumbers or shortnames, wherever they are: one
        lookup each, or one read of every course (`site_courses` of them) when cheaper."""
        ...

    async def create_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]: ...

    async def update_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]: ...

    async def create_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]: ...

    async def update_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]: ...
