"""Enrolments: the rows of the external table that Moodle's enrol_database reads.

Pure functions, no I/O. Students come from pedagogical registrations (REFER), teachers from
the timetable (ADE); both become rows (course idnumber, username, role). The plan compares
the desired rows with the rows in the table and says, for each row added, kept for a grace
period or removed, which registration or which ADE activity justifies it.

A row that stops being desired is not always removed at once: it is first marked
(`missing_since`), and removed when the grace period of its origin has run out. A row desired
again before that is simply unmarked: Moodle never saw it go.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple, Protocol, cast

from ..sources.ade.timetable import ActivityUse, Teaching
from .compact_fields import shared
from .enrolment_fields import OneRegistration, RowColumns, RowSource, registration_json
from .plan import Action, Notice, Operation, Plan, fingerprint
from .refer_model import EtapeKey, PedagogicalRegistration, ReferSnapshot

KIND = "enrolment"
STUDENT: Final = "student"
TEACHER: Final = "teacher"
Origin = Literal["student", "teacher"]
# Items listed in a notice's data before "…and N more".
LISTED = 20


# Ports: what this module needs from the offer and the accounts ------------------------------


class CourseIndex(Protocol):
    """The desired catalogue, as the offer step computes it."""

    def course_of(self, year: str, element: str, etape: EtapeKey) -> str | None:
        """Idnumber of the course that a registration of `year` to `element` through `etape`
        joins; None when the element has no course."""

    def courses_of_element(self, element: str) -> Sequence[str]:
        """Idnumbers of every course of `element` in the timetable's year (one, or one per
        modality)."""

    def teachers_by_hand(self, course: str) -> bool:
        """True for courses whose teachers are enrolled by hand (FOAD): never touched."""


class Accounts(Protocol):
    """Usernames of the directory's people, as the users step maps them."""

    def student(self, cod_etu: str) -> str | None:
        """The username of the student number (supannEtuId)."""

    def teacher(self, keys: Sequence[str]) -> str | None:
        """The username of the first key (an employee number, or e-mails) that has one."""


@dataclass(frozen=True, slots=True)
class AccountIndex:
    """Accounts by student number and by teacher key (employee number or e-mail address).

    Built from the records the users step keeps of the accounts it manages; a number or an
    address shared by several accounts leads to none of them (the users step reports it)."""

    students: Mapping[str, str]
    teachers: Mapping[str, str]

    def student(self, cod_etu: str) -> str | None:
        return self.students.get(cod_etu)

    def teacher(self, keys: Sequence[str]) -> str | None:
        for key in keys:
            username = self.teachers.get(key.lower() if "@" in key else key)
            if username is not None:
                return username
        return None

    @classmethod
    def from_records(cls, records: Iterable[tuple[str, Mapping[str, Any]]]) -> AccountIndex:
        """Records: (username, data) with `student_id`, `employee_id`, and the addresses in
        `emails` (a list: mail and supannAutreMail) or `email`."""
        students: dict[str, set[str]] = defaultdict(set)
        teachers: dict[str, set[str]] = defaultdict(set)
        for username, data in records:
            number = str(data.get("student_id") or "").strip()
            if number:
                students[number].add(username)
            employee = str(data.get("employee_id") or "").strip()
            if employee:
                teachers[employee].add(username)
            addresses = [*(data.get("emails") or []), data.get("email") or ""]
            for address in {str(a).strip().lower() for a in addresses if a}:
                teachers[address].add(username)
        return cls(
            {key: next(iter(names)) for key, names in students.items() if len(names) == 1},
            {key: next(iter(names)) for key, names in teachers.items() if len(names) == 1},
        )


# Rows ---------------------------------------------------------------------------------------


class RowKey(NamedTuple):
    """(course idnumber, username, role shortname): a row's identity. A named tuple, because
    hundreds of thousands of them are hashed and compared every night."""

    course: str
    user: str
    role: str

    def __str__(self) -> str:
        return f"{self.course}|{self.user}|{self.role}"

    def columns(self) -> dict[str, str]:
        return {"course": self.course, "user": self.user, "role": self.role}


