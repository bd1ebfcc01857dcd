"""ADE's answers parsed from bytes: the samples, both date orders, shapes and bad answers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from jonction.sources.ade.model import AdeFormatError
from jonction.sources.ade.parse import (
    AdeErrorAnswer,
    check_project,
    format_request_date,
    parse_activities,
    parse_events,
    parse_resources,
    parse_session,
)


def test_sample_events_are_read_with_day_first_dates(ade_samples: Path) -> None:
    events = parse_events((ade_samples / "sample-getEvents.xml").read_bytes())
    assert len(events) == 8
    first = events[0]
    assert (first.id, first.activity_id, first.repetition) == ("310001", "60101", "0")
    assert first.day == date(2026, 9, 7)  # "07/09/2026": 7 September, not 9 July
    assert first.last_update == datetime(2026, 7, 2, 9, 14)  # "07/02/2026 09:14": 2 July
    assert (first.start, first.end) == ("08:00", "09:30")
    assert [p.category for p in first.participants] == [
        "trainee",
        "instructor",
        "category5",
        "classroom",
    ]
    by_id = {event.id: event for event in events}
    assert by_id["310040"].last_update is None  # empty lastUpdate is allowed
    assert by_id["310050"].name == "Anglais scientifique - TD d'expression orale"
    assert by_id["310060"].of_category("instructor") == ()
    assert [p.id for p in by_id["310020"].of_category("instructor")] == ["2011", "2012"]


def test_sample_resources_flat_detail_11(ade_samples: Path) -> None:
    resources = {
        r.id: r for r in parse_resources((ade_samples / "sample-getResources.xml").read_bytes())
    }
    assert len(resources) == 27
    anne = resources["2011"]
    assert (anne.category, anne.code, anne.is_group, anne.father_id) == (
        "instructor",
        "104217",
        False,
        "2010",
    )
    assert anne.emails() == ("anne.dubois@univ-exemple.fr", "a.dubois@labo-exemple.fr")
    assert resources["2021"].emails() == ("jerome.nguyen@univ-exemple.fr",)  # lower-cased
    assert resources["2010"].is_group
    assert resources["5011"].code == "SMA1U01"
    assert resources["5122"].name == "SIN2U05 : Bases de données"
    assert resources["2031"].name == "O'CONNOR Hélène"


def test_resources_filtered_by_category_and_tree_shapes() -> None:
    by_category = parse_resources(
        b'<rooms><room id="4011" name="Amphi Curie" isGroup="false"/></rooms>', "x", "classroom"
    )
    assert [(r.id, r.category) for r in by_category] == [("4011", "classroom")]
    unnamed_root = parse_resources(
        b'<whatever><category6 id="9" name="C" code="SMA1U01"/></whatever>', "x"
    )
    assert [(r.id, r.category, r.code) for r in unnamed_root] == [("9", "category6", "SMA1U01")]
    tree = parse_resources(
        b'<tree><category category="category5"><branch id="1" name="L"><leaf id="2" name="A"'
        b' code="SMA1U01"/><rights/></branch></category></tree>',
        "x",
    )
    assert [(r.id, r.category, r.is_group, r.father_id) for r in tree] == [
        ("1", "category5", True, ""),
        ("2", "category5", False, "1"),
    ]


def test_detail_13_members_are_not_resources() -> None:
    body = (
        b'<resources><resource id="3110" name="L1" category="trainee" isGroup="true">'
        b'<allMembers><member category="trainee" id="3111"/></allMembers></resource></resources>'
    )
    assert [r.id for r in parse_resources(body)] == ["3110"]


def test_single_event_root_and_activity_events() -> None:
    one = parse_events(
        b'<event id="1" activityId="2" date="7/9/2026" startHour="8:00" endHour="9:30">'
        b'<resources><resource category="instructor" id="5" name="X"/></resources></event>'
    )
    assert one[0].day == date(2026, 9, 7) and one[0].start == "08:00"
    nested = parse_events(
        b'<activities><activity id="2"><events><event id="1" activityId="2" date="07/09/2026"'
        b' startHour="08:00" endHour="09:30"><eventParticipants><eventParticipant'
        b' category="instructor" id="5"/></eventParticipants></event></events></activity>'
        b"</activities>"
    )
    assert nested[0].participants[0].id == "5"
    activities = b'<activities><activity id="60101" name="Analyse" code="SMA1U01"/></activities>'
    assert parse_activities(activities)[0].code == "SMA1U01"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty answer"),
        (b"<events><event", "not XML"),
        (b'<error name="java.lang.NullPointerException" trace="boom"/>', "boom"),
        (b"<projects/>", "expected <events>"),
        (
            b'<events><event id="1" activityId="2" date="2026-09-07" startHour="08:00"'
            b' endHour="09:00"/></events>',
            "not DD/MM/YYYY",
        ),
        (
            b'<events><event id="1" activityId="2" date="07/09/2026" startHour="08:00"'
            b' endHour="09:00" lastUpdate="2026-07-02"/></events>',
            "MM/DD/YYYY HH:MM",
        ),
        (
            b'<events><event id="1" date="07/09/2026" startHour="08:00" endHour="09:00"/></events>',
            "event 1: attribute activityId is missing",
        ),
        (
            b'<events><event id="1" activityId="2" date="07/09/2026" startHour="8h"'
            b' endHour="9:00"/></events>',
            "hour '8h'",
        ),
    ],
)
def test_bad_answers_are_named(body: bytes, message: str) -> None:
    with pytest.raises(AdeFormatError, match=message):
        parse_events(body, "getEvents")


def test_error_answer_keeps_name_and_trace() -> None:
    with pytest.raises(AdeErrorAnswer) as caught:
        parse_session(b'<error name="com.adesoft.LoginException" trace="bad login"/>')
    assert caught.value.name == "com.adesoft.LoginException"
    assert caught.value.trace == "bad login"


def test_session_project_and_request_dates() -> None:
    assert parse_session(b'<?xml version="1.0"?><session id="14cef878c17"/>') == "14cef878c17"
    check_project(b'<setProject projectId="7" sessionId="1"/>', 7)
    with pytest.raises(AdeFormatError, match="does not confirm project 7"):
        check_project(b'<setProject projectId="6" sessionId="1"/>', 7)
    assert format_request_date(date(2026, 9, 7)) == "09/07/2026"


def test_bytes_are_decoded_as_utf8_not_latin1() -> None:
    body = '<resources><resource id="1" name="Probabilités" category="category5"/></resources>'
    assert parse_resources(body.encode("utf-8"))[0].name == "Probabilités"
