"""The groups jonction wants in Moodle, from REFER's groups and the offer's courses.

Pure functions, no I/O.

- An Apogée group attached to an element (GPE_OBJ.TYP_OBJ_GPO = 'ELP') becomes a group in
  that element's course: in each course its members reach through their pedagogical
  registrations (two with a FOAD split), or in every course of the element while it has no
  member yet.
- An Apogée group attached to an étape ('VET') becomes a group in every course of that étape
  whose students it contains (`[groups] etape_groups`): its members are put in the group of
  each course they follow through that étape.
- In a course shared by several étapes (`parent_etape_groups`), one group per étape holds the
  students who follow the course through it.
- Optionally (`groupings`), one grouping per étape and course gathers that étape's groups.

Membership is per academic year (IND_AFFECTE_GPE.COD_ANU): every snapshot is one year, and
every course belongs to one year. Members are individuals (COD_IND) here; the step maps them
to Moodle accounts.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..config.groups import GroupsSection
from .course_map import CourseMap
from .group_names import (
    WantedName,
    apogee_group_idnumber,
    apogee_group_name,
    attached_to,
    etape_group_idnumber,
    etape_group_name,
    etape_grouping_name,
    group_key,
    unique_names,
)
from .plan import Notice
from .refer_model import EtapeKey, Group, PedagogicalRegistration, ReferSnapshot

GROUP = "group"
MEMBER = "group_member"
GROUPING = "grouping"
# Items listed in a summary notice's data.
LISTED = 20


class Origin(StrEnum):
    APOGEE = "apogee"  # an Apogée group (GROUPE)
    ETAPE = "etape"  # the per-étape group of a course shared by several étapes


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    key: str  # "<course idnumber>|<group idnumber>"
    course: str  # the course's idnumber
    idnumber: str
    name: str  # unique among jonction's groups of the course
    year: str
    origin: Origin
    # Groups a student moves between: leaving one for another of the same family in a
    # course is one move (same element or étape, same kind of group).
    family: str
    composante: str
    group: int | None  # COD_GPE
    ext_code: str
    kind: str
    element: str | None
    etape: EtapeKey | None
    description: str
    hints: tuple[str, ...]  # what tells its name from a same name in the course
    # Members: COD_IND → the étape through which the student follows the course.
    members: Mapping[int, EtapeKey] = field(hash=False)

    def source(self) -> dict[str, Any]:
        """The codes `explain` and the dashboard use (composante: who may see it)."""
        data: dict[str, Any] = {
            "origin": str(self.origin),
            "course": self.course,
            "year": self.year,
            "composante": self.composante,
        }
        if self.group is not None:
            data.update(table="GROUPE", group=self.group, ext_code=self.ext_code)
        if self.element is not None:
            data["element"] = self.element
        if self.etape is not None:
            data["etape"] = str(self.etape)
        return data

    def reason(self) -> str:
        if self.origin is Origin.ETAPE:
            return (
                f"course {self.course} is shared by several étapes; this group holds the "
                f"students of étape {self.etape}"
            )
        attached = f"element {self.element}" if self.element is not None else f"étape {self.etape}"
        return f"Apogée group {self.ext_code} (COD_GPE {self.group}) is attached to {attached}"

    def member_reason(self, etape: EtapeKey) -> str:
        if self.origin is Origin.ETAPE:
            return f"follows {self.course} through étape {etape}"
        return (
            f"member of Apogée group {self.ext_code} (IND_AFFECTE_GPE {self.year}), follows "
            f"{self.course} through étape {etape}"
        )


@dataclass(frozen=True, slots=True)
class DesiredGrouping:
    key: str  # "<course idnumber>|<grouping idnumber>"
    course: str
    idnumber: str
    name: str
    year: str
    etape: EtapeKey
    composante: str
    groups: tuple[str, ...]  # keys of the groups it holds


@dataclass(slots=True)
class DesiredGroups:
    groups: dict[str, DesiredGroup] = field(default_factory=dict)
    groupings: dict[str, DesiredGrouping] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def by_course(self) -> dict[str, list[DesiredGroup]]:
        courses: dict[str, list[DesiredGroup]] = defaultdict(list)
        for group in self.groups.values():
            courses[group.course].append(group)
        return dict(courses)


@dataclass(slots=True)
class _Draft:
    """A group before its name is made unique within its course."""

    course: str
    idnumber: str
    name: str
    hints: tuple[str, ...]
    origin: Origin
    family: str
    composante: str
    group: Group | None
    etape: EtapeKey | None
    members: dict[int, EtapeKey] = field(default_factory=dict)

    def add(self, cod_ind: int, etape: EtapeKey) -> None:
        # The smallest étape wins when a student follows the course through two.
        known = self.members.get(cod_ind)
        if known is None or etape < known:
            self.members[cod_ind] = etape


class _Registrations:
    """A year's pedagogical registrations by student, indexed per student on first use."""

    def __init__(self, snapshot: ReferSnapshot) -> None:
        # The registrations themselves, no pair made for each (a million on a large night).
        self.of: dict[int, list[PedagogicalRegistration]] = defaultdict(list)
        for ip in snapshot.pedagogical_registrations:
            self.of[ip.cod_ind].append(ip)
        self._by_element: dict[int, dict[str, list[EtapeKey]]] = {}
        self._by_etape: dict[int, dict[EtapeKey, list[str]]] = {}

    def etapes_of(self, cod_ind: int, element: str) -> list[EtapeKey]:
        """The étapes through which the student takes the element, smallest first."""
        index = self._by_element.get(cod_ind)
        if index is None:
            # Lists, not sets: an element is mostly taken through one étape (no hashing).
            index = self._by_element[cod_ind] = {}
            for ip in self.of.get(cod_ind, ()):
                found = index.get(ip.element)
                if found is None:
                    index[ip.element] = [ip.etape]
                elif ip.etape not in found:
                    found.append(ip.etape)
                    found.sort()
        return index.get(element, [])

    def elements_of(self, cod_ind: int, etape: EtapeKey) -> list[str]:
        """The elements the student takes through the étape, in code order."""
        index = self._by_etape.get(cod_ind)
        if index is None:
            found: dict[EtapeKey, set[str]] = defaultdict(set)
            for ip in self.of.get(cod_ind, ()):
                found[ip.etape].add(ip.element)
            index = self._by_etape[cod_ind] = {k: sorted(v) for k, v in found.items()}
        return index.get(etape, [])