class KnownRow(NamedTuple):
    """A row of the table as it is, with jonction's bookkeeping (what the plan needs of it).
    A named tuple: the whole table is read every night."""

    key: RowKey
    origin: str  # student | teacher | "" (a row jonction did not write)
    missing_since: datetime | None = None


# A row's key as the table is read: a plain tuple, equal to its RowKey and hashed alike.
TableKey = tuple[str, str, str]


class KnownRows(Mapping[RowKey, KnownRow]):
    """The rows of the table as read whole (the plan compares them as they stream, `compare`):
    the origin of each key, and apart the few rows marked as leaving. The hundreds of
    thousands of keys are plain tuples: they cost less to make than RowKeys, and the collector
    stops following them."""

    __slots__ = ("marks", "origins")

    def __init__(
        self,
        origins: dict[TableKey, str] | None = None,
        marks: dict[TableKey, datetime] | None = None,
    ) -> None:
        self.origins = origins if origins is not None else {}
        self.marks = marks if marks is not None else {}

    def __getitem__(self, key: TableKey) -> KnownRow:
        origin = self.origins[key]
        row_key = key if isinstance(key, RowKey) else RowKey._make(key)
        return KnownRow(row_key, origin, self.marks.get(key))

    def __iter__(self) -> Iterator[RowKey]:
        return map(RowKey._make, self.origins)

    def __len__(self) -> int:
        return len(self.origins)

    def __contains__(self, key: object) -> bool:
        return key in self.origins


@dataclass(slots=True)
class TableDiff:
    """What the plan needs of the table, gathered in one pass over its rows (hundreds of
    thousands every night, each looked up once and none kept): the desired rows it lacks, its
    rows no longer desired with their origin, its rows marked as leaving, its size by course
    and the sum of its rows' hashes (table_fingerprint)."""

    missing: dict[RowKey, Origin]
    gone: dict[TableKey, str] = field(default_factory=dict)
    marks: dict[TableKey, datetime] = field(default_factory=dict)
    by_course: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    hashes: int = 0


# A row's hash: blake2b of its key and mark, copied from this one (cheaper than making each).
_NO_ROW = hashlib.blake2b(digest_size=16)


def _row_hash(key: TableKey, since: str) -> int:
    digest = _NO_ROW.copy()
    digest.update(f"{key[0]}|{key[1]}|{key[2]}\t{since}".encode())
    return int.from_bytes(digest.digest(), "big")


# A row of the table as the driver gives it: course, user, role, origin.
TableRow = tuple[str | None, str | None, str | None, str | None]


def compare(
    desired: Mapping[RowKey, Origin],
    rows: Iterable[TableRow],
    marks: Mapping[TableKey, datetime],
) -> TableDiff:
    """The table, given as its rows and apart its marked ones, compared with the desired rows.
    Rows without a course or a user (written by hand) are not jonction's; a role NULL is
    empty. The rows come as the driver gives them: hundreds of thousands every night."""
    diff = TableDiff(dict(desired), marks=dict(marks))
    missing, gone, by_course = diff.missing, diff.gone, diff.by_course
    # The table's keys are plain tuples, equal to the RowKeys they find.
    found = cast("Callable[[TableKey, None], Origin | None]", missing.pop)
    new_hash, from_bytes = _NO_ROW.copy, int.from_bytes
    total = 0
    for course, user, role, origin in rows:
        if not (course and user):
            continue
        key = (course, user, role or "")
        if found(key, None) is None:
            if key in desired:
                continue  # a key read twice (a role NULL and one empty): counted once
            seen = key in gone
            gone[key] = origin or ""
            if seen:
                continue
        by_course[course] = by_course.get(course, 0) + 1
        # The row as unmarked (marks corrected below): the key as str(RowKey) writes it.
        digest = new_hash()
        digest.update(f"{course}|{user}|{key[2]}\t".encode())
        total += from_bytes(digest.digest())
    for key, since in list(diff.marks.items()):
        if key in gone or (key in desired and key not in missing):
            total += _row_hash(key, since.isoformat()) - _row_hash(key, "")
        else:
            del diff.marks[key]  # a mark without its row among the rows: not the table's
    diff.hashes = total
    diff.rows = len(desired) - len(missing) + len(gone)
    return diff


