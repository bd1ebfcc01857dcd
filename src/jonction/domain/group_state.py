"""What jonction knows of Moodle's groups when it plans the groups step.

Two sources make it. The state database (`managed`, kind "group") records every group jonction
created or adopted: its Moodle id, the name it last gave it, and the members it put there.
Moodle is read only where it must be: the members of the groups jonction manages (hundreds of
groups per call; a group deleted in Moodle shows up there as missing), the groups of the
courses where a group is to be created or renamed (one call per course: Moodle has no bulk
read), and the enrolled users of the courses where someone joins a group for the first time
(a member must be enrolled; Moodle's refusal says only "invalidparameter").
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from .group_names import comparable
from .user_ids import UserIds


@dataclass(frozen=True, slots=True)
class Account:
    """The Moodle account of a student, from the users step's records."""

    username: str
    user_id: int


@dataclass(frozen=True, slots=True)
class MoodleGroup:
    id: int
    course_id: int
    name: str  # as plain text (entities decoded)
    idnumber: str


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A managed group as jonction last left it."""

    key: str  # "<course idnumber>|<group idnumber>"
    moodle_id: int
    course: str
    course_id: int
    idnumber: str
    name: str  # the name jonction last gave it (or found, when adopted)
    # The name jonction wanted when it settled `name` (they differ when another group of the
    # course held the wanted name): a rename is due when the wanted name changes.
    base: str
    year: str
    # Moodle user ids jonction put (or found wanted) there: a compact UserIds when read back.
    members: Set[int]
    family: str = ""  # see DesiredGroup.family
    source: Mapping[str, Any] = field(default_factory=dict)
    vanished_since: str | None = None  # the day its Apogée source stopped wanting it

    @property
    def composante(self) -> str:
        return str(self.source.get("composante", ""))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "course": self.course,
            "course_id": self.course_id,
            "idnumber": self.idnumber,
            "name": self.name,
            "base": self.base,
            "year": self.year,
            "members": sorted(self.members),
            "family": self.family,
            "source": dict(self.source),
        }
        if self.vanished_since is not None:
            data["vanished_since"] = self.vanished_since
        return data

    @classmethod
    def from_data(cls, key: str, moodle_id: int | None, data: Mapping[str, Any]) -> GroupRecord:
        vanished = data.get("vanished_since")
        return cls(
            key=key,
            moodle_id=int(moodle_id or 0),
            course=str(data.get("course", "")),
            course_id=int(data.get("course_id", 0)),
            idnumber=str(data.get("idnumber", "")),
            name=str(data.get("name", "")),
            base=str(data.get("base", data.get("name", ""))),
            year=str(data.get("year", "")),
            members=UserIds(map(int, data.get("members", ()))),
            family=str(data.get("family", "")),
            source=dict(data.get("source", {})),
            vanished_since=None if vanished is None else str(vanished),
        )


@dataclass(frozen=True, slots=True)
class GroupingRecord:
    key: str
    moodle_id: int
    course: str
    course_id: int
    idnumber: str
    name: str
    groups: frozenset[int]  # Moodle ids of the groups jonction assigned to it

    def to_data(self) -> dict[str, Any]:
        return {
            "course": self.course,
            "course_id": self.course_id,
            "idnumber": self.idnumber,
            "name": self.name,
            "groups": sorted(self.groups),
        }

    @classmethod
    def from_data(cls, key: str, moodle_id: int | None, data: Mapping[str, Any]) -> GroupingRecord:
        return cls(
            key=key,
            moodle_id=int(moodle_id or 0),
            course=str(data.get("course", "")),
            course_id=int(data.get("course_id", 0)),
            idnumber=str(data.get("idnumber", "")),
            name=str(data.get("name", "")),
            groups=frozenset(int(g) for g in data.get("groups", [])),
        )


@dataclass(slots=True)
class KnownGroups:
    """The known state the groups plan is computed against; reads fill it in phases."""

    # Managed courses that exist in Moodle: course idnumber → Moodle id; and their composante.
    courses: dict[str, int] = field(default_factory=dict)
    records: dict[str, GroupRecord] = field(default_factory=dict)
    grouping_records: dict[str, GroupingRecord] = field(default_factory=dict)
    # Members of the groups read tonight, by Moodle group id.
    members: dict[int, Set[int]] = field(default_factory=dict)
    # Ids of recorded groups Moodle no longer knows (deleted in Moodle).
    missing: set[int] = field(default_factory=set)
    # Groups of the courses read tonight, by course id.
    course_groups: dict[int, list[MoodleGroup]] = field(default_factory=dict)
    # Groupings of the courses read tonight, by course id.
    course_groupings: dict[int, list[MoodleGroup]] = field(default_factory=dict)
    # Users enrolled in the courses checked tonight, by course id; and the courses of the
    # users checked tonight, by user id.
    enrolled: dict[int, frozenset[int]] = field(default_factory=dict)
    user_courses: dict[int, frozenset[int]] = field(default_factory=dict)
    # Users Moodle's enrolment sync surely enrolled, by course id (the external table's rows
    # that a sync which succeeded has read): taken for granted, not read.
    synced: Mapping[int, frozenset[int]] = field(default_factory=dict)
    # Courses that could not be read (gone from Moodle?): course id → message.
    unreadable: dict[int, str] = field(default_factory=dict)
    # Students' accounts by student number (COD_ETU), and the usernames of the accounts
    # jonction manages by Moodle id (to name the members it removes).
    accounts: dict[str, Account] = field(default_factory=dict)
    usernames: dict[int, str] = field(default_factory=dict)

    # Moodle ids of the recorded groups of each course, built on first use (records are not
    # changed once planning starts).
    _course_index: dict[int, list[int]] | None = field(default=None, repr=False, compare=False)

    def recorded_in(self, course_id: int) -> list[int]:
        """Moodle ids of the groups jonction records in a course (wanted or not)."""
        if self._course_index is None:
            index: dict[int, list[int]] = {}
            for record in self.records.values():
                index.setdefault(record.course_id, []).append(record.moodle_id)
            self._course_index = index
        return self._course_index.get(course_id, [])

    def live(self, key: str) -> GroupRecord | None:
        """The record of a managed group that still exists in Moodle."""
        record = self.records.get(key)
        if record is None or record.moodle_id in self.missing:
            return None
        return record

    def found_in_course(self, course_id: int, idnumber: str) -> MoodleGroup | None:
        """A group of a course read tonight bearing `idnumber` (the oldest if several)."""
        for group in sorted(self.course_groups.get(course_id, []), key=lambda g: g.id):
            if idnumber and group.idnumber == idnumber:
                return group
        return None

    def moodle_name(self, course_id: int, group_id: int) -> str | None:
        for group in self.course_groups.get(course_id, []):
            if group.id == group_id:
                return group.name
        return None


def same_name(ours: str | None, theirs: str | None) -> bool:
    return comparable(ours or "") == comparable(theirs or "")