def _summary(
    kind: str, items: list[str], message: str, listed: int, severity: str = "warning"
) -> Notice:
    shown = sorted(items)[:listed]
    return Notice(kind, kind, message, severity, {"count": len(items), "items": shown})


class _YearBuilder:
    def __init__(self, snapshot: ReferSnapshot, course_map: CourseMap, config: GroupsSection):
        self.snapshot = snapshot
        self.year = snapshot.year
        self.course_map = course_map
        self.config = config
        self.registrations = _Registrations(snapshot)
        self.drafts: dict[str, _Draft] = {}
        self._by_group: dict[tuple[int, str], _Draft] = {}
        self.names: dict[int, str] = {}  # by COD_GPE: the same in every course
        self.routes = course_map.routes  # (element, étape) → course idnumber
        self.courses_of_etape: dict[EtapeKey, set[str]] = defaultdict(set)
        self.courses_of_element: dict[str, set[str]] = defaultdict(set)
        # The routes by element and by étape: a member's lookup hashes no (element, étape).
        self.routes_of_element: dict[str, dict[EtapeKey, str]] = defaultdict(dict)
        self.routes_of_etape: dict[EtapeKey, dict[str, str]] = defaultdict(dict)
        for (element, etape), idnumber in course_map.routes.items():
            self.courses_of_etape[etape].add(idnumber)
            self.courses_of_element[element].add(idnumber)
            self.routes_of_element[element][etape] = idnumber
            self.routes_of_etape[etape][element] = idnumber
        self.without_course: list[str] = []
        self.not_registered: list[str] = []
        self.unknown_students: list[str] = []

    def _composante_of_etape(self, etape: EtapeKey) -> str:
        known = self.snapshot.etapes.get(etape)
        return known.composante if known is not None else ""

    def _draft(self, course: str, idnumber: str, make: Callable[[], _Draft]) -> _Draft:
        key = group_key(course, idnumber)
        draft = self.drafts.get(key)
        if draft is None:
            draft = self.drafts[key] = make()
        return draft

    def _group_name(self, group: Group) -> str:
        name = self.names.get(group.code)
        if name is None:
            name = self.names[group.code] = apogee_group_name(self.config.name, group, self.year)
        return name

    def _apogee_draft(self, group: Group, course: str) -> _Draft:
        # Called once per member: the draft of a (group, course) is looked up directly.
        draft = self._by_group.get((group.code, course))
        if draft is None:
            draft = self._by_group[(group.code, course)] = self._new_apogee_draft(group, course)
        return draft

    def _new_apogee_draft(self, group: Group, course: str) -> _Draft:
        def make() -> _Draft:
            if group.element is not None:
                element = self.snapshot.elements.get(group.element)
                composante = element.composante if element is not None else ""
                family = f"ELP:{group.element}:{group.kind}"
                hints: tuple[str, ...] = (group.ext_code, str(group.code))
            else:
                assert group.etape is not None
                composante = self._composante_of_etape(group.etape)
                family = f"VET:{group.etape}:{group.kind}"
                hints = (str(group.etape), group.ext_code, str(group.code))
            return _Draft(
                course=course,
                idnumber=apogee_group_idnumber(self.year, group.code),
                name=self._group_name(group),
                hints=hints,
                origin=Origin.APOGEE,
                family=family,
                composante=composante,
                group=group,
                etape=group.etape,
            )

        return self._draft(course, apogee_group_idnumber(self.year, group.code), make)

    def build(self) -> None:
        members: dict[int, list[int]] = defaultdict(list)
        for membership in self.snapshot.memberships:
            members[membership.group].append(membership.cod_ind)
        skip = set(self.config.skip_kinds)
        for code, group in sorted(self.snapshot.groups.items()):
            if group.kind in skip:
                continue
            who = sorted(set(members.get(code, [])))
            if group.element is not None:
                self._element_group(group, who)
            elif group.etape is not None and self.config.etape_groups != "none":
                self._etape_group(group, who)
        if self.config.parent_etape_groups:
            self._parent_etape_groups()

    def _known(self, cod_ind: int, group: Group) -> bool:
        if cod_ind in self.snapshot.students:
            return True
        self.unknown_students.append(f"{cod_ind}/{group.code}")
        return False

    def _element_group(self, group: Group, who: list[int]) -> None:
        element = group.element
        assert element is not None
        courses = self.courses_of_element.get(element)
        if not courses:
            self.without_course.append(f"{group.code} ({group.ext_code}, element {element})")
            return
        placed = False
        routes = self.routes_of_element.get(element, {})
        drafts: dict[str, _Draft] = {}  # this group's, by course
        for cod_ind in who:
            if not self._known(cod_ind, group):
                continue
            routed = False
            for etape in self.registrations.etapes_of(cod_ind, element):
                course = routes.get(etape)
                if course is None:
                    continue
                draft = drafts.get(course)
                if draft is None:
                    draft = drafts[course] = self._apogee_draft(group, course)
                draft.add(cod_ind, etape)
                routed = placed = True
            if not routed:
                self.not_registered.append(f"{cod_ind}/{group.code}")
        if not placed:
            for course in sorted(courses):
                self._apogee_draft(group, course)

    def _etape_group(self, group: Group, who: list[int]) -> None:
        etape = group.etape
        assert etape is not None
        courses = self.courses_of_etape.get(etape, set())
        if not courses:
            self.without_course.append(f"{group.code} ({group.ext_code}, étape {etape})")
            return
        drafts: dict[str, _Draft] = {}
        routes = self.routes_of_etape.get(etape, {})
        for cod_ind in who:
            if not self._known(cod_ind, group):
                continue
            for element in self.registrations.elements_of(cod_ind, etape):
                course = routes.get(element)
                if course is None:
                    continue
                draft = drafts.get(course)
                if draft is None:
                    draft = drafts[course] = self._apogee_draft(group, course)
                draft.add(cod_ind, etape)
        if self.config.etape_groups == "all_courses":
            for course in sorted(courses):
                self._apogee_draft(group, course)

    def _parent_etape_groups(self) -> None:
        shared = {i for i, course in self.course_map.courses.items() if len(course.etapes) >= 2}
        # The registrations to other elements are passed over before their route is looked up.
        elements = {element for (element, _), course in self.routes.items() if course in shared}
        students: dict[tuple[str, EtapeKey], set[int]] = defaultdict(set)
        for ip in self.snapshot.pedagogical_registrations:
            if ip.element not in elements:
                continue
            course = self.routes.get((ip.element, ip.etape))
            if course in shared and ip.cod_ind in self.snapshot.students:
                students[(course, ip.etape)].add(ip.cod_ind)
        for (course, etape), who in sorted(students.items()):
            draft = _Draft(
                course=course,
                idnumber=etape_group_idnumber(self.year, etape),
                name=etape_group_name(
                    self.config.parent_etape_group_name,
                    self.snapshot.etapes.get(etape),
                    etape,
                    self.year,
                ),
                hints=(str(etape),),
                origin=Origin.ETAPE,
                family="ETAPES",
                composante=self._composante_of_etape(etape),
                group=None,
                etape=etape,
                # Members are the course's students through that étape, only that étape.
                members=dict.fromkeys(sorted(who), etape),
            )
            self.drafts[group_key(course, draft.idnumber)] = draft

    def notices(self) -> list[Notice]:
        listed = self.config.listed_in_notices
        notices: list[Notice] = []
        if self.without_course:
            notices.append(
                _summary(
                    "group_without_course",
                    self.without_course,
                    f"{len(self.without_course)} Apogée group(s) of {self.year} hang from an "
                    "element or étape that has no course in Moodle (nature not in [policy] "
                    "course_natures, or not reachable): they are left out",
                    listed,
                    "info",
                )
            )
        if self.not_registered:
            notices.append(
                _summary(
                    "group_member_not_registered",
                    self.not_registered,
                    f"{len(self.not_registered)} member(s) of element groups of {self.year} "
                    "have no pedagogical registration to the group's element (COD_IND/COD_GPE): "
                    "they are not put in the Moodle group",
                    listed,
                )
            )
        if self.unknown_students:
            notices.append(
                _summary(
                    "group_member_not_student",
                    self.unknown_students,
                    f"{len(self.unknown_students)} group member(s) of {self.year} have no valid "
                    "registration in REFER (COD_IND/COD_GPE): they are left out",
                    listed,
                    "info",
                )
            )
        return notices


