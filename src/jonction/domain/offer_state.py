"""What jonction knows of Moodle's catalogue when it plans the offer step.

Two sources make it: Moodle itself (every category, read in one call, and the courses read
tonight) and the state database (`managed`: the categories and courses jonction created or
adopted, with what it last wrote). A managed course not read tonight is known from its
record; `fresh` tells which courses were read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .intents import Recovered
from .refer_model import EtapeKey

CATEGORY_KIND = "category"
COURSE_KIND = "course"


@dataclass(frozen=True, slots=True)
class MoodleCategory:
    id: int
    idnumber: str
    name: str  # as plain text (entities decoded)
    parent: int  # 0 at the top of Moodle
    coursecount: int = 0


@dataclass(frozen=True, slots=True)
class MoodleCourse:
    id: int
    idnumber: str
    shortname: str
    fullname: str  # as plain text
    category: int
    visible: bool
    summary: str | None = None  # None when not read tonight
    fresh: bool = False  # read from Moodle tonight (else known from jonction's record)


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    key: str  # the category's idnumber
    moodle_id: int | None
    name: str
    parent: str  # idnumber of the parent ("" at the root of the tree)
    year: str

    @classmethod
    def from_data(cls, key: str, moodle_id: int | None, data: Mapping[str, Any]) -> CategoryRecord:
        return cls(
            key,
            moodle_id,
            str(data.get("name", "")),
            str(data.get("parent", "")),
            str(data.get("year", "")),
        )


def parse_etape(text: str | None) -> EtapeKey | None:
    """'L1MATH-1' → EtapeKey('L1MATH', 1); None for an empty or malformed value."""
    if not text:
        return None
    code, _, version = text.rpartition("-")
    if not code or not version.lstrip("-").isdigit():
        return None
    return EtapeKey(code, int(version))


@dataclass(frozen=True, slots=True)
class CourseRecord:
    """A managed course as jonction last left it."""

    key: str  # the course's idnumber as jonction wants it
    moodle_id: int | None
    year: str
    element: str
    composante: str
    etape: EtapeKey | None  # the primary parent it was placed under
    category: str  # idnumber of the category it was put in
    category_id: int | None
    idnumber: str  # as last seen in Moodle (differs from key for a course just adopted)
    shortname: str
    fullname: str
    summary: str | None  # what jonction last wrote; None if it never wrote one
    visible: bool
    summary_frozen: bool = False  # teachers rewrote the summary: jonction leaves it to them
    obsolete_since: str | None = None  # the day its element left the catalogue
    hidden_by_jonction: bool = False
    adopted: bool = False
    etapes: tuple[str, ...] | None = None  # the étapes its summary lists, as last written

    @classmethod
    def from_data(cls, key: str, moodle_id: int | None, data: Mapping[str, Any]) -> CourseRecord:
        summary = data.get("summary")
        category_id = data.get("category_id")
        obsolete = data.get("obsolete_since")
        etapes = data.get("etapes")
        return cls(
            key=key,
            moodle_id=moodle_id,
            year=str(data.get("year", "")),
            element=str(data.get("element", "")),
            composante=str(data.get("composante", "")),
            etape=parse_etape(data.get("etape")),
            category=str(data.get("category", "")),
            category_id=int(category_id) if category_id is not None else None,
            idnumber=str(data.get("idnumber", key)),
            shortname=str(data.get("shortname", "")),
            fullname=str(data.get("fullname", "")),
            summary=None if summary is None else str(summary),
            visible=bool(data.get("visible", True)),
            summary_frozen=bool(data.get("summary_frozen", False)),
            obsolete_since=None if obsolete is None else str(obsolete),
            hidden_by_jonction=bool(data.get("hidden_by_jonction", False)),
            adopted=bool(data.get("adopted", False)),
            etapes=tuple(str(e) for e in etapes) if isinstance(etapes, list) else None,
        )

    def as_course(self) -> MoodleCourse | None:
        """The course as jonction believes it is in Moodle (not read tonight)."""
        if self.moodle_id is None:
            return None
        return MoodleCourse(
            id=self.moodle_id,
            idnumber=self.idnumber,
            shortname=self.shortname,
            fullname=self.fullname,
            category=self.category_id or 0,
            visible=self.visible,
        )


@dataclass(slots=True)
class KnownCatalogue:
    """The known Moodle state the offer plan is computed against."""

    categories: dict[int, MoodleCategory] = field(default_factory=dict)  # every one in Moodle
    courses: dict[int, MoodleCourse] = field(default_factory=dict)  # managed ones and those read
    category_records: dict[str, CategoryRecord] = field(default_factory=dict)
    course_records: dict[str, CourseRecord] = field(default_factory=dict)
    root: int = 0  # Moodle id of the category the tree hangs under
    today: str = ""  # ISO date, for the marks of obsolescence
    # Objects a stopped run created without recording them, recognised by their intents
    # (their records are already among the records above).
    recovered_categories: dict[str, Recovered[MoodleCategory]] = field(default_factory=dict)
    recovered_courses: dict[str, Recovered[MoodleCourse]] = field(default_factory=dict)
    # Intents examined while reading that name nothing to take back (kind → keys).
    settled_intents: dict[str, frozenset[str]] = field(default_factory=dict)

    def placements(self) -> dict[str, EtapeKey]:
        """By course idnumber, the étape each managed course was placed under."""
        return {key: record.etape for key, record in self.course_records.items() if record.etape}

    def category_id(self, idnumber: str) -> int | None:
        """The Moodle id of a managed category that exists, by idnumber."""
        record = self.category_records.get(idnumber)
        if record is None or record.moodle_id not in self.categories:
            return None
        return record.moodle_id

    def course_of(self, key: str) -> MoodleCourse | None:
        """The Moodle course of a managed key, when it still exists."""
        record = self.course_records.get(key)
        if record is None or record.moodle_id is None:
            return None
        return self.courses.get(record.moodle_id)
