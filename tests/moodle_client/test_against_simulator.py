"""The client against jonction's Moodle simulator over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jonction.moodle import (
    Enrolment,
    GroupMember,
    InvalidToken,
    MissingFunctions,
    MoodleClient,
    NewCategory,
    NewCourse,
    NewGroup,
    NewUser,
)
from moodlesim.testing import RunningSimulator, running_simulator

pytestmark = pytest.mark.anyio

FAST: dict[str, Any] = {"latency_ms": 1.0, "cost_scale": 0.01}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(**FAST) as running:
        yield running


def client(sim: RunningSimulator, **options: object) -> MoodleClient:
    return MoodleClient(sim.base_url, sim.token, seed=7, **options)  # type: ignore[arg-type]


async def _category(moodle: MoodleClient, idnumber: str) -> int:
    report = await moodle.create_categories([NewCategory(f"Cat {idnumber}", idnumber=idnumber)])
    assert report.ok, report.failed
    return report.ids()[0]


async def test_start_check_and_wrong_token(sim: RunningSimulator) -> None:
    async with client(sim) as moodle:
        info = await moodle.check_service()
        assert info.release.startswith("4.1")
    async with MoodleClient(sim.base_url, "not-the-token") as moodle:
        with pytest.raises(InvalidToken):
            await moodle.categories()


async def test_start_check_names_functions_left_out_of_the_service() -> None:
    left_out = ["core_group_create_groups", "enrol_manual_enrol_users"]
    with running_simulator(without_functions=left_out, **FAST) as partial:
        async with MoodleClient(partial.base_url, partial.token) as moodle:
            with pytest.raises(MissingFunctions) as caught:
                await moodle.check_service()
    assert caught.value.missing == left_out


async def test_bisection_isolates_exactly_the_bad_items(sim: RunningSimulator) -> None:
    async with client(sim) as moodle:
        category = await _category(moodle, "BISECT")
        taken = await moodle.create_courses([NewCourse("Taken", "BI-TAKEN", category)])
        assert taken.ok
        items = [
            NewCourse(f"Course {i} & co", f"BI-{i:02d}", category, idnumber=f"BI-{i:02d}")
            for i in range(40)
        ]
        items[5] = NewCourse("Dup", "BI-TAKEN", category)  # shortname taken
        items[17] = NewCourse("Lost", "BI-LOST", 999999)  # no such category
        items[33] = NewCourse("x" * 300, "BI-LONG", category)  # fullname over 254
        report = await moodle.create_courses(items)
        assert [f.item.shortname for f in report.failed] == ["BI-TAKEN", "BI-LOST", "BI-LONG"]
        assert report.failed[0].code == "shortnametaken"
        assert len(report.applied) == 37
        present = await moodle.courses_in_categories([category])
    good = sorted(
        i.shortname
        for i in items
        if i.shortname.startswith("BI-") and i.shortname not in ("BI-TAKEN", "BI-LOST", "BI-LONG")
    )
    assert sorted(c.shortname for c in present) == sorted([*good, "BI-TAKEN"])
    assert {c.id for c in present} >= set(report.ids())


async def test_no_request_exceeds_max_input_vars() -> None:
    # The simulator drops fields past its limit silently, as PHP does: every item must land.
    with running_simulator(max_input_vars=200, **FAST) as small:
        async with MoodleClient(small.base_url, small.token, max_input_vars=200) as moodle:
            users = [NewUser(f"miv{i:03d}", "F", "L", f"miv{i}@x.fr") for i in range(150)]
            report = await moodle.create_users(users)
            assert report.ok and len(report.applied) == 150
            names = [u.username for u in users] + [f"ghost{i}" for i in range(300)]
            found = await moodle.users_by_username(names)
            assert sorted(found) == sorted(u.username for u in users)
            assert max(r.fields for r in moodle.stats.records) <= 200


async def test_writes_under_faults_are_applied_exactly_once() -> None:
    options: dict[str, Any] = {"fault_rate": 0.1, "seed": 11, "fault_hang_s": 1.0, **FAST}
    with running_simulator(**options) as faulty:
        async with MoodleClient(
            faulty.base_url,
            faulty.token,
            timeout_s=0.4,
            retries=8,
            backoff_s=0.02,
            backoff_max_s=0.2,
            seed=3,
            batch_sizes={
                "core_course_create_courses": 10,
                "core_user_create_users": 20,
                "enrol_manual_enrol_users": 20,
                "core_group_add_group_members": 20,
            },
        ) as moodle:
            category = None
            while category is None:  # the setup itself may meet a fault
                made = await moodle.create_categories([NewCategory("Faults", idnumber="FAULTS")])
                category = made.ids()[0] if made.ok else None
            courses = [
                NewCourse(f"F{i}", f"F-{i:03d}", category, idnumber=f"F-{i:03d}")
                for i in range(120)
            ]
            created = await moodle.create_courses(courses)
            users = [NewUser(f"f{i:03d}", "F", "L", f"f{i}@x.fr") for i in range(200)]
            accounts = await moodle.create_users(users)
            assert created.ok, created.failed[:3]
            assert accounts.ok, accounts.failed[:3]
            course_ids, user_ids = created.ids(), accounts.ids()
            enrolments = [Enrolment(course_ids[i % 20], user_ids[i], 5) for i in range(200)]
            enrolled = await moodle.enrol(enrolments)
            assert enrolled.ok, enrolled.failed[:3]
            groups = await moodle.create_groups([NewGroup(c, "TD") for c in course_ids[:20]])
            assert groups.ok, groups.failed[:3]
            group_of = dict(zip(course_ids[:20], groups.ids(), strict=True))
            members = await moodle.add_group_members(
                [GroupMember(group_of[e.courseid], e.userid) for e in enrolments]
            )
            assert members.ok, members.failed[:3]
            retried = sum(r.retries for r in moodle.stats.records)
        faulty.settings(fault_rate="0")
        faults = faulty.stats()["faults"]
        async with MoodleClient(faulty.base_url, faulty.token) as reader:
            present = await reader.courses_in_categories([category])
            found = await reader.users_by_username(u.username for u in users)
            seen = await reader.enrolled_users(course_ids[:20])
            in_groups = await reader.group_members(groups.ids())
    # The faults did strike, writes included, and every write landed exactly once.
    assert faults.get("hang_after", 0) + faults.get("503_after", 0) > 0, faults
    assert retried > 0
    assert sorted(c.shortname for c in present) == sorted(c.shortname for c in courses)
    assert sorted(created.ids()) == sorted(c.id for c in present)
    assert sorted(found) == sorted(u.username for u in users)
    assert sorted(accounts.ids()) == sorted(u.id for u in found.values())
    assert sum(len(v) for v in seen.values()) == 200
    assert sum(len(v) for v in in_groups.members.values()) == 200


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests open at once, below the client's own bound."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.open = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.open -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("bound", [1, 3])
async def test_calls_in_flight_never_exceed_the_bound(bound: int) -> None:
    with running_simulator(latency_ms=15.0, cost_scale=0.05, workers=8) as slow:
        counter = CountingTransport()
        async with MoodleClient(
            slow.base_url,
            slow.token,
            concurrency=bound,
            http_transport=counter,
            batch_sizes={"core_course_create_courses": 2},
        ) as moodle:
            category = await _category(moodle, f"BOUND{bound}")
            report, groups = await asyncio.gather(
                moodle.create_courses(
                    [NewCourse(f"B{i}", f"B{bound}-{i}", category) for i in range(30)]
                ),
                moodle.groups_of_courses(range(1, 30)),
            )
            assert report.ok and len(groups) == 29
            assert moodle.stats.peak_in_flight == bound
    assert counter.peak == bound
