"""Reading the facts about one person: REFER for the sources, the state database for Moodle.

Every query is keyed: a student by number (indexed), registrations and exclusions by
(year, cod_ind) (primary key and index prefixes), the last operation of an object by
(kind, key) (index). Only the search of a name and of the managed objects that mention a
username read a whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, func, or_, select

from ..domain.offer_state import parse_etape
from ..journal import reading
from ..journal.schema import flags, managed, spaces
from ..sources.refer import schema as refer
from ..steps.enrolments import SYNC_PENDING_FLAG
from .model import (
    ElementRegistration,
    GroupAssignment,
    Left,
    MoodleObject,
    PersonFacts,
    Registration,
    SpaceInfo,
    StepState,
)

MAX_MATCHES = 20
# The steps whose last run can explain why something is missing.
CAUSE_STEPS = ("users", "cohorts", "enrolments", "groups")


@dataclass(frozen=True, slots=True)
class Person:
    year: str
    cod_ind: int
    cod_etu: str | None
    last_name: str
    first_name: str
    composantes: tuple[str, ...]
    # Staff (a teacher): a managed account that is no student of the year; no REFER facts.
    username: str | None = None

    @property
    def staff(self) -> bool:
        return self.username is not None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def latest_year(refer_engine: Engine) -> str | None:
    with refer_engine.connect() as connection:
        return connection.execute(select(func.max(refer.refer_year.c.year))).scalar_one_or_none()


def username_student_number(state: Engine, username: str) -> str | None:
    """The student number carried by the idnumber of a managed Moodle account, if any."""
    with state.connect() as connection:
        data = connection.execute(
            select(managed.c.data).where(managed.c.kind == "user", managed.c.key == username)
        ).scalar_one_or_none()
    idnumber = str((data or {}).get("idnumber") or "")
    # The idnumber is the number with its source's prefix (e.g. "E" for students).
    number = idnumber.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_:")
    return number or None


def username_of(state: Engine, cod_etu: str | None) -> str | None:
    """The username of the managed account whose idnumber ends with the student number."""
    if not cod_etu:
        return None
    idnumber = managed.c.data["idnumber"].as_string()
    with state.connect() as connection:
        return connection.execute(
            select(managed.c.key)
            .where(managed.c.kind == "user", idnumber.like(f"%{cod_etu}"))
            .limit(1)
        ).scalar_one_or_none()


def _matching(table: Table, query: str, number: str | None) -> ColumnElement[bool]:
    """Rows of REFER's `table` of people whose number, internal number or name matches."""
    conditions = [table.c.cod_etu == query]
    if query.isdigit():
        conditions.append(table.c.cod_ind == int(query))
    if number:
        conditions.append(table.c.cod_etu == number)
    if len(query) >= 2 and not query.isdigit():
        pattern = _like(query.casefold())
        full = func.lower(table.c.first_name + " " + table.c.last_name)
        reverse = func.lower(table.c.last_name + " " + table.c.first_name)
        conditions.append(or_(full.like(pattern, escape="\\"), reverse.like(pattern, escape="\\")))
    return or_(*conditions)


def _composantes_of(connection: Connection, year: str, people: list[int]) -> dict[int, set[str]]:
    """The composantes of people's valid administrative registrations; for those with none
    (REFER left them out: unpaid, cancelled…), of the étapes of their excluded ones."""
    registration, exclusion, etape = (
        refer.refer_admin_registration,
        refer.refer_exclusion,
        refer.refer_etape,
    )
    found: dict[int, set[str]] = {}
    without_valid: set[int] = set()
    if not people:
        return found
    valid = select(registration.c.cod_ind, registration.c.composante).where(
        registration.c.year == year, registration.c.cod_ind.in_(people)
    )
    excluded = (
        select(exclusion.c.cod_ind, etape.c.composante)
        .join(
            etape,
            and_(
                etape.c.year == exclusion.c.year,
                etape.c.etape_code == exclusion.c.etape_code,
                etape.c.etape_version == exclusion.c.etape_version,
            ),
        )
        .where(exclusion.c.year == year, exclusion.c.cod_ind.in_(people))
    )
    for cod_ind, composante in connection.execute(valid):
        found.setdefault(cod_ind, set()).add(composante)
    for cod_ind, composante in connection.execute(excluded):
        if cod_ind not in found or cod_ind in without_valid:
            without_valid.add(cod_ind)
            found.setdefault(cod_ind, set()).add(composante)
    return found


