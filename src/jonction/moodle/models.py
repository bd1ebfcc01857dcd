"""What the client reads from Moodle, typed, with labels as plain text.

Category, course and group names come from Moodle HTML-escaped (`&amp;`): they are decoded
here (`from_moodle`). Cohort names are not escaped by Moodle and are kept as they are.
Compare a label with one of these with `text.same_label`, never with `==`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .text import from_moodle

Json = Mapping[str, Any]


def _str(data: Json, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _bool(data: Json, key: str, default: bool = True) -> bool:
    value = data.get(key)
    return default if value is None else bool(int(value))


@dataclass(frozen=True, slots=True)
class SiteInfo:
    sitename: str
    username: str
    userid: int
    siteurl: str
    release: str
    version: str
    functions: frozenset[str]

    @classmethod
    def from_moodle(cls, data: Json) -> SiteInfo:
        return cls(
            sitename=from_moodle(_str(data, "sitename")),
            username=_str(data, "username"),
            userid=int(data.get("userid", 0)),
            siteurl=_str(data, "siteurl"),
            release=_str(data, "release"),
            version=_str(data, "version"),
            functions=frozenset(str(f["name"]) for f in data.get("functions", [])),
        )


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    idnumber: str
    parent: int
    path: str
    depth: int
    visible: bool
    description: str
    sortorder: int
    coursecount: int

    @classmethod
    def from_moodle(cls, data: Json) -> Category:
        return cls(
            id=int(data["id"]),
            name=from_moodle(_str(data, "name")),
            idnumber=_str(data, "idnumber"),
            parent=int(data.get("parent", 0)),
            path=_str(data, "path"),
            depth=int(data.get("depth", 0)),
            visible=_bool(data, "visible"),
            description=_str(data, "description"),
            sortorder=int(data.get("sortorder", 0)),
            coursecount=int(data.get("coursecount", 0)),
        )


@dataclass(frozen=True, slots=True)
class Course:
    id: int
    shortname: str
    fullname: str
    idnumber: str
    categoryid: int
    visible: bool
    summary: str
    startdate: int
    enddate: int
    format: str

    @classmethod
    def from_moodle(cls, data: Json) -> Course:
        return cls(
            id=int(data["id"]),
            shortname=from_moodle(_str(data, "shortname")),
            fullname=from_moodle(_str(data, "fullname")),
            idnumber=_str(data, "idnumber"),
            categoryid=int(data.get("categoryid", 0)),
            visible=_bool(data, "visible"),
            summary=_str(data, "summary"),
            startdate=int(data.get("startdate") or 0),
            enddate=int(data.get("enddate") or 0),
            format=_str(data, "format"),
        )


@dataclass(frozen=True, slots=True)
class User:
    """`auth` and `suspended` are shown only to a service user with moodle/user:update."""

    id: int
    username: str
    idnumber: str
    firstname: str
    lastname: str
    email: str
    auth: str
    suspended: bool
    department: str
    institution: str

    @classmethod
    def from_moodle(cls, data: Json) -> User:
        return cls(
            id=int(data["id"]),
            username=_str(data, "username"),
            idnumber=_str(data, "idnumber"),
            firstname=_str(data, "firstname"),
            lastname=_str(data, "lastname"),
            email=_str(data, "email"),
            auth=_str(data, "auth"),
            suspended=bool(data.get("suspended", False)),
            department=_str(data, "department"),
            institution=_str(data, "institution"),
        )


@dataclass(frozen=True, slots=True)
class Role:
    roleid: int
    shortname: str


@dataclass(frozen=True, slots=True)
class EnrolledUser:
    """A user enrolled in a course, as core_enrol_get_enrolled_users shows it: whether the
    enrolment is suspended is not shown (read with only_active to tell)."""

    id: int
    username: str
    idnumber: str
    roles: tuple[Role, ...]
    groupids: tuple[int, ...]

    @classmethod
    def from_moodle(cls, data: Json) -> EnrolledUser:
        roles = sorted(
            (Role(int(r["roleid"]), str(r.get("shortname", ""))) for r in data.get("roles", [])),
            key=lambda role: role.roleid,
        )
        return cls(
            id=int(data["id"]),
            username=_str(data, "username"),
            idnumber=_str(data, "idnumber"),
            roles=tuple(roles),
            groupids=tuple(sorted(int(g["id"]) for g in data.get("groups", []))),
        )


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    courseid: int
    name: str
    idnumber: str
    description: str

    @classmethod
    def from_moodle(cls, data: Json) -> Group:
        return cls(
            id=int(data["id"]),
            courseid=int(data["courseid"]),
            name=from_moodle(_str(data, "name")),
            idnumber=_str(data, "idnumber"),
            description=_str(data, "description"),
        )


@dataclass(frozen=True, slots=True)
class Cohort:
    """Moodle does not tell in which category a cohort lives."""

    id: int
    name: str
    idnumber: str
    description: str
    visible: bool

    @classmethod
    def from_moodle(cls, data: Json) -> Cohort:
        return cls(
            id=int(data["id"]),
            name=_str(data, "name"),
            idnumber=_str(data, "idnumber"),
            description=_str(data, "description"),
            visible=_bool(data, "visible"),
        )


@dataclass(frozen=True, slots=True)
class Members:
    """Members (user ids) of groups or cohorts, by group or cohort id. `missing` lists the
    ids asked for that Moodle does not know."""

    members: dict[int, frozenset[int]]
    missing: tuple[int, ...]
