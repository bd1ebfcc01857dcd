"""REFER's schema, migrations and store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event

from jonction.db import make_engine
from jonction.domain.refer_model import ReferSnapshot, Student
from jonction.sources.refer.schema import metadata
from jonction.sources.refer.store import (
    ReferYearMissing,
    ensure_schema,
    exclusions_for,
    load_snapshot,
    refer_years,
)
from jonction.sources.refer.sync import save_snapshot

from .samples import sample_snapshot


def _refer(url: str) -> Engine:
    engine = make_engine(url)
    ensure_schema(engine)
    ensure_schema(engine)  # idempotent
    return engine


def _assert_migrations_match_metadata(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            diff
            for diff in compare_metadata(context, metadata)
            if not (diff[0] == "remove_table" and "version" in diff[1].name)
        ]
    assert differences == []


def _normalised(snapshot: ReferSnapshot) -> ReferSnapshot:
    """The same content in a canonical order (REFER gives rows back in key order)."""
    return replace(
        snapshot,
        links=sorted(snapshot.links, key=repr),
        charges=sorted(snapshot.charges, key=repr),
        admin_registrations=sorted(snapshot.admin_registrations, key=repr),
        pedagogical_registrations=sorted(snapshot.pedagogical_registrations, key=repr),
        memberships=sorted(snapshot.memberships, key=repr),
        exclusions=sorted(snapshot.exclusions, key=repr),
    )


def _count_writes(engine: Engine) -> list[str]:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements


def _exercise(engine: Engine) -> None:
    with pytest.raises(ReferYearMissing, match="2026"):
        load_snapshot(engine, "2026")
    snapshot = sample_snapshot()
    deltas = save_snapshot(engine, snapshot, source_counts={"individu": 2})
    assert {d.table: len(d.inserts) for d in deltas}["pedagogical_registration"] == 5
    assert refer_years(engine) == ["2026"]
    loaded = load_snapshot(engine, "2026")
    assert _normalised(loaded) == _normalised(snapshot)
    assert load_snapshot(engine, "2026", exclusions=False).exclusions == []

    # Saving the same content again writes nothing at all.
    writes = _count_writes(engine)
    again = save_snapshot(engine, sample_snapshot(), source_counts={"individu": 2})
    assert all(delta.is_empty() for delta in again)
    assert writes == []

    # A change touches only its rows.
    changed = sample_snapshot()
    changed.students[1002] = Student(1002, "21100002", "N'Diaye", "Moussa")
    changed.pedagogical_registrations.pop()
    del changed.groups[9]
    by_table = {d.table: d for d in save_snapshot(engine, changed)}
    assert [k for k, _b, _a in by_table["student"].updates] == [(1002,)]
    assert by_table["pedagogical_registration"].deletes == [(1002, "SLMAT1", 140, "SMA1U01")]
    assert by_table["group"].deletes == [(9,)]
    assert sum(d.changes for d in by_table.values()) == 3
    assert _normalised(load_snapshot(engine, "2026")) == _normalised(changed)

    # Years are independent.
    save_snapshot(engine, sample_snapshot("2027"))
    assert refer_years(engine) == ["2026", "2027"]
    assert load_snapshot(engine, "2026").students[1002].cod_etu == "21100002"
    assert load_snapshot(engine, "2027").students[1002].cod_etu is None

    found = exclusions_for(engine, "2026", cod_ind=1002)
    assert [x.reason for x in found] == ["acquired_earlier"]
    assert [x.key for x in exclusions_for(engine, "2026", element="SMA1X99")] == ["SMA1X99"]


def test_refer_store_on_sqlite(sqlite_url: str) -> None:
    engine = _refer(sqlite_url)
    _assert_migrations_match_metadata(engine)
    _exercise(engine)


@pytest.mark.postgres
def test_refer_store_on_postgres(postgres_url: str) -> None:
    engine = _refer(postgres_url)
    _assert_migrations_match_metadata(engine)
    _exercise(engine)
    engine.dispose()