def find_people(refer_engine: Engine, state: Engine, year: str, query: str) -> list[Person]:
    """The students whose number, internal number, username or name matches `query`: those
    with a valid registration, then those REFER left out (unpaid, cancelled…) so that explain
    says why they get nothing; then the staff accounts of that username, number or name."""
    query = query.strip()
    if not query:
        return []
    number = username_student_number(state, query.lower())
    rows: list[Any] = []
    with refer_engine.connect() as connection:
        for table in (refer.refer_student, refer.refer_person_left_out):
            rows += connection.execute(
                select(table)
                .where(table.c.year == year, _matching(table, query, number))
                .order_by(table.c.last_name, table.c.first_name)
                .limit(MAX_MATCHES - len(rows))
            ).all()
            if len(rows) >= MAX_MATCHES:
                break
        composantes = _composantes_of(connection, year, [row.cod_ind for row in rows])
    people = [
        Person(
            year,
            row.cod_ind,
            row.cod_etu,
            row.last_name,
            row.first_name,
            tuple(sorted(composantes.get(row.cod_ind, ()))),
        )
        for row in rows
    ]
    if number is not None and people:
        return people  # the username of a student's account
    # Staff too: a name may be a student's and a teacher's.
    return people + find_staff(state, year, query)[: MAX_MATCHES - len(people)]


def find_staff(state: Engine, year: str, query: str) -> list[Person]:
    """The managed accounts named by `query` (username, employee number or name) that carry
    no student number: teachers, explained from the rows ADE gave them."""
    data = managed.c.data
    conditions = [managed.c.key == query.lower(), data["employee_id"].as_string() == query]
    if len(query) >= 2 and not query.isdigit():
        pattern = _like(query.casefold())
        first, last = data["firstname"].as_string(), data["lastname"].as_string()
        full, reverse = func.lower(first + " " + last), func.lower(last + " " + first)
        conditions.append(or_(full.like(pattern, escape="\\"), reverse.like(pattern, escape="\\")))
    with state.connect() as connection:
        rows = connection.execute(
            select(managed.c.key, managed.c.data)
            .where(managed.c.kind == "user", or_(*conditions))
            .order_by(managed.c.key)
            .limit(MAX_MATCHES)
        ).all()
    people = []
    for row in rows:
        record = row.data or {}
        if record.get("student_id"):
            continue
        last_name = str(record.get("lastname") or row.key)
        people.append(
            Person(
                year, 0, None, last_name, str(record.get("firstname") or ""), (), username=row.key
            )
        )
    return people


def _etape(code: str | None, version: int | None) -> str | None:
    return f"{code}-{version}" if code is not None else None


def _moodle_objects(state: Engine, username: str) -> list[MoodleObject]:
    """The managed objects that name the person (their account, their enrolment rows), each
    with the last operation journaled on it."""
    mentions = or_(
        managed.c.key.like(f"%|{_escape(username)}|%", escape="\\"),
        managed.c.key.like(f"%|{_escape(username)}", escape="\\"),
        and_(managed.c.kind == "user", managed.c.key == username),
    )
    with state.connect() as connection:
        rows = connection.execute(
            select(
                managed.c.kind,
                managed.c.key,
                managed.c.data,
                managed.c.updated_run,
                managed.c.updated_at,
            )
            .where(mentions)
            .order_by(managed.c.kind, managed.c.key)
        ).all()
    last = reading.last_operations(state, [(row.kind, row.key) for row in rows])
    found = []
    for row in rows:
        op = last.get((row.kind, row.key))
        found.append(
            MoodleObject(
                row.kind,
                row.key,
                row.updated_run,
                row.updated_at,
                op.action if op else "",
                op.reason if op else "",
                row.data or {},
                op.source if op else {},
                op.outcome if op else "",
            )
        )
    return found


