"""Bulk reads: few calls, results sorted by key, the site course dropped, unknown ids found."""

from __future__ import annotations

import pytest

from jonction.moodle import REQUIRED_FUNCTIONS, MissingFunctions, MoodleClient

from .conftest import Sleeps, make_client
from .fake_moodle import FakeMoodle

pytestmark = pytest.mark.anyio


def _course(i: int, category: int = 1, idnumber: str = "") -> dict[str, object]:
    return {
        "id": i,
        "shortname": f"S{i} & co",
        "fullname": f"F{i}",
        "categoryid": category,
        "idnumber": idnumber or f"ID{i}",
    }


async def test_courses_drop_the_site_course_sort_by_id_and_unescape(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    for i in (9, 3, 5):
        fake.courses[i] = _course(i)
    courses = await client.courses()
    assert [c.id for c in courses] == [3, 5, 9]  # the fake answers in reverse order
    assert courses[0].shortname == "S3 & co"
    assert [c.id for c in await client.courses_by_id([9, 3, 12345])] == [3, 9]


async def test_courses_by_idnumber_reads_the_expected_categories_first(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    for i in range(2, 12):
        fake.courses[i] = _course(i, category=1 if i < 10 else 2)
    fake.categories[2] = {"id": 2, "name": "B", "idnumber": "B", "parent": 0, "coursecount": 2}
    found = await client.courses_by_idnumber(["ID3", "ID4", "ID11", "NOPE"], categories=[1])
    assert sorted(found) == ["ID11", "ID3", "ID4"]
    calls = fake.calls_to("core_course_get_courses_by_field")
    # One read of category 1, then one lookup for each idnumber not found there.
    assert [c.params["field"] for c in calls] == ["category", "idnumber", "idnumber"]


async def test_many_idnumbers_on_a_small_site_read_every_course_once(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    for i in range(2, 40):
        fake.courses[i] = _course(i)
    fake.categories[1]["coursecount"] = 38
    wanted = [f"ID{i}" for i in range(2, 40)]
    found = await client.courses_by_idnumber(wanted)
    assert sorted(found) == sorted(wanted)
    assert [c.function for c in fake.calls] == [
        "core_course_get_categories",
        "core_course_get_courses",
    ]


async def test_users_by_username_in_batches_within_max_input_vars(sleeps: Sleeps) -> None:
    fake = FakeMoodle(max_input_vars=200)
    fake.users = {i: {"id": i, "username": f"user{i}"} for i in range(2, 600)}
    # One call in flight: the calls are cut by the fields alone, not spread over workers.
    async with make_client(fake, sleeps, max_input_vars=200, concurrency=1) as moodle:
        found = await moodle.users_by_username([f"user{i}" for i in range(0, 600)])
    assert len(found) == 598
    assert all(call.fields <= 200 for call in fake.calls)
    assert len(fake.calls) == 4  # 196 values a call (200 - 3 fixed - field)


async def test_reads_spread_over_the_calls_in_flight(sleeps: Sleeps) -> None:
    fake = FakeMoodle()
    fake.users = {i: {"id": i, "username": f"user{i}"} for i in range(2, 600)}
    async with make_client(fake, sleeps, concurrency=6) as moodle:
        found = await moodle.users_by_username([f"user{i}" for i in range(0, 600)])
    assert len(found) == 598
    # 600 values fit in few calls, but 6 run at once: 6 calls of 100 end together.
    assert sorted(len(call.params["values"]) for call in fake.calls) == [100] * 6


async def test_group_members_unknown_ids_are_isolated(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    for g in range(10, 30):
        fake.groups[g] = {
            "id": g,
            "courseid": 2,
            "name": f"G{g}",
            "idnumber": "",
            "description": "",
        }
        fake.group_members[g] = {g * 10, g * 10 + 1}
    members = await client.group_members([*range(10, 30), 7, 99])
    assert members.missing == (7, 99)
    assert sorted(members.members) == list(range(10, 30))
    assert members.members[12] == frozenset({120, 121})


async def test_groups_of_many_courses_one_call_each(client: MoodleClient, fake: FakeMoodle) -> None:
    fake.groups = {
        5: {"id": 5, "courseid": 2, "name": "B &amp; C", "idnumber": "x", "description": ""},
        4: {"id": 4, "courseid": 2, "name": "A", "idnumber": "", "description": ""},
    }
    groups = await client.groups_of_courses([2, 3, 2])
    assert {k: [g.id for g in v] for k, v in groups.items()} == {2: [4, 5], 3: []}
    assert groups[2][1].name == "B & C"
    assert len(fake.calls) == 2


async def test_start_check_names_the_missing_functions(fake: FakeMoodle, sleeps: Sleeps) -> None:
    fake.functions = set(REQUIRED_FUNCTIONS) - {
        "core_group_create_groups",
        "enrol_manual_enrol_users",
    }
    async with make_client(fake, sleeps) as moodle:
        with pytest.raises(MissingFunctions) as caught:
            await moodle.check_service()
    assert caught.value.missing == ["core_group_create_groups", "enrol_manual_enrol_users"]
    assert "core_group_create_groups, enrol_manual_enrol_users" in str(caught.value)
    assert "wsuser" in str(caught.value)


async def test_start_check_without_site_info_in_the_service(
    fake: FakeMoodle, sleeps: Sleeps
) -> None:
    fake.functions = {"core_course_get_categories"}
    async with make_client(fake, sleeps) as moodle:
        with pytest.raises(MissingFunctions, match="core_webservice_get_site_info"):
            await moodle.check_service()


async def test_start_check_passes_with_every_function(fake: FakeMoodle, sleeps: Sleeps) -> None:
    fake.functions = set(REQUIRED_FUNCTIONS)
    async with make_client(fake, sleeps) as moodle:
        info = await moodle.check_service()
    assert info.username == "wsuser" and info.release == "4.1.10"
