"""What the client writes to Moodle: one small value per item, turned into the parameter
structure of the web service function by `to_param`. Optional fields left at None are not
sent, so Moodle keeps (or defaults) them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


def _compact(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _customfields(fields: tuple[tuple[str, str], ...]) -> list[dict[str, str]] | None:
    return [{"shortname": name, "value": value} for name, value in fields] or None


# --- categories ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCategory:
    name: str
    parent: int = 0
    idnumber: str | None = None
    description: str | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            name=self.name, parent=self.parent, idnumber=self.idnumber, description=self.description
        )


@dataclass(frozen=True, slots=True)
class CategoryUpdate:
    id: int
    name: str | None = None
    idnumber: str | None = None
    parent: int | None = None
    description: str | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            id=self.id,
            name=self.name,
            idnumber=self.idnumber,
            parent=self.parent,
            description=self.description,
        )


# --- courses -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCourse:
    fullname: str
    shortname: str
    categoryid: int
    idnumber: str | None = None
    summary: str | None = None
    visible: bool | None = None
    startdate: int | None = None
    enddate: int | None = None
    format: str | None = None
    customfields: tuple[tuple[str, str], ...] = ()

    def to_param(self) -> dict[str, Any]:
        return _compact(
            fullname=self.fullname,
            shortname=self.shortname,
            categoryid=self.categoryid,
            idnumber=self.idnumber,
            summary=self.summary,
            visible=self.visible,
            startdate=self.startdate,
            enddate=self.enddate,
            format=self.format,
            customfields=_customfields(self.customfields),
        )


@dataclass(frozen=True, slots=True)
class CourseUpdate:
    id: int
    fullname: str | None = None
    shortname: str | None = None
    categoryid: int | None = None
    idnumber: str | None = None
    summary: str | None = None
    visible: bool | None = None
    startdate: int | None = None
    enddate: int | None = None
    customfields: tuple[tuple[str, str], ...] = ()

    def to_param(self) -> dict[str, Any]:
        return _compact(
            id=self.id,
            fullname=self.fullname,
            shortname=self.shortname,
            categoryid=self.categoryid,
            idnumber=self.idnumber,
            summary=self.summary,
            visible=self.visible,
            startdate=self.startdate,
            enddate=self.enddate,
            customfields=_customfields(self.customfields),
        )


@dataclass(frozen=True, slots=True)
class CourseDeletion:
    id: int

    def to_param(self) -> int:
        return self.id


# --- users ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewUser:
    """Usernames must be lower case: Moodle rejects others (it does not lowercase them)."""

    username: str
    firstname: str
    lastname: str
    email: str
    auth: str = "cas"
    idnumber: str | None = None
    password: str | None = None
    department: str | None = None
    institution: str | None = None
    lang: str | None = None
    maildisplay: int | None = None  # 0 hidden, 1 everyone, 2 course members

    def to_param(self) -> dict[str, Any]:
        return _compact(
            username=self.username,
            firstname=self.firstname,
            lastname=self.lastname,
            email=self.email,
            auth=self.auth,
            idnumber=self.idnumber,
            password=self.password,
            department=self.department,
            institution=self.institution,
            lang=self.lang,
            maildisplay=self.maildisplay,
        )

    def __repr__(self) -> str:
        # A password, when one is set, stays out of logs and reports.
        shown = "***" if self.password else None
        return f"NewUser(username={self.username!r}, auth={self.auth!r}, password={shown})"


@dataclass(frozen=True, slots=True)
class UserUpdate:
    id: int
    username: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    auth: str | None = None
    idnumber: str | None = None
    suspended: bool | None = None
    department: str | None = None
    institution: str | None = None
    maildisplay: int | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            id=self.id,
            username=self.username,
            firstname=self.firstname,
            lastname=self.lastname,
            email=self.email,
            auth=self.auth,
            idnumber=self.idnumber,
            suspended=self.suspended,
            department=self.department,
            institution=self.institution,
            maildisplay=self.maildisplay,
        )


# --- enrolments ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A manual enrolment. Moodle rewrites an existing enrolment with these values: left at
    None, timestart, timeend and suspend become 0 (a suspended user is reactivated)."""

    courseid: int
    userid: int
    roleid: int
    timestart: int | None = None
    timeend: int | None = None
    suspend: bool | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            roleid=self.roleid,
            userid=self.userid,
            courseid=self.courseid,
            timestart=self.timestart,
            timeend=self.timeend,
            suspend=self.suspend,
        )


