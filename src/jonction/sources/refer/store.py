"""Reading REFER: the schema's migrations, the snapshot of a year, small queries.

`load_snapshot` is on the path of every step that reads REFER, so it reads each table with one
plain query and shares the repeated values (étape keys, element codes, student numbers) between
the objects it builds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ...config import Settings
from ...db import make_engine
from ...domain.refer_model import (
    AdminRegistration,
    Composante,
    Diplome,
    DiplomeKey,
    Element,
    Etape,
    EtapeKey,
    Exclusion,
    Group,
    GroupMembership,
    ParentLink,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
    TeachingCharge,
)
from ...migrations import upgrade
from . import schema
from .fetch import stream_tuples
from .rows import SPECS, Key, TableSpec, Values

MIGRATIONS = "jonction.sources.refer:migrations"
VERSION_TABLE = "jonction_refer_version"
FETCH = 20_000


class ReferYearMissing(LookupError):
    """REFER holds nothing for the asked year: the `refer` step never refreshed it."""


def ensure_schema(engine: Engine) -> None:
    """Creates or upgrades REFER's tables; a no-op when they are current."""
    upgrade(MIGRATIONS, engine, VERSION_TABLE)


def open_refer(settings: Settings) -> Engine:
    """The engine of `[refer] url`, its schema brought up to date."""
    engine = make_engine(settings.refer.url, password=settings.refer.password)
    ensure_schema(engine)
    return engine


def refer_years(engine: Engine) -> list[str]:
    """The academic years REFER holds, oldest first."""
    with engine.connect() as connection:
        return sorted(connection.execute(select(schema.refer_year.c.year)).scalars())


def _stream(connection: Connection, query: Any) -> Iterator[Any]:
    """The rows of `query`, fetched in batches (much cheaper than row by row)."""
    result = connection.execute(query.execution_options(yield_per=FETCH))
    return chain.from_iterable(result.partitions())


def read_rows(
    connection: Connection,
    spec: TableSpec,
    year: str,
    low: int | None = None,
    high: int | None = None,
) -> Iterator[tuple[Key, Values]]:
    """Streams one table's rows of a year as (key, values); `low`/`high` bound the first key
    column (low ≤ value < high) of the tables compared by slices of students."""
    table = spec.table
    columns = [table.c[name] for name in spec.columns]
    conditions = [table.c.year == year]
    first = table.c[spec.key[0]]
    if low is not None:
        conditions.append(first >= low)
    if high is not None:
        conditions.append(first < high)
    size = len(spec.key)
    query = select(*columns).where(*conditions)
    if not spec.values:
        # Key-only tables hold plain integers and strings: the driver's tuples are the keys.
        return ((row, ()) for row in stream_tuples(connection, query))
    return ((tuple(row[:size]), tuple(row[size:])) for row in _stream(connection, query))


def source_counts(connection: Connection, year: str) -> dict[str, int]:
    """Rows read from each source table when `year` was last refreshed."""
    table = schema.refer_source_count
    query = select(table.c.source, table.c.rows).where(table.c.year == year)
    return {source: rows for source, rows in connection.execute(query)}


def table_counts(connection: Connection, year: str) -> dict[str, int]:
    """How many rows each REFER table holds for `year`."""
    counts: dict[str, int] = {}
    for spec in SPECS:
        query = select(func.count()).select_from(spec.table).where(spec.table.c.year == year)
        counts[spec.name] = int(connection.execute(query).scalar_one())
    return counts


def _select(connection: Connection, table: Any, year: str, *names: str) -> Iterator[Any]:
    columns = [table.c[name] for name in names]
    return _stream(connection, select(*columns).where(table.c.year == year))


