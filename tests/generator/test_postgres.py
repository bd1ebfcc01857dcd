"""The generator and a night of change on the machine's PostgreSQL (same SQL, text years)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jonction.sources.generator import generate
from jonction.sources.generator.evolve import evolve


@pytest.mark.postgres
def test_generate_and_evolve_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    summary = generate(postgres_url, 120, 3, "2026", tmp_path / "u.ldif", tmp_path / "u-ade")
    assert summary.students == 120
    assert summary.dirt["iae_cancelled"] >= 1
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        kind = connection.execute(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name='ins_adm_etp' AND column_name='cod_anu'"
            )
        ).scalar_one()
        rows = connection.execute(
            text("SELECT count(*) FROM ins_adm_etp WHERE cod_anu = :y"), {"y": "2026"}
        ).scalar_one()
    engine.dispose()
    assert kind == "character varying"
    assert rows == summary.iae
    night = evolve(postgres_url, 3, ldif=tmp_path / "u.ldif", ade=tmp_path / "u-ade")
    assert night.counts["new_students"] >= 2
    rollover = evolve(postgres_url, 3, True, tmp_path / "u.ldif", tmp_path / "u-ade")
    assert rollover.year == "2027"