def _diff(
    desired: Mapping[RowKey, Origin], known: Mapping[RowKey, KnownRow] | TableDiff
) -> TableDiff:
    if isinstance(known, TableDiff):
        return known
    if isinstance(known, KnownRows):
        return compare(
            desired, ((*key, origin) for key, origin in known.origins.items()), known.marks
        )
    marks: dict[TableKey, datetime] = {
        key: row.missing_since for key, row in known.items() if row.missing_since
    }
    return compare(desired, ((*key, row.origin) for key, row in known.items()), marks)


class Registration(NamedTuple):
    """One pedagogical registration that leads a student to a course (a named tuple: there
    is one per registration of the year)."""

    year: str
    cod_ind: int
    cod_etu: str
    etape: str
    element: str

    def to_json(self) -> dict[str, Any]:
        return registration_json(*self)


@dataclass(frozen=True, slots=True)
class Scheduling:
    """ADE events of one instructor for one element: why a teacher gets a course."""

    element: str
    instructor_id: str
    instructor_name: str
    matched_key: str
    activities: tuple[ActivityUse, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "element": self.element,
            "instructor": self.instructor_id,
            "instructor_name": self.instructor_name,
            "matched_key": self.matched_key,
            "activities": [use.to_json() for use in self.activities],
        }


@dataclass(slots=True)
class DesiredRow:
    """Why a row is wanted: the registrations or the ADE schedulings behind it (tuples, held
    as they are by the source of the row's operation; most rows have one registration)."""

    key: RowKey
    origin: Origin
    registrations: tuple[Registration, ...] = ()
    schedulings: tuple[Scheduling, ...] = ()

    def reason(self) -> str:
        if self.origin == STUDENT:
            if len(self.registrations) == 1:  # most rows: said without grouping
                one = self.registrations[0]
                return f"registered to {one.element} through étape {one.etape}"
            by_element: dict[str, list[str]] = defaultdict(list)
            for registration in self.registrations:
                by_element[registration.element].append(registration.etape)
            parts = [
                f"registered to {element} through étape{'s' if len(etapes) > 1 else ''} "
                + ", ".join(sorted(set(etapes)))
                for element, etapes in sorted(by_element.items())
            ]
            return "; ".join(parts)
        parts = []
        for scheduling in self.schedulings:
            uses = ", ".join(use.describe() for use in scheduling.activities)
            parts.append(f"scheduled in ADE for {scheduling.element}: {uses}")
        return "; ".join(parts)

    def source(self) -> Mapping[str, Any]:
        """{"origin", "table", "registrations"} or {"origin", "source", "schedulings"}, as a
        compact mapping (enrolment_fields.py)."""
        if self.origin == STUDENT:
            if len(self.registrations) == 1:
                return OneRegistration(*self.registrations[0])
            return RowSource(False, self.registrations)
        return RowSource(True, self.schedulings)


# Says why each of the given rows is wanted (rows it does not want are left out).
Justify = Callable[[Collection[RowKey]], dict[RowKey, DesiredRow]]


def _nothing(keys: Collection[RowKey]) -> dict[RowKey, DesiredRow]:
    del keys
    return {}


@dataclass(slots=True)
class Desired:
    """Rows wanted, by key with their origin, and what was reported while computing them.

    A university wants hundreds of thousands of rows, and on most nights only a few of them
    change: `justify` computes the reasons of the rows asked for, when the plan needs them.
    """

    rows: dict[RowKey, Origin] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    justify: Justify = _nothing


# Students -----------------------------------------------------------------------------------


def _listed(items: Iterable[str]) -> list[str]:
    values = sorted(set(items))
    return values[:LISTED] + (
        [f"… and {len(values) - LISTED} more"] if len(values) > LISTED else []
    )


# A registration on an element that has a course: (its row, None without an account; the
# course; the snapshot; the registration; the student number). A plain tuple: one per
# registration of the year.
_StudentRow = tuple[RowKey | None, str, ReferSnapshot, PedagogicalRegistration, str]
_new_key = tuple.__new__


