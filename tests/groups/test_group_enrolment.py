"""Choosing how to learn who is enrolled: whole courses, or students one by one."""

from __future__ import annotations

from jonction.domain.group_enrolment import Pending, choose_reads, course_reads_for, known_enrolled
from jonction.domain.group_state import KnownGroups


def _pending(users_of: dict[int, set[int]], sizes: dict[int, int], courses: int = 20) -> Pending:
    pending = Pending()
    for course, users in users_of.items():
        pending.users_of[course] = set(users)
    pending.course_size = dict(sizes)
    for users in users_of.values():
        for user in users:
            pending.user_courses[user] = courses
    return pending


def test_a_new_course_full_of_newcomers_is_read_whole() -> None:
    reads = choose_reads(_pending({1: set(range(100, 400))}, {1: 300}))
    assert reads.courses == (1,) and reads.users == ()


def test_a_few_newcomers_in_big_courses_are_read_one_by_one() -> None:
    pending = _pending({1: {7}, 2: {7}, 3: {8}}, {1: 400, 2: 300, 3: 250})
    reads = choose_reads(pending)
    assert reads.courses == () and reads.users == (7, 8)


def test_the_choice_is_per_course() -> None:
    reads = choose_reads(_pending({1: set(range(100, 130)), 2: {7}}, {1: 30, 2: 500}))
    assert reads.courses == (1,) and reads.users == (7,)


def test_reads_answer_for_course_and_user() -> None:
    known = KnownGroups(enrolled={1: frozenset({7})}, user_courses={8: frozenset({2})})
    assert known_enrolled(known, 1, 7) is True
    assert known_enrolled(known, 1, 8) is False  # the course read wins: 8 is not in it
    assert known_enrolled(known, 2, 8) is True
    assert known_enrolled(known, 3, 8) is False
    assert known_enrolled(known, 3, 9) is None


def test_courses_to_read_when_users_cannot_be() -> None:
    assert course_reads_for({1: {7}, 2: {8}, 3: {7, 9}}, {7}) == [1, 3]
