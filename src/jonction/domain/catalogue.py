"""The catalogue jonction wants in Moodle: categories and courses, from REFER and the policy.

Categories follow `[policy] category_levels` (by default year / composante / diplôme /
étape). Every offered étape of the year gets a category, under its first diplôme (when the
tree has a diplôme level and the étape belongs to one), whose category sits under the
diplôme's composante; without a diplôme level the étape sits under its own composante. Only
categories that hold something are wanted. Idnumbers come from codes:

    2026:ANU                 the year
    2026:CMP:U01             a composante (COD_CMP)
    2026:VDI:LICMATH:1       a diplôme version (COD_DIP, COD_VRS_VDI)
    2026:VET:L1MATH:1        an étape version (COD_ETP, COD_VRS_VET)

Without a year level, the `2026:` prefix is left out and composante, diplôme and étape
categories are shared by the years.

Courses: one per course-bearing element reachable in the year (see `course_map`), placed in
the category of its primary parent (see `primary_parent`), named by the templates, with a
summary that names every étape it serves.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ..config.policy import CategoryLevel, PolicySection
from .course_map import CourseIdentity, CourseMap, Modality, build_course_map, element_values
from .naming import (
    CATEGORY_IDNUMBER_MAX,
    CATEGORY_NAME_MAX,
    COURSE_FULLNAME_MAX,
    academic_year_values,
    clean_label,
    fit_key,
    fit_label,
    render,
)
from .plan import Notice
from .primary_parent import Candidate, Placement, choose_primary
from .refer_model import DiplomeKey, Etape, EtapeKey, ReferSnapshot

LEVEL_DEPTH: dict[CategoryLevel, int] = {"year": 0, "composante": 1, "diplome": 2, "etape": 3}


@dataclass(frozen=True, slots=True)
class DesiredCategory:
    idnumber: str
    name: str
    parent: str  # idnumber of the parent category; "" for the root of the tree
    level: CategoryLevel
    year: str  # the academic year it was built from (the latest, when shared by years)
    code: str  # COD_ANU, COD_CMP, COD_DIP-version or COD_ETP-version
    reason: str


@dataclass(frozen=True, slots=True)
class DesiredCourse:
    idnumber: str
    shortname: str
    fullname: str
    summary: str
    category: str  # idnumber of its category
    year: str
    element: str
    nature: str
    composante: str
    modality: Modality
    etapes: tuple[EtapeKey, ...]
    foad_managed: bool
    placement: Placement
    startdate: int
    enddate: int
    visible: bool

    @property
    def etape_codes(self) -> list[str]:
        return [str(etape) for etape in self.etapes]


@dataclass(slots=True)
class Catalogue:
    years: tuple[str, ...]
    categories: dict[str, DesiredCategory] = field(default_factory=dict)
    courses: dict[str, DesiredCourse] = field(default_factory=dict)
    course_maps: dict[str, CourseMap] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    def depth(self, idnumber: str) -> int:
        """Levels above the category within the tree (0 for a top category)."""
        depth = 0
        parent = self.categories[idnumber].parent
        while parent:
            depth += 1
            parent = self.categories[parent].parent
        return depth


# Categories -------------------------------------------------------------------------------


def category_idnumber(level: CategoryLevel, year: str, code: str, with_year: bool) -> str:
    parts = {"year": "ANU", "composante": "CMP", "diplome": "VDI", "etape": "VET"}
    if level == "year":
        return f"{year}:ANU"
    key = f"{parts[level]}:{code}"
    return fit_key(f"{year}:{key}" if with_year else key, CATEGORY_IDNUMBER_MAX)


def _category_name(template: str, values: Mapping[str, str]) -> str:
    return fit_label(render(template, values), CATEGORY_NAME_MAX)


class _TreeBuilder:
    """Builds the chain of categories that leads to each étape's category."""

    def __init__(self, snapshot: ReferSnapshot, policy: PolicySection) -> None:
        self.snapshot = snapshot
        self.policy = policy
        self.levels = set(policy.category_levels)
        self.with_year = "year" in self.levels
        self.year_values = academic_year_values(snapshot.year)
        self.categories: dict[str, DesiredCategory] = {}

    def _add(self, category: DesiredCategory) -> str:
        self.categories.setdefault(category.idnumber, category)
        return category.idnumber

    def _year(self) -> str:
        if "year" not in self.levels:
            return ""
        year = self.snapshot.year
        return self._add(
            DesiredCategory(
                category_idnumber("year", year, year, True),
                _category_name(self.policy.year_category_name, self.year_values),
                "",
                "year",
                year,
                year,
                f"academic year {year} is managed ([apogee] years)",
            )
        )

    def _composante(self, code: str) -> str:
        parent = self._year()
        if "composante" not in self.levels:
            return parent
        composante = self.snapshot.composantes.get(code)
        values = {
            **self.year_values,
            "code": code,
            "label": composante.label if composante else code,
        }
        return self._add(
            DesiredCategory(
                category_idnumber("composante", self.snapshot.year, code, self.with_year),
                _category_name(self.policy.composante_category_name, values),
                parent,
                "composante",
                self.snapshot.year,
                code,
                f"composante {code} has offered étapes in {self.snapshot.year}",
            )
        )

    def _diplome(self, key: DiplomeKey, etape: Etape) -> str:
        diplome = self.snapshot.diplomes.get(key)
        parent = self._composante(diplome.composante if diplome else etape.composante)
        values = {
            **self.year_values,
            "code": key.code,
            "version": str(key.version),
            "label": diplome.label if diplome else str(key),
        }
        return self._add(
            DesiredCategory(
                category_idnumber(
                    "diplome", self.snapshot.year, f"{key.code}:{key.version}", self.with_year
                ),
                _category_name(self.policy.diplome_category_name, values),
                parent,
                "diplome",
                self.snapshot.year,
                str(key),
                f"diplôme {key} holds offered étape {etape.key} (VDI_FRACTIONNER_VET)",
            )
        )

    def etape(self, etape: Etape) -> str:
        """The idnumber of the deepest category that holds the étape's courses."""
        if "diplome" in self.levels and etape.diplomes:
            parent = self._diplome(etape.diplomes[0], etape)
        else:
            parent = self._composante(etape.composante)
        if "etape" not in self.levels:
            return parent
        key = etape.key
        values = {
            **self.year_values,
            "code": key.code,
            "version": str(key.version),
            "label": etape.label,
        }
        return self._add(
            DesiredCategory(
                category_idnumber(
                    "etape", self.snapshot.year, f"{key.code}:{key.version}", self.with_year
                ),
                _category_name(self.policy.etape_category_name, values),
                parent,
                "etape",
                self.snapshot.year,
                str(key),
                f"étape {key} is offered in {self.snapshot.year} (VDI_FRACTIONNER_VET)",
            )
        )


