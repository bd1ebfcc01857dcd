"""The offer step's diff: what to create, rename, move, update or hide, and why.

`determine_actions(desired, known, policy)` compares the catalogue jonction wants with what
it knows of Moodle, by stable keys (idnumbers), never by labels:

- a wanted category or course that jonction manages and that still exists is renamed, moved
  or updated when it differs (labels compared as Moodle shows them);
- one that Moodle holds under the same idnumber (or shortname, for a course) but that
  jonction did not create is a **collision**: reported with both sides, never touched; the
  categories and courses that would go under a colliding category wait with it;
- anything else is created;
- a managed course that the catalogue of its year no longer wants is **obsolete**: marked
  (in jonction's state database, nothing changes in Moodle) and, by `[policy]
  obsolete_courses`, hidden when a later year is managed (default), at once, or never. It is
  never deleted.

Summaries: jonction rewrites a course's summary (the list of its étapes) only while Moodle
still shows the one jonction wrote, or none; once teachers rewrite it, it is theirs.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from ..config.policy import PolicySection
from .catalogue import Catalogue, DesiredCategory, DesiredCourse, course_reason
from .intents import recovery_operation
from .naming import comparable, same_label
from .offer_state import (
    CATEGORY_KIND,
    COURSE_KIND,
    CourseRecord,
    KnownCatalogue,
    MoodleCategory,
    MoodleCourse,
)
from .plan import Action, Notice, Operation, Plan, fingerprint

STEP = "offer"
# Fields of an operation's `after` that are written to Moodle; the others are jonction's own
# record (placement, marks).
MOODLE_COURSE_FIELDS = frozenset(
    {"fullname", "shortname", "idnumber", "category", "summary", "visible"}
)
_TAG = re.compile(r"<[^<>]*>")
LEVEL_NAMES = {"year": "year", "composante": "composante", "diplome": "diplôme", "etape": "étape"}


def comparable_summary(text: str | None) -> str:
    """A summary as text, whatever escaping Moodle applied on the way."""
    value = text or ""
    for _ in range(3):
        unescaped = html.unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return " ".join(_TAG.sub(" ", value).split())


def _course_side(course: MoodleCourse, categories: dict[int, MoodleCategory]) -> dict[str, Any]:
    category = categories.get(course.category)
    return {
        "id": course.id,
        "idnumber": course.idnumber,
        "shortname": course.shortname,
        "fullname": course.fullname,
        "category": category.name if category else str(course.category),
    }


class _Planner:
    def __init__(self, desired: Catalogue, known: KnownCatalogue, policy: PolicySection) -> None:
        self.desired = desired
        self.known = known
        self.policy = policy
        self.operations: list[Operation] = []
        self.notices: list[Notice] = list(desired.notices)
        self.blocked: dict[str, str] = {}  # category idnumber → the collision that blocks it
        self.stats: Counter[str] = Counter()
        self.by_shortname: dict[str, MoodleCourse] = {}
        self.owner: dict[int, str] = {}  # Moodle id → the key jonction manages it as

    # Categories -----------------------------------------------------------------------------

    def _current_parent(self, category: MoodleCategory) -> str:
        """The idnumber of a category's parent as jonction names parents ("" = tree root)."""
        if category.parent == self.known.root:
            return ""
        parent = self.known.categories.get(category.parent)
        if parent is None:
            return f"#{category.parent}"
        return parent.idnumber or f"#{parent.id}"

    def categories(self) -> None:
        by_idnumber = {c.idnumber: c for c in self.known.categories.values() if c.idnumber}
        ordered = sorted(
            self.desired.categories.values(),
            key=lambda c: (self.desired.depth(c.idnumber), c.idnumber),
        )
        for wanted in ordered:
            if wanted.parent in self.blocked:
                self.blocked[wanted.idnumber] = self.blocked[wanted.parent]
                continue
            moodle_id = self.known.category_id(wanted.idnumber)
            if moodle_id is not None:
                self._compare_category(wanted, self.known.categories[moodle_id])
                continue
            other = by_idnumber.get(wanted.idnumber)
            if other is not None:
                self._category_collision(wanted, other)
                continue
            self._create_category(wanted)

    def _create_category(self, wanted: DesiredCategory) -> None:
        again = (
            " (it was deleted in Moodle)" if wanted.idnumber in self.known.category_records else ""
        )
        self.operations.append(
            Operation(
                CATEGORY_KIND,
                Action.CREATE,
                wanted.idnumber,
                wanted.name,
                after={
                    "idnumber": wanted.idnumber,
                    "name": wanted.name,
                    "parent": wanted.parent,
                    "level": wanted.level,
                    "year": wanted.year,
                    "depth": self.desired.depth(wanted.idnumber),
                },
                reason=wanted.reason + again,
                source={"level": wanted.level, "code": wanted.code, "year": wanted.year},
            )
        )

    def _compare_category(self, wanted: DesiredCategory, current: MoodleCategory) -> None:
        source = {
            "level": wanted.level,
            "code": wanted.code,
            "year": wanted.year,
            "moodle_id": current.id,
        }
        if not same_label(wanted.name, current.name):
            self.operations.append(
                Operation(
                    CATEGORY_KIND,
                    Action.RENAME,
                    wanted.idnumber,
                    wanted.name,
                    before={"name": current.name},
                    after={"name": wanted.name},
                    reason=f"the label of {LEVEL_NAMES[wanted.level]} {wanted.code} changed "
                    "in Apogée",
                    source=source,
                )
            )
        parent = self._current_parent(current)
        if parent != wanted.parent:
            self.operations.append(
                Operation(
                    CATEGORY_KIND,
                    Action.MOVE,
                    wanted.idnumber,
                    wanted.name,
                    before={"parent": parent},
                    after={"parent": wanted.parent},
                    reason=f"{wanted.reason}; it now belongs under "
                    f"{wanted.parent or 'the root of the tree'}",
                    source=source,
                )
            )

    def _category_collision(self, wanted: DesiredCategory, other: MoodleCategory) -> None:
        self.blocked[wanted.idnumber] = wanted.idnumber
        self.stats["category_collisions"] += 1
        self.notices.append(
            Notice(
                "category_collision",
                wanted.idnumber,
                f"category {wanted.idnumber} ({wanted.name}) cannot be created: Moodle category "
                f"#{other.id} ({other.name}) has this idnumber and was not created by jonction. "
                "It is left untouched, and what would go under it waits. Change its idnumber "
                "in Moodle, or hand it over with: jonction adopt --category "
                f"{wanted.idnumber}",
                severity="error",
                data={
                    "wanted": {"idnumber": wanted.idnumber, "name": wanted.name},
                    "moodle": {"id": other.id, "idnumber": other.idnumber, "name": other.name},
                },
            )
        )

    def unused_categories(self) -> None:
        for key, record in sorted(self.known.category_records.items()):
            if key in self.desired.categories or record.moodle_id not in self.known.categories:
                continue
            if record.year and record.year not in self.desired.years:
                continue
            self.notices.append(
                Notice(
                    "category_unused",
                    key,
                    f"category {key} ({record.name}) no longer holds any course of the "
                    "catalogue; it is left as it is",
                    severity="info",
                    data={"moodle_id": record.moodle_id},
                )
            )

    # Courses --------------------------------------------------------------------------------

    def courses(self) -> None:
        by_idnumber: dict[str, MoodleCourse] = {}
        for course in sorted(self.known.courses.values(), key=lambda c: c.id):
            if course.idnumber:
                by_idnumber.setdefault(course.idnumber, course)
            self.by_shortname.setdefault(comparable(course.shortname), course)
        self.owner = {
            record.moodle_id: key
            for key, record in self.known.course_records.items()
            if record.moodle_id is not None
        }
        by_shortname, owner = self.by_shortname, self.owner
        waiting: Counter[str] = Counter()
        for key in sorted(self.desired.courses):
            wanted = self.desired.courses[key]
            current = self.known.course_of(key)
            if current is not None:
                self._compare_course(wanted, current, self.known.course_records[key])
                continue
            others = [
                course
                for course in (by_idnumber.get(key), by_shortname.get(comparable(wanted.shortname)))
                if course is not None
            ]
            if others:
                self._course_collision(wanted, others[0], owner.get(others[0].id))
                continue
            if wanted.category in self.blocked:
                waiting[self.blocked[wanted.category]] += 1
                continue
            self._create_course(wanted)
        for category, count in sorted(waiting.items()):
            self.notices.append(
                Notice(
                    "courses_waiting",
                    category,
                    f"{count} course(s) are not created while category {category} collides "
                    "with a category jonction did not create",
                    data={"courses": count},
                )
            )

    def _course_source(self, wanted: DesiredCourse, moodle_id: int | None = None) -> dict[str, Any]:
        source: dict[str, Any] = {
            "table": "ELEMENT_PEDAGOGI",
            "element": wanted.element,
            "year": wanted.year,
            "etapes": wanted.etape_codes,
            "primary": str(wanted.placement.etape),
            "rule": wanted.placement.criterion,
            "modality": str(wanted.modality),
            "foad_managed": wanted.foad_managed,
        }
        if moodle_id is not None:
            source["moodle_id"] = moodle_id
        return source

    def _create_course(self, wanted: DesiredCourse) -> None:
        again = ""
        if wanted.idnumber in self.known.course_records:
            again = " (it was deleted in Moodle)"
        self.operations.append(
            Operation(
                COURSE_KIND,
                Action.CREATE,
                wanted.idnumber,
                wanted.fullname,
                after={
                    "idnumber": wanted.idnumber,
                    "shortname": wanted.shortname,
                    "fullname": wanted.fullname,
                    "category": wanted.category,
                    "summary": wanted.summary,
                    "visible": wanted.visible,
                    "startdate": wanted.startdate,
                    "enddate": wanted.enddate,
                    "year": wanted.year,
                    "element": wanted.element,
                    "composante": wanted.composante,
                    "etape": str(wanted.placement.etape),
                    "etapes": wanted.etape_codes,
                },
                reason=course_reason(wanted) + again,
                source=self._course_source(wanted),
                scope=wanted.composante,
            )
        )

    def _course_collision(
        self, wanted: DesiredCourse, other: MoodleCourse, managed_as: str | None
    ) -> None:
        self.stats["course_collisions"] += 1
        same = []
        if other.idnumber == wanted.idnumber:
            same.append(f"idnumber {wanted.idnumber}")
        if comparable(other.shortname) == comparable(wanted.shortname):
            same.append(f"shortname {wanted.shortname}")
        if managed_as is not None:
            owner = f"is managed by jonction as {managed_as}"
            advice = "Check [policy] course_shortname and course_idnumber."
        else:
            owner = "was not created by jonction"
            advice = f"It is left untouched. To hand it over to jonction: jonction adopt {other.id}"
        self.notices.append(
            Notice(
                "course_collision",
                wanted.idnumber,
                f"course {wanted.idnumber} ({wanted.fullname}) cannot be created: Moodle course "
                f"#{other.id} ({other.fullname}) has its {' and '.join(same)} and {owner}. "
                f"{advice}",
                severity="warning",
                data={
                    "wanted": {
                        "idnumber": wanted.idnumber,
                        "shortname": wanted.shortname,
                        "fullname": wanted.fullname,
                        "category": wanted.category,
                        "element": wanted.element,
                        "year": wanted.year,
                    },
                    "moodle": _course_side(other, self.known.categories),
                    "managed_as": managed_as,
                },
            )
        )

    def _compare_course(
        self, wanted: DesiredCourse, current: MoodleCourse, record: CourseRecord
    ) -> None:
        key = wanted.idnumber
        source = self._course_source(wanted, current.id)

        def add(action: Action, before: dict[str, Any], after: dict[str, Any], why: str) -> None:
            self.operations.append(
                Operation(
                    COURSE_KIND,
                    action,
                    key,
                    wanted.fullname,
                    before=before,
                    after=after,
                    reason=why,
                    source=source,
                    scope=wanted.composante,
                )
            )

        renamed_before: dict[str, Any] = {}
        renamed_after: dict[str, Any] = {}
        if not same_label(wanted.fullname, current.fullname):
            renamed_before["fullname"], renamed_after["fullname"] = (
                current.fullname,
                wanted.fullname,
            )
        if comparable(wanted.shortname) != comparable(current.shortname):
            holder = self.by_shortname.get(comparable(wanted.shortname))
            if holder is not None and holder.id != current.id:
                self._course_collision(wanted, holder, self.owner.get(holder.id))
            else:
                renamed_before["shortname"] = current.shortname
                renamed_after["shortname"] = wanted.shortname
        if renamed_after:
            add(
                Action.RENAME,
                renamed_before,
                renamed_after,
                f"the label of element {wanted.element} changed in Apogée (LIB_ELP), or the "
                "naming templates did",
            )
        updated_before: dict[str, Any] = {}
        updated_after: dict[str, Any] = {}
        reasons: list[str] = []
        if current.idnumber != key:
            updated_before["idnumber"], updated_after["idnumber"] = current.idnumber, key
            reasons.append("the course was handed over to jonction: it takes jonction's idnumber")
        self._summary(wanted, current, record, updated_before, updated_after, reasons)
        if record.obsolete_since is not None:
            updated_before["obsolete_since"] = record.obsolete_since
            updated_after["obsolete_since"] = None
            reasons.append(f"element {wanted.element} is back in the catalogue of {wanted.year}")
        self._placement(wanted, current, record, add, updated_before, updated_after, reasons)
        if updated_after:
            add(Action.UPDATE, updated_before, updated_after, "; ".join(reasons))
        if record.hidden_by_jonction and not current.visible:
            add(
                Action.SHOW,
                {"visible": False},
                {"visible": True, "hidden_by_jonction": False, "hidden_on": None},
                f"element {wanted.element} is back in the catalogue of {wanted.year}; jonction "
                "had hidden its course",
            )

    def _summary(
        self,
        wanted: DesiredCourse,
        current: MoodleCourse,
        record: CourseRecord,
        before: dict[str, Any],
        after: dict[str, Any],
        reasons: list[str],
    ) -> None:
        if record.summary_frozen:
            return
        if comparable_summary(wanted.summary) == comparable_summary(record.summary):
            return
        if current.summary is not None:
            shown = comparable_summary(current.summary)
            if shown and shown != comparable_summary(record.summary):
                before["summary_frozen"], after["summary_frozen"] = False, True
                reasons.append(
                    "its summary was rewritten in Moodle: jonction no longer updates it "
                    f"(étapes now: {', '.join(wanted.etape_codes)})"
                )
                return
        before["summary"], after["summary"] = record.summary, wanted.summary
        before["etapes"], after["etapes"] = record.etapes, wanted.etape_codes
        reasons.append(_summary_reason(wanted, record))

    def _placement(
        self,
        wanted: DesiredCourse,
        current: MoodleCourse,
        record: CourseRecord,
        add: Any,
        before: dict[str, Any],
        after: dict[str, Any],
        reasons: list[str],
    ) -> None:
        placement = wanted.placement
        if placement.criterion == "kept" and placement.winner != placement.etape:
            self.stats["placements_kept"] += 1
        if wanted.category in self.blocked:
            return  # wait until the colliding category is sorted out; don't move
        target = self.known.category_id(wanted.category)
        if target != current.category:
            category = self.known.categories.get(current.category)
            add(
                Action.MOVE,
                {
                    "category": category.idnumber if category else f"#{current.category}",
                    "etape": str(record.etape) if record.etape else None,
                },
                {"category": wanted.category, "etape": str(placement.etape)},
                f"placed under {placement.etape}: {placement.reason}",
            )
            return
        if record.etape != placement.etape:
            before["etape"] = str(record.etape) if record.etape else None
            after["etape"] = str(placement.etape)
            reasons.append(f"its primary parent is now {placement.etape}: {placement.reason}")

    # Obsolete courses -----------------------------------------------------------------------

    def obsolete(self) -> None:
        years = self.desired.years
        latest = max(years) if years else ""
        for key, record in sorted(self.known.course_records.items()):
            if key in self.desired.courses:
                continue
            current = self.known.course_of(key)
            if current is None:
                continue
            managed_year = record.year in years
            if managed_year and record.obsolete_since is None:
                self.operations.append(
                    Operation(
                        COURSE_KIND,
                        Action.UPDATE,
                        key,
                        current.fullname,
                        before={"obsolete_since": None},
                        after={"obsolete_since": self.known.today},
                        reason=f"element {record.element} left the catalogue of {record.year}: "
                        "the course is kept as it is and marked obsolete "
                        f"([policy] obsolete_courses = {self.policy.obsolete_courses})",
                        source={
                            "element": record.element,
                            "year": record.year,
                            "moodle_id": current.id,
                        },
                        scope=record.composante,
                    )
                )
            if managed_year or record.obsolete_since is not None:
                self.stats["courses_obsolete"] += 1
            if self._hide_now(record, managed_year, latest) and current.visible:
                self.operations.append(
                    Operation(
                        COURSE_KIND,
                        Action.HIDE,
                        key,
                        current.fullname,
                        before={"visible": True},
                        after={
                            "visible": False,
                            "hidden_by_jonction": True,
                            "hidden_on": self.known.today,
                        },
                        reason=f"element {record.element} left the catalogue of {record.year} "
                        f"(obsolete since {record.obsolete_since or self.known.today}); "
                        + (
                            f"hidden at the rollover to {latest}"
                            if not managed_year
                            else "hidden at once ([policy] obsolete_courses = hide)"
                        ),
                        source={
                            "element": record.element,
                            "year": record.year,
                            "moodle_id": current.id,
                        },
                        scope=record.composante,
                    )
                )

    def _hide_now(self, record: CourseRecord, managed_year: bool, latest: str) -> bool:
        if record.hidden_by_jonction or self.policy.obsolete_courses == "keep":
            return False
        if self.policy.obsolete_courses == "hide":
            return managed_year or record.obsolete_since is not None
        # hide_at_rollover: a course marked obsolete during its year, once a later year is managed
        return (
            not managed_year
            and record.obsolete_since is not None
            and bool(latest)
            and record.year < latest
        )

    # Objects a stopped run created --------------------------------------------------------

    def recoveries(self) -> None:
        """Records the objects a stopped run created without recording them (found through
        its write-ahead intents): no Moodle write; from now on they are managed."""
        for key, category in sorted(self.known.recovered_categories.items()):
            self.stats["categories_recovered"] += 1
            self.operations.append(
                recovery_operation(
                    CATEGORY_KIND, key, category.found.name, category, "category", "idnumber"
                )
            )
        for key, course in sorted(self.known.recovered_courses.items()):
            self.stats["courses_recovered"] += 1
            self.operations.append(
                recovery_operation(
                    COURSE_KIND,
                    key,
                    course.found.fullname,
                    course,
                    "course",
                    "idnumber and shortname",
                )
            )

    # The plan -------------------------------------------------------------------------------

    def blockers(self) -> list[str]:
        """A year whose catalogue came out empty while jonction manages its courses: REFER
        is more likely truncated than the university closed."""
        found: list[str] = []
        managed = Counter(record.year for record in self.known.course_records.values())
        wanted = Counter(course.year for course in self.desired.courses.values())
        for year in self.desired.years:
            if managed[year] and not wanted[year]:
                found.append(
                    f"the catalogue of {year} has no course while jonction manages "
                    f"{managed[year]} courses of that year: check REFER (jonction run refer) "
                    "before marking them all obsolete"
                )
        return found

    def plan(self) -> Plan:
        self.recoveries()
        self.categories()
        self.unused_categories()
        self.courses()
        self.obsolete()
        by_scope: dict[str, int] = defaultdict(int)
        for record in self.known.course_records.values():
            by_scope[record.composante] += 1
        stats = {
            "categories_wanted": len(self.desired.categories),
            "courses_wanted": len(self.desired.courses),
            "courses_shared": sum(1 for c in self.desired.courses.values() if len(c.etapes) > 1),
            "courses_foad_managed": sum(1 for c in self.desired.courses.values() if c.foad_managed),
            "categories_managed": len(self.known.category_records),
            "courses_managed": len(self.known.course_records),
            **self.stats,
        }
        return Plan(
            STEP,
            blockers=self.blockers(),
            operations=self.operations,
            notices=self.notices,
            existing={
                CATEGORY_KIND: len(self.known.category_records),
                COURSE_KIND: len(self.known.course_records),
            },
            existing_by_scope={COURSE_KIND: dict(by_scope)},
            basis=basis(self.known),
            stats=stats,
        )


