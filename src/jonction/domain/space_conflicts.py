"""Complementary spaces against the catalogue (pure): a space whose idnumber, shortname or
name matches a catalogue course or element is reported, and, worse, a space that takes the
students of an étape under which that element has its own course. Both sides are in the
notices' data, with the composante (the dashboard filters by it)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .catalogue import Catalogue, DesiredCourse
from .naming import comparable, same_label
from .plan import Notice
from .refer_model import ReferSnapshot
from .spaces import Space

_WORD = re.compile(r"[A-Za-z0-9]+")


def _course_side(course: DesiredCourse) -> dict[str, Any]:
    return {
        "idnumber": course.idnumber,
        "shortname": course.shortname,
        "fullname": course.fullname,
        "element": course.element,
        "year": course.year,
        "category": course.category,
        "etapes": course.etape_codes,
    }


def _words(space: Space) -> set[str]:
    return {
        word.upper()
        for text in (space.shortname, space.idnumber, space.fullname)
        for word in _WORD.findall(text)
    }


def _matches(space: Space, course: DesiredCourse, labels: Mapping[str, str]) -> list[str]:
    """What of the space matches the catalogue course (or its element)."""
    found = []
    if space.idnumber and space.idnumber == course.idnumber:
        found.append("idnumber")
    if comparable(space.shortname) == comparable(course.shortname):
        found.append("shortname")
    label = labels.get(course.element, "")
    if same_label(space.fullname, course.fullname) or (label and same_label(space.fullname, label)):
        found.append("name")
    if not found and course.element.upper() in _words(space):
        found.append(f"element code {course.element}")
    return found


class _CatalogueIndex:
    """The catalogue's courses by what a space may share with them (one pass each way)."""

    def __init__(self, catalogue: Catalogue, labels: Mapping[str, str]) -> None:
        self.labels = labels
        self.by_key: dict[str, list[DesiredCourse]] = {}
        for course in catalogue.courses.values():
            keys = {
                f"id:{course.idnumber}",
                f"short:{comparable(course.shortname)}",
                f"name:{comparable(course.fullname)}",
                f"name:{comparable(labels.get(course.element, ''))}",
                f"word:{course.element.upper()}",
            }
            for key in keys:
                if not key.endswith(":"):
                    self.by_key.setdefault(key, []).append(course)

    def candidates(self, space: Space) -> list[DesiredCourse]:
        keys = {
            f"id:{space.idnumber}",
            f"short:{comparable(space.shortname)}",
            f"name:{comparable(space.fullname)}",
            *(f"word:{word}" for word in _words(space)),
        }
        found = {c.idnumber: c for key in keys for c in self.by_key.get(key, ())}
        return [found[k] for k in sorted(found)]


def conflicts(
    spaces: Sequence[Space],
    catalogue: Catalogue,
    snapshots: Sequence[ReferSnapshot],
    managed_courses: Mapping[int, str],
) -> list[Notice]:
    """Notices (both sides in `data`) for spaces that resemble or duplicate the catalogue."""
    labels = {code: e.label for s in snapshots for code, e in s.elements.items()}
    etape_composante = {str(k): e.composante for s in snapshots for k, e in s.etapes.items()}
    index = _CatalogueIndex(catalogue, labels)
    found: list[Notice] = []
    for space in spaces:
        composante = space.composante or next(
            (etape_composante[e] for e in space.etapes if e in etape_composante), ""
        )
        side = space.describe()
        if space.moodle_id in managed_courses:
            found.append(
                Notice(
                    "space_is_catalogue_course",
                    f"space:{space.id}",
                    f"space {space.id} ({space.shortname}) is the catalogue course "
                    f"{managed_courses[space.moodle_id]}, which jonction manages: a course of "
                    "the catalogue cannot be a complementary space (jonction spaces expire "
                    f"{space.id})",
                    severity="error",
                    data={
                        "space": side,
                        "catalogue": {"idnumber": managed_courses[space.moodle_id]},
                        "composante": composante,
                    },
                )
            )
            continue
        for course in index.candidates(space):
            what = _matches(space, course, labels)
            if not what:
                continue
            found.append(_conflict(space, course, what, composante))
    return found


def _conflict(space: Space, course: DesiredCourse, what: list[str], composante: str) -> Notice:
    shared = sorted(set(space.etapes) & set(course.etape_codes))
    data = {
        "space": space.describe(),
        "catalogue": _course_side(course),
        "matches": what,
        "composante": composante or course.composante,
    }
    if shared:
        return Notice(
            "space_duplicates_course",
            f"space:{space.id}",
            f"space {space.id} ({space.shortname}, {space.owner}) takes the students of "
            f"{', '.join(shared)}, who already get the catalogue course {course.idnumber} "
            f"({course.fullname}) of element {course.element}; the space matches it by "
            f"{', '.join(what)}: the students would have two courses for one teaching",
            severity="error",
            data={**data, "etapes": shared},
        )
    return Notice(
        "space_conflict",
        f"space:{space.id}",
        f"space {space.id} ({space.shortname}, {space.owner}) matches the catalogue course "
        f"{course.idnumber} ({course.fullname}) by {', '.join(what)}: check that it is not the "
        "same teaching",
        data=data,
    )
