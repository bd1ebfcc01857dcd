"""Reading Apogée (or its stand-in) through any SQLAlchemy URL, with portable SQL.

Every query names its columns, binds years as text, has no LIMIT and no dialect-specific
syntax, and joins nothing: each table is read on its own and the rows are combined in Python
(`extract.py`), so a row missing from an optional table never hides a row of another. The same
statements run on Oracle (python-oracledb), PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, or_, select

from ...config.sources import ApogeeSection
from ...db import make_engine
from ..refer.fetch import stream_tuples
from ..refer.source import Progress, SourceExtract
from . import schema
from .extract import ApogeeTables, ExtractOptions, build_snapshot
from .rows import (
    AdminRow,
    ChargeRow,
    ComposanteRow,
    ContractRow,
    DiplomeRow,
    ElementLabelRow,
    ElementListRow,
    ElementRow,
    EtapeListRow,
    EtapeRow,
    FractionRow,
    GroupNestingRow,
    GroupObjectRow,
    GroupRow,
    IndividuRow,
    ListElementRow,
    ListRow,
    MembershipRow,
    VersionDiplomeRow,
    VersionEtapeRow,
)

R = TypeVar("R", bound=NamedTuple)


def _tables(schema_name: str) -> dict[str, Table]:
    """Apogée's tables, in the configured Oracle schema if there is one."""
    if not schema_name:
        return {table.name: table for table in schema.TABLES}
    copy = MetaData()
    return {table.name: table.to_metadata(copy, schema=schema_name) for table in schema.TABLES}


FETCH = 10_000

# Structure tables: empty in a working Apogée means a truncated copy.
REQUIRED = frozenset(
    {
        "composante",
        "diplome",
        "version_diplome",
        "etape",
        "version_etape",
        "vdi_fractionner_vet",
        "element_pedagogi",
        "liste_elp",
        "vet_regroupe_lse",
        "lse_regroupe_elp",
    }
)


def options_from(section: ApogeeSection) -> ExtractOptions:
    return ExtractOptions(
        payment_states=frozenset(section.payment_states),
        offer_range=section.offer_range,
        excluded_composante_types=frozenset(section.excluded_composante_types),
        repair_encoding=section.repair_encoding,
        foad_etapes=frozenset(section.foad_etapes),
        foad_diplomes=frozenset(section.foad_diplomes),
    )


