"""Batched writes: bisection of rejected batches, warnings item by item, read back after
a fault so that a create is applied once."""

from __future__ import annotations

import pytest

from jonction.moodle import (
    CohortMember,
    CourseUpdate,
    GroupMember,
    MoodleClient,
    NewCategory,
    NewCourse,
    NewGroup,
    NewUser,
    trace_cohort_warnings,
)

from .conftest import Sleeps, make_client
from .fake_moodle import FakeMoodle

pytestmark = pytest.mark.anyio


def _courses(n: int, prefix: str = "C") -> list[NewCourse]:
    return [NewCourse(f"Course {i}", f"{prefix}{i}", 1, idnumber=f"{prefix}{i}") for i in range(n)]


async def test_bisection_isolates_exactly_the_bad_items(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.courses[2] = {"id": 2, "shortname": "C13", "fullname": "", "categoryid": 1}
    items = _courses(50)
    items[31] = NewCourse("Lost", "L", 999)  # unknown category: a bare invalidparameter
    report = await client.create_courses(items)
    assert [(f.item.shortname, f.code) for f in report.failed] == [
        ("C13", "shortnametaken"),
        ("L", "invalidparameter"),
    ]
    assert "Short name is already used" in report.failed[0].message
    assert len(report.applied) == 48
    assert all(a.id is not None for a in report.applied)
    # Every good course exists exactly once.
    shortnames = [c["shortname"] for c in fake.courses.values()]
    assert sorted(shortnames) == sorted(
        ["site", "C13"] + [i.shortname for i in items if i.shortname not in ("C13", "L")]
    )
    # Two bad items in 50: a handful of calls, not one per item.
    assert len(fake.calls_to("core_course_create_courses")) <= 2 * 2 * 6 + 1


async def test_applied_items_keep_the_order_given(client: MoodleClient) -> None:
    items = _courses(120)
    report = await client.create_courses(items)
    assert [a.item for a in report.applied] == items
    assert report.ids() == sorted(report.ids())


async def test_fatal_errors_stop_without_bisecting(fake: FakeMoodle, sleeps: Sleeps) -> None:
    fake.functions = {"core_webservice_get_site_info"}
    async with make_client(fake, sleeps) as moodle:
        report = await moodle.create_courses(_courses(120))
    assert report.fatal is not None and report.fatal.code == "accessexception"
    assert len(report.failed) == 120 and not report.applied
    assert len(fake.calls) <= 3  # one per batch at most, no splitting
    with pytest.raises(type(report.fatal)):
        report.raise_if_fatal()


async def test_create_that_timed_out_after_applying_is_read_back_not_repeated(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.faults["core_course_create_courses"] = ["applied-timeout"]
    items = _courses(30)
    report = await client.create_courses(items)
    assert report.ok and len(report.applied) == 30
    assert len(fake.courses) == 31  # site course + 30, none twice
    assert len(fake.calls_to("core_course_create_courses")) == 1
    assert {a.id for a in report.applied} == set(fake.courses) - {1}
    assert all("read back" in a.note for a in report.applied)


async def test_create_that_failed_before_applying_is_sent_again(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.faults["core_user_create_users"] = ["timeout", "503"]
    users = [NewUser(f"u{i}", "F", "L", f"u{i}@x.fr") for i in range(10)]
    report = await client.create_users(users)
    assert report.ok and len(fake.users) == 10
    assert len(fake.calls_to("core_user_create_users")) == 3
    assert len(fake.calls_to("core_user_get_users_by_field")) == 2


async def test_a_late_write_refused_as_duplicate_is_recognised(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    # The first attempt lands after our read back: the retry is refused as a duplicate;
    # the client looks again and finds it rather than reporting a failure.
    fake.faults["core_course_create_courses"] = ["timeout"]
    original = fake.f_core_course_get_courses_by_field
    reads = 0

    def late(params: dict[str, object]) -> object:
        nonlocal reads
        reads += 1
        answer = original(params)
        if reads == 1:
            fake.f_core_course_create_courses(
                {"courses": [{"fullname": "A", "shortname": "A", "categoryid": "1"}]}
            )
            return {"courses": [], "warnings": []}
        return answer

    fake.f_core_course_get_courses_by_field = late  # type: ignore[method-assign]
    report = await client.create_courses([NewCourse("A", "A", 1)])
    assert report.ok, report.failed
    assert [c["shortname"] for c in fake.courses.values()].count("A") == 1


async def test_persisting_faults_leave_items_failed_as_transport(
    fake: FakeMoodle, sleeps: Sleeps
) -> None:
    fake.faults["core_course_create_courses"] = ["503"] * 3
    async with make_client(fake, sleeps, retries=2) as moodle:
        report = await moodle.create_courses(_courses(3))
    assert [f.code for f in report.failed] == ["http503"] * 3
    assert report.fatal is None


async def test_idempotent_writes_are_retried_without_read_back(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.users[7] = {"id": 7, "username": "u7"}
    fake.courses[2] = {"id": 2, "shortname": "c", "fullname": "", "categoryid": 1}
    fake.enrolments.add((2, 7, 5))
    fake.groups[3] = {"id": 3, "courseid": 2, "name": "G", "idnumber": "", "description": ""}
    fake.faults["core_group_add_group_members"] = ["applied-timeout"]
    report = await client.add_group_members([GroupMember(3, 7)])
    assert report.ok
    assert len(fake.calls_to("core_group_add_group_members")) == 2
    assert fake.group_members[3] == {7}


async def test_groups_are_read_back_by_course_and_name(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.courses[2] = {"id": 2, "shortname": "c", "fullname": "", "categoryid": 1}
    fake.faults["core_group_create_groups"] = ["applied-timeout"]
    report = await client.create_groups([NewGroup(2, "TD 1 & 2"), NewGroup(2, "TD 3")])
    assert report.ok and len(fake.groups) == 2


async def test_categories_are_read_back_by_idnumber(client: MoodleClient, fake: FakeMoodle) -> None:
    fake.faults["core_course_create_categories"] = ["applied-timeout"]
    report = await client.create_categories(
        [
            NewCategory("Arts & Lettres", idnumber="UFR-AL"),
            NewCategory("Sciences", idnumber="UFR-S"),
        ]
    )
    assert report.ok and len(fake.categories) == 3


async def test_update_warnings_are_reported_item_by_item(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.courses[2] = {"id": 2, "shortname": "A", "fullname": "A", "categoryid": 1}
    fake.courses[3] = {"id": 3, "shortname": "B", "fullname": "B", "categoryid": 1}
    report = await client.update_courses(
        [
            CourseUpdate(2, fullname="A2"),
            CourseUpdate(99999, fullname="ghost"),
            CourseUpdate(3, visible=False),
        ]
    )
    assert [a.item.id for a in report.applied] == [2, 3]
    assert [(f.item.id, f.code) for f in report.failed] == [(99999, "invalidrecord")]
    assert fake.courses[2]["fullname"] == "A2"
    assert len(fake.calls_to("core_course_update_courses")) == 1


def test_cohort_warnings_are_traced_to_the_items_they_quote() -> None:
    items = [CohortMember(1, 4), CohortMember(1, 99), CohortMember(7, 4), CohortMember(1, 5)]
    warnings = [
        {"warningcode": "2", "message": "user id=99 not exists"},
        {"warningcode": "2", "message": "cohort id=7 not exists"},
        {"warningcode": "3", "message": "record already exists: cohort(id=1 id=5)"},
    ]
    outcomes = trace_cohort_warnings(items, warnings)
    kinds = [(type(o).__name__, getattr(o, "code", getattr(o, "note", ""))) for o in outcomes]
    assert kinds == [
        ("Applied", ""),
        ("Failed", "nouser"),
        ("Failed", "nocohort"),
        ("Applied", "already a member"),
    ]


async def test_cohort_adds_settle_by_warnings_and_membership(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.cohorts[1] = {"id": 1, "name": "A", "idnumber": "A", "description": "", "visible": True}
    fake.cohort_members[1] = {5}
    fake.users.update({4: {"id": 4, "username": "a"}, 5: {"id": 5, "username": "b"}})
    report = await client.add_cohort_members(
        [CohortMember(1, 4), CohortMember(1, 5), CohortMember(1, 99), CohortMember(8, 4)]
    )
    assert [(a.item.userid, a.note) for a in report.applied] == [(4, ""), (5, "already a member")]
    assert sorted((f.item.cohortid, f.item.userid) for f in report.failed) == [(1, 99), (8, 4)]
    assert fake.cohort_members[1] == {4, 5}
    # Every warning named its item: no membership read was needed.
    assert not fake.calls_to("core_cohort_get_cohort_members")


async def test_unexplained_cohort_warnings_are_settled_by_reading_members(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.cohorts[1] = {"id": 1, "name": "A", "idnumber": "A", "description": "", "visible": True}
    fake.cohort_members[1] = set()
    fake.users.update({4: {"id": 4, "username": "a"}, 5: {"id": 5, "username": "b"}})

    def odd(params: dict[str, object]) -> object:
        fake.cohort_members[1].add(4)
        return {"warnings": [{"warningcode": "1", "message": "Invalid context: 50"}]}

    fake.f_core_cohort_add_cohort_members = odd  # type: ignore[method-assign]
    report = await client.add_cohort_members([CohortMember(1, 4), CohortMember(1, 5)])
    assert [a.item.userid for a in report.applied] == [4]
    assert [(f.item.userid, f.code, f.message) for f in report.failed] == [
        (5, "notadded", "Invalid context: 50")
    ]
    assert len(fake.calls_to("core_cohort_get_cohort_members")) == 1


async def test_a_category_without_idnumber_is_not_sent_twice_when_unsure(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    # The first attempt landed but did not answer: a same-named category now exists and
    # nothing tells whether it is ours, so it is reported rather than created again.
    fake.faults["core_course_create_categories"] = ["applied-timeout"]
    report = await client.create_categories([NewCategory("Archives")])
    assert [(f.item.name, f.code) for f in report.failed] == [("Archives", "unknown")]
    assert len(fake.calls_to("core_course_create_categories")) == 1
    assert [c["name"] for c in fake.categories.values()].count("Archives") == 1


async def test_a_category_without_idnumber_absent_after_a_fault_is_sent_again(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.faults["core_course_create_categories"] = ["timeout"]
    report = await client.create_categories([NewCategory("Archives")])
    assert report.ok
    assert len(fake.calls_to("core_course_create_categories")) == 2
