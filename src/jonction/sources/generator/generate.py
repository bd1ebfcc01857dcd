"""`generate`: the whole synthetic university, written to a database, an LDIF and ADE files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from sqlalchemy.engine import make_url

from ...config import current_academic_year
from ...db import make_engine
from ..apogee import schema as s
from . import dirt
from .ade import DEFAULT_WEEKS, build_timetable, write_timetable
from .apogee_rows import catalogue_rows, group_rows, individu_row
from .apogee_writer import Inserter, prepare
from .catalogue import CatalogueBuilder
from .census import Census, take_census
from .directory import build_directory, write_ldif
from .graph import Graph
from .model import stream, year_date
from .population import (
    RegistrationStream,
    build_groups,
    build_students,
    build_teachers,
)

# The demo's university: small, yet every dirt case has at least one instance.
SMALL_PRESET = 300


@dataclass(slots=True)
class GenerationSummary:
    """What was written, counted from the database and the files."""

    url: str
    year: str
    seed: int
    requested_students: int
    ldif: Path
    ade: Path
    seconds: float
    students: int
    iae: int
    iae_per_student: float
    ip_rows: int
    ip_per_student: float
    etapes: int
    foad_etapes: int
    elements_total: int
    elements_open: int
    course_elements_open: int
    multi_parent_course_elements: int
    groups_element: int
    groups_etape: int
    memberships: int
    teachers: int
    ldap_entries: int
    ade_events: int
    ade_resources: int
    figures: dict[str, int] = field(default_factory=dict)  # every count of the census
    dirt: dict[str, int] = field(default_factory=dict)  # every dirt case and its count

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs for printing."""
        pairs = [
            ("year", self.year),
            ("students", f"{self.students:,}"),
            ("IAE (per student)", f"{self.iae:,} ({self.iae_per_student})"),
            ("IP rows (per student)", f"{self.ip_rows:,} ({self.ip_per_student})"),
            ("étapes offered (FOAD)", f"{self.etapes:,} ({self.foad_etapes})"),
            ("elements total / open", f"{self.elements_total:,} / {self.elements_open:,}"),
            ("course-bearing open elements", f"{self.course_elements_open:,}"),
            ("multi-parent course elements", f"{self.multi_parent_course_elements:,}"),
            ("groups on elements / étapes", f"{self.groups_element:,} / {self.groups_etape:,}"),
            ("group memberships", f"{self.memberships:,}"),
            ("teachers", f"{self.teachers:,}"),
            ("LDAP entries", f"{self.ldap_entries:,}"),
            ("ADE resources / events", f"{self.ade_resources:,} / {self.ade_events:,}"),
        ]
        return pairs


def default_paths(url: str, ldif: Path | None, ade: Path | None) -> tuple[Path, Path]:
    """LDIF and ADE folder beside an SQLite file, else under var/ named after the database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        stem = Path(str(parsed.database)).with_suffix("")
    else:
        stem = Path("var") / (parsed.database or "apogee")
    return (
        ldif if ldif is not None else stem.with_name(stem.name + ".ldif"),
        ade if ade is not None else stem.with_name(stem.name + "-ade"),
    )


def generate(
    url: str,
    students: int,
    seed: int,
    year: str | None = None,
    ldif: Path | None = None,
    ade: Path | None = None,
    *,
    replace: bool = False,
    cycle: bool = True,
    ade_weeks: tuple[int, int] = DEFAULT_WEEKS,
) -> GenerationSummary:
    """Writes the university of `students` students for `seed` and returns its figures.

    Raises `DatabaseNotEmpty` when the database already holds Apogée rows and not `replace`.
    """
    if students < 1:
        raise ValueError("the number of students must be at least 1")
    started = perf_counter()
    year = year or current_academic_year()
    ldif_path, ade_path = default_paths(url, ldif, ade)
    builder = CatalogueBuilder(seed, year, students)
    catalogue = builder.build()
    dirt.inject(builder, cycle=cycle)
    graph = Graph.from_catalogue(catalogue)
    offered = [e.key for e in catalogue.etapes if e.offered]
    reach = graph.reach(offered, year_date(year, 10, 1))
    dirt.teaching_load(catalogue, stream(seed, "load"), reach.etapes)
    population = build_students(catalogue, graph, reach.etapes, seed, students)
    build_groups(catalogue, graph, population, seed)
    build_teachers(catalogue, population, seed, students)
    directory = build_directory(catalogue, population, seed)
    timetable = build_timetable(catalogue, population, seed, reach.etapes, ade_weeks)

    engine = make_engine(url)
    try:
        prepare(engine, replace=replace)
        with engine.begin() as connection:
            inserter = Inserter(connection)
            for table, rows in catalogue_rows(catalogue):
                inserter.extend(table, rows)
            for table, rows in group_rows(population):
                inserter.extend(table, rows)
            inserter.flush()
            registrations = RegistrationStream(graph, population.groups, seed, year)
            for student in population.students:
                inserter.add(s.individu, individu_row(student, year))
                produced = registrations.rows(student)
                inserter.extend(s.ins_adm_anu, produced.iaa)
                inserter.extend(s.ins_adm_etp, produced.iae)
                inserter.extend(s.ind_contrat_elp, produced.ip)
                inserter.extend(s.ind_affecte_gpe, produced.memberships)
                for kind, row in registrations.past_rows(student):
                    inserter.add(s.ins_adm_anu if kind == "iaa" else s.ins_adm_etp, row)
            inserter.flush()
        written = write_ldif(directory.entries, ldif_path)
        write_timetable(timetable, ade_path)
        with engine.connect() as connection:
            census = take_census(connection, year)
    finally:
        engine.dispose()
    merged = {**catalogue.dirt, **population.dirt, **directory.dirt, **timetable.dirt}
    merged.update(census.dirt)
    return _summary(
        url,
        year,
        seed,
        students,
        ldif_path,
        ade_path,
        started,
        census,
        merged,
        written,
        len(timetable.events),
        len(timetable.resources),
        len(population.teachers),
    )


def _summary(
    url: str,
    year: str,
    seed: int,
    students: int,
    ldif: Path,
    ade: Path,
    started: float,
    census: Census,
    merged: dict[str, int],
    entries: int,
    events: int,
    resources: int,
    teachers: int,
) -> GenerationSummary:
    c = census.counts
    return GenerationSummary(
        url=make_url(url).render_as_string(hide_password=True),
        year=year,
        seed=seed,
        requested_students=students,
        ldif=ldif,
        ade=ade,
        seconds=round(perf_counter() - started, 1),
        students=c["students"],
        iae=c["iae"],
        iae_per_student=census.ratios["iae_per_student"],
        ip_rows=c["ip_rows"],
        ip_per_student=census.ratios["ip_per_student"],
        etapes=c["etapes"],
        foad_etapes=c["foad_etapes"],
        elements_total=c["elements_total"],
        elements_open=c["elements_open"],
        course_elements_open=c["course_elements_open"],
        multi_parent_course_elements=c["multi_parent_course_elements"],
        groups_element=c["groups_element"],
        groups_etape=c["groups_etape"],
        memberships=c["memberships"],
        teachers=teachers,
        ldap_entries=entries,
        ade_events=events,
        ade_resources=resources,
        figures=dict(sorted(c.items())),
        dirt=dict(sorted(merged.items())),
    )