def _description(draft: _Draft) -> str:
    if draft.group is None:
        return f"<p>Étudiants de l'étape {html.escape(str(draft.etape))}</p>"
    group = draft.group
    kind = f" ({html.escape(group.kind)})" if group.kind else ""
    return (
        f"<p>Groupe Apogée {html.escape(group.ext_code)}{kind}, COD_GPE {group.code}, "
        f"{html.escape(attached_to(group))}</p>"
    )


def _finish(drafts: Mapping[str, _Draft], year: str) -> dict[str, DesiredGroup]:
    by_course: dict[str, list[tuple[str, _Draft]]] = defaultdict(list)
    for key, draft in drafts.items():
        by_course[draft.course].append((key, draft))
    groups: dict[str, DesiredGroup] = {}
    for _course, items in sorted(by_course.items()):
        names = unique_names(WantedName(key, d.name, d.hints) for key, d in items)
        for key, draft in items:
            source = draft.group
            groups[key] = DesiredGroup(
                key=key,
                course=draft.course,
                idnumber=draft.idnumber,
                name=names[key],
                year=year,
                origin=draft.origin,
                family=draft.family,
                composante=draft.composante,
                group=source.code if source is not None else None,
                ext_code=source.ext_code if source is not None else "",
                kind=source.kind if source is not None else "",
                element=source.element if source is not None else None,
                etape=draft.etape,
                description=_description(draft),
                hints=draft.hints,
                members=dict(sorted(draft.members.items())),
            )
    return dict(sorted(groups.items()))