def _student_rows(
    snapshots: Sequence[ReferSnapshot],
    courses: CourseIndex,
    accounts: Accounts,
    role: str,
    only: Collection[str] | None = None,
) -> Iterator[_StudentRow]:
    """Every registration on an element that has a course, with its row; with `only`, those
    of the accounts it names."""
    for snapshot in snapshots:
        year = snapshot.year
        # Hundreds of thousands of registrations: each lookup is made once, and the keys of
        # one student's rows share their strings.
        # By element, étape code and version: a tuple of those hashes faster than the étape.
        course_of: dict[tuple[str, str, int], str | None] = {}
        numbers: dict[int, str] = {}
        usernames: dict[int, str | None] = {}
        for ip in snapshot.pedagogical_registrations:
            cod_ind = ip.cod_ind
            if cod_ind in usernames:
                username = usernames[cod_ind]
            else:
                student = snapshot.students.get(cod_ind)
                numbers[cod_ind] = (student.cod_etu or "") if student is not None else ""
                username = usernames[cod_ind] = (
                    accounts.student(numbers[cod_ind]) if numbers[cod_ind] else None
                )
            if only is not None and username not in only:
                continue  # the few rows asked for are those of a few students
            etape = ip.etape
            where = (ip.element, etape.code, etape.version)
            if where in course_of:
                course = course_of[where]
            else:
                course = course_of[where] = courses.course_of(year, ip.element, etape)
            if course is None:
                continue  # an element that has no course (a semester, a year…)
            # As RowKey(…) makes it, without the call of its Python constructor; a key made
            # again for a row's next registrations costs less than looking it up.
            key = _new_key(RowKey, (course, username, role)) if username is not None else None
            yield key, course, snapshot, ip, numbers[cod_ind]


def desired_students(
    snapshots: Sequence[ReferSnapshot], courses: CourseIndex, accounts: Accounts, role: str
) -> Desired:
    """One row per (student account, course, role); several registrations, one row."""

    def justify(keys: Collection[RowKey]) -> dict[RowKey, DesiredRow]:
        wanted = keys if isinstance(keys, set | frozenset | dict) else set(keys)
        users = {key[1] for key in wanted}
        found: dict[RowKey, DesiredRow] = {}
        etape_names: dict[EtapeKey, str] = {}
        for key, _course, snapshot, ip, cod_etu in _student_rows(
            snapshots, courses, accounts, role, users
        ):
            if key is None or key not in wanted:
                continue
            row = found.get(key)
            if row is None:
                row = found[key] = DesiredRow(key, STUDENT)
            etape = etape_names.get(ip.etape)
            if etape is None:
                etape = etape_names[ip.etape] = str(ip.etape)
            row.registrations += (
                Registration(snapshot.year, ip.cod_ind, cod_etu, etape, ip.element),
            )
        return found

    desired = Desired(justify=justify)
    rows = desired.rows
    missing: dict[int, tuple[ReferSnapshot, set[str]]] = {}
    for key, course, snapshot, ip, _cod_etu in _student_rows(snapshots, courses, accounts, role):
        if key is None:
            missing.setdefault(ip.cod_ind, (snapshot, set()))[1].add(course)
        else:
            rows[key] = STUDENT
    for snapshot in snapshots:
        desired.stats["registrations"] += len(snapshot.pedagogical_registrations)
    for cod_ind, (snapshot, lost) in sorted(missing.items()):
        student = snapshot.students.get(cod_ind)
        number = student.cod_etu if student is not None else None
        name = f"{student.last_name} {student.first_name}" if student is not None else "?"
        why = "has no student number yet" if not number else "has no account in the directory"
        desired.notices.append(
            Notice(
                "student_without_account",
                number or f"COD_IND {cod_ind}",
                f"student {number or cod_ind} ({name}) {why}: {len(lost)} course "
                f"enrolment{'s' if len(lost) > 1 else ''} not written",
                data={"cod_ind": cod_ind, "cod_etu": number, "courses": _listed(lost)},
            )
        )
    desired.stats["students_without_account"] = len(missing)
    desired.stats["student_rows"] = len(desired.rows)
    return desired


# Teachers -----------------------------------------------------------------------------------


def _use_list(uses: Sequence[ActivityUse]) -> str:
    shown = ", ".join(use.describe() for use in uses[:3])
    return shown + (f" and {len(uses) - 3} more" if len(uses) > 3 else "")


