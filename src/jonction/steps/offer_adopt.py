"""Handing a course or a category made by hand over to jonction (`jonction adopt`).

jonction never changes what it did not create. When a course made by hand holds the
idnumber or shortname that a course of the catalogue needs, the offer step reports a
collision and leaves both alone. An administrator who decides that the hand-made course *is*
the catalogue's course adopts it: jonction records it as managed, under the catalogue's
idnumber; from the next run on, the offer step treats it as its own (gives it jonction's
idnumber, name and place; its summary only if it has none) and the enrolment steps fill it.
Nothing is written to Moodle by the adoption itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.catalogue import Catalogue, DesiredCategory, DesiredCourse
from ..domain.naming import comparable
from ..domain.offer_state import CATEGORY_KIND, COURSE_KIND, MoodleCategory, MoodleCourse
from ..domain.plan import Action, Operation
from ..journal.store import Journal, Outcome
from .offer_gateway import OfferGateway


class AdoptionRefused(Exception):
    """The adoption cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Adoption:
    kind: str
    key: str  # the catalogue's idnumber it now stands for
    moodle_id: int
    label: str
    data: dict[str, Any]

    def operation(self) -> Operation:
        """The journal's record of the adoption."""
        return Operation(
            self.kind,
            Action.UPDATE,
            self.key,
            self.label,
            before={"managed": False},
            after={"managed": True, "moodle_id": self.moodle_id},
            reason=f"handed over to jonction by an administrator (jonction adopt): Moodle "
            f"{self.kind} #{self.moodle_id} stands for {self.key} of the catalogue",
            source={"moodle_id": self.moodle_id, "adopted": True},
        )


async def find_course(gateway: OfferGateway, reference: str) -> MoodleCourse:
    """The Moodle course that `reference` names: its id, idnumber or shortname."""
    if reference.isdigit():
        found = await gateway.courses_by_id([int(reference)])
        if found:
            return found[0]
    categories = await gateway.categories()
    site_courses = sum(category.coursecount for category in categories)
    matches = {
        course.id: course
        for course in await gateway.find_courses([reference], [reference], site_courses)
        if course.idnumber == reference or comparable(course.shortname) == comparable(reference)
    }
    if not matches:
        raise AdoptionRefused(
            f"Moodle has no course with the id, idnumber or shortname {reference!r}"
        )
    if len(matches) > 1:
        shown = ", ".join(f"#{c.id} {c.shortname!r}" for c in matches.values())
        raise AdoptionRefused(
            f"{reference!r} names several courses ({shown}): give the Moodle id of the one to adopt"
        )
    return next(iter(matches.values()))


def _wanted_course(catalogue: Catalogue, course: MoodleCourse, key: str | None) -> DesiredCourse:
    if key is not None:
        if key not in catalogue.courses:
            raise AdoptionRefused(f"{key!r} is not the idnumber of a course of the catalogue")
        return catalogue.courses[key]
    for wanted in catalogue.courses.values():
        if wanted.idnumber == course.idnumber or comparable(wanted.shortname) == comparable(
            course.shortname
        ):
            return wanted
    raise AdoptionRefused(
        f"no course of the catalogue wants the idnumber {course.idnumber!r} or the shortname "
        f"{course.shortname!r} of Moodle course #{course.id}; give the catalogue course it "
        "stands for with --as IDNUMBER"
    )


def adopt_course(
    journal: Journal,
    catalogue: Catalogue,
    course: MoodleCourse,
    categories: dict[int, MoodleCategory],
    key: str | None = None,
) -> Adoption:
    """Records `course` as the catalogue's course it collides with (or `key`)."""
    wanted = _wanted_course(catalogue, course, key)
    managed = journal.managed(COURSE_KIND)
    for other_key, item in managed.items():
        if item.moodle_id == course.id:
            raise AdoptionRefused(f"Moodle course #{course.id} is already managed as {other_key}")
    if wanted.idnumber in managed:
        holder = managed[wanted.idnumber].moodle_id
        raise AdoptionRefused(
            f"{wanted.idnumber} is already managed by jonction (Moodle course #{holder})"
        )
    category = categories.get(course.category)
    data = {
        "year": wanted.year,
        "element": wanted.element,
        "composante": wanted.composante,
        "category": category.idnumber if category else "",
        "category_id": course.category,
        "idnumber": course.idnumber,
        "shortname": course.shortname,
        "fullname": course.fullname,
        "visible": course.visible,
        "summary": None,
        "adopted": True,
    }
    return Adoption(COURSE_KIND, wanted.idnumber, course.id, wanted.fullname, data)


def adopt_category(
    journal: Journal, catalogue: Catalogue, categories: dict[int, MoodleCategory], idnumber: str
) -> Adoption:
    """Records the Moodle category bearing `idnumber` as the catalogue's category."""
    wanted: DesiredCategory | None = catalogue.categories.get(idnumber)
    if wanted is None:
        raise AdoptionRefused(f"{idnumber!r} is not the idnumber of a category of the catalogue")
    matches = [c for c in categories.values() if c.idnumber == idnumber]
    if not matches:
        raise AdoptionRefused(f"Moodle has no category with the idnumber {idnumber!r}")
    category = matches[0]
    managed = journal.managed(CATEGORY_KIND)
    if idnumber in managed:
        raise AdoptionRefused(f"{idnumber} is already managed by jonction")
    parent = categories.get(category.parent)
    data = {
        "name": category.name,
        "parent": parent.idnumber if parent else "",
        "level": wanted.level,
        "year": wanted.year,
        "adopted": True,
    }
    return Adoption(CATEGORY_KIND, idnumber, category.id, wanted.name, data)


def record_adoption(journal: Journal, adoption: Adoption) -> None:
    """Makes the adoption effective (state database) and journals it as a run of its own."""
    run_id = journal.start_run("adopt", ["offer"])
    step_run_id = journal.start_step(run_id, "offer", "adopt")
    journal.save_managed(adoption.kind, [(adoption.key, adoption.moodle_id, adoption.data)], run_id)
    journal.record_outcomes(
        step_run_id, [Outcome(adoption.operation(), "applied", "", adoption.moodle_id)]
    )
    journal.finish_step(step_run_id, "succeeded", counts={"adopted": 1})
    journal.finish_run(run_id, "succeeded", {"offer": "succeeded"})
