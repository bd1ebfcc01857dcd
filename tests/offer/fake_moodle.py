"""An in-memory Moodle behind the offer step's port, counting its calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from jonction.domain.offer_state import MoodleCategory, MoodleCourse
from jonction.steps.offer_gateway import CategoryWrite, CourseWrite, WriteResult

WRITES = ("create_categories", "update_categories", "create_courses", "update_courses")


@dataclass
class FakeMoodle:
    category_table: dict[int, MoodleCategory] = field(default_factory=dict)
    course_table: dict[int, MoodleCourse] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    next_id: int = 2

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def write_calls(self) -> int:
        return sum(self.calls[name] for name in WRITES)

    def by_idnumber(self, idnumber: str) -> MoodleCourse:
        return next(c for c in self.course_table.values() if c.idnumber == idnumber)

    def category(self, idnumber: str) -> MoodleCategory:
        return next(c for c in self.category_table.values() if c.idnumber == idnumber)

    # What people do by hand --------------------------------------------------------------

    def hand_category(self, name: str, idnumber: str = "", parent: int = 0) -> int:
        new = MoodleCategory(self._id(), idnumber, name, parent)
        self.category_table[new.id] = new
        return new.id

    def hand_course(
        self, shortname: str, fullname: str, category: int, idnumber: str = "", summary: str = ""
    ) -> int:
        new = MoodleCourse(self._id(), idnumber, shortname, fullname, category, True, summary)
        self.course_table[new.id] = new
        return new.id

    def edit_course(self, moodle_id: int, **changes: object) -> None:
        self.course_table[moodle_id] = replace(self.course_table[moodle_id], **changes)  # type: ignore[arg-type]

    # The port ------------------------------------------------------------------------------

    async def categories(self) -> list[MoodleCategory]:
        self.calls["categories"] += 1
        counts = Counter(course.category for course in self.course_table.values())
        return [replace(c, coursecount=counts[c.id]) for c in self.category_table.values()]

    async def courses_in_categories(self, category_ids: Sequence[int]) -> list[MoodleCourse]:
        self.calls["courses_in_categories"] += len(category_ids)
        return [c for c in self.course_table.values() if c.category in set(category_ids)]

    async def courses_by_id(self, ids: Sequence[int]) -> list[MoodleCourse]:
        self.calls["courses_by_id"] += 1
        return [self.course_table[i] for i in ids if i in self.course_table]

    async def find_courses(
        self, idnumbers: Sequence[str], shortnames: Sequence[str], site_courses: int
    ) -> list[MoodleCourse]:
        self.calls["find_courses"] += 1
        return [
            c
            for c in self.course_table.values()
            if (c.idnumber and c.idnumber in idnumbers) or c.shortname in shortnames
        ]

    async def create_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]:
        self.calls["create_categories"] += 1
        results = []
        for item in items:
            if any(c.idnumber == item.idnumber for c in self.category_table.values()):
                results.append(WriteResult(item.key, False, message="idnumbertaken"))
                continue
            new = MoodleCategory(self._id(), item.idnumber or "", item.name or "", item.parent or 0)
            self.category_table[new.id] = new
            results.append(WriteResult(item.key, True, new.id))
        return results

    async def update_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]:
        self.calls["update_categories"] += 1
        for item in items:
            assert item.id is not None
            current = self.category_table[item.id]
            self.category_table[item.id] = replace(
                current,
                name=item.name if item.name is not None else current.name,
                parent=item.parent if item.parent is not None else current.parent,
            )
        return [WriteResult(item.key, True) for item in items]

    async def create_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        self.calls["create_courses"] += 1
        results = []
        for item in items:
            taken = [
                c
                for c in self.course_table.values()
                if c.shortname == item.shortname or (item.idnumber and c.idnumber == item.idnumber)
            ]
            if taken:
                results.append(WriteResult(item.key, False, message="shortnametaken"))
                continue
            new = MoodleCourse(
                self._id(),
                item.idnumber or "",
                item.shortname or "",
                item.fullname or "",
                item.category or 0,
                bool(item.visible),
                item.summary or "",
            )
            self.course_table[new.id] = new
            results.append(WriteResult(item.key, True, new.id))
        return results

    async def update_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        self.calls["update_courses"] += 1
        results = []
        for item in items:
            assert item.id is not None
            if item.id not in self.course_table:
                results.append(WriteResult(item.key, False, message="invalidrecord"))
                continue
            current = self.course_table[item.id]
            changes = {
                name: getattr(item, name)
                for name in ("fullname", "shortname", "idnumber", "category", "summary", "visible")
                if getattr(item, name) is not None
            }
            self.course_table[item.id] = replace(current, **changes)
            results.append(WriteResult(item.key, True))
        return results