def desired_teachers(
    teaching: Teaching,
    courses: CourseIndex,
    accounts: Accounts,
    role: str,
    key_name: str,
) -> Desired:
    """One row per (teacher account, course of a scheduled element, role), FOAD excluded."""
    desired = Desired()
    reasons: dict[RowKey, DesiredRow] = {}
    no_account: dict[str, set[str]] = defaultdict(set)
    no_course: dict[str, list[ActivityUse]] = defaultdict(list)
    for (element, instructor_id), uses in teaching.pairs.items():
        desired.stats["ade_pairs"] += 1
        instructor = teaching.instructors[instructor_id]
        element_courses = courses.courses_of_element(element)
        if not element_courses:
            no_course[element].extend(uses)
            continue
        username = accounts.teacher(instructor.keys)
        if username is None:
            no_account[instructor_id].update(element_courses)
            continue
        matched = next((k for k in instructor.keys if accounts.teacher([k]) == username), "")
        for course in element_courses:
            if courses.teachers_by_hand(course):
                desired.stats["ade_pairs_in_hand_managed_courses"] += 1
                continue
            key = RowKey(course, username, role)
            row = reasons.get(key)
            if row is None:
                row = reasons[key] = DesiredRow(key, TEACHER)
                desired.rows[key] = TEACHER
            row.schedulings += (
                Scheduling(element, instructor_id, instructor.name, matched, tuple(uses)),
            )
    for instructor_id, lost in sorted(no_account.items()):
        instructor = teaching.instructors[instructor_id]
        keys = ", ".join(instructor.keys)
        desired.notices.append(
            Notice(
                "instructor_without_account",
                f"ADE:{instructor_id}",
                f"ADE instructor {instructor.name} ({keys}) matches no account: "
                f"{len(lost)} course{'s' if len(lost) > 1 else ''} not given",
                data={
                    "instructor": instructor_id,
                    "keys": list(instructor.keys),
                    "courses": _listed(lost),
                },
            )
        )
    for instructor_id, instructor in sorted(teaching.without_key.items()):
        desired.notices.append(
            Notice(
                "instructor_without_key",
                f"ADE:{instructor_id}",
                f"ADE instructor {instructor.name or instructor_id} has no {key_name} in ADE: "
                "the account cannot be found",
                data={"instructor": instructor_id},
            )
        )
    for code, uses in teaching.unmatched_codes.items():
        desired.notices.append(
            Notice(
                "ade_code_without_element",
                code,
                f"ADE course code {code} matches no element ({_use_list(uses)}); map it in "
                "[ade] course_map if it stands for one",
                data={"code": code, "activities": [use.to_json() for use in uses[:LISTED]]},
            )
        )
    for element, scheduled in sorted(no_course.items()):
        desired.notices.append(
            Notice(
                "ade_element_without_course",
                element,
                f"element {element} is scheduled in ADE ({_use_list(scheduled)}) but has no course",
                severity="info",
                data={"element": element},
            )
        )
    for use in teaching.without_course:
        desired.notices.append(
            Notice(
                "ade_activity_without_course",
                f"ADE:{use.activity_id}",
                f"{use.describe()} has a teacher but no course code",
                severity="info",
                data=use.to_json(),
            )
        )
    desired.stats["instructors_without_account"] = len(no_account)
    desired.stats["instructors_without_key"] = len(teaching.without_key)
    desired.stats["ade_codes_without_element"] = len(teaching.unmatched_codes)
    desired.stats["teacher_rows"] = len(desired.rows)
    desired.justify = lambda keys: {key: reasons[key] for key in keys if key in reasons}
    return desired


# The difference -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grace:
    student_days: int
    teacher_days: int

    def days(self, origin: str) -> int:
        return self.teacher_days if origin == TEACHER else self.student_days


def origin_of(row: KnownRow, teacher_role: str) -> str:
    """The origin of a row; for rows jonction did not write, guessed from the role."""
    if row.origin in (STUDENT, TEACHER):
        return row.origin
    return TEACHER if row.key.role == teacher_role else STUDENT


MISSING = "missing_since"


def _grace_source(origin: str, days: int) -> Mapping[str, Any]:
    # Read-only: one for every row of the origin that leaves.
    return MappingProxyType({"origin": origin, "grace_days": days})


