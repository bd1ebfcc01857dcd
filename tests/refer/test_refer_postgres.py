"""The refresh with Apogée's stand-in and REFER on PostgreSQL (text years, numeric versions,
server-side cursors, one transaction)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from jonction.config import Settings
from jonction.sources.apogee import schema as apogee
from jonction.sources.refer import writer
from jonction.sources.refer.store import load_snapshot, open_refer

from .test_refer_step import _run, refer_writes
from .tiny_apogee import small_university

pytestmark = pytest.mark.postgres


def test_refresh_on_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    university = small_university()
    university.individu(40, cod_etu=None).iae(40, "SLMAT1", 140)
    university.ip(40, "SLMAT1", "SMA1U1", 140, acquired="O")
    source = university.write(postgres_url)
    settings = Settings(
        apogee={"url": postgres_url, "years": ["2026"]},
        refer={"url": postgres_url},
        state={"url": f"sqlite:///{tmp_path / 'state.db'}"},
        pipeline={"lock_file": tmp_path / "jonction.lock"},
    )
    report = _run(settings)
    assert report.status == "succeeded", report.steps[0].error
    engine = open_refer(settings)
    snapshot = load_snapshot(engine, "2026")
    assert len(snapshot.pedagogical_registrations) == 14
    assert snapshot.students[40].cod_etu is None
    assert {x.reason for x in snapshot.exclusions} == {"acquired_earlier", "no_student_number"}

    with refer_writes() as writes:
        assert _run(settings).status == "succeeded"
    assert writes == []

    with source.begin() as connection:
        connection.execute(
            update(apogee.ins_adm_etp).where(apogee.ins_adm_etp.c.cod_ind == 2).values(eta_iae="A")
        )
    report = _run(settings)
    plan = report.steps[0].plan
    assert plan is not None
    assert plan.stats["admin_registration.deleted"] == 1
    assert plan.stats["pedagogical_registration.deleted"] == 4
    assert plan.stats["student.deleted"] == 1
    assert 2 not in load_snapshot(engine, "2026").students

    # A failure after rows were copied in leaves REFER as it was.
    before = load_snapshot(engine, "2026")
    with source.begin() as connection:
        connection.execute(update(apogee.ind_contrat_elp).values(tem_prc_ice="N"))
        connection.execute(update(apogee.individu).values(lib_pr1_ind="Camille"))
    original = writer.write_delta

    def failing(connection: Any, delta: Any, advance: Any) -> None:
        if delta.table == "group":
            raise RuntimeError("connection lost")
        original(connection, delta, advance)

    monkeypatch.setattr(writer, "write_delta", failing)
    failed = _run(settings).steps[0]
    assert failed.status == "failed" and "connection lost" in failed.error
    assert load_snapshot(engine, "2026") == before
    monkeypatch.setattr(writer, "write_delta", original)

    with source.begin() as connection:
        connection.execute(delete(apogee.ind_contrat_elp))
    blocked = _run(settings).steps[0]
    assert blocked.status == "blocked"
    assert "ind_contrat_elp is empty (0 rows; it had 15 rows" in blocked.error
    engine.dispose()
    source.dispose()
