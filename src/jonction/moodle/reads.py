"""Bulk reads of Moodle's state with as few calls as each function allows.

Moodle's orders are not to be relied on (by name in byte order, by id, by a text sort
key…): every result is sorted here by its key. Unknown ids are handled per function:
some reads leave them out, `core_group_get_group_members` and
`core_cohort_get_cohort_members` fail whole, so their batches are split to find them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from .batching import even_batch_size, plan_batches
from .encoding import field_count
from .errors import MoodleDecodeError, MoodleException
from .functions import SPECS
from .models import Category, Cohort, Course, EnrolledUser, Group, Members, SiteInfo, User
from .transport import FIXED_FIELDS, MoodleTransport, TooManyFields

V = TypeVar("V")

SITE_COURSE_ID = 1

# Measured on Moodle 4.1 (shared/moodle/README.md): what a read costs, to choose a strategy.
CALL_S = 0.025  # one small call, fixed cost included
ALL_COURSES_PER_COURSE_S = 0.0033  # core_course_get_courses of everything, per course


class Reads:
    """The read half of the client; `MoodleClient` adds the writes."""

    def __init__(self, transport: MoodleTransport, batch_sizes: Mapping[str, int]) -> None:
        self._transport = transport
        self._batch_sizes = batch_sizes

    # --- plumbing ------------------------------------------------------------------------

    async def _read(self, function: str, params: Mapping[str, Any], items: int = 1) -> Any:
        return await self._transport.call(function, params, kind="read", items=items)

    def _plan(
        self, function: str, list_name: str, values: Sequence[V], extra: Mapping[str, Any]
    ) -> list[list[V]]:
        fixed = FIXED_FIELDS + field_count(extra)
        plan = plan_batches(
            values,
            [field_count({list_name: [value]}) for value in values],
            max_items=even_batch_size(
                len(values),
                self._batch_sizes.get(function, SPECS[function].batch_size),
                self._transport.concurrency,
            ),
            field_budget=self._transport.max_input_vars - fixed,
        )
        if plan.oversized:
            value, size = plan.oversized[0]
            raise TooManyFields(
                f"{function}: {value!r} alone needs {size} form fields", function=function
            )
        return plan.batches

    async def _batched(
        self,
        function: str,
        list_name: str,
        values: Sequence[V],
        extra: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """One call per batch of `values`, concurrently; the answers' lists joined."""
        extra = extra or {}
        batches = self._plan(function, list_name, values, extra)
        answers = await asyncio.gather(
            *(self._read(function, {**extra, list_name: batch}, len(batch)) for batch in batches)
        )
        return [entry for answer in answers for entry in _as_list(function, answer)]

    async def _each(self, function: str, params: Iterable[Mapping[str, Any]]) -> list[Any]:
        """One call per parameter set, concurrently (within the in-flight bound)."""
        return list(await asyncio.gather(*(self._read(function, p) for p in params)))

    # --- site ----------------------------------------------------------------------------

    async def site_info(self) -> SiteInfo:
        answer = await self._read("core_webservice_get_site_info", {})
        if not isinstance(answer, dict):
            raise MoodleDecodeError(
                "core_webservice_get_site_info: unexpected answer",
                function="core_webservice_get_site_info",
            )
        return SiteInfo.from_moodle(answer)

    # --- categories and courses ----------------------------------------------------------

    async def categories(self) -> list[Category]:
        """Every category, in one call, by id."""
        answer = await self._read("core_course_get_categories", {})
        function = "core_course_get_categories"
        return sorted((Category.from_moodle(c) for c in _as_list(function, answer)), key=_id)

    async def courses(self) -> list[Course]:
        """Every course but the site course, in one call (≈ 3.3 ms a course on Moodle)."""
        answer = await self._read("core_course_get_courses", {})
        return to_courses(_as_list("core_course_get_courses", answer))

    async def courses_by_id(self, ids: Iterable[int]) -> list[Course]:
        """The courses of `ids` that exist (unknown ids are left out), by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        function = "core_course_get_courses"
        # `ids` sits under `options`: the names differ from a top-level list, not the count.
        batches = self._plan(function, "ids", wanted, {})
        answers = await asyncio.gather(
            *(self._read(function, {"options": {"ids": b}}, len(b)) for b in batches)
        )
        return to_courses(entry for answer in answers for entry in _as_list(function, answer))

    async def courses_in_categories(self, category_ids: Iterable[int]) -> list[Course]:
        """The courses of these categories (not of their subcategories): one call each."""
        answers = await self._each(
            "core_course_get_courses_by_field",
            ({"field": "category", "value": str(c)} for c in sorted(set(category_ids))),
        )
        return to_courses(entry for answer in answers for entry in by_field_courses(answer))

    async def courses_by_field(self, field: str, value: str) -> list[Course]:
        """core_course_get_courses_by_field for one value (field: id, shortname, idnumber,
        category; `ids` fails whole on one unknown id and is not offered)."""
        if field not in ("id", "shortname", "idnumber", "category"):
            raise ValueError(f"cannot read courses by {field!r}")
        answer = await self._read(
            "core_course_get_courses_by_field", {"field": field, "value": value}
        )
        return to_courses(by_field_courses(answer))

    async def courses_by_idnumber(
        self, idnumbers: Iterable[str], *, categories: Iterable[int] = ()
    ) -> dict[str, Course]:
        """The courses bearing these idnumbers, by idnumber.

        Moodle reads one idnumber per call. The courses are first looked for in
        `categories` (where jonction expects them: one call a category); those still
        missing are read one call each, concurrently, or with one read of every course,
        whichever the measured costs say is faster.
        """
        wanted = {i for i in idnumbers if i}
        found: dict[str, Course] = {}
        category_ids = sorted(set(categories))
        if wanted and category_ids:
            for course in await self.courses_in_categories(category_ids):
                if course.idnumber in wanted:
                    found[course.idnumber] = course
        missing = sorted(wanted - found.keys())
        if not missing:
            return dict(sorted(found.items()))
        lookups_s = math.ceil(len(missing) / self._transport.concurrency) * CALL_S
        if len(missing) > self._transport.concurrency:
            total = sum(c.coursecount for c in await self.categories())
            if CALL_S + ALL_COURSES_PER_COURSE_S * total < lookups_s:
                for course in await self.courses():
                    if course.idnumber in wanted and course.idnumber not in found:
                        found[course.idnumber] = course
                return dict(sorted(found.items()))
        answers = await self._each(
            "core_course_get_courses_by_field",
            ({"field": "idnumber", "value": i} for i in missing),
        )
        for answer in answers:
            for course in to_courses(by_field_courses(answer)):
                found[course.idnumber] = course
        return dict(sorted(found.items()))

    # --- users ---------------------------------------------------------------------------

    async def users_by_username(self, usernames: Iterable[str]) -> dict[str, User]:
        """The accounts of these usernames that exist, by username (unknown ones left out)."""
        return {
            user.username: user
            for user in await self._users("username", sorted({u for u in usernames if u}))
        }

    async def users_by_id(self, ids: Iterable[int]) -> dict[int, User]:
        return {user.id: user for user in await self._users("id", sorted(set(ids)))}

    async def _users(self, field: str, values: Sequence[Any]) -> list[User]:
        if not values:
            return []
        found = await self._batched(
            "core_user_get_users_by_field", "values", values, {"field": field}
        )
        return sorted((User.from_moodle(u) for u in found), key=_id)

    async def enrolled_users(
        self, course_ids: Iterable[int], *, only_active: bool = False
    ) -> dict[int, list[EnrolledUser]]:
        """The users enrolled in each course (one call a course, concurrently), by user id.

        Suspended enrolments are included unless `only_active` (which needs
        moodle/course:enrolreview); comparing both reads tells them apart.
        """
        ids = sorted(set(course_ids))
        options: list[dict[str, str]] = [
            {"name": "userfields", "value": "id,username,idnumber,roles,groups"}
        ]
        if only_active:
            options.append({"name": "onlyactive", "value": "1"})
        answers = await self._each(
            "core_enrol_get_enrolled_users",
            ({"courseid": course, "options": options} for course in ids),
        )
        return {
            course: sorted(
                (
                    EnrolledUser.from_moodle(u)
                    for u in _as_list("core_enrol_get_enrolled_users", answer)
                ),
                key=_id,
            )
            for course, answer in zip(ids, answers, strict=True)
        }

    async def users_courses(self, user_ids: Iterable[int]) -> dict[int, frozenset[int]]:
        """The courses each user is actively enrolled in (core_enrol_get_users_courses: one
        call a user, concurrently; suspended and not yet started enrolments are left out)."""
        ids = sorted(set(user_ids))
        function = "core_enrol_get_users_courses"
        answers = await self._each(function, ({"userid": u, "returnusercount": 0} for u in ids))
        return {
            user: frozenset(int(course["id"]) for course in _as_list(function, answer))
            for user, answer in zip(ids, answers, strict=True)
        }

    async def course_visits(self, course_ids: Iterable[int]) -> dict[int, dict[int, int] | None]:
        """For each course, its enrolled people (suspended ones included) with the time they
        last entered it (0: never), from Moodle's last course access (one call a course). None
        for a course Moodle would not show: what cannot be read is not known."""
        ids = sorted(set(course_ids))

        async def visits(course: int) -> dict[int, int] | None:
            try:
                answer = await self._read("core_enrol_get_enrolled_users", {"courseid": course})
            except MoodleException:
                return None
            found: dict[int, int] = {}
            for entry in _as_list("core_enrol_get_enrolled_users", answer):
                if "lastcourseaccess" not in entry:
                    return None  # hidden from the service user: unknown
                found[int(entry["id"])] = int(entry.get("lastcourseaccess") or 0)
            return found

        answers = await asyncio.gather(*(visits(course) for course in ids))
        return dict(zip(ids, answers, strict=True))

    # --- groups --------------------------------------------------------------------------

    async def groups_of_courses(self, course_ids: Iterable[int]) -> dict[int, list[Group]]:
        """The groups of each course (Moodle reads one course a call: run concurrently)."""
        ids = sorted(set(course_ids))
        answers = await self._each("core_group_get_course_groups", ({"courseid": c} for c in ids))
        return {
            course: sorted(
                (Group.from_moodle(g) for g in _as_list("core_group_get_course_groups", answer)),
                key=_id,
            )
            for course, answer in zip(ids, answers, strict=True)
        }

    async def groupings_of_courses(self, course_ids: Iterable[int]) -> dict[int, list[Group]]:
        """The groupings of each course (one course a call, concurrently); a grouping has the
        fields of a group."""
        ids = sorted(set(course_ids))
        function = "core_group_get_course_groupings"
        answers = await self._each(function, ({"courseid": c} for c in ids))
        return {
            course: sorted((Group.from_moodle(g) for g in _as_list(function, answer)), key=_id)
            for course, answer in zip(ids, answers, strict=True)
        }

    async def group_members(self, group_ids: Iterable[int]) -> Members:
        """Members of many groups; unknown group ids come back in `missing`."""
        return await self._members("core_group_get_group_members", "groupids", "groupid", group_ids)

    # --- cohorts -------------------------------------------------------------------------

    async def cohorts(self) -> list[Cohort]:
        """Every cohort of the site, in one call, by id."""
        answer = await self._read("core_cohort_get_cohorts", {})
        return sorted(
            (Cohort.from_moodle(c) for c in _as_list("core_cohort_get_cohorts", answer)),
            key=_id,
        )

    async def cohort_members(self, cohort_ids: Iterable[int]) -> Members:
        """Members of many cohorts; unknown cohort ids come back in `missing`."""
        return await self._members(
            "core_cohort_get_cohort_members", "cohortids", "cohortid", cohort_ids
        )

    async def _members(
        self, function: str, list_name: str, owner_key: str, ids: Iterable[int]
    ) -> Members:
        members: dict[int, frozenset[int]] = {}
        missing: list[int] = []

        async def read(batch: list[int]) -> None:
            try:
                answer = await self._read(function, {list_name: batch}, len(batch))
            except MoodleException as error:
                # One unknown id fails the whole call: split until it is alone.
                if error.errorcode != "invalidrecord":
                    raise
                if len(batch) == 1:
                    missing.append(batch[0])
                    return
                middle = len(batch) // 2
                await asyncio.gather(read(batch[:middle]), read(batch[middle:]))
                return
            for entry in _as_list(function, answer):
                members[int(entry[owner_key])] = frozenset(int(u) for u in entry["userids"])

        wanted = sorted(set(ids))
        if wanted:
            await asyncio.gather(*(read(b) for b in self._plan(function, list_name, wanted, {})))
        return Members(dict(sorted(members.items())), tuple(sorted(missing)))


def _id(obj: Category | Course | User | EnrolledUser | Group | Cohort) -> int:
    return obj.id


def _as_list(function: str, answer: Any) -> list[Any]:
    if not isinstance(answer, list):
        raise MoodleDecodeError(
            f"{function}: expected a list, got {str(answer)[:200]}", function=function
        )
    return answer


def by_field_courses(answer: Any) -> list[Any]:
    if not isinstance(answer, dict) or not isinstance(answer.get("courses"), list):
        raise MoodleDecodeError(
            f"core_course_get_courses_by_field: unexpected answer {str(answer)[:200]}",
            function="core_course_get_courses_by_field",
        )
    courses: list[Any] = answer["courses"]
    return courses


def to_courses(entries: Iterable[Any]) -> list[Course]:
    by_id = {int(e["id"]): e for e in entries if int(e["id"]) != SITE_COURSE_ID}
    return [Course.from_moodle(by_id[i]) for i in sorted(by_id)]
