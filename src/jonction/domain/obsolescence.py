"""What becomes of courses the catalogue no longer wants (pure).

Two kinds of courses leave the night's catalogue:

- **obsolete** courses: their element left the catalogue of an open year. The offer step marks
  them and hides them (`[policy] obsolete_courses`);
- courses of a **closed** year: the year is no longer open (its overlap after `jonction
  rollover` ended). `[obsolescence] closed_year_courses` hides them (the default) or keeps
  them.

A course hidden by jonction moves, `archive_after_days` after it was hidden, to an archive
category of its year and composante (`Archives / 2026-2027 / UFR Sciences`), never more than
`archive_category_size` courses to a category (numbered siblings take the rest: Moodle slows
down badly when a category holds thousands of courses). An archived course is deleted only
when `delete = "unused"`, `delete_after_days` after its archiving, and when Moodle shows no
sign of use (see `Usage`); any doubt keeps it. A course shown again by hand is left alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..config.obsolescence import ObsolescenceSection
from .offer_state import COURSE_KIND, MoodleCategory, MoodleCourse
from .plan import Action, Notice, Operation, Plan, fingerprint

STEP = "obsolescence"
ARCHIVE_KIND = "archive_category"
ARCHIVE_TOP = "archive"


@dataclass(frozen=True, slots=True)
class CourseLife:
    """A managed course as its record tells it (the offer step's record, with the marks of
    this step)."""

    key: str
    moodle_id: int | None
    year: str
    composante: str
    category: str
    visible: bool
    hidden_by_jonction: bool
    obsolete_since: str | None
    hidden_on: str | None
    archived_on: str | None
    fullname: str
    used: bool = False  # found used once: kept for good, never probed again

    @classmethod
    def from_data(cls, key: str, moodle_id: int | None, data: Mapping[str, Any]) -> CourseLife:
        def day(name: str) -> str | None:
            value = data.get(name)
            return str(value) if value else None

        return cls(
            key,
            moodle_id,
            str(data.get("year", "")),
            str(data.get("composante", "")),
            str(data.get("category", "")),
            bool(data.get("visible", True)),
            bool(data.get("hidden_by_jonction", False)),
            day("obsolete_since"),
            day("hidden_on"),
            day("archived_on"),
            str(data.get("fullname", key)),
            bool(data.get("used", False)),
        )


@dataclass(frozen=True, slots=True)
class ArchiveCategory:
    key: str
    name: str
    parent: str  # key of the parent archive category; "" under the archive's root
    year: str = ""
    composante: str = ""
    number: int = 1


@dataclass(frozen=True, slots=True)
class Usage:
    """What Moodle tells of a course's use through jonction's web services: the last course
    access of every person enrolled (suspended ones included). Activities, grades, posts and
    submissions all need someone in the course, and Moodle records every entry of an enrolled
    person; its logs themselves cannot be read through web services. `known` False: Moodle
    would not show it (any doubt counts as used)."""

    known: bool
    accessed: int = 0  # enrolled people who ever entered the course
    enrolled: int = 0

    @property
    def used(self) -> bool:
        return not self.known or self.accessed > 0


@dataclass
class ObsolescenceInput:
    courses: Mapping[str, CourseLife]
    archives: Mapping[str, ArchiveCategory]  # managed archive categories, by key
    closed: Mapping[str, str | None]  # closed years → first closed day (None: unknown)
    composante_labels: Mapping[tuple[str, str], str]  # (year, COD_CMP) → label
    policy: ObsolescenceSection
    today: date
    # What Moodle shows now of the courses about to change (None: not read).
    moodle: Mapping[int, MoodleCourse] | None = None
    # Moodle ids of the existing archive categories (by key) and the archive's root id.
    archive_ids: Mapping[str, int] = field(default_factory=dict)
    usage: Mapping[int, Usage] = field(default_factory=dict)


def _days(since: str | None, today: date) -> int | None:
    if not since:
        return None
    return (today - date.fromisoformat(since[:10])).days


def is_archive(key: str) -> bool:
    return key == ARCHIVE_TOP or key.startswith(ARCHIVE_TOP + ":")


def _course_op(
    action: Action,
    course: CourseLife,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
) -> Operation:
    return Operation(
        COURSE_KIND,
        action,
        course.key,
        course.fullname,
        before=before,
        after=after,
        reason=reason,
        source={"moodle_id": course.moodle_id, "year": course.year},
        scope=course.composante,
    )


class _Planner:
    def __init__(self, data: ObsolescenceInput) -> None:
        self.data = data
        self.policy = data.policy
        self.today = data.today.isoformat()
        self.ops: list[Operation] = []
        self.notices: list[Notice] = []
        self.stats: Counter[str] = Counter()
        self.new_archives: dict[str, ArchiveCategory] = {}
        occupied: Counter[str] = Counter(
            c.category for c in data.courses.values() if is_archive(c.category)
        )
        self.occupied = occupied

    # Candidates ------------------------------------------------------------------------------

    def _closed(self, course: CourseLife) -> bool:
        return course.year in self.data.closed

    def _hidden_since(self, course: CourseLife) -> str | None:
        if course.hidden_on:
            return course.hidden_on
        if course.obsolete_since:
            return course.obsolete_since
        return self.data.closed.get(course.year)

    def _current(self, course: CourseLife) -> MoodleCourse | None:
        """Moodle's view of the course (None when not read tonight, or gone)."""
        if self.data.moodle is None or course.moodle_id is None:
            return None
        return self.data.moodle.get(course.moodle_id)

    def _gone(self, course: CourseLife) -> bool:
        if self.data.moodle is not None and self._current(course) is None:
            self.notices.append(
                Notice(
                    "obsolete_course_gone",
                    course.key,
                    f"course {course.key} ({course.fullname}) is no longer in Moodle",
                    severity="info",
                    data={"moodle_id": course.moodle_id, "composante": course.composante},
                )
            )
            return True
        return False

    def courses(self) -> None:
        for key in sorted(self.data.courses):
            course = self.data.courses[key]
            if course.moodle_id is None:
                continue
            closed = self._closed(course)
            if not closed and course.obsolete_since is None:
                continue
            self.stats["courses_closed_year" if closed else "courses_obsolete"] += 1
            if is_archive(course.category):
                self._maybe_delete(course)
                continue
            if course.visible:
                if closed and self.policy.closed_year_courses == "hide" and not self._gone(course):
                    self._hide(course)
                continue
            self._maybe_archive(course, closed)

    def _hide(self, course: CourseLife) -> None:
        current = self._current(course)
        if current is not None and not current.visible:
            return  # hidden by hand already: nothing to write
        close_day = self.data.closed.get(course.year)
        since = f" on {close_day}" if close_day else ""
        self.ops.append(
            _course_op(
                Action.HIDE,
                course,
                {"visible": True},
                {"visible": False, "hidden_by_jonction": True, "hidden_on": self.today},
                f"{course.year}-{int(course.year) + 1} closed{since}: its courses are hidden "
                "from students ([obsolescence] closed_year_courses = hide); teachers still see "
                "them",
            )
        )

    def _maybe_archive(self, course: CourseLife, closed: bool) -> None:
        if not course.hidden_by_jonction:
            return  # hidden by hand, or created hidden: not jonction's to archive
        since = self._hidden_since(course)
        if since is None or course.hidden_on is None:
            # Older records hold no day of hiding: it starts counting now.
            self.ops.append(
                _course_op(
                    Action.UPDATE,
                    course,
                    {"hidden_on": None},
                    {"hidden_on": since or self.today},
                    "the day jonction hid the course is recorded, to count the days before it "
                    "is archived",
                )
            )
            since = since or self.today
        wait = self.policy.archive_after_days
        if wait == 0:
            return
        elapsed = _days(since, self.data.today) or 0
        if elapsed < wait:
            self.stats["courses_waiting_for_archive"] += 1
            return
        if self._gone(course):
            return
        current = self._current(course)
        if current is not None and current.visible:
            self.notices.append(
                Notice(
                    "obsolete_course_shown_by_hand",
                    course.key,
                    f"course {course.key} ({course.fullname}) was hidden by jonction and shown "
                    "again in Moodle: it is not archived",
                    data={"moodle_id": course.moodle_id, "composante": course.composante},
                )
            )
            return
        target = self._archive_slot(course)
        why = (
            f"{course.year}-{int(course.year) + 1} is closed"
            if closed
            else f"its element left the catalogue of {course.year} on {course.obsolete_since}"
        )
        self.ops.append(
            _course_op(
                Action.ARCHIVE,
                course,
                {"category": course.category},
                {"category": target, "archived_on": self.today},
                f"{why}; hidden since {since[:10]}, more than {wait} days "
                "([obsolescence] archive_after_days): moved to the archive",
            )
        )

    def _maybe_delete(self, course: CourseLife) -> None:
        if not _deletable(course, self.policy, self.data.today):
            if course.used:
                self.stats["archived_kept_used"] += 1
            return
        assert course.moodle_id is not None
        usage = self.data.usage.get(course.moodle_id)
        if usage is None:
            self.stats["deletion_candidates"] += 1
            return  # the shell reads the usage of the candidates, then plans again
        if usage.used:
            self.stats["archived_kept_used"] += 1
            if usage.known:
                self.ops.append(
                    _course_op(
                        Action.UPDATE,
                        course,
                        {"used": False},
                        {"used": True},
                        f"kept for good: {usage.accessed} of the {usage.enrolled} people "
                        "enrolled entered it",
                    )
                )
            return
        if self._gone(course):
            return
        self.ops.append(
            _course_op(
                Action.DELETE,
                course,
                {"exists": True},
                {"exists": False},
                f"archived on {course.archived_on}, more than "
                f"{self.policy.delete_after_days} days ago, and never used: none of the "
                f"{usage.enrolled} people enrolled ever entered it ([obsolescence] delete = "
                "unused)",
            )
        )

    # Archive categories --------------------------------------------------------------------

    def _archive_slot(self, course: CourseLife) -> str:
        """The archive category of the course's year and composante that still has room."""
        year_key = f"{ARCHIVE_TOP}:{course.year}"
        self._want(ArchiveCategory(ARCHIVE_TOP, self.policy.archive_name, ""))
        self._want(
            ArchiveCategory(
                year_key, f"{course.year}-{int(course.year) + 1}", ARCHIVE_TOP, course.year
            )
        )
        composante = course.composante or "-"
        label = self.data.composante_labels.get((course.year, composante), composante)
        number = 1
        while True:
            key = f"{year_key}:{composante}" + (f":{number}" if number > 1 else "")
            if self.occupied[key] < self.policy.archive_category_size:
                break
            number += 1
        name = label if number == 1 else f"{label} ({number})"
        self._want(ArchiveCategory(key, name, year_key, course.year, composante, number))
        self.occupied[key] += 1
        return key

    def _want(self, category: ArchiveCategory) -> None:
        if category.key in self.data.archive_ids or category.key in self.new_archives:
            return
        self.new_archives[category.key] = category
        again = " (it was deleted in Moodle)" if category.key in self.data.archives else ""
        self.ops.append(
            Operation(
                ARCHIVE_KIND,
                Action.CREATE,
                category.key,
                category.name,
                after={
                    "idnumber": category.key,
                    "name": category.name,
                    "parent": category.parent,
                    "year": category.year,
                    "composante": category.composante,
                    "number": category.number,
                    "depth": category.key.count(":") - (1 if category.number > 1 else 0),
                },
                reason="archive category for the courses of "
                + (
                    f"{category.composante} in {category.year}"
                    if category.composante
                    else (category.year or "every year")
                )
                + again,
                source={"year": category.year, "composante": category.composante},
            )
        )

    def plan(self) -> Plan:
        self.courses()
        # Categories first (parents before children), then the courses.
        self.ops.sort(
            key=lambda op: (op.kind != ARCHIVE_KIND, op.kind == ARCHIVE_KIND and op.key.count(":"))
        )
        by_scope: dict[str, int] = defaultdict(int)
        for course in self.data.courses.values():
            by_scope[course.composante] += 1
        return Plan(
            STEP,
            operations=self.ops,
            notices=self.notices,
            existing={COURSE_KIND: len(self.data.courses)},
            existing_by_scope={COURSE_KIND: dict(by_scope)},
            basis=basis(self.data),
            stats=dict(self.stats),
        )


