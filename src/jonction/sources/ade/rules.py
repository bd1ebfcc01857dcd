"""From the `[ade]` section to the rules of timetable.py: the window of days, the places of
course codes, the mapping table (configuration plus an optional CSV file)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

from ...config.directory import AdeSection
from .model import AdeFormatError
from .timetable import CoursePlace, TimetableRules

CSV_HEADER = ("ade_code", "element")


def window(section: AdeSection, year: str, today: date) -> tuple[date, date]:
    """The days whose events count: weeks around today when configured, else the dates, else
    the academic year (1 July to 30 June)."""
    first = section.window_start or date(int(year), 7, 1)
    last = section.window_end or date(int(year) + 1, 6, 30)
    if section.window_weeks_before is not None:
        first = today - timedelta(weeks=section.window_weeks_before)
    if section.window_weeks_after is not None:
        last = today + timedelta(weeks=section.window_weeks_after)
    if first > last:
        raise ValueError(f"[ade] the window of events is empty ({first} to {last})")
    return first, last


def read_course_map(path: Path) -> dict[str, str]:
    """The CSV mapping file: ade_code,element per line, an optional header, # comments."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AdeFormatError(f"[ade] course_map_file {path}: {exc.strerror}") from None
    mapping: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and tuple(cell.lower() for cell in cells[:2]) == CSV_HEADER:
            continue
        if len(cells) != 2 or not cells[0]:
            raise AdeFormatError(
                f"{path}, line {number}: expected two columns ade_code,element, got {row!r}"
            )
        if cells[0] in mapping and mapping[cells[0]] != cells[1]:
            raise AdeFormatError(f"{path}, line {number}: {cells[0]} is mapped twice")
        mapping[cells[0]] = cells[1]
    return mapping


def rules_from(section: AdeSection) -> TimetableRules:
    mapping = read_course_map(section.course_map_file) if section.course_map_file else {}
    mapping.update(section.course_map)  # the configuration file has the last word
    return TimetableRules(
        places=tuple(CoursePlace.parse(place) for place in section.course_keys),
        name_pattern=re.compile(section.course_name_pattern),
        teacher_key=section.teacher_key,
        placeholders=tuple(re.compile(p) for p in section.placeholder_patterns),
        course_map=mapping,
    )
