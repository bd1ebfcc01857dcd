"""Reading what the groups plan needs: REFER, the offer's courses, the users' accounts, the
state database's records, and Moodle where it must be read.

Moodle is read in phases, each chosen by a pure helper of `domain.group_plan` so that a quiet
night reads little: the members of the managed groups that may have changed, all of them on a
full check (`domain.group_reads`; hundreds of groups per call) and, at the same time, the
groups of the courses where a group is to be created or renamed (one call per course; those
where a managed group turned out missing after), then the members of groups
found there with jonction's idnumber (`read_groups`); then, once Moodle has synced the
enrolments, the enrolled users of the courses where a student joins a group for the first time
(`read_enrolments`). The first phase does not depend on the enrolments: the step reads it while
the sync runs.

The groups not read are taken to hold their records' members, in `known.members` like those
read: the plan compares them as it would a read that found the record, so it changes nothing
there. Someone found in such a group is taken as enrolled in its course: the groups of the
students unenrolled by the enrolments step since the last run are read, and an unenrolment
made by hand that lets a later addition fail is caught by the full check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any

from ..config import Settings
from ..domain.accounts import USER
from ..domain.cohorts import accounts_by_student_number
from ..domain.group_enrolment import Pending, choose_reads, course_reads_for
from ..domain.group_plan import (
    Resolved,
    adopted_to_read,
    courses_to_read,
)
from ..domain.group_reads import member_reads
from ..domain.group_state import Account, GroupingRecord, GroupRecord, KnownGroups
from ..domain.groups import GROUP, GROUPING, DesiredGroups
from ..domain.offer_state import COURSE_KIND, CourseRecord
from ..domain.refer_model import ReferSnapshot
from ..journal.store import Journal
from ..moodle import FunctionNotAvailable
from .groups_moodle import MoodleGroups


def managed_courses(journal: Journal) -> dict[str, int]:
    """Courses the offer step created or adopted, by idnumber, with their Moodle id."""
    courses: dict[str, int] = {}
    for key, item in journal.managed(COURSE_KIND).items():
        record = CourseRecord.from_data(key, item.moodle_id, item.data)
        if record.moodle_id is not None:
            courses[key] = record.moodle_id
    return courses


def student_accounts(
    records: Iterable[tuple[str, int | None, Mapping[str, Any]]],
) -> tuple[dict[str, Account], dict[int, str]]:
    """Accounts by student number (the users step's records; a number held by several
    accounts leads to none, which the cohorts step reports), and usernames by Moodle id."""
    records = list(records)
    by_number, _ = accounts_by_student_number(records)
    accounts = {n: Account(ref.username, ref.moodle_id) for n, ref in by_number.items()}
    usernames = {moodle_id: username for username, moodle_id, _ in records if moodle_id}
    return accounts, usernames


def group_records(journal: Journal) -> dict[str, GroupRecord]:
    return {
        key: GroupRecord.from_data(key, item.moodle_id, item.data)
        for key, item in journal.managed(GROUP).items()
        if item.moodle_id is not None
    }


def grouping_records(journal: Journal) -> dict[str, GroupingRecord]:
    return {
        key: GroupingRecord.from_data(key, item.moodle_id, item.data)
        for key, item in journal.managed(GROUPING).items()
        if item.moodle_id is not None
    }


def students_of(snapshots: Iterable[ReferSnapshot]) -> dict[int, str | None]:
    """COD_IND → COD_ETU over the managed years."""
    students: dict[int, str | None] = {}
    for snapshot in snapshots:
        for cod_ind, student in snapshot.students.items():
            students[cod_ind] = student.cod_etu or students.get(cod_ind)
    return students


def known_from_state(journal: Journal) -> KnownGroups:
    accounts, usernames = student_accounts(
        (key, item.moodle_id, item.data) for key, item in journal.managed(USER).items()
    )
    return KnownGroups(
        courses=managed_courses(journal),
        records=group_records(journal),
        grouping_records=grouping_records(journal),
        accounts=accounts,
        usernames=usernames,
    )


# Which of the users wanted in groups (by course id) the enrolment sync surely enrolled.
SyncedLoader = Callable[[Mapping[int, Set[int]]], Mapping[int, frozenset[int]]]


async def read_groups(
    moodle: MoodleGroups,
    known: KnownGroups,
    desired: DesiredGroups,
    resolved: Resolved,
    settings: Settings,
    *,
    full: bool = True,
    unenrolled: Mapping[str, Set[str]] | None = None,
) -> dict[str, int]:
    """Fills `known` with what Moodle says of the groups: their members and the courses'
    groups. Nothing here depends on the enrolments, so it may be read while Moodle syncs them.
    Without `full`, only the members of the groups that may have changed are read
    (`unenrolled`: usernames by course whose enrolments were removed since the last run)."""
    config = settings.groups
    user_ids = {username: user_id for user_id, username in known.usernames.items()}
    gone = {
        course: {user_ids[name] for name in names if name in user_ids}
        for course, names in (unenrolled or {}).items()
    }
    chosen = member_reads(desired, resolved, known, config, full=full, unenrolled=gone)
    group_ids = chosen.read
    # The courses' groups are read alongside the members; a group found missing there adds
    # its course to a second, smaller read.
    courses = courses_to_read(desired, known, config)
    (members, missing), (groups, refused) = await asyncio.gather(
        moodle.members(group_ids), moodle.course_groups(courses)
    )
    known.members.update(chosen.trusted)
    known.members.update(members)
    known.missing |= missing
    known.course_groups.update(groups)
    known.unreadable.update(refused)
    more = [c for c in courses_to_read(desired, known, config) if c not in known.unreadable]
    if more:
        groups, refused = await moodle.course_groups(more)
        known.course_groups.update(groups)
        known.unreadable.update(refused)
        courses = [*courses, *more]
    adopted = adopted_to_read(desired, known)
    members, missing = await moodle.members(adopted)
    known.members.update(members)
    return {
        "groups_full_check": int(chosen.full),
        "groups_members_read": len(group_ids) + len(adopted),
        "groups_members_trusted": len(chosen.trusted),
        "groups_missing_in_moodle": len(known.missing),
        "courses_groups_read": len(courses),
    }


async def read_enrolments(
    moodle: MoodleGroups,
    known: KnownGroups,
    pending: Pending,
    synced: SyncedLoader | None = None,
) -> dict[str, int]:
    """Fills `known` with whether the students to join groups are enrolled in their courses
    (`pending`: `pending_enrolments` of what `read_groups` read): from the enrolment sync's own
    account (`synced`) where it tells, else read from Moodle. Once the sync has run."""
    if synced is not None and pending.users_of:
        known.synced = synced(pending.users_of)
        for course_id, users in known.synced.items():
            pending.users_of[course_id] -= users
    reads = choose_reads(pending)
    checked_courses = list(reads.courses)
    try:
        known.user_courses.update(await moodle.user_courses(reads.users))
    except FunctionNotAvailable:
        # The service lacks core_enrol_get_users_courses: read those courses whole instead.
        extra = course_reads_for(pending.users_of, set(reads.users))
        checked_courses = sorted(set(checked_courses) | set(extra))
    enrolled, refused = await moodle.enrolled(checked_courses)
    known.enrolled.update(enrolled)
    known.unreadable.update(refused)
    return {
        "courses_enrolment_checked": len(checked_courses),
        "users_enrolment_checked": len(known.user_courses),
        "enrolments_known_from_sync": sum(len(users) for users in known.synced.values()),
    }