# Courses ----------------------------------------------------------------------------------


def _timestamp(year: int, month_day: str, zone: str) -> int:
    if not month_day:
        return 0
    month, day = (int(part) for part in month_day.split("-"))
    return int(datetime(year, month, day, tzinfo=ZoneInfo(zone)).timestamp())


def course_fullname(course: CourseIdentity, policy: PolicySection) -> str:
    base = render(policy.course_fullname, element_values(course.element, course.year))
    if course.modality is not Modality.FOAD:
        return fit_label(base, COURSE_FULLNAME_MAX)
    suffix = f" ({policy.foad_suffix})"
    return fit_label(base, COURSE_FULLNAME_MAX - len(suffix)) + suffix


def course_summary(course: CourseIdentity, snapshot: ReferSnapshot) -> str:
    """An HTML summary naming the element and every étape whose students it serves."""
    element = course.element
    year = academic_year_values(course.year)
    lines = [
        f"<p>{html.escape(clean_label(element.label))} — {html.escape(element.code)} "
        f"({html.escape(element.nature)}), {year['year']}-{year['next_year']}.</p>",
        "<p>Étapes :</p>",
        "<ul>",
    ]
    for key in course.etapes:
        etape = snapshot.etapes[key]
        foad = " (FOAD)" if etape.foad else ""
        lines.append(
            f"<li>{html.escape(str(key))} {html.escape(clean_label(etape.label))}{foad}</li>"
        )
    lines.append("</ul>")
    return "\n".join(lines)


def student_counts(
    snapshot: ReferSnapshot, elements: set[str] | None = None
) -> Counter[tuple[str, EtapeKey]]:
    """Students registered to each element through each étape (IND_CONTRAT_ELP); only for
    `elements` when given (the shared ones: the others have one candidate)."""
    registrations = snapshot.pedagogical_registrations
    if elements is None:
        return Counter((ip.element, ip.etape) for ip in registrations)
    return Counter((ip.element, ip.etape) for ip in registrations if ip.element in elements)


def _candidates(
    course: CourseIdentity,
    snapshot: ReferSnapshot,
    charges: Mapping[str, set[EtapeKey]],
    counts: Mapping[tuple[str, EtapeKey], int],
) -> list[Candidate]:
    code = course.element.code
    return [
        Candidate(
            etape=key,
            charge=key in charges.get(code, set()),
            same_composante=snapshot.etapes[key].composante == course.element.composante,
            students=counts.get((code, key), 0),
        )
        for key in course.etapes
    ]