def _deletable(course: CourseLife, policy: ObsolescenceSection, today: date) -> bool:
    """An archived course the policy lets go once Moodle shows it was never used."""
    if policy.delete != "unused" or course.used or course.moodle_id is None:
        return False
    if not is_archive(course.category) or course.archived_on is None:
        return False
    return (_days(course.archived_on, today) or 0) >= policy.delete_after_days


def deletion_candidates(data: ObsolescenceInput) -> list[int]:
    """Moodle ids of the courses whose use must be read before planning their deletion."""
    return sorted(
        c.moodle_id
        for c in data.courses.values()
        if c.moodle_id is not None and _deletable(c, data.policy, data.today)
    )


def basis(data: ObsolescenceInput) -> str:
    moodle = data.moodle or {}
    return fingerprint(
        [
            sorted(
                (c.key, c.moodle_id, c.category, c.visible, c.hidden_on, c.archived_on)
                for c in data.courses.values()
            ),
            sorted(data.archive_ids.items()),
            sorted((c.id, c.category, c.visible) for c in moodle.values()),
            sorted(data.closed.items(), key=lambda item: item[0]),
        ]
    )


def determine_obsolescence(data: ObsolescenceInput) -> Plan:
    """Hides, archives and deletes what the policy says, with reasons. Pure."""
    return _Planner(data).plan()


def touched_courses(plan: Plan) -> list[int]:
    """Moodle ids of the courses a plan would change: read before planning for good."""
    return sorted(
        {
            int(op.source["moodle_id"])
            for op in plan.operations
            if op.kind == COURSE_KIND
            and op.source.get("moodle_id") is not None
            and op.action in (Action.HIDE, Action.ARCHIVE, Action.DELETE)
        }
    )


def archive_categories(
    records: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[str, ArchiveCategory]:
    return {
        key: ArchiveCategory(
            key,
            str(data.get("name", key)),
            str(data.get("parent", "")),
            str(data.get("year", "")),
            str(data.get("composante", "")),
            int(data.get("number", 1)),
        )
        for key, data in records
    }


def archive_ids(
    records: Mapping[str, int | None], categories: Mapping[int, MoodleCategory]
) -> dict[str, int]:
    """Managed archive categories that still exist in Moodle, by key."""
    return {
        key: moodle_id
        for key, moodle_id in records.items()
        if moodle_id is not None and moodle_id in categories
    }