def _summary_reason(wanted: DesiredCourse, record: CourseRecord) -> str:
    """Why the summary changes: étapes gained or lost, or labels it shows."""
    if record.etapes is not None and list(record.etapes) != wanted.etape_codes:
        gained = [e for e in wanted.etape_codes if e not in record.etapes]
        lost = [e for e in record.etapes if e not in wanted.etape_codes]
        parts = []
        if gained:
            parts.append(f"now also under {', '.join(gained)}")
        if lost:
            parts.append(f"no longer under {', '.join(lost)}")
        return f"element {wanted.element} is {' and '.join(parts)}: its summary lists its étapes"
    return (
        f"the labels its summary shows changed in Apogée (element {wanted.element}, étapes "
        f"{', '.join(wanted.etape_codes)})"
    )


def basis(known: KnownCatalogue) -> str:
    """A fingerprint of the known state (a saved plan computed on another state is refused)."""
    items: list[Iterable[Any]] = [
        sorted((c.id, c.idnumber, c.name, c.parent) for c in known.categories.values()),
        sorted(
            (c.id, c.idnumber, c.shortname, c.fullname, c.category, c.visible)
            for c in known.courses.values()
        ),
        sorted(
            (r.key, r.moodle_id, r.etape and str(r.etape)) for r in known.course_records.values()
        ),
        sorted((r.key, r.moodle_id) for r in known.category_records.values()),
    ]
    return fingerprint(items)


def determine_actions(desired: Catalogue, known: KnownCatalogue, policy: PolicySection) -> Plan:
    """The operations that bring Moodle's catalogue to `desired`, with notices. Pure."""
    return _Planner(desired, known, policy).plan()


def stale_courses(plan: Plan, known: KnownCatalogue) -> set[int]:
    """Moodle ids of courses the plan would change but that were not read tonight: the step
    reads them (in bulk) and plans again, so that no change rests on a stale record."""
    ids: set[int] = set()
    for op in plan.operations:
        moodle_id = op.source.get("moodle_id")
        if op.kind != COURSE_KIND or moodle_id is None:
            continue
        if op.action is Action.UPDATE and not MOODLE_COURSE_FIELDS & set(op.after or {}):
            continue  # changes only jonction's own record
        course = known.courses.get(int(moodle_id))
        if course is not None and not course.fresh:
            ids.add(course.id)
    return ids