@dataclass(frozen=True, slots=True)
class Unenrolment:
    """Removes a manual enrolment (and, with it, the user's groups in the course)."""

    courseid: int
    userid: int
    roleid: int | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(userid=self.userid, courseid=self.courseid, roleid=self.roleid)


# --- groups --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewGroup:
    """Group names are unique within a course (case-sensitive); idnumbers too."""

    courseid: int
    name: str
    idnumber: str | None = None
    description: str = ""

    def to_param(self) -> dict[str, Any]:
        return _compact(
            courseid=self.courseid,
            name=self.name,
            description=self.description,
            idnumber=self.idnumber,
        )


@dataclass(frozen=True, slots=True)
class GroupUpdate:
    """Moodle requires the name even when only the idnumber changes."""

    id: int
    name: str
    idnumber: str | None = None
    description: str | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            id=self.id, name=self.name, idnumber=self.idnumber, description=self.description
        )


@dataclass(frozen=True, slots=True)
class GroupMember:
    groupid: int
    userid: int

    def to_param(self) -> dict[str, Any]:
        return {"groupid": self.groupid, "userid": self.userid}


@dataclass(frozen=True, slots=True)
class NewGrouping:
    """Grouping names are unique within a course (case-sensitive); idnumbers too."""

    courseid: int
    name: str
    idnumber: str | None = None
    description: str = ""

    def to_param(self) -> dict[str, Any]:
        return _compact(
            courseid=self.courseid,
            name=self.name,
            description=self.description,
            idnumber=self.idnumber,
        )


@dataclass(frozen=True, slots=True)
class GroupingAssignment:
    """A group put in a grouping (Moodle does not check that they share a course)."""

    groupingid: int
    groupid: int

    def to_param(self) -> dict[str, Any]:
        return {"groupingid": self.groupingid, "groupid": self.groupid}


# --- cohorts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortContext:
    """Where a cohort lives: the whole site, or a category (by id or idnumber)."""

    type: Literal["system", "id", "idnumber"] = "system"
    value: str = ""

    def to_param(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


SYSTEM = CohortContext()


@dataclass(frozen=True, slots=True)
class NewCohort:
    name: str
    idnumber: str
    context: CohortContext = SYSTEM
    description: str | None = None
    visible: bool | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            categorytype=self.context.to_param(),
            name=self.name,
            idnumber=self.idnumber,
            description=self.description,
            visible=self.visible,
        )


@dataclass(frozen=True, slots=True)
class CohortUpdate:
    """Moodle requires context, name and idnumber even for a rename. It does not check that
    the idnumber stays unique on update: keep them unique on jonction's side."""

    id: int
    name: str
    idnumber: str
    context: CohortContext = SYSTEM
    description: str | None = None
    visible: bool | None = None

    def to_param(self) -> dict[str, Any]:
        return _compact(
            id=self.id,
            categorytype=self.context.to_param(),
            name=self.name,
            idnumber=self.idnumber,
            description=self.description,
            visible=self.visible,
        )


@dataclass(frozen=True, slots=True)
class CohortMember:
    cohortid: int
    userid: int

    def to_param(self) -> dict[str, Any]:
        """The form of core_cohort_delete_cohort_members."""
        return {"cohortid": self.cohortid, "userid": self.userid}

    def to_add_param(self) -> dict[str, Any]:
        """The form of core_cohort_add_cohort_members (by ids, so warnings can be traced)."""
        return {
            "cohorttype": {"type": "id", "value": str(self.cohortid)},
            "usertype": {"type": "id", "value": str(self.userid)},
        }
