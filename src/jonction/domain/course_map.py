"""Which Moodle course an element maps to: the lookup every step that enrols or groups uses.

    course_map = build_course_map(snapshot, settings.policy)
    ref = course_map.course_for("SMA1U01", EtapeKey("L1MATH", 1))
    if ref is not None:
        ref.idnumber       # '2026:ELP:SMA1U01': the course's idnumber in Moodle
        ref.foad_managed   # True: teachers of this course are enrolled by hand

`course_for(element, étape)` takes the étape through which the student takes the element
(IND_CONTRAT_ELP.COD_ETP/COD_VRS_VET), because with `foad_policy = "split"` the same element
maps to a distance course for FOAD étapes and an on-site course for the others. It answers
None when the element gets no course in the year (nature not course-bearing, or not reachable
from the étape through open links).

Identities come from codes and the year only (`[policy] course_idnumber`,
`course_shortname`); they do not depend on where the course is placed, so this lookup needs
no Moodle state. A course is FOAD-managed when one of the étapes it serves is FOAD
(VERSION_ETAPE.TEM_TLS_VET): the teacher step must then leave its teachers alone, because
distance teaching is staffed by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from ..config.policy import PolicySection
from .naming import (
    COURSE_IDNUMBER_MAX,
    COURSE_SHORTNAME_MAX,
    academic_year_values,
    clean_label,
    fit_key,
    render,
)
from .refer_model import Element, EtapeKey, ReferSnapshot


class Modality(StrEnum):
    SHARED = "shared"  # one course for every étape (foad_policy = "shared")
    ONSITE = "onsite"  # split: the course of the on-site étapes
    FOAD = "foad"  # split: the course of the FOAD étapes


@dataclass(frozen=True, slots=True)
class CourseRef:
    idnumber: str
    foad_managed: bool


@dataclass(frozen=True, slots=True)
class CourseIdentity:
    """A course of the year, before it is placed in a category."""

    idnumber: str
    shortname: str
    year: str
    element: Element
    modality: Modality
    etapes: tuple[EtapeKey, ...]  # the étapes whose students it serves, sorted
    foad_etapes: tuple[EtapeKey, ...]

    @property
    def foad_managed(self) -> bool:
        return bool(self.foad_etapes)


@dataclass(slots=True)
class CourseMap:
    year: str
    courses: dict[str, CourseIdentity] = field(default_factory=dict)
    routes: dict[tuple[str, EtapeKey], str] = field(default_factory=dict)

    def course_for(self, element: str, etape: EtapeKey) -> CourseRef | None:
        """The course that a student taking `element` through `etape` belongs to, if any."""
        idnumber = self.routes.get((element, etape))
        if idnumber is None:
            return None
        return CourseRef(idnumber, self.courses[idnumber].foad_managed)

    def courses_of(self, element: str) -> list[CourseIdentity]:
        """The element's courses (two when split by modality)."""
        return [course for course in self.courses.values() if course.element.code == element]


def element_values(element: Element, year: str) -> dict[str, str]:
    """What the course templates may use, for `element` in `year`."""
    return {
        **academic_year_values(year),
        "code": element.code,
        "label": clean_label(element.label),
        "short_label": clean_label(element.short_label),
        "long_label": clean_label(element.long_label or element.label),
        "nature": element.nature,
        "composante": element.composante,
        "period": element.period,
    }


def course_keys(
    element: Element, year: str, modality: Modality, policy: PolicySection
) -> tuple[str, str]:
    """(idnumber, shortname) of the element's course for a modality, within Moodle's limits."""
    values = element_values(element, year)
    idnumber = render(policy.course_idnumber, values)
    shortname = render(policy.course_shortname, values)
    if modality is Modality.FOAD:
        idnumber = f"{idnumber}:{policy.foad_suffix}"
        shortname = f"{shortname}-{policy.foad_suffix}"
    return fit_key(idnumber, COURSE_IDNUMBER_MAX), fit_key(
        clean_label(shortname), COURSE_SHORTNAME_MAX
    )


def course_etapes(snapshot: ReferSnapshot, natures: frozenset[str]) -> dict[str, set[EtapeKey]]:
    """Course-bearing elements reachable in the year, with the étapes they hang under."""
    etapes: dict[str, set[EtapeKey]] = defaultdict(set)
    for link in snapshot.links:
        element = snapshot.elements.get(link.element)
        if element is None or element.nature not in natures:
            continue
        if link.etape in snapshot.etapes:
            etapes[link.element].add(link.etape)
    return etapes


def build_course_map(snapshot: ReferSnapshot, policy: PolicySection) -> CourseMap:
    """Every course of the year and the route from (element, étape) to it."""
    course_map = CourseMap(snapshot.year)
    natures = frozenset(policy.course_natures)
    for code, etapes in sorted(course_etapes(snapshot, natures).items()):
        element = snapshot.elements[code]
        foad = {etape for etape in etapes if snapshot.etapes[etape].foad}
        if policy.foad_policy == "split":
            groups = [(Modality.ONSITE, etapes - foad), (Modality.FOAD, foad)]
        else:
            groups = [(Modality.SHARED, etapes)]
        for modality, served in groups:
            if not served:
                continue
            idnumber, shortname = course_keys(element, snapshot.year, modality, policy)
            course_map.courses[idnumber] = CourseIdentity(
                idnumber=idnumber,
                shortname=shortname,
                year=snapshot.year,
                element=element,
                modality=modality,
                etapes=tuple(sorted(served)),
                foad_etapes=tuple(sorted(served & foad)),
            )
            for etape in served:
                course_map.routes[(code, etape)] = idnumber
    return course_map
