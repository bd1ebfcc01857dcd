"""The ADE client against the test ADE server: the three ways to connect, sessions that
expire, chunks of resource ids, month-first request dates, disconnect, and both samples."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from jonction.config.directory import AdeSection
from jonction.sources.ade.client import AdeClient
from jonction.sources.ade.files import read_saved
from jonction.sources.ade.model import AdeError, Timetable
from jonction.sources.ade.reader import read_timetable
from jonction.sources.ade.rules import rules_from
from jonction.sources.ade.timetable import teaching_from

from .ade_server import AdeServer

URL = "http://ade.test/jsp/webapi"
ELEMENTS = {"SMA1U01", "SMA1U02", "SIN2U03", "SIN2U05"}
YEAR = (date(2026, 7, 1), date(2027, 6, 30))


def _section(**values: Any) -> AdeSection:
    values.setdefault("login", "jonction")
    values.setdefault("password", SecretStr("s3cret"))
    return AdeSection(url=URL, project_id=7, **values)


def _read(
    server: AdeServer, section: AdeSection, first: date = YEAR[0], last: date = YEAR[1]
) -> Timetable:
    transport = httpx.ASGITransport(app=server.app)
    return asyncio.run(
        read_timetable(section, rules_from(section), first, last, transport=transport)
    )


def test_query_login_reads_resources_and_events(ade_server: AdeServer) -> None:
    timetable = _read(ade_server, _section())
    assert len(timetable.events) == 7  # every event with an instructor
    connect = ade_server.calls("connect")[0]
    assert (connect["login"], connect["password"]) == ("jonction", "s3cret")
    assert ade_server.calls("setProject")[0]["projectId"] == "7"
    categories = [r["category"] for r in ade_server.calls("getResources")]
    assert categories == ["instructor", "category5"]
    assert all(
        r["detail"] == "11" and r["tree"] == "false" for r in ade_server.calls("getResources")
    )
    (events,) = ade_server.calls("getEvents")
    assert (events["startDate"], events["endDate"], events["detail"]) == (
        "07/01/2026",
        "06/30/2027",
        "8",
    )
    # Leaves only: the folders Mathématiques, Informatique, Vacataires are not asked.
    assert events["resources"].split("|") == ["2011", "2012", "2021", "2022", "2031"]
    assert ade_server.sessions == {}  # disconnected


def test_disconnect_names_the_session(ade_server: AdeServer) -> None:
    _read(ade_server, _section())
    session = ade_server.calls("setProject")[0]["sessionId"]
    assert ade_server.calls("disconnect") == [{"function": "disconnect", "sessionId": session}]


def test_basic_authentication_keeps_the_password_out_of_the_query(ade_server: AdeServer) -> None:
    _read(ade_server, _section(auth="basic"))
    connect = ade_server.calls("connect")[0]
    assert "password" not in connect and "login" not in connect
    assert connect["_authorization"].startswith("Basic ")


def test_data_token(ade_server: AdeServer) -> None:
    _read(ade_server, _section(auth="token", login="", token=SecretStr("0a1b2c3d4e,1")))
    assert ade_server.requests[0] == {"data": "0a1b2c3d4e,1"}


def test_bad_credentials_fail_without_retrying(ade_server: AdeServer) -> None:
    with pytest.raises(AdeError, match="bad login or password"):
        _read(ade_server, _section(password=SecretStr("wrong")))
    assert len(ade_server.calls("connect")) == 1


def test_expired_session_reconnects_once(ade_server: AdeServer) -> None:
    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=ade_server.app)
        async with AdeClient(_section(), transport=transport) as ade:
            await ade.resources("instructor")
            ade_server.expire_sessions()
            events = await ade.events(["2011"], *YEAR)
            return len(events), ade.reconnections

    count, reconnections = asyncio.run(scenario())
    assert (count, reconnections) == (3, 1)
    assert len(ade_server.calls("connect")) == 2
    assert len(ade_server.calls("setProject")) == 2  # the project is chosen again


def test_an_unexpected_answer_twice_is_an_error(ade_server: AdeServer) -> None:
    ade_server.empty_answers = 2
    with pytest.raises(AdeError, match=r"empty answer.*after reconnecting"):
        _read(ade_server, _section())


def test_one_unexpected_answer_is_survived(ade_server: AdeServer) -> None:
    ade_server.empty_answers = 1
    assert len(_read(ade_server, _section()).events) == 7


def test_events_are_asked_by_chunks(ade_server: AdeServer) -> None:
    section = _section(chunk_size=2)
    timetable = _read(ade_server, section)
    asked = [r["resources"].split("|") for r in ade_server.calls("getEvents")]
    assert asked == [["2011", "2012"], ["2021", "2022"], ["2031"]]
    # Event 310020 (two instructors in one chunk) comes once per chunk; teaching dedupes.
    teaching = teaching_from(timetable, rules_from(section), ELEMENTS)
    assert teaching.events_in_window == 7


def test_the_server_refuses_more_than_100_ids(ade_server: AdeServer) -> None:
    async def scenario() -> None:
        transport = httpx.ASGITransport(app=ade_server.app)
        section = _section()
        async with AdeClient(section, transport=transport) as ade:
            ids = [str(n) for n in range(250)]
            await ade.events(ids, *YEAR)

    asyncio.run(scenario())
    assert [len(r["resources"].split("|")) for r in ade_server.calls("getEvents")] == [100, 100, 50]


def test_window_dates_are_sent_month_first(ade_server: AdeServer) -> None:
    timetable = _read(ade_server, _section(), date(2026, 9, 8), date(2026, 9, 11))
    (events,) = ade_server.calls("getEvents")
    assert (events["startDate"], events["endDate"]) == ("09/08/2026", "09/11/2026")
    assert sorted(e.id for e in timetable.events) == ["310010", "310020", "310030", "310040"]


def test_web_api_and_saved_files_agree(
    ade_server: AdeServer, ade_samples: Path, tmp_path: Path
) -> None:
    for name in ("getResources", "getEvents"):
        (tmp_path / f"{name}.xml").write_bytes((ade_samples / f"sample-{name}.xml").read_bytes())
    for key in ("code", "email"):
        section = _section(teacher_key=key)
        rules = rules_from(section)
        from_web = teaching_from(_read(ade_server, section), rules, ELEMENTS)
        from_files = teaching_from(read_saved(tmp_path, *YEAR, activities=False), rules, ELEMENTS)
        assert from_web.pairs == from_files.pairs
        assert from_web.unmatched_codes == from_files.unmatched_codes
        assert set(from_web.without_key) == set(from_files.without_key)


def test_activity_codes_are_read_when_configured(ade_samples: Path) -> None:
    activities = (
        b'<activities><activity id="60101" name="Analyse 1 - CM" code="SMA1U01"/>'
        b'<activity id="60201" name="Alg\xc3\xa8bre" code="SMA1U02"/></activities>'
    )
    server = AdeServer(
        (ade_samples / "sample-getResources.xml").read_bytes(),
        (ade_samples / "sample-getEvents.xml").read_bytes(),
        activities,
    )
    section = _section(course_keys=["activity.code"])
    teaching = teaching_from(_read(server, section), rules_from(section), ELEMENTS)
    assert set(teaching.pairs) == {
        ("SMA1U01", "2011"),
        ("SMA1U02", "2011"),
        ("SMA1U02", "2012"),
    }
    assert server.calls("getActivities")[0]["detail"] == "9"