def _memberships(state: Engine, kind: str, username: str) -> list[MoodleObject]:
    """The person's memberships of `kind` (groups, cohorts), from their last operations."""
    return [
        MoodleObject(
            op.kind,
            op.key,
            op.run_id,
            None,
            op.action,
            op.reason,
            {},
            op.source,
            op.outcome,
        )
        for op in reading.last_operations_ending(state, kind, f"|{username}").values()
    ]


def _step_states(state: Engine) -> dict[str, StepState]:
    return {
        name: StepState(name, step.run_id, step.status, tuple(step.guards), step.error)
        for name, step in reading.last_step_runs(state, CAUSE_STEPS).items()
    }


def _unsynced_from(state: Engine) -> int | None:
    """The run from which the external table's changes are not yet read by Moodle: every row
    while a failed sync waits to be retried; the rows of the last run when its sync was left
    to Moodle's cron."""
    with state.connect() as connection:
        pending = connection.execute(
            select(flags.c.value).where(flags.c.name == SYNC_PENDING_FLAG)
        ).scalar_one_or_none()
    if pending:
        return 0
    last = reading.last_step_runs(state, ["enrolments"]).get("enrolments")
    if last is None:
        return None
    sync = reading.last_operations(state, [("enrolment_sync", "enrol_database")])
    op = sync.get(("enrolment_sync", "enrol_database"))
    if op is not None and op.run_id == last.run_id and op.outcome == "deferred":
        return last.run_id
    return None


def _spaces(state: Engine, etapes: Sequence[str]) -> list[SpaceInfo]:
    """The registered complementary spaces that take the students of one of `etapes`."""
    if not etapes:
        return []
    wanted = set(etapes)
    with state.connect() as connection:
        rows = connection.execute(select(spaces).order_by(spaces.c.id)).all()
    found = []
    for row in rows:
        taken = tuple(e for e in row.etapes or () if str(parse_etape(e) or e) in wanted)
        if taken:
            found.append(
                SpaceInfo(row.id, row.shortname, row.fullname, row.owner, row.ends_on, taken)
            )
    return found


