"""The explanation of one person, computed without I/O from the facts read about them.

For each element the person is registered to (pedagogical registration, through an étape of a
valid, paid administrative registration), the chain of reasons down to the course, and where
the course enrolment is not in Moodle, the cause known from the sources. The same for groups.
A Moodle object is matched to an element when the element's code is one of the tokens of the
course part of its key (keys are built from codes, never from labels).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

# Statuses of a step's last run that mean its changes were not (all) made.
STOPPED = frozenset({"guarded", "blocked", "failed", "interrupted", "stale"})


@dataclass(frozen=True, slots=True)
class Registration:
    """An administrative registration (IAE) to an étape."""

    etape: str  # CODE-VERSION
    etape_label: str
    composante: str
    diplome: str
    foad: bool


@dataclass(frozen=True, slots=True)
class ElementRegistration:
    """A pedagogical registration (IP) to an element, through an étape."""

    etape: str
    element: str
    label: str
    nature: str
    composante: str


@dataclass(frozen=True, slots=True)
class GroupAssignment:
    code: int
    label: str
    kind: str
    element: str | None
    etape: str | None


@dataclass(frozen=True, slots=True)
class Left:
    """A source row the refer step left out about this person, and why."""

    kind: str
    key: str
    reason: str
    detail: str
    element: str | None
    etape: str | None


@dataclass(frozen=True, slots=True)
class MoodleObject:
    """A managed object that concerns the person, with the last change jonction made to it."""

    kind: str
    key: str
    updated_run: int | None
    updated_at: datetime | None
    last_action: str = ""
    last_reason: str = ""
    # The managed record's data (an enrolment row's origin and missing_since…).
    data: Mapping[str, Any] = field(default_factory=dict)
    # The source of the last operation (the registrations or ADE schedulings behind a row).
    source: Mapping[str, Any] = field(default_factory=dict)
    last_outcome: str = ""

    @property
    def missing_since(self) -> datetime | None:
        value = self.data.get("missing_since")
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class StepState:
    """The last run of a step, as the journal recorded it."""

    step: str
    run_id: int
    status: str
    guards: tuple[str, ...] = ()
    error: str = ""

    @property
    def stopped(self) -> bool:
        return self.status in STOPPED

    def describe(self) -> str:
        return "; ".join(self.guards) or self.error or self.status


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    """A complementary space that takes the students of one of the person's étapes."""

    id: int
    shortname: str
    fullname: str
    owner: str
    ends_on: date
    etapes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """What explain needs of `[policy]`."""

    course_natures: frozenset[str]
    student_role: str = "student"
    teacher_role: str = "editingteacher"
    student_grace_days: int = 0
    teacher_grace_days: int = 0

    @classmethod
    def of(cls, section: Any) -> Policy:
        return cls(
            frozenset(section.course_natures),
            section.student_role,
            section.teacher_role,
            section.student_grace_days,
            section.teacher_grace_days,
        )


@dataclass(frozen=True, slots=True)
class PersonFacts:
    year: str
    cod_ind: int
    cod_etu: str | None
    last_name: str
    first_name: str
    username: str | None  # None: no account known to jonction
    registrations: Sequence[Registration] = ()
    elements: Sequence[ElementRegistration] = ()
    groups: Sequence[GroupAssignment] = ()
    left_out: Sequence[Left] = ()
    moodle: Sequence[MoodleObject] = ()
    # Last operation on each of the person's group and cohort memberships (not kept in the
    # managed records: Moodle's groups and cohorts hold them).
    memberships: Sequence[MoodleObject] = ()
    cohorts: Sequence[MoodleObject] = ()
    spaces: Sequence[SpaceInfo] = ()
    # The last run of the steps behind courses (enrolments), groups and cohorts.
    steps: Mapping[str, StepState] = field(default_factory=dict)
    # Rows of the external table changed by this run or later are not yet read by Moodle
    # (its enrol_database sync failed, or was left to Moodle's cron); 0: every row.
    unsynced_from: int | None = None
    # Courses whose teachers are enrolled by hand (FOAD), among those that concern the person.
    by_hand: frozenset[str] = frozenset()
    # The offer's records of the courses the person's rows name (obsolete_since, hidden_on,
    # archived_on when the element left the catalogue).
    courses: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def composantes(self) -> frozenset[str]:
        return frozenset(r.composante for r in self.registrations)


