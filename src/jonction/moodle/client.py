"""jonction's Moodle client: bulk reads, batched writes, start check, call accounting.

async with MoodleClient.from_settings(settings.moodle) as moodle:
    await moodle.check_service()
    report = await moodle.create_courses(new_courses)
    for failure in report.failed: ...
    print(moodle.stats.by_function())
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from .cohort_warnings import trace_cohort_warnings, unexplained_warnings
from .engine import (
    BatchWriter,
    Found,
    Interpret,
    Outcome,
    created,
    nothing_returned,
    warnings_by_itemid,
)
from .errors import FunctionNotAvailable, MissingFunctions
from .functions import DEFAULT_BATCH_SIZES, REQUIRED_FUNCTIONS, unknown_functions
from .items import (
    CategoryUpdate,
    CohortMember,
    CohortUpdate,
    CourseDeletion,
    CourseUpdate,
    Enrolment,
    GroupingAssignment,
    GroupMember,
    GroupUpdate,
    NewCategory,
    NewCohort,
    NewCourse,
    NewGroup,
    NewGrouping,
    NewUser,
    Unenrolment,
    UserUpdate,
)
from .models import SiteInfo
from .reads import Reads, by_field_courses, to_courses
from .report import Applied, Failed, WriteReport
from .stats import CallStats
from .text import normalize_label
from .transport import MoodleTransport, RetryPolicy, Sleep

if TYPE_CHECKING:
    from jonction.config.moodle import MoodleSection


async def _deleted(
    items: list[CourseDeletion], answer: Any, notes: list[str]
) -> list[Outcome[CourseDeletion]]:
    by_itemid: Interpret[CourseDeletion] = warnings_by_itemid("core_course_delete_courses")
    outcomes = await by_itemid(items, answer, notes)
    return [
        Applied(o.item, note="already gone")
        if isinstance(o, Failed) and o.code == "unknowncourseidnumber"
        else o
        for o in outcomes
    ]


class MoodleClient(Reads):
    """Talks to one Moodle through its REST web services. Use as an async context manager."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout_s: float = 120.0,
        max_input_vars: int = 5000,
        concurrency: int = 6,
        retries: int = 4,
        backoff_s: float = 0.5,
        backoff_max_s: float = 30.0,
        batch_sizes: Mapping[str, int] | None = None,
        verify_tls: bool = True,
        stats: CallStats | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        unknown = unknown_functions(list(batch_sizes or {}))
        if unknown:
            raise ValueError(
                f"[moodle] batch_sizes names functions jonction does not call: {unknown}"
            )
        sizes = {**DEFAULT_BATCH_SIZES, **(batch_sizes or {})}
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        transport = MoodleTransport(
            url,
            token,
            timeout_s=timeout_s,
            max_input_vars=max_input_vars,
            concurrency=concurrency,
            retry=RetryPolicy(retries, backoff_s, backoff_max_s),
            verify_tls=verify_tls,
            stats=stats,
            http_transport=http_transport,
            seed=seed,
            **extra,
        )
        super().__init__(transport, sizes)
        self._writer = BatchWriter(transport, sizes)

    @classmethod
    def from_settings(cls, section: MoodleSection, **overrides: Any) -> MoodleClient:
        """A client configured by the [moodle] section (keyword arguments override it)."""
        if section.token is None or not section.token.get_secret_value():
            raise ValueError("no Moodle token: set [moodle] token_file, or JONCTION_MOODLE_TOKEN")
        options: dict[str, Any] = {
            "timeout_s": section.timeout_s,
            "max_input_vars": section.max_input_vars,
            "concurrency": section.concurrency,
            "retries": section.retries,
            "backoff_s": section.backoff_s,
            "backoff_max_s": section.backoff_max_s,
            "batch_sizes": section.batch_sizes,
            "verify_tls": section.verify_tls,
        }
        options.update(overrides)
        return cls(section.url, section.token.get_secret_value(), **options)

    def __repr__(self) -> str:
        return f"MoodleClient(url={self._transport.url!r})"

    @property
    def stats(self) -> CallStats:
        return self._transport.stats

    @property
    def transport(self) -> MoodleTransport:
        return self._transport

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> MoodleClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- start check ---------------------------------------------------------------------

    async def check_service(self, required: Iterable[str] = REQUIRED_FUNCTIONS) -> SiteInfo:
        """Checks that the token works and that its service holds every function needed;
        raises InvalidToken, or MissingFunctions naming the missing ones."""
        try:
            info = await self.site_info()
        except FunctionNotAvailable:
            raise MissingFunctions(["core_webservice_get_site_info"]) from None
        missing = sorted(set(required) - info.functions)
        if missing:
            raise MissingFunctions(missing, service_user=info.username)
        return info

    # --- categories ----------------------------------------------------------------------

    async def create_categories(self, items: Sequence[NewCategory]) -> WriteReport[NewCategory]:
        """Parents must exist: create a tree level by level."""
        return await self._writer.run(
            "core_course_create_categories",
            "categories",
            items,
            param=NewCategory.to_param,
            interpret=created("core_course_create_categories"),
            readback=self._find_categories,
        )

    async def update_categories(
        self, items: Sequence[CategoryUpdate]
    ) -> WriteReport[CategoryUpdate]:
        return await self._writer.run(
            "core_course_update_categories",
            "categories",
            items,
            param=CategoryUpdate.to_param,
            interpret=nothing_returned,
        )

    async def _find_categories(self, items: list[NewCategory]) -> list[Found]:
        # By idnumber. Without one, a category of the same name under the same parent may be
        # ours or an older one: only its absence is sure.
        categories = await self.categories()
        return found_by_idnumber_or_name(
            ((c.idnumber or None, (c.parent, normalize_label(c.name)), c.id) for c in categories),
            ((i.idnumber or None, (i.parent, normalize_label(i.name))) for i in items),
        )

    # --- courses -------------------------------------------------------------------------

    async def create_courses(self, items: Sequence[NewCourse]) -> WriteReport[NewCourse]:
        return await self._writer.run(
            "core_course_create_courses",
            "courses",
            items,
            param=NewCourse.to_param,
            interpret=created("core_course_create_courses"),
            readback=self._find_courses,
        )

    async def update_courses(self, items: Sequence[CourseUpdate]) -> WriteReport[CourseUpdate]:
        return await self._writer.run(
            "core_course_update_courses",
            "courses",
            items,
            param=CourseUpdate.to_param,
            interpret=warnings_by_itemid("core_course_update_courses"),
        )

    async def delete_courses(self, items: Sequence[CourseDeletion]) -> WriteReport[CourseDeletion]:
        """Deletes courses with all their content (Moodle's recycle bin may keep a backup). A
        course already gone counts as deleted: repeating a deletion whose answer was lost
        must not report a failure."""
        return await self._writer.run(
            "core_course_delete_courses",
            "courseids",
            items,
            param=CourseDeletion.to_param,
            interpret=_deleted,
        )

    async def _find_courses(self, items: list[NewCourse]) -> list[Found]:
        # Shortnames are unique site-wide. Read the target categories when they are fewer
        # than the items, else look each shortname up.
        categories = {item.categoryid for item in items}
        by_shortname: dict[str, int] = {}
        if len(categories) < len(items):
            for course in await self.courses_in_categories(categories):
                by_shortname[normalize_label(course.shortname)] = course.id
        else:
            answers = await self._each(
                "core_course_get_courses_by_field",
                ({"field": "shortname", "value": item.shortname} for item in items),
            )
            for course in to_courses(
                entry for answer in answers for entry in by_field_courses(answer)
            ):
                by_shortname[normalize_label(course.shortname)] = course.id
        return [by_shortname.get(normalize_label(item.shortname)) for item in items]

    # --- users ---------------------------------------------------------------------------

    async def create_users(self, items: Sequence[NewUser]) -> WriteReport[NewUser]:
        return await self._writer.run(
            "core_user_create_users",
            "users",
            items,
            param=NewUser.to_param,
            interpret=created("core_user_create_users"),
            readback=self._find_users,
        )

    async def update_users(self, items: Sequence[UserUpdate]) -> WriteReport[UserUpdate]:
        return await self._writer.run(
            "core_user_update_users",
            "users",
            items,
            param=UserUpdate.to_param,
            interpret=warnings_by_itemid("core_user_update_users"),
        )

    async def _find_users(self, items: list[NewUser]) -> list[Found]:
        found = await self.users_by_username(item.username for item in items)
        return [found[i.username].id if i.username in found else None for i in items]

    # --- enrolments ----------------------------------------------------------------------

    async def enrol(self, items: Sequence[Enrolment]) -> WriteReport[Enrolment]:
        """Manual enrolments. Re-enrolling rewrites the enrolment (see `Enrolment`)."""
        return await self._writer.run(
            "enrol_manual_enrol_users",
            "enrolments",
            items,
            param=Enrolment.to_param,
            interpret=nothing_returned,
        )

    async def unenrol(self, items: Sequence[Unenrolment]) -> WriteReport[Unenrolment]:
        return await self._writer.run(
            "enrol_manual_unenrol_users",
            "enrolments",
            items,
            param=Unenrolment.to_param,
            interpret=nothing_returned,
        )

    # --- groups --------------------------------------------------------------------------

    async def create_groups(self, items: Sequence[NewGroup]) -> WriteReport[NewGroup]:
        return await self._writer.run(
            "core_group_create_groups",
            "groups",
            items,
            param=NewGroup.to_param,
            interpret=created("core_group_create_groups"),
            readback=self._find_groups,
        )

    async def update_groups(self, items: Sequence[GroupUpdate]) -> WriteReport[GroupUpdate]:
        return await self._writer.run(
            "core_group_update_groups",
            "groups",
            items,
            param=GroupUpdate.to_param,
            interpret=nothing_returned,
        )

    async def delete_groups(self, group_ids: Sequence[int]) -> WriteReport[int]:
        """Deleting a group that does not exist is a silent no-op in Moodle."""
        return await self._writer.run(
            "core_group_delete_groups",
            "groupids",
            group_ids,
            param=int,
            interpret=nothing_returned,
        )

    async def add_group_members(self, items: Sequence[GroupMember]) -> WriteReport[GroupMember]:
        """Members must be enrolled in the group's course (suspended enrolments count)."""
        return await self._writer.run(
            "core_group_add_group_members",
            "members",
            items,
            param=GroupMember.to_param,
            interpret=nothing_returned,
        )

    async def delete_group_members(self, items: Sequence[GroupMember]) -> WriteReport[GroupMember]:
        return await self._writer.run(
            "core_group_delete_group_members",
            "members",
            items,
            param=GroupMember.to_param,
            interpret=nothing_returned,
        )

    async def _find_groups(self, items: list[NewGroup]) -> list[Found]:
        # Names are unique within a course: match on the course and the name.
        groups = await self.groups_of_courses(item.courseid for item in items)
        by_name = {
            (course, normalize_label(group.name)): group.id
            for course, course_groups in groups.items()
            for group in course_groups
        }
        return [by_name.get((i.courseid, normalize_label(i.name))) for i in items]

    async def create_groupings(self, items: Sequence[NewGrouping]) -> WriteReport[NewGrouping]:
        return await self._writer.run(
            "core_group_create_groupings",
            "groupings",
            items,
            param=NewGrouping.to_param,
            interpret=created("core_group_create_groupings"),
            readback=self._find_groupings,
        )

    async def assign_groupings(
        self, items: Sequence[GroupingAssignment]
    ) -> WriteReport[GroupingAssignment]:
        return await self._writer.run(
            "core_group_assign_grouping",
            "assignments",
            items,
            param=GroupingAssignment.to_param,
            interpret=nothing_returned,
        )

    async def _find_groupings(self, items: list[NewGrouping]) -> list[Found]:
        # By idnumber, unique within a course. Without one, a grouping of the same name may be
        # ours or an older one: only its absence is sure.
        groupings = await self.groupings_of_courses(item.courseid for item in items)
        return found_by_idnumber_or_name(
            (
                (
                    (course, g.idnumber) if g.idnumber else None,
                    (course, normalize_label(g.name)),
                    g.id,
                )
                for course, found in groupings.items()
                for g in found
            ),
            (
                (
                    (i.courseid, i.idnumber) if i.idnumber else None,
                    (i.courseid, normalize_label(i.name)),
                )
                for i in items
            ),
        )

    # --- cohorts -------------------------------------------------------------------------

    async def create_cohorts(self, items: Sequence[NewCohort]) -> WriteReport[NewCohort]:
        return await self._writer.run(
            "core_cohort_create_cohorts",
            "cohorts",
            items,
            param=NewCohort.to_param,
            interpret=created("core_cohort_create_cohorts"),
            readback=self._find_cohorts,
        )

    async def update_cohorts(self, items: Sequence[CohortUpdate]) -> WriteReport[CohortUpdate]:
        return await self._writer.run(
            "core_cohort_update_cohorts",
            "cohorts",
            items,
            param=CohortUpdate.to_param,
            interpret=nothing_returned,
        )

    async def add_cohort_members(self, items: Sequence[CohortMember]) -> WriteReport[CohortMember]:
        """Moodle applies the good items and warns about the others without saying which;
        the warnings are traced to items by the ids they quote, and when some cannot be,
        the members of the cohorts concerned are read back."""
        return await self._writer.run(
            "core_cohort_add_cohort_members",
            "members",
            items,
            param=CohortMember.to_add_param,
            interpret=self._settle_cohort_adds,
        )

    async def delete_cohort_members(
        self, items: Sequence[CohortMember]
    ) -> WriteReport[CohortMember]:
        return await self._writer.run(
            "core_cohort_delete_cohort_members",
            "members",
            items,
            param=CohortMember.to_param,
            interpret=nothing_returned,
        )

    async def _find_cohorts(self, items: list[NewCohort]) -> list[Found]:
        by_idnumber = {c.idnumber: c.id for c in await self.cohorts()}
        return [by_idnumber.get(item.idnumber) for item in items]

    async def _settle_cohort_adds(
        self, items: list[CohortMember], answer: Any, notes: list[str]
    ) -> list[Outcome[CohortMember]]:
        warnings = answer.get("warnings", []) if isinstance(answer, dict) else []
        if not warnings:
            return [Applied(item) for item in items]
        traced = trace_cohort_warnings(items, warnings)
        unexplained = unexplained_warnings(warnings)
        if not unexplained:
            return traced
        # Some warnings name no item we sent: ask Moodle who is a member now.
        reason = "; ".join(str(w.get("message", "")) for w in unexplained)
        notes.append(f"core_cohort_add_cohort_members: {reason}")
        members = await self.cohort_members(i.cohortid for i in items)
        settled: list[Outcome[CohortMember]] = []
        for item, outcome in zip(items, traced, strict=True):
            known = isinstance(outcome, Failed)
            if known or item.userid in members.members.get(item.cohortid, frozenset()):
                settled.append(outcome)
            else:
                settled.append(Failed(item, "notadded", reason))
        return settled


def found_by_idnumber_or_name(
    existing: Iterable[tuple[Hashable | None, Hashable, int]],
    wanted: Iterable[tuple[Hashable | None, Hashable]],
) -> list[Found]:
    """Read-back of created objects: (idnumber key or None, name key, id) of what Moodle holds,
    against (idnumber key or None, name key) of each item sent. By idnumber when the item has
    one; without, an object of the same name may be ours or an older one: only its absence is
    sure ("unknown" otherwise)."""
    by_idnumber: dict[Hashable, int] = {}
    names: set[Hashable] = set()
    for idnumber, name, object_id in existing:
        names.add(name)
        if idnumber is not None:
            by_idnumber[idnumber] = object_id
    return [
        by_idnumber.get(idnumber)
        if idnumber is not None
        else ("unknown" if name in names else None)
        for idnumber, name in wanted
    ]
