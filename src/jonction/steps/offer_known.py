"""Reading the known Moodle catalogue with as few calls as possible.

Reading every course of a real Moodle costs about 45 s for 14,000 courses, so a quiet night
must not do it. What the offer step reads instead:

1. every category, in one call (`core_course_get_categories`, 0.03 s for 60 categories): it
   gives each category's course count;
2. the managed categories and courses from jonction's state database, with what jonction
   last wrote to them;
3. drift: for each category that holds managed courses, Moodle's course count is compared
   with what jonction expects there (its managed courses, plus the courses of others seen
   there at the last read). Only the categories whose count differs are read (one call
   each, concurrently); a managed course missing from its category is then looked up by id
   (moved by hand, or deleted);
4. before creating courses, their idnumbers and shortnames are looked up wherever they may
   be (one call each, or one read of every course when that is cheaper: on a first run);
5. before changing courses that were not read tonight, those courses are read by id
   (batched), so that no change rests on a stale record.

Objects a stopped run created without recording them are recognised by their write-ahead
intents (`journal/intents.py`): categories among those just read, courses looked up by
idnumber (only when intents are pending, i.e. after a run was stopped).

A quiet night therefore costs one call, and a night with changes a few more. What this does
not see: a managed course renamed by hand in Moodle (the count does not change); jonction
then keeps its own record and renames it only when Apogée's label changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config.policy import PolicySection
from ..domain.intents import recognise
from ..domain.naming import comparable, same_label
from ..domain.offer_state import (
    CATEGORY_KIND,
    COURSE_KIND,
    CategoryRecord,
    CourseRecord,
    KnownCatalogue,
    MoodleCategory,
    MoodleCourse,
)
from ..domain.plan import Action, Plan
from ..journal.intents import pending
from ..journal.store import Journal
from .offer_gateway import OfferGateway

# Journal flag: by category id, how many courses of others were seen in it at the last read.
FOREIGN_FLAG = "offer.foreign_courses"


class RootCategoryMissing(Exception):
    """[policy] category_root names a category that Moodle does not have."""


@dataclass
class KnownState:
    """The known catalogue, plus what the reads learned that the apply will record."""

    catalogue: KnownCatalogue
    foreign: dict[str, int] = field(default_factory=dict)
    read_categories: int = 0  # categories whose courses were read tonight


def _records(journal: Journal) -> tuple[dict[str, CategoryRecord], dict[str, CourseRecord]]:
    categories = {
        key: CategoryRecord.from_data(key, item.moodle_id, item.data)
        for key, item in journal.managed(CATEGORY_KIND).items()
    }
    courses = {
        key: CourseRecord.from_data(key, item.moodle_id, item.data)
        for key, item in journal.managed(COURSE_KIND).items()
    }
    return categories, courses


def _fresh(course: MoodleCourse) -> MoodleCourse:
    return MoodleCourse(
        course.id,
        course.idnumber,
        course.shortname,
        course.fullname,
        course.category,
        course.visible,
        course.summary,
        fresh=True,
    )


async def read_known(
    gateway: OfferGateway, journal: Journal, policy: PolicySection, today: str
) -> KnownState:
    """The known catalogue: every category, managed records, and the drifted categories."""
    categories = {c.id: c for c in await gateway.categories()}
    category_records, course_records = _records(journal)
    root = 0
    if policy.category_root:
        matches = [c.id for c in categories.values() if c.idnumber == policy.category_root]
        if not matches:
            raise RootCategoryMissing(
                f"[policy] category_root = {policy.category_root!r}: Moodle has no category "
                "with this idnumber"
            )
        root = matches[0]
    courses: dict[int, MoodleCourse] = {}
    for record in course_records.values():
        course = record.as_course()
        if course is not None:
            courses[course.id] = course
    known = KnownCatalogue(categories, courses, category_records, course_records, root, today)
    state = KnownState(known, foreign=_foreign_flag(journal.flag(FOREIGN_FLAG)))
    _recognise_categories(journal, known)
    await _check_drift(gateway, state)
    await _recognise_courses(gateway, journal, known)
    return state


def _same_category(match: Mapping[str, Any], category: MoodleCategory) -> bool:
    return same_label(str(match.get("name", "")), category.name)


def _same_course(match: Mapping[str, Any], course: MoodleCourse) -> bool:
    return comparable(str(match.get("shortname", ""))) == comparable(course.shortname)


def _recognise_categories(journal: Journal, known: KnownCatalogue) -> None:
    """Categories a stopped run created: every category was just read."""
    intended = pending(journal, CATEGORY_KIND)
    if not intended:
        return
    by_idnumber = {c.idnumber: c for c in known.categories.values() if c.idnumber}
    alive = {k: r for k, r in known.category_records.items() if r.moodle_id in known.categories}
    result = recognise(
        intended,
        {key: by_idnumber[key] for key in intended if key in by_idnumber},
        managed=alive,
        managed_ids={r.moodle_id for r in alive.values() if r.moodle_id is not None},
        moodle_id=lambda category: category.id,
        matches=_same_category,
    )
    for key, item in result.recovered.items():
        known.category_records[key] = CategoryRecord.from_data(key, item.moodle_id, item.record)
    known.recovered_categories = result.recovered
    known.settled_intents[CATEGORY_KIND] = result.settled


async def _recognise_courses(
    gateway: OfferGateway, journal: Journal, known: KnownCatalogue
) -> None:
    """Courses a stopped run created: looked up by idnumber and shortname wherever they are."""
    intended = pending(journal, COURSE_KIND)
    if not intended:
        return
    alive = {key: r for key, r in known.course_records.items() if known.course_of(key) is not None}
    wanted = [key for key in intended if key not in alive]
    found: dict[str, MoodleCourse] = {}
    if wanted:
        shortnames = [str(intended[key].match.get("shortname", "")) for key in wanted]
        site_courses = sum(category.coursecount for category in known.categories.values())
        for course in await gateway.find_courses(wanted, shortnames, site_courses):
            if course.idnumber in intended:
                found[course.idnumber] = _fresh(course)
    result = recognise(
        intended,
        found,
        managed=alive,
        managed_ids={r.moodle_id for r in alive.values() if r.moodle_id is not None},
        moodle_id=lambda course: course.id,
        matches=_same_course,
    )
    for key, item in result.recovered.items():
        known.course_records[key] = CourseRecord.from_data(key, item.moodle_id, item.record)
        known.courses[item.moodle_id] = item.found
    known.recovered_courses = result.recovered
    known.settled_intents[COURSE_KIND] = result.settled


def _foreign_flag(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int)}


async def _check_drift(gateway: OfferGateway, state: KnownState) -> None:
    known = state.catalogue
    managed_ids = {r.moodle_id for r in known.course_records.values() if r.moodle_id is not None}
    expected = Counter(course.category for course in known.courses.values())
    watched = {
        r.moodle_id for r in known.category_records.values() if r.moodle_id in known.categories
    } | {cid for cid in expected if cid in known.categories}
    drifted = sorted(
        cid
        for cid in watched
        if known.categories[cid].coursecount != expected[cid] + state.foreign.get(str(cid), 0)
    )
    seen: set[int] = set()
    if drifted:
        read = await gateway.courses_in_categories(drifted)
        foreign = Counter(course.category for course in read if course.id not in managed_ids)
        for course in read:
            known.courses[course.id] = _fresh(course)
            seen.add(course.id)
        for cid in drifted:
            state.foreign[str(cid)] = foreign[cid]
        state.read_categories = len(drifted)
    # Managed courses that left their category, or whose category is gone: where are they?
    lost = [
        course.id
        for course in known.courses.values()
        if course.id in managed_ids
        and course.id not in seen
        and (course.category in drifted or course.category not in known.categories)
    ]
    if lost:
        await refresh_courses(gateway, known, lost)


async def refresh_courses(gateway: OfferGateway, known: KnownCatalogue, ids: Iterable[int]) -> None:
    """Reads these courses by id; a managed course Moodle no longer has is forgotten here (the
    plan then creates it again)."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    found = {course.id: course for course in await gateway.courses_by_id(wanted)}
    for moodle_id in wanted:
        if moodle_id in found:
            known.courses[moodle_id] = _fresh(found[moodle_id])
        else:
            known.courses.pop(moodle_id, None)


async def look_for_collisions(gateway: OfferGateway, known: KnownCatalogue, plan: Plan) -> bool:
    """Looks up, wherever they are in Moodle, the idnumbers and shortnames of the courses the
    plan would create; adds what it finds to the known courses. True when something was
    found (the plan must then be computed again)."""
    creations = [
        op for op in plan.operations if op.kind == COURSE_KIND and op.action is Action.CREATE
    ]
    if not creations:
        return False
    idnumbers = sorted({op.key for op in creations})
    shortnames = sorted({str((op.after or {})["shortname"]) for op in creations})
    site_courses = sum(category.coursecount for category in known.categories.values())
    found = await gateway.find_courses(idnumbers, shortnames, site_courses)
    new = [course for course in found if course.id not in known.courses]
    for course in found:
        known.courses[course.id] = _fresh(course)
    return bool(new)
