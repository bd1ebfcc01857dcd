"""The offer step's port implemented over jonction's Moodle client."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Hashable, Sequence
from typing import TypeVar

from ..domain.naming import comparable
from ..domain.obsolescence import Usage
from ..domain.offer_state import MoodleCategory, MoodleCourse
from ..moodle import (
    CategoryUpdate,
    Course,
    CourseDeletion,
    CourseUpdate,
    MoodleClient,
    NewCategory,
    NewCourse,
    WriteReport,
)
from ..moodle.reads import ALL_COURSES_PER_COURSE_S, CALL_S
from .offer_gateway import CategoryWrite, CourseWrite, WriteResult

Item = TypeVar("Item", bound=Hashable)


def _course(course: Course) -> MoodleCourse:
    return MoodleCourse(
        course.id,
        course.idnumber,
        course.shortname,
        course.fullname,
        course.categoryid,
        course.visible,
        course.summary,
    )


def _results(report: WriteReport[Item], keys: dict[Item, str]) -> list[WriteResult]:
    report.raise_if_fatal()
    results = [WriteResult(keys[a.item], True, a.id, a.note) for a in report.applied]
    results += [
        WriteResult(
            keys[f.item], False, message=f"{f.code}: {f.message}".strip(": "), may_exist=f.may_exist
        )
        for f in report.failed
    ]
    return results


class MoodleOfferGateway:
    def __init__(self, client: MoodleClient) -> None:
        self.client = client

    async def categories(self) -> list[MoodleCategory]:
        return [
            MoodleCategory(c.id, c.idnumber, c.name, c.parent, c.coursecount)
            for c in await self.client.categories()
        ]

    async def courses_in_categories(self, category_ids: Sequence[int]) -> list[MoodleCourse]:
        return [_course(c) for c in await self.client.courses_in_categories(category_ids)]

    async def courses_by_id(self, ids: Sequence[int]) -> list[MoodleCourse]:
        return [_course(c) for c in await self.client.courses_by_id(ids)]

    async def find_courses(
        self, idnumbers: Sequence[str], shortnames: Sequence[str], site_courses: int
    ) -> list[MoodleCourse]:
        lookups = [("idnumber", value) for value in idnumbers if value]
        lookups += [("shortname", value) for value in shortnames if value]
        if not lookups:
            return []
        # Moodle reads one value a call; reading everything costs ~3.3 ms a course.
        rounds = math.ceil(len(lookups) / self.client.transport.concurrency)
        if CALL_S + ALL_COURSES_PER_COURSE_S * site_courses < rounds * CALL_S:
            wanted_ids = set(idnumbers)
            wanted_names = {comparable(name) for name in shortnames}
            return [
                _course(c)
                for c in await self.client.courses()
                if (c.idnumber and c.idnumber in wanted_ids)
                or comparable(c.shortname) in wanted_names
            ]
        answers = await asyncio.gather(
            *(self.client.courses_by_field(field, value) for field, value in lookups)
        )
        found = {course.id: course for answer in answers for course in answer}
        return [_course(found[i]) for i in sorted(found)]

    async def course_usage(self, ids: Sequence[int]) -> dict[int, Usage]:
        """Whether anybody enrolled ever entered each course (see domain.obsolescence.Usage)."""
        visits = await self.client.course_visits(ids)
        return {
            course: Usage(False)
            if seen is None
            else Usage(True, sum(1 for when in seen.values() if when > 0), len(seen))
            for course, seen in visits.items()
        }

    async def delete_courses(self, items: Sequence[tuple[str, int]]) -> list[WriteResult]:
        """Deletes courses: (key, Moodle id) pairs."""
        keys = {CourseDeletion(moodle_id): key for key, moodle_id in items}
        return _results(await self.client.delete_courses(list(keys)), keys)

    async def create_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]:
        keys = {
            NewCategory(name=i.name or "", parent=i.parent or 0, idnumber=i.idnumber): i.key
            for i in items
        }
        return _results(await self.client.create_categories(list(keys)), keys)

    async def update_categories(self, items: Sequence[CategoryWrite]) -> list[WriteResult]:
        keys: dict[CategoryUpdate, str] = {}
        for item in items:
            assert item.id is not None
            keys[CategoryUpdate(item.id, name=item.name, parent=item.parent)] = item.key
        return _results(await self.client.update_categories(list(keys)), keys)

    async def create_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        keys = {
            NewCourse(
                fullname=i.fullname or "",
                shortname=i.shortname or "",
                categoryid=i.category or 0,
                idnumber=i.idnumber,
                summary=i.summary,
                visible=i.visible,
                startdate=i.startdate,
                enddate=i.enddate,
            ): i.key
            for i in items
        }
        return _results(await self.client.create_courses(list(keys)), keys)

    async def update_courses(self, items: Sequence[CourseWrite]) -> list[WriteResult]:
        keys: dict[CourseUpdate, str] = {}
        for i in items:
            assert i.id is not None
            update = CourseUpdate(
                i.id,
                fullname=i.fullname,
                shortname=i.shortname,
                categoryid=i.category,
                idnumber=i.idnumber,
                summary=i.summary,
                visible=i.visible,
            )
            keys[update] = i.key
        return _results(await self.client.update_courses(list(keys)), keys)