def _label(key: RowKey) -> str:
    return f"{key.user} in {key.course} as {key.role}"


def _mark(
    key: RowKey,
    origin: str,
    since: tuple[str | None, str | None],
    reason: str,
    source: Mapping[str, Any],
) -> Operation:
    """A row marked as leaving, or unmarked: its `missing_since` before and after."""
    return Operation(
        KIND,
        Action.UPDATE,
        str(key),
        label=_label(key),
        before=RowColumns(key, origin, MISSING, since[0]),
        after=RowColumns(key, origin, MISSING, since[1]),
        reason=reason,
        source=source,
        scope=key.course,
    )


def _gone_reason(origin: str) -> str:
    if origin == TEACHER:
        return "no longer scheduled in ADE for this course"
    return "no pedagogical registration leads to this course any more"


def determine_actions(
    desired: Mapping[RowKey, Origin],
    known: Mapping[RowKey, KnownRow] | TableDiff,
    *,
    now: datetime,
    grace: Grace,
    teacher_role: str,
    justify: Justify = _nothing,
    hands_off: Callable[[KnownRow, str], bool] = lambda row, origin: False,
) -> list[Operation]:
    """Rows to add, to mark as leaving, to unmark, and to remove once their grace has run out.

    `desired` gives the origin of each row wanted, `justify` the reasons of those the plan
    adds or keeps. `hands_off(row, origin)` names known rows that must stay as they are
    whatever the sources say (teachers of FOAD courses; every teacher when the timetable
    could not be read).
    """
    operations: list[Operation] = []
    stamp = now.replace(microsecond=0)
    today = stamp.isoformat()  # the rows added are first seen, the rows leaving marked
    table = _diff(desired, known)
    # Most rows are both wanted and in the table: only the others are looked at.
    marks = table.marks
    added = set(table.missing)
    again = {RowKey._make(key) for key in marks if key in desired}
    gone = [RowKey._make(key) for key in table.gone]
    # Not `added | again` on a first night: a copy of hundreds of thousands of keys.
    asked = added | again if again else added
    reasons = justify(asked) if asked else {}
    del asked
    # Hundreds of thousands of rows on a first night: their fields are compact, and the
    # strings and sources many rows have in common are held once.
    pool: dict[str, str] = {}
    grace_sources: dict[tuple[str, int], Mapping[str, Any]] = {}
    for key in sorted(added):
        row = reasons.pop(key, None) or DesiredRow(key, desired[key])
        operations.append(
            Operation(
                KIND,
                Action.ADD,
                str(key),
                label=_label(key),
                after=RowColumns(key, row.origin, "first_seen", today),
                reason=shared(pool, row.reason()),
                source=row.source(),
                scope=key.course,
            )
        )
    changes: list[Operation] = []  # sorted afterwards: few change on most nights
    for key in again:
        wanted = reasons.get(key) or DesiredRow(key, desired[key])
        changes.append(
            _mark(
                key,
                wanted.origin,
                (marks[key].isoformat(), None),
                shared(pool, f"wanted again, its removal is cancelled: {wanted.reason()}"),
                wanted.source(),
            )
        )
    for key in gone:
        current = KnownRow(key, table.gone[key], marks.get(key))
        origin = origin_of(current, teacher_role)
        if hands_off(current, origin):
            continue
        days = grace.days(origin)
        since = current.missing_since
        source = grace_sources.get((origin, days))
        if source is None:
            source = grace_sources[(origin, days)] = _grace_source(origin, days)
        if since is None and days > 0:
            until = (stamp + timedelta(days=days)).date().isoformat()
            changes.append(
                _mark(
                    key,
                    origin,
                    (None, today),
                    shared(
                        pool, f"{_gone_reason(origin)}; kept until {until} ({days} days of grace)"
                    ),
                    source,
                )
            )
        elif since is None or now >= since + timedelta(days=days):
            after_grace = (
                f" since {since.date().isoformat()}; the {days} days of grace are over"
                if since is not None
                else ""
            )
            consequence = (
                "Moodle suspends the enrolment (grades and work are kept)"
                if origin == STUDENT
                else "Moodle takes the teacher role away"
            )
            changes.append(
                Operation(
                    KIND,
                    Action.REMOVE,
                    str(key),
                    label=_label(key),
                    before=RowColumns(
                        key, origin, MISSING, since.isoformat() if since is not None else None
                    ),
                    reason=shared(pool, f"{_gone_reason(origin)}{after_grace}: {consequence}"),
                    source=source,
                    scope=key.course,
                )
            )
    operations.extend(sorted(changes, key=lambda op: op.key))
    return operations


