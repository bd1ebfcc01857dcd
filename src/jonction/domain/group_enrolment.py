"""Is a student enrolled in the course of the group they are to join? Pure functions.

Moodle refuses a group member who is not enrolled in the course with a bare
"invalidparameter" that fails the whole batch, so the plan checks first, with as little
reading as it can:

- someone seen tonight in one of jonction's groups of the course is enrolled (Moodle drops
  the memberships of whoever is unenrolled);
- so is someone whose row of the external table a successful enrolment sync has read
  (`known.synced`, see steps/groups_journal.py);
- for the others, Moodle is asked, either course by course (core_enrol_get_enrolled_users:
  every enrolled user of the course) or student by student (core_enrol_get_users_courses:
  every course of the student), whichever the estimated cost says is cheaper. On a first run
  every course is read; on a quiet night, the few newcomers are read one by one.

Students found not enrolled are not added: the plan defers them to the next run (the enrolment
sync will have enrolled them by then).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from .group_state import KnownGroups

# What a read costs on Moodle 4.1 (shared/moodle/README.md and the simulator's cost model):
# a fixed part per call, then a part per record returned.
CALL_MS = 20.0
ENROLLED_USER_MS = 5.0  # core_enrol_get_enrolled_users, per user of the course
USER_COURSE_MS = 3.0  # core_enrol_get_users_courses, per course of the user


@dataclass(frozen=True, slots=True)
class EnrolmentReads:
    courses: tuple[int, ...] = ()
    users: tuple[int, ...] = ()


@dataclass(slots=True)
class Pending:
    """Who is to join a group without being known as enrolled, course by course."""

    users_of: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Estimated enrolled users of each course, and courses of each user (lower bounds: the
    # members wanted in jonction's groups).
    course_size: dict[int, int] = field(default_factory=dict)
    user_courses: dict[int, int] = field(default_factory=lambda: defaultdict(int))


def known_enrolled(known: KnownGroups, course_id: int, user_id: int) -> bool | None:
    """True or False when Moodle's enrolment sync or tonight's reads tell; None when they
    say nothing."""
    if user_id in known.synced.get(course_id, ()):
        return True
    enrolled = known.enrolled.get(course_id)
    if enrolled is not None:
        return user_id in enrolled
    courses = known.user_courses.get(user_id)
    if courses is not None:
        return course_id in courses
    return None


def choose_reads(pending: Pending) -> EnrolmentReads:
    """The cheaper way to learn about each course's pending users: read the course, or read
    each pending user (a user's read, shared by the courses they are pending in)."""
    waiting: dict[int, int] = defaultdict(int)  # user → pending courses
    for who in pending.users_of.values():
        for user in who:
            waiting[user] += 1
    courses: list[int] = []
    users: set[int] = set()
    for course_id, pending_users in sorted(pending.users_of.items()):
        if not pending_users:
            continue
        course_cost = CALL_MS + ENROLLED_USER_MS * pending.course_size.get(course_id, 0)
        user_cost = sum(
            (CALL_MS + USER_COURSE_MS * pending.user_courses.get(u, 1)) / waiting[u]
            for u in pending_users
        )
        if course_cost <= user_cost:
            courses.append(course_id)
        else:
            users |= pending_users
    return EnrolmentReads(tuple(courses), tuple(sorted(users)))


def course_reads_for(pending: Mapping[int, set[int]], users: set[int]) -> list[int]:
    """The courses to read instead when users cannot be read one by one."""
    return sorted(course for course, who in pending.items() if who & users)
