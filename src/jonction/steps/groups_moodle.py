"""The Moodle calls of the groups step, on jonction's Moodle client.

Each method is one bulk operation: the client batches (in items and form fields), runs calls
concurrently within `[moodle] concurrency`, and splits a batch Moodle rejects until the bad
items are alone. Reads that Moodle only offers one course at a time run concurrently, and a
course that cannot be read is reported instead of failing the whole step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..domain.group_state import MoodleGroup
from ..moodle import (
    FunctionNotAvailable,
    GroupingAssignment,
    GroupMember,
    GroupUpdate,
    InvalidToken,
    MoodleClient,
    MoodleException,
    NewGroup,
    NewGrouping,
    WriteReport,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Written:
    """What Moodle did with one item; `id` is what a creation made."""

    ok: bool
    id: int | None = None
    message: str = ""
    deferred: bool = False  # not applied, retried next run (a member not enrolled yet)


APPLIED = Written(True)


def _outcomes(report: WriteReport[K], keys: dict[K, str]) -> dict[str, Written]:
    """Each item's outcome, by the caller's key for it."""
    results: dict[str, Written] = {}
    for applied in report.applied:
        results[keys[applied.item]] = APPLIED if applied.id is None else Written(True, applied.id)
    for failed in report.failed:
        results[keys[failed.item]] = Written(False, None, f"{failed.code}: {failed.message}")
    return results


async def per_course(
    course_ids: Sequence[int], read: Callable[[int], Awaitable[V]]
) -> tuple[dict[int, V], dict[int, str]]:
    """One read per course, concurrently; a course Moodle refuses is reported apart."""

    async def one(course_id: int) -> tuple[int, V | None, str]:
        try:
            return course_id, await read(course_id), ""
        except (InvalidToken, FunctionNotAvailable):
            raise
        except MoodleException as error:
            return course_id, None, f"{error.code}: {error.message}"

    found: dict[int, V] = {}
    refused: dict[int, str] = {}
    for course_id, value, message in await asyncio.gather(*(one(c) for c in course_ids)):
        if value is None:
            refused[course_id] = message
        else:
            found[course_id] = value
    return found, refused


class MoodleGroups:
    def __init__(self, client: MoodleClient) -> None:
        self.client = client

    async def members(self, group_ids: Sequence[int]) -> tuple[dict[int, frozenset[int]], set[int]]:
        """Members of these groups (hundreds per call), and the ids Moodle does not know."""
        if not group_ids:
            return {}, set()
        read = await self.client.group_members(group_ids)
        return dict(read.members), set(read.missing)

    async def course_groups(
        self, course_ids: Sequence[int]
    ) -> tuple[dict[int, list[MoodleGroup]], dict[int, str]]:
        async def read(course_id: int) -> list[MoodleGroup]:
            groups = (await self.client.groups_of_courses([course_id])).get(course_id, [])
            return [MoodleGroup(g.id, g.courseid, g.name, g.idnumber) for g in groups]

        return await per_course(course_ids, read)

    async def enrolled(
        self, course_ids: Sequence[int]
    ) -> tuple[dict[int, frozenset[int]], dict[int, str]]:
        """Users enrolled in each course (suspended enrolments included: Moodle lets them
        join groups)."""

        async def read(course_id: int) -> frozenset[int]:
            users = (await self.client.enrolled_users([course_id])).get(course_id, [])
            return frozenset(user.id for user in users)

        return await per_course(course_ids, read)

    async def user_courses(self, user_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        """The courses each user is actively enrolled in (one call a user, concurrently).
        Raises FunctionNotAvailable when the service lacks core_enrol_get_users_courses."""
        if not user_ids:
            return {}
        return await self.client.users_courses(user_ids)

    async def create_groups(
        self, items: Sequence[tuple[str, dict[str, Any]]]
    ) -> dict[str, Written]:
        """(key, {course_id, name, idnumber, description}) → outcome by key."""
        keys = {
            NewGroup(
                courseid=int(values["course_id"]),
                name=str(values["name"]),
                idnumber=str(values["idnumber"]),
                description=str(values.get("description", "")),
            ): key
            for key, values in items
        }
        if not keys:
            return {}
        return _outcomes(await self.client.create_groups(list(keys)), keys)

    async def rename_groups(self, items: Sequence[tuple[str, int, str]]) -> dict[str, Written]:
        """(key, group id, new name) → outcome by key."""
        keys = {GroupUpdate(id=group_id, name=name): key for key, group_id, name in items}
        if not keys:
            return {}
        return _outcomes(await self.client.update_groups(list(keys)), keys)

    async def add_members(self, items: Sequence[tuple[str, int, int]]) -> dict[str, Written]:
        """(key, group id, user id) → outcome by key."""
        keys = {GroupMember(groupid=g, userid=u): key for key, g, u in items}
        if not keys:
            return {}
        return _outcomes(await self.client.add_group_members(list(keys)), keys)

    async def remove_members(self, items: Sequence[tuple[str, int, int]]) -> dict[str, Written]:
        keys = {GroupMember(groupid=g, userid=u): key for key, g, u in items}
        if not keys:
            return {}
        return _outcomes(await self.client.delete_group_members(list(keys)), keys)


class MoodleGroupings:
    def __init__(self, client: MoodleClient) -> None:
        self.client = client

    async def of_courses(
        self, course_ids: Sequence[int]
    ) -> tuple[dict[int, list[MoodleGroup]], dict[int, str]]:
        async def read(course_id: int) -> list[MoodleGroup]:
            found = (await self.client.groupings_of_courses([course_id])).get(course_id, [])
            return [MoodleGroup(g.id, course_id, g.name, g.idnumber) for g in found]

        return await per_course(course_ids, read)

    async def create(self, items: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Written]:
        """(key, {course_id, name, idnumber}) → outcome by key. After a transport fault the
        client looks the groupings up by idnumber before sending them again."""
        keys = {
            NewGrouping(
                courseid=int(values["course_id"]),
                name=str(values["name"]),
                idnumber=str(values["idnumber"]),
            ): key
            for key, values in items
        }
        if not keys:
            return {}
        return _outcomes(await self.client.create_groupings(list(keys)), keys)

    async def assign(self, items: Sequence[tuple[str, int, int]]) -> dict[str, Written]:
        """(key, grouping id, group id) → outcome by key (assigning twice is harmless)."""
        keys = {GroupingAssignment(groupingid=g, groupid=group): key for key, g, group in items}
        if not keys:
            return {}
        return _outcomes(await self.client.assign_groupings(list(keys)), keys)
