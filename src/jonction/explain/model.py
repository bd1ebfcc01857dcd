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
from datetime import datetime
from typing import Any


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

    @property
    def composantes(self) -> frozenset[str]:
        return frozenset(r.composante for r in self.registrations)


@dataclass(frozen=True, slots=True)
class Entry:
    """One course or group the person is in or should be in."""

    what: str  # course | group
    code: str
    label: str
    # From the source to the object: (step of the chain, codes, label) pairs.
    chain: tuple[tuple[str, str, str], ...]
    state: str  # in_moodle | missing | no_course
    cause: str = ""  # a code: no_account, not_course_nature, not_yet_synced, left_out:<reason>
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


ENROLMENT_KINDS = frozenset({"enrolment", "enrolment_row", "student_enrolment"})
GROUP_KINDS = frozenset({"group_member", "group_membership"})


def explain(
    facts: PersonFacts,
    course_natures: Iterable[str],
    enrolment_kinds: frozenset[str] = ENROLMENT_KINDS,
    group_kinds: frozenset[str] = GROUP_KINDS,
) -> Explanation:
    natures = frozenset(course_natures)
    by_etape: Mapping[str, Registration] = {r.etape: r for r in facts.registrations}
    left_by_element: dict[str, list[Left]] = {}
    for item in facts.left_out:
        if item.element:
            left_by_element.setdefault(item.element, []).append(item)
    entries: list[Entry] = []
    used: set[tuple[str, str]] = set()
    for ip in sorted(facts.elements, key=lambda e: (e.etape, e.element)):
        registration = by_etape.get(ip.etape)
        chain: tuple[tuple[str, str, str], ...] = (
            ("admin_registration", ip.etape, registration.etape_label if registration else ""),
            ("pedagogical_registration", ip.element, ip.label),
            ("element_nature", ip.nature, ""),
        )
        found = _matching(facts.moodle, ip.element, enrolment_kinds)
        used.update((o.kind, o.key) for o in found)
        if ip.nature not in natures:
            entries.append(
                Entry(
                    "course",
                    ip.element,
                    ip.label,
                    chain,
                    "no_course",
                    "not_course_nature",
                    ip.nature,
                    found,
                )
            )
        elif found:
            entries.append(Entry("course", ip.element, ip.label, chain, "in_moodle", moodle=found))
        elif facts.username is None:
            entries.append(Entry("course", ip.element, ip.label, chain, "missing", "no_account"))
        else:
            entries.append(
                Entry("course", ip.element, ip.label, chain, "missing", "not_yet_synced")
            )
    for item in facts.left_out:
        if item.element and not any(e.code == item.element for e in entries):
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
    for group in sorted(facts.groups, key=lambda g: g.code):
        attached = group.element or group.etape or ""
        chain = (
            ("group_assignment", str(group.code), group.label),
            ("group_attached_to", attached, ""),
        )
        found = tuple(
            o
            for o in facts.moodle
            if o.kind in group_kinds and str(group.code) in _TOKEN.findall(o.key.split("|", 1)[0])
        )
        used.update((o.kind, o.key) for o in found)
        if found:
            state, cause = "in_moodle", ""
        elif facts.username is None:
            state, cause = "missing", "no_account"
        elif not attached:
            state, cause = "missing", "group_attached_to_nothing"
        else:
            state, cause = "missing", "not_yet_synced"
        entries.append(
            Entry(
                "group",
                str(group.code),
                group.label or group.kind,
                chain,
                state,
                cause,
                moodle=found,
            )
        )
    unexplained = [
        o
        for o in facts.moodle
        if (o.kind, o.key) not in used and o.kind in enrolment_kinds | group_kinds
    ]
    return Explanation(facts, entries, unexplained)


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
