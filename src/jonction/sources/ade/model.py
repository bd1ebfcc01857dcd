"""What jonction keeps of ADE's answers: resources, events and activities, as plain values.

Ids are kept as text (ADE's ids are only compared); dates are real dates, parsed with their
explicit formats (see parse.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class AdeError(Exception):
    """ADE could not be read: unreachable, refused the credentials, or answered nonsense."""


class AdeFormatError(AdeError):
    """An answer (or a saved file) that is not what ADE sends; the message names the item."""


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource of `getResources` (detail ≥ 11): a person, a group, a room, a course…"""

    id: str
    name: str
    category: str
    is_group: bool = False
    code: str = ""
    email: str = ""
    father_id: str = ""
    path: str = ""

    def emails(self) -> tuple[str, ...]:
        """The addresses in `email`, split on ';', lower-cased, without duplicates."""
        seen: dict[str, None] = {}
        for part in self.email.split(";"):
            address = part.strip().lower()
            if address:
                seen[address] = None
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Participant:
    """A resource named on an event: no code nor e-mail there, only the id to look up."""

    id: str
    category: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One occurrence of an activity (`getEvents`, detail 8)."""

    id: str
    activity_id: str
    name: str
    day: date
    start: str  # HH:MM, local time
    end: str
    repetition: str = ""
    last_update: datetime | None = None
    participants: tuple[Participant, ...] = ()

    def of_category(self, category: str) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants if p.category == category)


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity of `getActivities` (detail ≥ 9), for sites whose course code is on it."""

    id: str
    name: str
    code: str = ""
    type: str = ""


@dataclass(slots=True)
class Timetable:
    """What was read from ADE for one window of days."""

    first_day: date
    last_day: date
    resources: dict[str, Resource] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    activities: dict[str, Activity] = field(default_factory=dict)
    # Where it came from (the web API's URL or the folder), for reports.
    origin: str = ""
