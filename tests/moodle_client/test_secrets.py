"""The token goes in the POST body only: never in a URL, log line, exception or repr."""

from __future__ import annotations

import logging
import traceback

import pytest
import structlog

from jonction.moodle import MoodleClient, MoodleError, NewCourse

from .conftest import Sleeps, make_client
from .fake_moodle import TOKEN, FakeMoodle

pytestmark = pytest.mark.anyio


async def test_token_never_leaks(
    fake: FakeMoodle, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with structlog.testing.capture_logs() as logs:
        async with make_client(fake, sleeps, retries=1) as moodle:
            texts.append(repr(moodle))
            texts.append(repr(moodle.transport))
            # A retried fault, a fault beyond the retries, an HTML page, a Moodle error.
            fake.faults["core_course_get_categories"] = ["timeout", "503", "503", "html"]
            for _ in range(2):
                try:
                    await moodle.categories()
                except MoodleError as error:
                    texts += [str(error), repr(error), *traceback.format_exception(error)]
            fake.faults["core_course_create_courses"] = ["reset", "reset"]
            report = await moodle.create_courses([NewCourse("A", "A", 1)])
            texts += [repr(report), str(report.failed)]
            assert moodle.stats.records
            texts.append(repr(moodle.stats.as_dict()))
    texts += [repr(entry) for entry in logs]
    texts += [record.getMessage() for record in caplog.records]
    texts += fake.urls
    assert logs, "the retries should have been logged"
    assert all(TOKEN not in text for text in texts)
    # It did travel, in the body.
    assert all(TOKEN in body.decode() for body in fake.bodies)


async def test_moodle_text_quoting_the_token_is_scrubbed(sleeps: Sleeps) -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "exception": "moodle_exception",
                "errorcode": "invalidtoken",
                "message": f"Invalid token {TOKEN}",
                "debuginfo": f"token={TOKEN}",
            },
        )

    moodle = MoodleClient(
        "http://m", TOKEN, http_transport=httpx.MockTransport(handler), sleep=sleeps
    )
    with pytest.raises(MoodleError) as caught:
        await moodle.categories()
    await moodle.aclose()
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
