"""Who teaches which element, from the samples: course keys, teacher keys, placeholders,
the mapping table, the window, and what is reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jonction.config.directory import AdeSection
from jonction.sources.ade.files import read_saved
from jonction.sources.ade.model import Activity, AdeFormatError, Event, Participant, Timetable
from jonction.sources.ade.rules import read_course_map, rules_from, window
from jonction.sources.ade.timetable import teaching_from

ELEMENTS = {"SMA1U01", "SMA1U02", "SIN2U03", "SIN2U05"}
YEAR = (date(2026, 7, 1), date(2027, 6, 30))


def _timetable(folder: Path, first: date = YEAR[0], last: date = YEAR[1]) -> Timetable:
    return read_saved(folder, first, last, activities=False)


@pytest.fixture
def saved(tmp_path: Path, ade_samples: Path) -> Path:
    for name in ("getResources", "getEvents"):
        (tmp_path / f"{name}.xml").write_bytes((ade_samples / f"sample-{name}.xml").read_bytes())
    return tmp_path


def test_pairs_by_instructor_code(saved: Path) -> None:
    teaching = teaching_from(_timetable(saved), rules_from(AdeSection()), ELEMENTS)
    assert set(teaching.pairs) == {
        ("SMA1U01", "2011"),
        ("SMA1U01", "2012"),
        ("SMA1U02", "2011"),
        ("SMA1U02", "2012"),
    }
    (cm,) = teaching.pairs[("SMA1U01", "2011")]
    assert (cm.activity_id, cm.events, cm.first_day, cm.last_day) == (
        "60101",
        2,
        date(2026, 9, 7),
        date(2026, 9, 14),
    )
    assert teaching.instructors["2011"].keys == ("104217",)
    # Jérôme Nguyen and Hélène O'Connor have no code; the placeholder is not reported.
    assert set(teaching.without_key) == {"2021", "2031"}
    assert teaching.placeholder_events == 1
    assert teaching.events_in_window == 8


def test_pairs_by_email_and_unmatched_codes(saved: Path) -> None:
    teaching = teaching_from(
        _timetable(saved), rules_from(AdeSection(teacher_key="email")), ELEMENTS
    )
    assert ("SIN2U03", "2021") in teaching.pairs
    assert teaching.instructors["2011"].keys == (
        "anne.dubois@univ-exemple.fr",
        "a.dubois@labo-exemple.fr",
    )
    assert teaching.instructors["2021"].keys == ("jerome.nguyen@univ-exemple.fr",)
    # SLV1U01 (Anglais scientifique) is not an element of this catalogue: reported.
    assert list(teaching.unmatched_codes) == ["SLV1U01"]
    assert teaching.unmatched_codes["SLV1U01"][0].activity_id == "60401"
    assert teaching.without_key == {}


def test_code_or_email(saved: Path) -> None:
    rules = rules_from(AdeSection(teacher_key="code_or_email"))
    teaching = teaching_from(_timetable(saved), rules, ELEMENTS)
    assert teaching.instructors["2011"].keys == (
        "104217",
        "anne.dubois@univ-exemple.fr",
        "a.dubois@labo-exemple.fr",
    )
    assert teaching.instructors["2021"].keys == ("jerome.nguyen@univ-exemple.fr",)
    assert teaching.without_key == {}


def test_mapping_table_rescues_and_ignores_codes(saved: Path, tmp_path: Path) -> None:
    csv = tmp_path / "map.csv"
    csv.write_text("ade_code,element\n# transversal English\nSLV1U01,SMA1U02\n")
    section = AdeSection(teacher_key="email", course_map_file=csv)
    teaching = teaching_from(_timetable(saved), rules_from(section), ELEMENTS)
    assert ("SMA1U02", "2031") in teaching.pairs and teaching.unmatched_codes == {}
    ignored = AdeSection(teacher_key="email", course_map={"SLV1U01": ""})
    teaching = teaching_from(_timetable(saved), rules_from(ignored), ELEMENTS)
    assert teaching.unmatched_codes == {} and all(e != "SLV1U01" for e, _ in teaching.pairs)


def test_course_code_from_the_name_when_the_code_is_empty(saved: Path) -> None:
    timetable = _timetable(saved)
    # Anne Dubois now teaches the databases course, whose code is only in its name.
    timetable.events.append(
        Event(
            "999",
            "70000",
            "Bases de données - TD",
            date(2026, 10, 1),
            "08:00",
            "10:00",
            participants=(Participant("2011", "instructor"), Participant("5122", "category5")),
        )
    )
    teaching = teaching_from(timetable, rules_from(AdeSection()), ELEMENTS)
    assert ("SIN2U05", "2011") in teaching.pairs
    only_codes = AdeSection(course_keys=["resource[category5].code"])
    teaching = teaching_from(timetable, rules_from(only_codes), ELEMENTS)
    assert ("SIN2U05", "2011") not in teaching.pairs
    assert [use.activity_id for use in teaching.without_course] == ["70000"]


def test_activity_code_place(saved: Path) -> None:
    timetable = _timetable(saved)
    timetable.activities = {"60101": Activity("60101", "Analyse 1 - CM", code="SIN2U05")}
    rules = rules_from(AdeSection(course_keys=["activity.code"]))
    teaching = teaching_from(timetable, rules, ELEMENTS)
    assert set(teaching.pairs) == {("SIN2U05", "2011")}


def test_window_keeps_only_its_days(saved: Path) -> None:
    teaching = teaching_from(
        _timetable(saved, date(2026, 9, 8), date(2026, 9, 11)), rules_from(AdeSection()), ELEMENTS
    )
    assert set(teaching.pairs) == {("SMA1U01", "2012"), ("SMA1U02", "2011"), ("SMA1U02", "2012")}
    assert teaching.events_in_window == 4


def test_window_rules() -> None:
    today = date(2026, 11, 30)
    assert window(AdeSection(), "2026", today) == (date(2026, 7, 1), date(2027, 6, 30))
    weeks = AdeSection(window_weeks_before=2, window_weeks_after=1)
    assert window(weeks, "2026", today) == (date(2026, 11, 16), date(2026, 12, 7))
    dates = AdeSection(window_start=date(2026, 9, 1), window_end=date(2027, 1, 31))
    assert window(dates, "2026", today) == (date(2026, 9, 1), date(2027, 1, 31))


def test_bad_mapping_file_names_the_line(tmp_path: Path) -> None:
    csv = tmp_path / "map.csv"
    csv.write_text("SLV1U01,SMA1U02\nSLV1U02\n")
    with pytest.raises(AdeFormatError, match=r"map\.csv, line 2"):
        read_course_map(csv)


def test_config_refuses_unknown_places_and_patterns() -> None:
    with pytest.raises(ValueError, match="not a course key place"):
        AdeSection(course_keys=["resource[category9].code"])
    with pytest.raises(ValueError, match="needs a group"):
        AdeSection(course_name_pattern=r"^\w+:")
    with pytest.raises(ValueError, match="not both"):
        AdeSection(url="https://ade/jsp/webapi", path=Path("/tmp"))