def _by_hand(state: Engine, course: str | None) -> frozenset[str]:
    """`course` (an element code or a course idnumber) when its courses' teachers are
    enrolled by hand (FOAD), from the source of the offer's last operation on them."""
    if not course:
        return frozenset()
    with state.connect() as connection:
        keys = (
            connection.execute(
                select(managed.c.key).where(
                    managed.c.kind == "course",
                    or_(
                        managed.c.key == course,
                        managed.c.key.like(f"%:{_escape(course)}", escape="\\"),
                        managed.c.key.like(f"%:{_escape(course)}:%", escape="\\"),
                    ),
                )
            )
            .scalars()
            .all()
        )
    last = reading.last_operations(state, [("course", key) for key in keys])
    return frozenset(
        key for key in keys if (op := last.get(("course", key))) and op.source.get("foad_managed")
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _course_records(state: Engine, objects: Sequence[MoodleObject]) -> dict[str, Any]:
    """The offer's records of the courses that the rows `objects` name."""
    keys = sorted({o.key.split("|", 1)[0] for o in objects if o.kind == "enrolment"})
    if not keys:
        return {}
    with state.connect() as connection:
        return {
            row.key: row.data or {}
            for row in connection.execute(
                select(managed.c.key, managed.c.data).where(
                    managed.c.kind == "course", managed.c.key.in_(keys)
                )
            )
        }


def _journal_facts(
    state: Engine, username: str | None, etapes: Sequence[str], course: str | None
) -> dict[str, Any]:
    """What the journal knows of the person beyond their managed objects."""
    moodle = _moodle_objects(state, username) if username else []
    return {
        "username": username,
        "moodle": moodle,
        "courses": _course_records(state, moodle),
        "memberships": _memberships(state, "group_member", username) if username else [],
        "cohorts": _memberships(state, "cohort_member", username) if username else [],
        "spaces": _spaces(state, etapes),
        "steps": _step_states(state),
        "unsynced_from": _unsynced_from(state),
        "by_hand": _by_hand(state, course),
    }


def read_facts(
    refer_engine: Engine, state: Engine, person: Person, course: str | None = None
) -> PersonFacts:
    if person.staff:
        return PersonFacts(
            year=person.year,
            cod_ind=0,
            cod_etu=None,
            last_name=person.last_name,
            first_name="",
            **_journal_facts(state, person.username, (), course),
        )
    year, cod_ind = person.year, person.cod_ind
    iae, etape = refer.refer_admin_registration, refer.refer_etape
    ip, element = refer.refer_pedagogical_registration, refer.refer_element
    membership, group = refer.refer_group_membership, refer.refer_group
    exclusion = refer.refer_exclusion
    with refer_engine.connect() as connection:
        registrations = [
            Registration(
                f"{row.etape_code}-{row.etape_version}",
                row.label or "",
                row.composante,
                f"{row.diplome_code}-{row.diplome_version}",
                bool(row.foad),
            )
            for row in connection.execute(
                select(iae, etape.c.label, etape.c.foad)
                .join(
                    etape,
                    and_(
                        etape.c.year == iae.c.year,
                        etape.c.etape_code == iae.c.etape_code,
                        etape.c.etape_version == iae.c.etape_version,
                    ),
                    isouter=True,
                )
                .where(iae.c.year == year, iae.c.cod_ind == cod_ind)
            )
        ]
        elements = [
            ElementRegistration(
                f"{row.etape_code}-{row.etape_version}",
                row.element,
                row.label or "",
                row.nature or "",
                row.composante or "",
            )
            for row in connection.execute(
                select(ip, element.c.label, element.c.nature, element.c.composante)
                .join(
                    element,
                    and_(element.c.year == ip.c.year, element.c.code == ip.c.element),
                    isouter=True,
                )
                .where(ip.c.year == year, ip.c.cod_ind == cod_ind)
            )
        ]
        groups = [
            GroupAssignment(
                row.group_code,
                row.label or "",
                row.kind or "",
                row.element,
                _etape(row.etape_code, row.etape_version),
            )
            for row in connection.execute(
                select(
                    membership.c.group_code,
                    group.c.label,
                    group.c.kind,
                    group.c.element,
                    group.c.etape_code,
                    group.c.etape_version,
                )
                .join(
                    group,
                    and_(
                        group.c.year == membership.c.year, group.c.code == membership.c.group_code
                    ),
                    isouter=True,
                )
                .where(membership.c.year == year, membership.c.cod_ind == cod_ind)
            )
        ]
        left_out = [
            Left(
                row.kind,
                row.key,
                row.reason,
                row.detail,
                row.element,
                _etape(row.etape_code, row.etape_version),
            )
            for row in connection.execute(
                select(exclusion).where(exclusion.c.year == year, exclusion.c.cod_ind == cod_ind)
            )
        ]
    username = username_of(state, person.cod_etu)
    return PersonFacts(
        year=year,
        cod_ind=cod_ind,
        cod_etu=person.cod_etu,
        last_name=person.last_name,
        first_name=person.first_name,
        registrations=registrations,
        elements=elements,
        groups=groups,
        left_out=left_out,
        **_journal_facts(state, username, [r.etape for r in registrations], course),
    )


def visible_to(person: Person, composantes: Sequence[str] | None) -> bool:
    """None: every person; otherwise people registered in one of `composantes`."""
    return composantes is None or bool(set(person.composantes) & set(composantes))


def instructors_without_account(state: Engine, query: str) -> tuple[str, ...]:
    """The last enrolments run's notices about ADE instructors without an account (or without
    the key that finds it) that mention `query` (a name, an employee number, an address)."""
    wanted = query.strip().casefold()
    if len(wanted) < 2:
        return ()
    notices = reading.latest_notices(
        state, "enrolments", ("instructor_without_account", "instructor_without_key")
    )
    return tuple(
        str(notice["message"])
        for notice in notices
        if wanted in str(notice["message"]).casefold() or wanted in str(notice["key"]).casefold()
    )