@dataclass(frozen=True, slots=True)
class Entry:
    """One course or group the person is in or should be in."""

    what: str  # course | teaching | group | cohort | space | registration
    code: str
    label: str
    # From the source to the object: (step of the chain, codes, label) pairs.
    chain: tuple[tuple[str, str, str], ...]
    # in_moodle | waiting_sync (in the external table, Moodle's sync to come) | leaving (kept
    # for its grace period) | missing | no_course | by_hand (FOAD) | removed | through_cohort
    state: str
    # A code: no_account, not_course_nature, not_yet_synced, step_stopped:<status>,
    # awaiting_sync, grace, foad_by_hand, group_attached_to_nothing, not_registered,
    # left_out:<reason>
    cause: str = ""
    detail: str = ""
    moodle: tuple[MoodleObject, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    facts: PersonFacts
    entries: list[Entry] = field(default_factory=list)
    # Objects in Moodle that no registration explains any more (left, suspended…).
    unexplained: list[MoodleObject] = field(default_factory=list)


_TOKEN = re.compile(r"[A-Za-z0-9]+")


def _course_tokens(key: str) -> frozenset[str]:
    """The codes in the course part of an enrolment or membership key (before the first |)."""
    return frozenset(_TOKEN.findall(key.split("|", 1)[0]))


def _matching(
    objects: Iterable[MoodleObject], code: str, kinds: frozenset[str]
) -> tuple[MoodleObject, ...]:
    return tuple(o for o in objects if o.kind in kinds and code in _course_tokens(o.key))


def _role(key: str) -> str:
    return key.rsplit("|", 1)[-1]


def _group_of(key: str) -> frozenset[str]:
    """The codes of a membership key's group part: course|group idnumber|username."""
    return frozenset(_TOKEN.findall(key.rsplit("|", 1)[0].split("|", 1)[-1]))


ENROLMENT_KINDS = frozenset({"enrolment"})
GROUP_KINDS = frozenset({"group_member"})
# Actions after which a membership is in Moodle.
JOINED = frozenset({"add", "move", "create"})


def _course_life(
    facts: PersonFacts, found: Iterable[MoodleObject]
) -> tuple[tuple[str, str, str], ...]:
    """Links saying that the course of these rows is obsolete (its element left the
    catalogue): kept as it is, then hidden, then archived, with the days."""
    links = []
    for course in sorted({o.key.split("|", 1)[0] for o in found}):
        record = facts.courses.get(course) or {}
        for link, name in (
            ("course_obsolete", "obsolete_since"),
            ("course_hidden", "hidden_on"),
            ("course_archived", "archived_on"),
        ):
            if record.get(name):
                links.append((link, str(record[name]), course))
    return tuple(links)


def _present(found: MoodleObject) -> bool:
    """A membership is in Moodle when its last applied operation put it there."""
    return found.last_action in JOINED and found.last_outcome in ("applied", "skipped", "")


class _Causes:
    """Why a wanted object is not in Moodle, or what is still to happen to one that is."""

    def __init__(self, facts: PersonFacts, policy: Policy) -> None:
        self.facts = facts
        self.policy = policy

    def missing(self, step: str) -> tuple[str, str]:
        """The cause of a wanted object missing from Moodle, `step` being the one to add it."""
        if self.facts.username is None:
            return "no_account", ""
        last = self.facts.steps.get(step)
        if last is not None and last.stopped:
            return f"step_stopped:{last.status}", f"{step} #{last.run_id}: {last.describe()}"
        return "not_yet_synced", ""

    def row_state(self, found: Sequence[MoodleObject]) -> tuple[str, str, str]:
        """(state, cause, detail) of a course from its rows in the external table."""
        leaving = [o for o in found if o.missing_since is not None]
        if leaving and len(leaving) == len(found):
            since = min(o.missing_since for o in leaving if o.missing_since is not None)
            teacher = all(_role(o.key) == self.policy.teacher_role for o in leaving)
            days = self.policy.teacher_grace_days if teacher else self.policy.student_grace_days
            until = (since + timedelta(days=days)).date().isoformat()
            return "leaving", "grace", until
        unsynced = self.facts.unsynced_from
        if unsynced is not None and any((o.updated_run or 0) >= unsynced for o in found):
            return "waiting_sync", "awaiting_sync", ""
        return "in_moodle", "", ""


def _course_entries(facts: PersonFacts, policy: Policy, causes: _Causes) -> list[Entry]:
    by_etape: Mapping[str, Registration] = {r.etape: r for r in facts.registrations}
    student_rows = tuple(
        o for o in facts.moodle if o.kind in ENROLMENT_KINDS and _role(o.key) != policy.teacher_role
    )
    entries: list[Entry] = []
    for ip in sorted(facts.elements, key=lambda e: (e.etape, e.element)):
        registration = by_etape.get(ip.etape)
        chain: tuple[tuple[str, str, str], ...] = (
            ("admin_registration", ip.etape, registration.etape_label if registration else ""),
            ("pedagogical_registration", ip.element, ip.label),
            ("element_nature", ip.nature, ""),
        )
        if registration is not None and registration.foad:
            chain += (("foad", ip.etape, ""),)
        found = _matching(student_rows, ip.element, ENROLMENT_KINDS)
        chain += _course_life(facts, found)
        if ip.nature not in policy.course_natures:
            state, cause, detail = "no_course", "not_course_nature", ip.nature
        elif found:
            state, cause, detail = causes.row_state(found)
        else:
            state = "missing"
            cause, detail = causes.missing("enrolments")
        entries.append(Entry("course", ip.element, ip.label, chain, state, cause, detail, found))
    for item in facts.left_out:
        if item.kind == "admin_registration" and item.etape:
            entries.append(
                Entry(
                    "registration",
                    item.etape,
                    "",
                    (("left_out", item.key, item.detail),),
                    "missing",
                    f"left_out:{item.reason}",
                    item.detail,
                )
            )
        elif item.element and not any(e.code == item.element for e in entries):
            entries.append(
                Entry(
                    "course",
                    item.element,
                    "",
                    (("left_out", item.key, item.detail),),
                    "missing",
                    f"left_out:{item.reason}",
                    item.detail,
                )
            )
    return entries


def _teaching_entries(facts: PersonFacts, policy: Policy, causes: _Causes) -> list[Entry]:
    """Courses given as a teacher: ADE activity → instructor → element → course."""
    entries = []
    for row in facts.moodle:
        if row.kind not in ENROLMENT_KINDS or _role(row.key) != policy.teacher_role:
            continue
        course = row.key.split("|", 1)[0]
        chain: list[tuple[str, str, str]] = []
        element = ""
        for scheduling in row.source.get("schedulings") or ():
            element = str(scheduling.get("element") or element)
            for activity in scheduling.get("activities") or ():
                days = f"{activity.get('first', '')} → {activity.get('last', '')}"
                chain.append(
                    (
                        "ade_activity",
                        str(activity.get("activity", "")),
                        f"{activity.get('name', '')} ({days})",
                    )
                )
            chain.append(
                (
                    "ade_instructor",
                    str(scheduling.get("instructor", "")),
                    str(scheduling.get("instructor_name", "")),
                )
            )
            chain.append(("element", element, ""))
        chain.append(("course", course, ""))
        chain.extend(_course_life(facts, (row,)))
        state, cause, detail = causes.row_state((row,))
        entries.append(
            Entry("teaching", course, element, tuple(chain), state, cause, detail, (row,))
        )
    for course in sorted(facts.by_hand):
        entries.append(
            Entry("teaching", course, "", (("course", course, ""),), "by_hand", "foad_by_hand")
        )
    return entries


def _group_entries(facts: PersonFacts, causes: _Causes) -> list[Entry]:
    entries = []
    for group in sorted(facts.groups, key=lambda g: g.code):
        attached = group.element or group.etape or ""
        chain = (
            ("group_assignment", str(group.code), group.label),
            ("group_attached_to", attached, ""),
        )
        found = tuple(
            o
            for o in facts.memberships
            if o.kind in GROUP_KINDS and str(group.code) in _group_of(o.key)
        )
        present = tuple(o for o in found if _present(o))
        if present:
            state, cause, detail = "in_moodle", "", ""
        elif not attached:
            state, cause, detail = "missing", "group_attached_to_nothing", ""
        else:
            state = "missing"
            cause, detail = causes.missing("groups")
            deferred = [o for o in found if o.source.get("deferred")]
            if deferred and cause == "not_yet_synced":
                cause = "awaiting_sync"
        entries.append(
            Entry(
                "group",
                str(group.code),
                group.label or group.kind,
                chain,
                state,
                cause,
                detail,
                found,
            )
        )
    return entries


def _cohort_entries(facts: PersonFacts) -> list[Entry]:
    entries = []
    for found in facts.cohorts:
        cohort = found.key.rsplit("|", 1)[0]
        state = "in_moodle" if _present(found) else "removed"
        entries.append(
            Entry(
                "cohort",
                cohort,
                "",
                (("cohort", cohort, found.last_reason),),
                state,
                moodle=(found,),
            )
        )
    for space in facts.spaces:
        chain = tuple(("admin_registration", etape, "") for etape in space.etapes)
        entries.append(
            Entry(
                "space",
                space.shortname,
                space.fullname,
                (*chain, ("space", str(space.id), f"{space.owner}, → {space.ends_on.isoformat()}")),
                "through_cohort",
                detail=space.ends_on.isoformat(),
            )
        )
    return entries


def explain(
    facts: PersonFacts,
    course_natures: Iterable[str] | Policy,
) -> Explanation:
    policy = (
        course_natures if isinstance(course_natures, Policy) else Policy(frozenset(course_natures))
    )
    causes = _Causes(facts, policy)
    entries = [
        *_course_entries(facts, policy, causes),
        *_teaching_entries(facts, policy, causes),
        *_group_entries(facts, causes),
        *_cohort_entries(facts),
    ]
    used = {(o.kind, o.key) for entry in entries for o in entry.moodle}
    unexplained = [
        o for o in facts.moodle if (o.kind, o.key) not in used and o.kind in ENROLMENT_KINDS
    ]
    # Rows nobody wants any more, kept for their grace period: shown as leaving courses.
    for row in [o for o in unexplained if o.missing_since is not None]:
        state, cause, detail = causes.row_state((row,))
        course = row.key.split("|", 1)[0]
        entries.append(
            Entry(
                "course",
                course,
                "",
                (("course", course, row.last_reason), *_course_life(facts, (row,))),
                state,
                cause,
                detail,
                (row,),
            )
        )
        unexplained.remove(row)
    return Explanation(facts, entries, unexplained)


def _about(entry: Entry, course: str) -> bool:
    if entry.code == course or course in _course_tokens(entry.code):
        return True
    return any(course in _course_tokens(o.key) for o in entry.moodle)


def only_course(explanation: Explanation, course: str) -> Explanation:
    """The entries about `course` (an element code or a course idnumber); when none, one that
    says that nothing leads the person there."""
    entries = [e for e in explanation.entries if _about(e, course)]
    if not entries:
        entries = [Entry("course", course, "", (), "missing", "not_registered")]
    unexplained = [o for o in explanation.unexplained if course in _course_tokens(o.key)]
    return Explanation(explanation.facts, entries, unexplained)


def as_json(explanation: Explanation) -> dict[str, Any]:
    facts = explanation.facts
    return {
        "year": facts.year,
        "cod_ind": facts.cod_ind,
        "cod_etu": facts.cod_etu,
        "name": f"{facts.first_name} {facts.last_name}",
        "username": facts.username,
        "registrations": [asdict(r) for r in facts.registrations],
        "entries": [
            {
                "what": e.what,
                "code": e.code,
                "label": e.label,
                "state": e.state,
                "cause": e.cause,
                "detail": e.detail,
                "chain": [list(link) for link in e.chain],
                "moodle": [
                    {"kind": o.kind, "key": o.key, "run": o.updated_run, "reason": o.last_reason}
                    for o in e.moodle
                ],
            }
            for e in explanation.entries
        ],
        "unexplained": [{"kind": o.kind, "key": o.key} for o in explanation.unexplained],
    }