def load_snapshot(engine: Engine, year: str, *, exclusions: bool = True) -> ReferSnapshot:
    """Everything REFER holds for `year`; `exclusions=False` skips the rows left out.

    Raises ReferYearMissing when the year was never refreshed.
    """
    intern = sys.intern
    with engine.connect() as c:
        known = c.execute(
            select(schema.refer_year.c.year).where(schema.refer_year.c.year == year)
        ).first()
        if known is None:
            held = ", ".join(refer_years(engine)) or "none"
            raise ReferYearMissing(
                f"REFER holds no data for {year} (years held: {held}); "
                "run `jonction run refer` with this year in [apogee] years"
            )
        snap = ReferSnapshot(year=year)
        etapes: dict[tuple[str, int], EtapeKey] = {}

        def etape(code: str, version: int) -> EtapeKey:
            found = etapes.get((code, version))
            if found is None:
                found = etapes[(code, version)] = EtapeKey(intern(code), version)
            return found

        for code, label, kind in _select(c, schema.refer_composante, year, "code", "label", "kind"):
            snap.composantes[code] = Composante(code, label, kind)
        for code, version, label, cmp in _select(
            c, schema.refer_diplome, year, "code", "version", "label", "composante"
        ):
            dip = DiplomeKey(code, version)
            snap.diplomes[dip] = Diplome(dip, label, cmp)
        diplomes: dict[EtapeKey, list[DiplomeKey]] = {}
        for e_code, e_version, d_code, d_version in _select(
            c,
            schema.refer_etape_diplome,
            year,
            "etape_code",
            "etape_version",
            "diplome_code",
            "diplome_version",
        ):
            diplomes.setdefault(etape(e_code, e_version), []).append(DiplomeKey(d_code, d_version))
        for code, version, label, cmp, foad in _select(
            c,
            schema.refer_etape,
            year,
            "etape_code",
            "etape_version",
            "label",
            "composante",
            "foad",
        ):
            key = etape(code, version)
            snap.etapes[key] = Etape(
                key, label, cmp, bool(foad), tuple(sorted(diplomes.get(key, ())))
            )
        for code, label, short, long, nature, cmp, period, credits in _select(
            c,
            schema.refer_element,
            year,
            "code",
            "label",
            "short_label",
            "long_label",
            "nature",
            "composante",
            "period",
            "credits",
        ):
            code = intern(code)
            snap.elements[code] = Element(code, label, short, long, nature, cmp, period, credits)
        elements = snap.elements

        def element(code: str) -> str:
            # Share the element strings of the catalogue rather than one copy per row.
            return elements[code].code if code in elements else intern(code)

        snap.links = [
            ParentLink(etape(e_code, e_version), element(elp), element(parent) or None, lse)
            for e_code, e_version, elp, parent, lse in _select(
                c,
                schema.refer_link,
                year,
                "etape_code",
                "etape_version",
                "element",
                "parent",
                "list_code",
            )
        ]
        snap.charges = [
            TeachingCharge(element(elp), etape(e_code, e_version))
            for elp, e_code, e_version in _select(
                c, schema.refer_charge, year, "element", "etape_code", "etape_version"
            )
        ]
        for cod_ind, cod_etu, last, first in _select(
            c, schema.refer_student, year, "cod_ind", "cod_etu", "last_name", "first_name"
        ):
            snap.students[cod_ind] = Student(cod_ind, cod_etu, last, first)
        for cod_ind, cod_etu, last, first in _select(
            c, schema.refer_person_left_out, year, "cod_ind", "cod_etu", "last_name", "first_name"
        ):
            snap.people_left_out[cod_ind] = Student(cod_ind, cod_etu, last, first)
        # One int object per student, shared by all of the student's rows.
        individuals = {cod_ind: cod_ind for cod_ind in snap.students}

        def individual(cod_ind: int) -> int:
            return individuals.setdefault(cod_ind, cod_ind)

        snap.admin_registrations = [
            AdminRegistration(
                individual(cod_ind),
                etape(e_code, e_version),
                DiplomeKey(d_code, d_version),
                cmp,
                bool(main),
            )
            for cod_ind, e_code, e_version, d_code, d_version, cmp, main in _select(
                c,
                schema.refer_admin_registration,
                year,
                "cod_ind",
                "etape_code",
                "etape_version",
                "diplome_code",
                "diplome_version",
                "composante",
                "main",
            )
        ]
        snap.pedagogical_registrations = _pedagogical_registrations(
            c, year, individuals, etapes, {code: e.code for code, e in elements.items()}
        )
        for code, ext, label, kind, elp, e_code, e_version, parent in _select(
            c,
            schema.refer_group,
            year,
            "code",
            "ext_code",
            "label",
            "kind",
            "element",
            "etape_code",
            "etape_version",
            "parent",
        ):
            snap.groups[code] = Group(
                code,
                ext,
                label,
                kind,
                element(elp) if elp is not None else None,
                etape(e_code, e_version) if e_code is not None else None,
                parent,
            )
        table = schema.refer_group_membership
        snap.memberships = [
            GroupMembership(individual(cod_ind), group)
            for cod_ind, group in stream_tuples(
                c, select(table.c.cod_ind, table.c.group_code).where(table.c.year == year)
            )
        ]
        if exclusions:
            snap.exclusions = list(_exclusions(c, year))
    return snap


def _pedagogical_registrations(
    connection: Connection,
    year: str,
    individuals: dict[int, int],
    etapes: dict[tuple[str, int], EtapeKey],
    codes: dict[str, str],
) -> list[PedagogicalRegistration]:
    """The largest table (tens of rows per student), read with as little work per row as
    possible: driver tuples, and the student's objects reused from one row to the next (rows
    come grouped by student, the first column of the key)."""
    table = schema.refer_pedagogical_registration
    query = select(table.c.cod_ind, table.c.etape_code, table.c.etape_version, table.c.element)
    registrations: list[PedagogicalRegistration] = []
    append = registrations.append
    registration = PedagogicalRegistration
    get_code = codes.get
    last_ind, shared_ind = None, 0
    last_etape: tuple[str, int] | None = None
    shared_etape = EtapeKey("", 0)
    for cod_ind, e_code, e_version, elp in stream_tuples(
        connection, query.where(table.c.year == year)
    ):
        if cod_ind != last_ind:
            last_ind = cod_ind
            shared_ind = individuals.setdefault(cod_ind, cod_ind)
        if (e_code, e_version) != last_etape:
            last_etape = (e_code, e_version)
            found = etapes.get(last_etape)
            if found is None:
                found = etapes[last_etape] = EtapeKey(sys.intern(e_code), e_version)
            shared_etape = found
        append(registration(shared_ind, shared_etape, get_code(elp) or sys.intern(elp)))
    return registrations


def _exclusions(connection: Connection, year: str, *conditions: Any) -> Iterator[Exclusion]:
    table = schema.refer_exclusion
    names = ("kind", "key", "reason", "detail", "cod_ind", "element", "etape_code", "etape_version")
    query = select(*[table.c[name] for name in names]).where(table.c.year == year, *conditions)
    for kind, key, reason, detail, cod_ind, elp, e_code, e_version in connection.execute(query):
        etape = EtapeKey(e_code, e_version) if e_code is not None else None
        yield Exclusion(kind, key, reason, detail, cod_ind, elp, etape)


def exclusions_for(
    engine: Engine, year: str, *, cod_ind: int | None = None, element: str | None = None
) -> list[Exclusion]:
    """What the `refer` step left out about one student and/or one element, and why."""
    table = schema.refer_exclusion
    conditions: list[Any] = []
    if cod_ind is not None:
        conditions.append(table.c.cod_ind == cod_ind)
    if element is not None:
        conditions.append(table.c.element == element)
    with engine.connect() as connection:
        return list(_exclusions(connection, year, *conditions))
