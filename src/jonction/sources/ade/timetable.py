"""Who teaches which element, from ADE's events: pure functions, no I/O.

An event names its participants by id only; their codes and e-mails come from the resources
(`getResources`, detail 11). The course code is read from configured places (an activity's
code, a course resource's code, or a pattern on its name), then passed through the mapping
table; the teacher is recognised by the instructor's code or e-mail. The result keeps, for
every (element, instructor) pair, the activities and days that justify it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .model import Event, Participant, Resource, Timetable

INSTRUCTOR = "instructor"
SAMPLE_EVENTS = 5


@dataclass(frozen=True, slots=True)
class CoursePlace:
    """One place where a course code may be read: activity.code or resource[CAT].code|name."""

    holder: Literal["activity", "resource"]
    attribute: Literal["code", "name"]
    category: str = ""

    @classmethod
    def parse(cls, text: str) -> CoursePlace:
        found = re.fullmatch(r"activity\.code|resource\[(\w+)\]\.(code|name)", text.strip())
        if found is None:
            raise ValueError(f"{text!r} is not a course key place")
        if found.group(1) is None:
            return cls("activity", "code")
        attribute: Literal["code", "name"] = "code" if found.group(2) == "code" else "name"
        return cls("resource", attribute, found.group(1))


@dataclass(frozen=True, slots=True)
class TimetableRules:
    places: tuple[CoursePlace, ...]
    name_pattern: re.Pattern[str]
    teacher_key: Literal["code", "email", "code_or_email"]
    placeholders: tuple[re.Pattern[str], ...] = ()
    # ADE course code → element code; "" means: ignore this code without reporting it.
    course_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def course_categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.category for p in self.places if p.holder == "resource"))

    @property
    def needs_activities(self) -> bool:
        return any(place.holder == "activity" for place in self.places)


@dataclass(frozen=True, slots=True)
class Instructor:
    """An ADE instructor and the keys that may find its account (a code, or e-mails)."""

    resource_id: str
    name: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActivityUse:
    """The events of one activity that justify a pair (or show an unmatched code)."""

    activity_id: str
    name: str
    events: int
    first_day: date
    last_day: date
    event_ids: tuple[str, ...]  # a sample: event ids are not stable, only for explain

    def describe(self) -> str:
        days = (
            self.first_day.isoformat()
            if self.first_day == self.last_day
            else f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"
        )
        plural = "s" if self.events > 1 else ""
        return (
            f"ADE activity {self.activity_id} «{self.name}» ({self.events} event{plural}, {days})"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "activity": self.activity_id,
            "name": self.name,
            "events": self.events,
            "first": self.first_day.isoformat(),
            "last": self.last_day.isoformat(),
            "event_ids": list(self.event_ids),
        }


@dataclass(slots=True)
class _Tally:
    name: str
    events: int = 0
    first: date = date.max
    last: date = date.min
    ids: list[str] = field(default_factory=list)

    def add(self, event: Event) -> None:
        self.events += 1
        self.first = min(self.first, event.day)
        self.last = max(self.last, event.day)
        if len(self.ids) < SAMPLE_EVENTS:
            self.ids.append(event.id)

    def freeze(self, activity_id: str) -> ActivityUse:
        return ActivityUse(
            activity_id, self.name, self.events, self.first, self.last, tuple(self.ids)
        )


@dataclass(slots=True)
class Teaching:
    """What the timetable says, for one window of days."""

    first_day: date
    last_day: date
    # (element code, instructor resource id) → the activities that justify it.
    pairs: dict[tuple[str, str], tuple[ActivityUse, ...]] = field(default_factory=dict)
    instructors: dict[str, Instructor] = field(default_factory=dict)
    # ADE course codes that match no element (after the mapping table) → their activities.
    unmatched_codes: dict[str, tuple[ActivityUse, ...]] = field(default_factory=dict)
    # Activities with an instructor but no course code anywhere.
    without_course: tuple[ActivityUse, ...] = ()
    # Instructors on events whose code (or e-mail) is empty or who are unknown resources.
    without_key: dict[str, Instructor] = field(default_factory=dict)
    events_in_window: int = 0
    placeholder_events: int = 0


def _course_codes(
    event: Event,
    resources: Mapping[str, Resource],
    activity_codes: Mapping[str, str],
    rules: TimetableRules,
) -> list[str]:
    """The course codes of an event: for each holder, the first configured place that has one."""
    codes: dict[str, None] = {}
    if rules.needs_activities:
        code = activity_codes.get(event.activity_id, "").strip()
        if code:
            codes[code] = None
    for participant in event.participants:
        places = [
            p for p in rules.places if p.holder == "resource" and p.category == participant.category
        ]
        if not places:
            continue
        resource = resources.get(participant.id)
        for place in places:
            value = _read_place(place, participant, resource, rules.name_pattern)
            if value:
                codes[value] = None
                break
    return list(codes)


def _read_place(
    place: CoursePlace,
    participant: Participant,
    resource: Resource | None,
    pattern: re.Pattern[str],
) -> str:
    if place.attribute == "code":
        return resource.code.strip() if resource is not None else ""
    name = resource.name if resource is not None else participant.name
    found = pattern.search(name)
    return found.group(1).strip() if found else ""


def _instructor(participant: Participant, resource: Resource | None, key: str) -> Instructor:
    if resource is None:
        return Instructor(participant.id, participant.name, ())
    code = (resource.code,) if resource.code and key != "email" else ()
    emails = resource.emails() if key != "code" else ()
    keys = code + emails
    return Instructor(resource.id, resource.name or participant.name, keys)


def _element_of(code: str, rules: TimetableRules, elements: Collection[str]) -> str | None:
    """The element a course code stands for; None when it matches none; "" when ignored."""
    if code in rules.course_map:
        return rules.course_map[code]
    if code in elements:
        return code
    if code.upper() in elements:
        return code.upper()
    return None


def teaching_from(
    timetable: Timetable, rules: TimetableRules, elements: Collection[str]
) -> Teaching:
    """The (element, instructor) pairs of the events in the timetable's window."""
    resources = timetable.resources
    activity_codes = {a.id: a.code for a in timetable.activities.values()}
    pairs: dict[tuple[str, str], dict[str, _Tally]] = {}
    unmatched: dict[str, dict[str, _Tally]] = {}
    without_course: dict[str, _Tally] = {}
    instructors: dict[str, Instructor] = {}
    without_key: dict[str, Instructor] = {}
    seen: set[str] = set()
    placeholder_events = 0
    for event in timetable.events:
        if not (timetable.first_day <= event.day <= timetable.last_day) or event.id in seen:
            continue
        seen.add(event.id)  # one event may come back once per chunk of resources asked
        teachers: list[Instructor] = []
        for participant in event.of_category(INSTRUCTOR):
            resource = resources.get(participant.id)
            name = resource.name if resource is not None else participant.name
            if any(pattern.search(name) for pattern in rules.placeholders):
                placeholder_events += 1
                continue
            instructor = _instructor(participant, resource, rules.teacher_key)
            if not instructor.keys:
                without_key.setdefault(instructor.resource_id, instructor)
                continue
            instructors.setdefault(instructor.resource_id, instructor)
            teachers.append(instructor)
        if not teachers:
            continue
        codes = _course_codes(event, resources, activity_codes, rules)
        if not codes:
            without_course.setdefault(event.activity_id, _Tally(event.name)).add(event)
            continue
        for code in codes:
            element = _element_of(code, rules, elements)
            if element is None:
                unmatched.setdefault(code, {}).setdefault(
                    event.activity_id, _Tally(event.name)
                ).add(event)
                continue
            if not element:
                continue
            for teacher in teachers:
                pairs.setdefault((element, teacher.resource_id), {}).setdefault(
                    event.activity_id, _Tally(event.name)
                ).add(event)
    return Teaching(
        first_day=timetable.first_day,
        last_day=timetable.last_day,
        pairs={key: _frozen(tallies) for key, tallies in sorted(pairs.items())},
        instructors=instructors,
        unmatched_codes={code: _frozen(tallies) for code, tallies in sorted(unmatched.items())},
        without_course=_frozen(without_course),
        without_key=without_key,
        events_in_window=len(seen),
        placeholder_events=placeholder_events,
    )


def _frozen(tallies: Mapping[str, _Tally]) -> tuple[ActivityUse, ...]:
    return tuple(tally.freeze(activity) for activity, tally in sorted(tallies.items()))
