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

from sqlalchemy import Connection, Engine, Table, func, inspect, select

from ...config.sources import ApogeeSection
from ...db import make_engine
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

    @classmethod
    def from_settings(cls, section: ApogeeSection) -> ApogeeReader:
        return cls(make_engine(section.url, password=section.password), section)

    def close(self) -> None:
        self.engine.dispose()

    def _connect(self) -> Connection:
        connection = self.engine.connect()
        if self.section.schema_name:
            connection = connection.execution_options(
                schema_translate_map={None: self.section.schema_name}
            )
        return connection

    def _has_column(self, table: str, column: str) -> bool:
        # Installations differ (TEM_FICTIF exists only in recent versions).
        schema_name = self.section.schema_name or None
        names = {c["name"].lower() for c in inspect(self.engine).get_columns(table, schema_name)}
        return column in names

    def read(self, year: str, today: date, progress: Progress) -> SourceExtract:
        counts: dict[str, int] = {}
        with self._connect() as connection:
            reading = _Reading(connection, year, counts)
            with progress(f"Apogée {year}: catalogue and registrations", None) as task:
                fictitious = set(self.section.fictitious_natures)
                if self._has_column("nature_elp", "tem_fictif"):
                    nature = schema.nature_elp
                    fictitious |= set(
                        connection.execute(
                            select(nature.c.cod_nel).where(nature.c.tem_fictif == "O")
                        ).scalars()
                    )
                tables = ApogeeTables(
                    composantes=reading.all(schema.composante, ComposanteRow),
                    diplomes=reading.all(schema.diplome, DiplomeRow),
                    versions_diplome=reading.all(schema.version_diplome, VersionDiplomeRow),
                    etapes=reading.all(schema.etape, EtapeRow),
                    versions_etape=reading.all(schema.version_etape, VersionEtapeRow),
                    fractions=reading.all(schema.vdi_fractionner_vet, FractionRow),
                    fictitious_natures=fictitious,
                    elements=reading.all(schema.element_pedagogi, ElementRow),
                    element_labels=reading.all(
                        schema.elp_libelle,
                        ElementLabelRow,
                        schema.elp_libelle.c.cod_lng == "FRAN",
                    ),
                    lists=reading.all(schema.liste_elp, ListRow),
                    etape_lists=reading.all(schema.vet_regroupe_lse, EtapeListRow),
                    list_elements=reading.all(schema.lse_regroupe_elp, ListElementRow),
                    element_lists=reading.all(schema.elp_regroupe_lse, ElementListRow),
                    charges=reading.yearly(schema.elp_charge_ens, ChargeRow),
                    individus=reading.individus(),
                    admin=reading.yearly(schema.ins_adm_etp, AdminRow),
                    contracts=iter(()),
                    groups=reading.all(schema.groupe, GroupRow),
                    group_objects=reading.all(schema.gpe_obj, GroupObjectRow),
                    group_nestings=reading.all(schema.gpe_inclus_gpe, GroupNestingRow),
                    memberships=[
                        (row.cod_ind, row.cod_gpe)
                        for row in reading.yearly(schema.ind_affecte_gpe, MembershipRow)
                    ],
                )
                task.advance(1)
            total = reading.count(schema.ind_contrat_elp)
            with progress(f"Apogée {year}: pedagogical registrations", total) as task:
                tables.contracts = reading.stream(schema.ind_contrat_elp, ContractRow)
                extraction = build_snapshot(year, tables, self.options, today, task.advance)
        return SourceExtract(extraction.snapshot, counts, extraction.notices, extraction.stats)


class _Reading:
    """The queries of one extraction; counts the rows read from each table."""

    def __init__(self, connection: Connection, year: str, counts: dict[str, int]) -> None:
        self.connection = connection
        self.year = year
        self.counts = counts

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
        registered = select(schema.ins_adm_etp.c.cod_ind).where(
            schema.ins_adm_etp.c.cod_anu == self.year
        )
        return self.all(schema.individu, IndividuRow, schema.individu.c.cod_ind.in_(registered))

    def count(self, table: Table) -> int:
        query = select(func.count()).select_from(table).where(table.c.cod_anu == self.year)
        return int(self.connection.execute(query).scalar_one())

    def stream(self, table: Table, row: type[R]) -> Iterator[Any]:
        """The year's rows as plain tuples, fetched in batches (there are millions)."""
        query = self._select(table, row, table.c.cod_anu == self.year)
        result = self.connection.execute(query.execution_options(yield_per=FETCH))
        seen = 0
        for partition in result.partitions():
            seen += len(partition)
            yield from partition
        self.counts[table.name] = seen
