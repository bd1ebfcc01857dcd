"""Batches bounded in items and in form fields (PHP's max_input_vars drops the excess)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jonction.moodle import Enrolment, NewCourse, NewUser
from jonction.moodle.batching import MIN_SPLIT_ITEMS, even_batch_size, plan_batches

from .conftest import Sleeps, make_client
from .fake_moodle import FakeMoodle


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=60), max_size=80),
    max_items=st.integers(min_value=1, max_value=10),
    budget=st.integers(min_value=1, max_value=100),
)
def test_plan_respects_both_bounds_keeps_order_and_packs_greedily(
    sizes: list[int], max_items: int, budget: int
) -> None:
    items = list(range(len(sizes)))
    plan = plan_batches(items, sizes, max_items=max_items, field_budget=budget)
    sent = [i for batch in plan.batches for i in batch]
    assert sent == [i for i in items if sizes[i] <= budget]
    assert [i for i, _ in plan.oversized] == [i for i in items if sizes[i] > budget]
    for batch in plan.batches:
        assert 1 <= len(batch) <= max_items
        assert sum(sizes[i] for i in batch) <= budget
    for batch, following in zip(plan.batches, plan.batches[1:], strict=False):
        # The next item did not fit: the batch was full in items or in fields.
        first = following[0]
        assert len(batch) == max_items or sum(sizes[i] for i in batch) + sizes[first] > budget


@given(
    count=st.integers(min_value=1, max_value=20_000),
    max_items=st.integers(min_value=1, max_value=500),
    concurrency=st.integers(min_value=1, max_value=12),
)
def test_even_batches_fill_whole_rounds_and_never_pass_the_configured_size(
    count: int, max_items: int, concurrency: int
) -> None:
    size = even_batch_size(count, max_items, concurrency)
    assert 1 <= size <= max_items
    calls = -(-count // size)
    fewest = -(-count // max_items)
    rounds = -(-fewest // concurrency)
    # No more rounds of calls in flight than the configured size needs...
    assert -(-calls // concurrency) == rounds
    if fewest >= concurrency:
        # ...and those rounds share the items evenly: no call far larger than another.
        assert size <= -(-count // (rounds * concurrency)) + 1
    elif count >= MIN_SPLIT_ITEMS * 2:
        assert calls > 1  # idle workers take a share


def test_even_batches_at_the_sizes_of_a_night() -> None:
    # 27 calls by 200 → 5 rounds of 6 calls of at most 180 items.
    assert even_batch_size(5376, 200, 6) == 180
    # One call's worth spread over the 6 workers, not below 20 items a call.
    assert even_batch_size(250, 200, 6) == 42
    assert even_batch_size(90, 200, 6) == 23
    assert even_batch_size(19, 200, 6) == 19
    # The per-item way stays per item.
    assert even_batch_size(1000, 1, 1) == 1


@pytest.mark.anyio
async def test_no_request_carries_more_fields_than_max_input_vars(sleeps: Sleeps) -> None:
    fake = FakeMoodle(max_input_vars=100)
    users = [NewUser(f"u{i}", "F", "L", f"u{i}@x.fr", idnumber=str(i)) for i in range(120)]
    async with make_client(fake, sleeps, max_input_vars=100) as moodle:
        report = await moodle.create_users(users)
        assert report.ok and len(report.applied) == 120
        found = await moodle.users_by_username(u.username for u in users)
    assert len(found) == 120
    # 6 fields a user, 3 fixed fields: 16 users a call (99 fields), not the 200 configured.
    calls = fake.calls_to("core_user_create_users")
    assert max(call.fields for call in calls) <= 100
    assert [len(call.params["users"]) for call in calls] == [16] * 7 + [8]
    assert all(call.fields <= 100 for call in fake.calls)
    assert len(fake.users) == 120  # nothing dropped


@pytest.mark.anyio
async def test_configured_batch_size_per_function(sleeps: Sleeps) -> None:
    fake = FakeMoodle()
    async with make_client(fake, sleeps, batch_sizes={"core_course_create_courses": 7}) as moodle:
        report = await moodle.create_courses([NewCourse(f"C{i}", f"C{i}", 1) for i in range(30)])
    assert report.ok
    sizes = [len(c.params["courses"]) for c in fake.calls_to("core_course_create_courses")]
    assert sorted(sizes) == [6, 6, 6, 6, 6]  # at most 7, the 30 spread evenly


def test_unknown_function_in_batch_sizes_is_refused() -> None:
    with pytest.raises(ValueError, match=r"core_course_create_course\b"):
        make_client(FakeMoodle(), Sleeps(), batch_sizes={"core_course_create_course": 5})


@pytest.mark.anyio
async def test_an_item_too_big_for_one_request_is_reported_not_sent(sleeps: Sleeps) -> None:
    fake = FakeMoodle(max_input_vars=100)
    huge = NewCourse("Big", "BIG", 1, customfields=tuple((f"f{i}", "v") for i in range(60)))
    async with make_client(fake, sleeps, max_input_vars=100) as moodle:
        report = await moodle.create_courses([huge, NewCourse("Small", "SMALL", 1)])
    assert [f.item.shortname for f in report.failed] == ["BIG"]
    assert report.failed[0].code == "toomanyfields"
    assert [a.item.shortname for a in report.applied] == ["SMALL"]


@pytest.mark.anyio
async def test_calls_in_flight_never_exceed_the_bound(sleeps: Sleeps) -> None:
    fake = FakeMoodle(delay_s=0.005)
    fake.users = {i: {"id": i, "username": f"u{i}"} for i in range(2, 40)}
    fake.courses.update(
        {i: {"id": i, "shortname": f"c{i}", "fullname": "", "categoryid": 1} for i in range(2, 40)}
    )
    enrolments = [Enrolment(c, u, 5) for c in range(2, 40) for u in range(2, 40)]
    async with make_client(
        fake, sleeps, concurrency=3, batch_sizes={"enrol_manual_enrol_users": 10}
    ) as moodle:
        report = await moodle.enrol(enrolments)
        assert report.ok
        assert moodle.stats.peak_in_flight == 3
    assert fake.peak == 3
    assert len(fake.calls) == len(enrolments) // 10 + 1
