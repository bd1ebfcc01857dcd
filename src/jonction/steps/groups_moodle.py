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
    GroupMember,
    GroupUpdate,
    InvalidToken,
    MoodleClient,
    MoodleDecodeError,
    MoodleError,
    MoodleException,
    NewGroup,
    WriteReport,
    from_moodle,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Written:
    """What Moodle did with one item; `id` is what a creation made."""

    ok: bool
    id: int | None = None
    message: str = ""


def _outcomes(report: WriteReport[K], keys: dict[K, str]) -> dict[str, Written]:
    """Each item's outcome, by the caller's key for it."""
    results: dict[str, Written] = {}
    for applied in report.applied:
        results[keys[applied.item]] = Written(True, applied.id)
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

        core_enrol_get_users_courses is not among the client's bulk reads: it is called
        through the client's transport (same accounting, retries and concurrency bound).
        Raises FunctionNotAvailable when the service lacks it."""
        function = "core_enrol_get_users_courses"

        async def read(user_id: int) -> tuple[int, frozenset[int]]:
            answer = await self.client.transport.call(
                function, {"userid": user_id, "returnusercount": 0}, kind="read"
            )
            if not isinstance(answer, list):
                raise MoodleDecodeError(f"{function}: unexpected answer", function=function)
            return user_id, frozenset(int(course["id"]) for course in answer)

        return dict(await asyncio.gather(*(read(u) for u in user_ids)))

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


# Groupings: the client has no bulk operation for them. These calls go through its transport
# (accounting, retries, concurrency bound); groupings are few, so batches are small and a
# batch Moodle refuses is retried item by item to tell the bad item from the good ones.

GROUPINGS_BATCH = 50


async def _in_batches(
    items: Sequence[tuple[str, dict[str, Any]]],
    send: Callable[[list[dict[str, Any]]], Awaitable[Any]],
) -> list[tuple[list[str], Any, str]]:
    """(keys, answer, error) per call; a refused batch is sent again one item at a time."""

    async def batch(part: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[list[str], Any, str]]:
        try:
            return [([k for k, _ in part], await send([v for _, v in part]), "")]
        except (InvalidToken, FunctionNotAvailable):
            raise
        except MoodleError as error:
            if len(part) == 1:
                return [([part[0][0]], None, f"{error.code}: {error}")]
            singles = await asyncio.gather(*(batch([item]) for item in part))
            return [result for results in singles for result in results]

    parts = [items[i : i + GROUPINGS_BATCH] for i in range(0, len(items), GROUPINGS_BATCH)]
    answers = await asyncio.gather(*(batch(part) for part in parts))
    return [result for results in answers for result in results]


class MoodleGroupings:
    def __init__(self, client: MoodleClient) -> None:
        self.transport = client.transport

    async def of_courses(
        self, course_ids: Sequence[int]
    ) -> tuple[dict[int, list[MoodleGroup]], dict[int, str]]:
        function = "core_group_get_course_groupings"

        async def read(course_id: int) -> list[MoodleGroup]:
            answer = await self.transport.call(function, {"courseid": course_id}, kind="read")
            if not isinstance(answer, list):
                raise MoodleDecodeError(f"{function}: unexpected answer", function=function)
            return [
                MoodleGroup(
                    int(g["id"]), course_id, from_moodle(str(g["name"])), str(g["idnumber"] or "")
                )
                for g in answer
            ]

        return await per_course(course_ids, read)

    async def create(self, items: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Written]:
        """(key, {course_id, name, idnumber}) → outcome by key. Not retried after a transport
        fault (a grouping made twice would collide): the next run finds it by idnumber."""
        function = "core_group_create_groupings"

        async def send(values: list[dict[str, Any]]) -> Any:
            groupings = [
                {
                    "courseid": int(v["course_id"]),
                    "name": str(v["name"]),
                    "description": "",
                    "idnumber": str(v["idnumber"]),
                }
                for v in values
            ]
            return await self.transport.call(
                function, {"groupings": groupings}, kind="write", items=len(values), retry=False
            )

        results: dict[str, Written] = {}
        for keys, answer, error in await _in_batches(items, send):
            if error:
                results.update((key, Written(False, None, error)) for key in keys)
                continue
            ids = [int(entry["id"]) for entry in answer] if isinstance(answer, list) else []
            for index, key in enumerate(keys):
                found = ids[index] if index < len(ids) else None
                results[key] = Written(found is not None, found, "" if found else "no id")
        return results

    async def assign(self, items: Sequence[tuple[str, int, int]]) -> dict[str, Written]:
        """(key, grouping id, group id) → outcome by key (assigning twice is harmless)."""
        function = "core_group_assign_grouping"

        async def send(values: list[dict[str, Any]]) -> Any:
            return await self.transport.call(
                function, {"assignments": values}, kind="write", items=len(values)
            )

        keyed = [(key, {"groupingid": g, "groupid": group}) for key, g, group in items]
        results: dict[str, Written] = {}
        for keys, _, error in await _in_batches(keyed, send):
            results.update((key, Written(not error, None, error)) for key in keys)
        return results