class ApogeeReader:
    name = "apogee"
    required = REQUIRED

    def __init__(self, engine: Engine, section: ApogeeSection) -> None:
        self.engine = engine
        self.section = section
        self.options = options_from(section)
        self.tables = _tables(section.schema_name)

    @classmethod
    def from_settings(cls, section: ApogeeSection) -> ApogeeReader:
        return cls(make_engine(section.url, password=section.password), section)

    def close(self) -> None:
        self.engine.dispose()

    def _has_column(self, table: str, column: str) -> bool:
        # Installations differ (TEM_FICTIF exists only in recent versions).
        schema_name = self.section.schema_name or None
        names = {c["name"].lower() for c in inspect(self.engine).get_columns(table, schema_name)}
        return column in names

    def read(self, year: str, today: date, progress: Progress) -> SourceExtract:
        counts: dict[str, int] = {}
        t = self.tables
        with self.engine.connect() as connection:
            reading = _Reading(connection, year, counts, t)
            with progress(f"Apogée {year}: catalogue and registrations", None) as task:
                fictitious = set(self.section.fictitious_natures)
                if self._has_column("nature_elp", "tem_fictif"):
                    nature = t["nature_elp"]
                    fictitious |= set(
                        connection.execute(
                            select(nature.c.cod_nel).where(nature.c.tem_fictif == "O")
                        ).scalars()
                    )
                tables = ApogeeTables(
                    composantes=reading.all(t["composante"], ComposanteRow),
                    diplomes=reading.all(t["diplome"], DiplomeRow),
                    versions_diplome=reading.all(t["version_diplome"], VersionDiplomeRow),
                    etapes=reading.all(t["etape"], EtapeRow),
                    versions_etape=reading.all(t["version_etape"], VersionEtapeRow),
                    fractions=reading.all(t["vdi_fractionner_vet"], FractionRow),
                    fictitious_natures=fictitious,
                    elements=reading.all(t["element_pedagogi"], ElementRow),
                    element_labels=reading.all(
                        t["elp_libelle"],
                        ElementLabelRow,
                        t["elp_libelle"].c.cod_lng == "FRAN",
                    ),
                    lists=reading.all(t["liste_elp"], ListRow),
                    etape_lists=reading.all(t["vet_regroupe_lse"], EtapeListRow),
                    list_elements=reading.all(t["lse_regroupe_elp"], ListElementRow),
                    element_lists=reading.all(t["elp_regroupe_lse"], ElementListRow),
                    charges=reading.yearly(t["elp_charge_ens"], ChargeRow),
                    individus=reading.individus(),
                    admin=reading.yearly(t["ins_adm_etp"], AdminRow),
                    contracts=iter(()),
                    groups=reading.all(t["groupe"], GroupRow),
                    group_objects=reading.all(t["gpe_obj"], GroupObjectRow),
                    group_nestings=reading.all(t["gpe_inclus_gpe"], GroupNestingRow),
                    memberships=reading.stream(t["ind_affecte_gpe"], MembershipRow),
                )
                task.advance(1)
            total = reading.count(t["ind_contrat_elp"])
            with progress(f"Apogée {year}: pedagogical registrations", total) as task:
                tables.contracts = reading.stream(t["ind_contrat_elp"], ContractRow)
                extraction = build_snapshot(year, tables, self.options, today, task.advance)
        return SourceExtract(extraction.snapshot, counts, extraction.notices, extraction.stats)


class _Reading:
    """The queries of one extraction; counts the rows read from each table."""

    def __init__(
        self, connection: Connection, year: str, counts: dict[str, int], tables: dict[str, Table]
    ) -> None:
        self.connection = connection
        self.year = year
        self.counts = counts
        self.tables = tables

    def _select(self, table: Table, row: type[R], *where: Any) -> Any:
        return select(*[table.c[name] for name in row._fields]).where(*where)

    def _keep(self, table: Table, rows: list[R]) -> list[R]:
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        return rows

    def all(self, table: Table, row: type[R], *where: Any) -> list[R]:
        result = self.connection.execute(self._select(table, row, *where))
        return self._keep(table, [row._make(values) for values in result])

    def yearly(self, table: Table, row: type[R]) -> list[R]:
        return self.all(table, row, table.c.cod_anu == self.year)

    def individus(self) -> list[IndividuRow]:
        """Everyone with an administrative or a pedagogical registration in the year."""
        iae, ip = self.tables["ins_adm_etp"], self.tables["ind_contrat_elp"]
        individu = self.tables["individu"]
        administrative = select(iae.c.cod_ind).where(iae.c.cod_anu == self.year)
        pedagogical = select(ip.c.cod_ind).where(ip.c.cod_anu == self.year)
        return self.all(
            individu,
            IndividuRow,
            or_(individu.c.cod_ind.in_(administrative), individu.c.cod_ind.in_(pedagogical)),
        )

    def count(self, table: Table) -> int:
        query = select(func.count()).select_from(table).where(table.c.cod_anu == self.year)
        return int(self.connection.execute(query).scalar_one())

    def stream(self, table: Table, row: type[R]) -> Iterator[Any]:
        """The year's rows as plain tuples, fetched in batches (there are millions)."""
        query = self._select(table, row, table.c.cod_anu == self.year)
        seen = 0
        for values in stream_tuples(self.connection, query, FETCH):
            seen += 1
            yield values
        self.counts[table.name] = seen