# Source sanity ------------------------------------------------------------------------------


def shrunk_sources(
    counts: Mapping[str, int], previous: Mapping[str, int], ratio: float
) -> list[str]:
    """Blockers for sources that shrank below `ratio` of their size at the last applied run."""
    blockers = []
    labels = {
        "refer_registrations": "REFER's pedagogical registrations",
        "ade_events": "ADE's events in the window",
    }
    for name, count in sorted(counts.items()):
        before = previous.get(name)
        if before and count < ratio * before:
            blockers.append(
                f"{labels.get(name, name)} shrank from {before} to {count} (below "
                f"{ratio:.0%} of the last run; [guards] source_shrink_ratio): the source looks "
                "truncated, nothing is changed. Check it; if the drop is real, run with --force "
                "enrolments."
            )
    return blockers


def table_fingerprint(table: TableDiff) -> str:
    """A digest of the table's keys and marks that does not depend on the order of the rows
    (sorting hundreds of thousands of keys every night costs more than hashing them): the sum
    of the rows' hashes, each of its key and mark."""
    return fingerprint([f"{table.hashes % (1 << 128):032x}"])


def plan_enrolments(
    desired: Desired,
    known: Mapping[RowKey, KnownRow] | TableDiff,
    *,
    now: datetime,
    grace: Grace,
    teacher_role: str,
    teachers_known: bool,
    teachers_by_hand: Callable[[str], bool],
) -> Plan:
    """The plan of the step. Teacher rows of courses whose teachers are enrolled by hand are
    never touched; `teachers_known` is False when the timetable could not be read: teacher
    rows are then neither added nor removed."""

    def hands_off(row: KnownRow, origin: str) -> bool:
        if origin != TEACHER:
            return False
        return not teachers_known or teachers_by_hand(row.key.course)

    table = _diff(desired.rows, known)
    operations = determine_actions(
        desired.rows,
        table,
        now=now,
        grace=grace,
        teacher_role=teacher_role,
        justify=desired.justify,
        hands_off=hands_off,
    )
    leaving = len(table.marks)
    stats = dict(desired.stats)
    stats.update(
        {
            "desired_rows": len(desired.rows),
            "table_rows": table.rows,
            "rows_in_grace": leaving,
        }
    )
    return Plan(
        step="enrolments",
        operations=operations,
        notices=list(desired.notices),
        existing={KIND: table.rows},
        existing_by_scope={KIND: table.by_course},
        basis=table_fingerprint(table),
        stats=stats,
    )


def merge(*parts: Desired) -> Desired:
    """Students and teachers together (their keys differ by role, or are the same row).

    The parts are consumed: the first one's rows (hundreds of thousands of students') become
    the merged rows, not copied."""
    merged = Desired(rows=parts[0].rows if parts else {})
    origins = merged.rows  # not `merged`: its justify would hold it in a reference cycle
    for part in parts:
        if part.rows is not origins:
            for key, origin in part.rows.items():
                origins.setdefault(key, origin)
        merged.notices.extend(part.notices)
        merged.stats.update(part.stats)
    justifies = [part.justify for part in parts]  # not the parts: their rows are not needed

    def justify(keys: Collection[RowKey]) -> dict[RowKey, DesiredRow]:
        # A part's rows are taken as they are (hundreds of thousands on a first night); a
        # row both parts want is a new one, the parts' own left unchanged.
        found: dict[RowKey, DesiredRow] = {}
        for part_justify in justifies:
            for key, row in part_justify(keys).items():
                existing = found.get(key)
                if existing is None and row.origin == origins[key]:
                    found[key] = row
                    continue
                before = existing or DesiredRow(key, origins[key])
                found[key] = DesiredRow(
                    key,
                    origins[key],
                    before.registrations + row.registrations,
                    before.schedulings + row.schedulings,
                )
        return found

    merged.justify = justify
    return merged