def _groupings(
    groups: Iterable[DesiredGroup], snapshot: ReferSnapshot, config: GroupsSection
) -> dict[str, DesiredGrouping]:
    by_etape: dict[tuple[str, EtapeKey], list[str]] = defaultdict(list)
    for group in groups:
        if group.element is None and group.etape is not None:
            by_etape[(group.course, group.etape)].append(group.key)
    groupings: dict[str, DesiredGrouping] = {}
    for (course, etape), keys in sorted(by_etape.items()):
        idnumber = etape_group_idnumber(snapshot.year, etape)
        key = group_key(course, idnumber)
        known = snapshot.etapes.get(etape)
        groupings[key] = DesiredGrouping(
            key=key,
            course=course,
            idnumber=idnumber,
            name=etape_grouping_name(config.grouping_name, known, etape, snapshot.year),
            year=snapshot.year,
            etape=etape,
            composante=known.composante if known is not None else "",
            groups=tuple(sorted(keys)),
        )
    return groupings


def desired_groups(
    snapshots: Iterable[ReferSnapshot],
    course_maps: Mapping[str, CourseMap],
    config: GroupsSection,
) -> DesiredGroups:
    """Every group jonction wants, in every course of the managed years (whether the course
    exists in Moodle yet or not: the step checks)."""
    desired = DesiredGroups()
    for snapshot in sorted(snapshots, key=lambda s: s.year):
        course_map = course_maps.get(snapshot.year)
        if course_map is None:
            continue
        builder = _YearBuilder(snapshot, course_map, config)
        builder.build()
        groups = _finish(builder.drafts, snapshot.year)
        desired.groups.update(groups)
        if config.groupings:
            desired.groupings.update(_groupings(groups.values(), snapshot, config))
        desired.notices.extend(builder.notices())
    desired.stats = {
        "desired_groups": len(desired.groups),
        "desired_members": sum(len(g.members) for g in desired.groups.values()),
        "desired_groupings": len(desired.groupings),
    }
    return desired