def year_catalogue(
    snapshot: ReferSnapshot,
    policy: PolicySection,
    placed: Mapping[str, EtapeKey],
) -> Catalogue:
    """The catalogue of one academic year. `placed` gives, by course idnumber, the étape under
    which each existing course was placed before (for the stability of the primary parent)."""
    catalogue = Catalogue((snapshot.year,))
    tree = _TreeBuilder(snapshot, policy)
    holder = {key: tree.etape(etape) for key, etape in sorted(snapshot.etapes.items())}
    catalogue.categories = tree.categories
    course_map = build_course_map(snapshot, policy)
    catalogue.course_maps[snapshot.year] = course_map
    charges: dict[str, set[EtapeKey]] = defaultdict(set)
    for charge in snapshot.charges:
        charges[charge.element].add(charge.etape)
    shared = {
        course.element.code for course in course_map.courses.values() if len(course.etapes) > 1
    }
    counts = student_counts(snapshot, shared)
    year = int(snapshot.year)
    start = _timestamp(year, policy.course_start, policy.timezone)
    end = _timestamp(year + 1, policy.course_end, policy.timezone)
    for idnumber, course in course_map.courses.items():
        candidates = _candidates(course, snapshot, charges, counts)
        placement = choose_primary(
            candidates,
            policy.primary_parent_rule,
            policy.primary_parent_margin,
            placed.get(idnumber),
        )
        catalogue.courses[idnumber] = DesiredCourse(
            idnumber=idnumber,
            shortname=course.shortname,
            fullname=course_fullname(course, policy),
            summary=course_summary(course, snapshot),
            category=holder[placement.etape],
            year=snapshot.year,
            element=course.element.code,
            nature=course.element.nature,
            composante=course.element.composante,
            modality=course.modality,
            etapes=course.etapes,
            foad_managed=course.foad_managed,
            placement=placement,
            startdate=start,
            enddate=end,
            visible=policy.new_courses_visible,
        )
    return catalogue


def _wanted_categories(catalogue: Catalogue) -> None:
    """Keeps only the categories that hold a course or lead to one."""
    wanted: set[str] = set()
    for course in catalogue.courses.values():
        idnumber = course.category
        while idnumber and idnumber not in wanted:
            wanted.add(idnumber)
            idnumber = catalogue.categories[idnumber].parent
    catalogue.categories = {k: v for k, v in catalogue.categories.items() if k in wanted}


def _check_crowding(catalogue: Catalogue, limit: int) -> None:
    crowded = Counter(course.category for course in catalogue.courses.values())
    for idnumber, count in sorted(crowded.items()):
        if count > limit:
            catalogue.notices.append(
                Notice(
                    "category_crowded",
                    idnumber,
                    f"category {idnumber} would hold {count} courses (more than "
                    f"[policy] crowded_category = {limit}): Moodle creates courses slowly in a "
                    "crowded category; add a level to [policy] category_levels",
                    data={"courses": count},
                )
            )


def _check_shortnames(catalogue: Catalogue) -> None:
    """Two courses may not share a shortname in Moodle: the second is left out, reported."""
    seen: dict[str, str] = {}
    for idnumber in sorted(catalogue.courses):
        course = catalogue.courses[idnumber]
        other = seen.setdefault(course.shortname, idnumber)
        if other != idnumber:
            del catalogue.courses[idnumber]
            course_map = catalogue.course_maps[course.year]
            course_map.courses.pop(idnumber, None)
            routes = course_map.routes
            for route in [r for r, target in routes.items() if target == idnumber]:
                del routes[route]
            catalogue.notices.append(
                Notice(
                    "course_shortname_shared",
                    idnumber,
                    f"courses {other} and {idnumber} would both have the shortname "
                    f"{course.shortname!r}; {idnumber} is left out: change "
                    "[policy] course_shortname",
                    severity="error",
                    data={"shortname": course.shortname, "kept": other},
                )
            )


def desired_catalogue(
    snapshots: Iterable[ReferSnapshot],
    policy: PolicySection,
    placed: Mapping[str, EtapeKey] | None = None,
) -> Catalogue:
    """The whole catalogue of the managed years. A category shared by years (no year level)
    takes the names of the latest year."""
    ordered = sorted(snapshots, key=lambda snapshot: snapshot.year)
    total = Catalogue(tuple(snapshot.year for snapshot in ordered))
    for snapshot in ordered:
        one = year_catalogue(snapshot, policy, placed or {})
        total.categories.update(one.categories)
        total.courses.update(one.courses)
        total.course_maps.update(one.course_maps)
        total.notices.extend(one.notices)
    _check_shortnames(total)
    _wanted_categories(total)
    _check_crowding(total, policy.crowded_category)
    return total


def course_reason(course: DesiredCourse) -> str:
    """Why the course exists and sits where it does, for the plan and the journal."""
    return (
        f"element {course.element} ({course.nature}) is taught in {course.year} through "
        f"étape{'s' if len(course.etapes) > 1 else ''} {', '.join(course.etape_codes)}"
        f"{_MODALITY_NOTE[course.modality]}; placed under {course.placement.etape}: "
        f"{course.placement.reason}"
    )


_MODALITY_NOTE = {
    Modality.SHARED: "",
    Modality.ONSITE: " (its on-site étapes)",
    Modality.FOAD: " (its FOAD étapes)",
}
