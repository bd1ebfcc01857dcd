"""One call: retries for transport faults only, typed errors, accounting."""

from __future__ import annotations

import random
import time

import pytest

from jonction.moodle import (
    FunctionNotAvailable,
    InvalidParameter,
    InvalidToken,
    MoodleClient,
    MoodleConnectionError,
    MoodleDecodeError,
    MoodleServerError,
    MoodleTimeout,
    PhpError,
    RetryPolicy,
    TooManyFields,
)
from jonction.moodle.errors import error_from_payload
from jonction.steps.base import CallTally

from .conftest import Sleeps, make_client
from .fake_moodle import FakeMoodle

pytestmark = pytest.mark.anyio


async def test_posts_json_format_to_the_rest_endpoint(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    await client.categories()
    assert fake.urls == ["http://moodle.test/webservice/rest/server.php"]
    body = fake.bodies[0].decode()
    assert body.startswith("wstoken=")
    assert "wsfunction=core_course_get_categories" in body
    assert "moodlewsrestformat=json" in body


@pytest.mark.parametrize("fault", ["503", "timeout", "reset"])
async def test_transport_faults_are_retried_with_backoff(
    client: MoodleClient, fake: FakeMoodle, sleeps: Sleeps, fault: str
) -> None:
    fake.faults["core_course_get_categories"] = [fault, fault]
    categories = await client.categories()
    assert [c.id for c in categories] == [1]
    assert len(fake.calls) == 3
    assert len(sleeps.delays) == 2
    (record,) = client.stats.records
    assert (record.attempts, record.retries, record.outcome) == (3, 2, "ok")


async def test_faults_beyond_the_retries_surface_typed(fake: FakeMoodle, sleeps: Sleeps) -> None:
    expected = {"503": MoodleServerError, "timeout": MoodleTimeout, "reset": MoodleConnectionError}
    for fault, error in expected.items():
        fake.faults["core_course_get_categories"] = [fault] * 3
        async with make_client(fake, sleeps, retries=2) as moodle:
            with pytest.raises(error):
                await moodle.categories()
            assert moodle.stats.records[-1].outcome == (
                "http503" if fault == "503" else "transport"
            )
            assert moodle.stats.records[-1].attempts == 3


async def test_moodle_errors_are_never_retried(client: MoodleClient, fake: FakeMoodle) -> None:
    fake.courses[5] = {"id": 5, "shortname": "A", "fullname": "A", "categoryid": 1}
    from jonction.moodle import NewCourse

    # A duplicate shortname is a verdict, not a fault: one call, reported on the item.
    report = await client.create_courses([NewCourse("A", "A", 1)])
    assert len(fake.calls_to("core_course_create_courses")) == 1
    assert report.failed[0].code == "shortnametaken"
    assert client.stats.records[-1].attempts == 1


async def test_non_json_answer_is_a_decode_error_and_not_retried(
    client: MoodleClient, fake: FakeMoodle
) -> None:
    fake.faults["core_course_get_categories"] = ["html"]
    with pytest.raises(MoodleDecodeError, match="not JSON"):
        await client.categories()
    assert len(fake.calls) == 1
    assert client.stats.records[0].outcome == "badanswer"


async def test_wrong_token_is_invalid_token(fake: FakeMoodle, sleeps: Sleeps) -> None:
    async with make_client(fake, sleeps, token="0" * 32) as moodle:
        with pytest.raises(InvalidToken):
            await moodle.categories()


async def test_function_outside_the_service(fake: FakeMoodle, sleeps: Sleeps) -> None:
    fake.functions = {"core_webservice_get_site_info"}
    async with make_client(fake, sleeps) as moodle:
        with pytest.raises(FunctionNotAvailable):
            await moodle.categories()


def test_errors_are_typed_from_moodles_payloads() -> None:
    cases = [
        (
            {"exception": "moodle_exception", "errorcode": "invalidtoken", "message": "x"},
            InvalidToken,
        ),
        (
            {
                "exception": "dml_missing_record_exception",
                "errorcode": "invalidrecord",
                "message": "Can't find data record in database table external_functions.",
            },
            FunctionNotAvailable,
        ),
        (
            {
                "exception": "invalid_parameter_exception",
                "errorcode": "invalidparameter",
                "message": "Invalid parameter value detected",
                "debuginfo": "Username already exists: alice",
            },
            InvalidParameter,
        ),
        (
            {"exception": "Error", "message": 'Attempt to assign property "contextvalidated"'},
            PhpError,
        ),
    ]
    for payload, kind in cases:
        error = error_from_payload("f", payload)
        assert type(error) is kind
    php = error_from_payload("f", cases[3][0])
    assert php.errorcode is None and php.code == "Error"
    detailed = error_from_payload("f", cases[2][0])
    assert detailed.debuginfo == "Username already exists: alice"
    assert "Username already exists" in str(detailed)
    assert not error_from_payload("f", cases[0][0]).concerns_items
    assert detailed.concerns_items


async def test_a_request_over_max_input_vars_is_refused_before_sending(
    fake: FakeMoodle, sleeps: Sleeps
) -> None:
    async with make_client(fake, sleeps, max_input_vars=100) as moodle:
        with pytest.raises(TooManyFields):
            await moodle.transport.call(
                "core_user_get_users_by_field",
                {"field": "id", "values": list(range(98))},
                kind="read",
            )
    assert fake.calls == []


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(retries=6, backoff_s=0.5, backoff_max_s=4.0)
    rng = random.Random(3)
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0)]:
        delays = [policy.delay(retry, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not constant


async def test_calls_are_accounted_per_function(client: MoodleClient, fake: FakeMoodle) -> None:
    await client.categories()
    await client.categories()
    await client.cohorts()
    summary = client.stats.by_function()
    assert list(summary) == ["core_cohort_get_cohorts", "core_course_get_categories"]
    assert summary["core_course_get_categories"].calls == 2
    assert summary["core_course_get_categories"].bytes_received > 0
    assert client.stats.reads == 3 and client.stats.writes == 0
    assert client.stats.as_dict()["calls"] == 3


async def test_calls_are_tallied_into_a_steps_sink_with_when_they_ran(
    client: MoodleClient,
) -> None:
    await client.categories()
    mark = client.stats.calls
    before = time.time()
    await client.cohorts()
    await client.cohorts()
    after = time.time()
    sink = CallTally()
    client.stats.tally_into(sink, since=mark)
    assert list(sink.by_function) == ["core_cohort_get_cohorts"]
    entry = sink.by_function["core_cohort_get_cohorts"]
    assert (entry["calls"], entry["items"], entry["errors"]) == (2, 2, 0)
    # The first call asked for, the last answer: within the two calls' time.
    assert before - 0.01 <= entry["first"] <= entry["last"] <= after + 0.01
