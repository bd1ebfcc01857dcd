"""The `refer` step through the runner: incremental, transactional, sanity-checked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event, select, update

from jonction.config import Settings
from jonction.sources.apogee import schema as apogee
from jonction.sources.refer import schema as refer
from jonction.sources.refer import writer
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps.base import ProgressTask
from jonction.steps.runner import RunReport, run_steps

from .tiny_apogee import TinyApogee, small_university


def _settings(tmp_path: Path, refer_url: str | None = None) -> Settings:
    return Settings(
        apogee={"url": f"sqlite:///{tmp_path / 'apogee.db'}", "years": ["2026"]},
        refer={"url": refer_url or f"sqlite:///{tmp_path / 'refer.db'}"},
        state={"url": f"sqlite:///{tmp_path / 'state.db'}"},
        pipeline={"lock_file": tmp_path / "jonction.lock"},
    )


def _run(settings: Settings, *, apply: bool = True, force: bool = False, **kw: Any) -> RunReport:
    return asyncio.run(
        run_steps(settings, ["refer"], apply=apply, force=["refer"] if force else [], **kw)
    )


@contextmanager
def refer_writes() -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE sent to a REFER table, by any engine."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        if words and words[0].upper() in {"INSERT", "UPDATE", "DELETE"} and "refer_" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _apogee(tmp_path: Path, university: TinyApogee | None = None) -> Engine:
    return (university or small_university()).write(f"sqlite:///{tmp_path / 'apogee.db'}")


def test_first_refresh_then_a_rerun_that_writes_nothing(tmp_path: Path) -> None:
    _apogee(tmp_path)
    settings = _settings(tmp_path)
    report = _run(settings)
    step = report.steps[0]
    assert step.status == "succeeded", step.error
    assert step.plan is not None and step.result is not None
    stats = step.plan.stats
    assert stats["pedagogical_registration.inserted"] == 14
    assert stats["student.rows"] == 4
    assert stats["source.2026.ind_contrat_elp"] == 14
    # One operation per table and action, not one per row.
    kinds = [(op.kind, str(op.action)) for op in step.plan.operations]
    assert len(kinds) == len(set(kinds))
    assert ("refer.pedagogical_registration", "create") in kinds
    assert step.result.stats["rows_written"] == sum(
        v for k, v in stats.items() if k.endswith(".inserted")
    )
    engine = open_refer(settings)
    snapshot = load_snapshot(engine, "2026")
    assert len(snapshot.pedagogical_registrations) == 14
    with engine.connect() as connection:
        changed_at = connection.execute(select(refer.refer_year.c.changed_at)).scalar_one()

    with refer_writes() as writes:
        again = _run(settings)
    assert again.steps[0].status == "succeeded"
    assert again.steps[0].plan is not None and again.steps[0].plan.operations == []
    assert writes == []
    with engine.connect() as connection:
        assert connection.execute(select(refer.refer_year.c.changed_at)).scalar_one() == changed_at


def test_a_change_in_apogee_writes_only_its_rows(tmp_path: Path) -> None:
    source, settings = refreshed(tmp_path)
    with source.begin() as connection:
        connection.execute(
            update(apogee.element_pedagogi)
            .where(apogee.element_pedagogi.c.cod_elp == "SMA1U1")
            .values(lib_elp="Analyse 1")
        )
        connection.execute(
            delete(apogee.ind_contrat_elp).where(
                apogee.ind_contrat_elp.c.cod_ind == 3,
                apogee.ind_contrat_elp.c.cod_elp == "LANG1",
            )
        )
    plan_only = _run(settings, apply=False).steps[0]
    assert plan_only.status == "planned"
    with refer_writes() as writes:
        report = _run(settings)
    plan = report.steps[0].plan
    assert plan is not None
    assert plan.stats["element.updated"] == 1
    assert plan.stats["pedagogical_registration.deleted"] == 1
    changed = {
        k: v
        for k, v in plan.stats.items()
        if k.endswith((".inserted", ".updated", ".deleted")) and v
    }
    assert changed == {"element.updated": 1, "pedagogical_registration.deleted": 1}
    # Two data rows, the new count of IND_CONTRAT_ELP, the year's change stamp.
    assert len(writes) == 4
    snapshot = load_snapshot(open_refer(settings), "2026")
    assert snapshot.elements["SMA1U1"].label == "Analyse 1"
    assert len(snapshot.pedagogical_registrations) == 13


def test_a_failure_while_writing_leaves_refer_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, settings = refreshed(tmp_path)
    engine = open_refer(settings)
    before = load_snapshot(engine, "2026")
    with source.begin() as connection:
        connection.execute(
            update(apogee.element_pedagogi).values(lib_elp=apogee.element_pedagogi.c.cod_elp)
        )
        connection.execute(delete(apogee.ind_affecte_gpe))
    original = writer.write_delta

    def failing(connection: Any, delta: Any, advance: Any) -> None:
        if delta.table == "group_membership":  # after elements were rewritten
            raise RuntimeError("disk full")
        original(connection, delta, advance)

    monkeypatch.setattr(writer, "write_delta", failing)
    report = _run(settings, force=True)
    assert report.steps[0].status == "failed"
    assert "disk full" in report.steps[0].error
    assert load_snapshot(engine, "2026") == before

    monkeypatch.setattr(writer, "write_delta", original)
    assert _run(settings, force=True).status == "succeeded"
    assert load_snapshot(engine, "2026").elements["SMA1U1"].label == "SMA1U1"


def refreshed(tmp_path: Path) -> tuple[Engine, Settings]:
    """The small university in Apogée (its engine) and REFER refreshed from it."""
    source = _apogee(tmp_path)
    settings = _settings(tmp_path)
    assert _run(settings).status == "succeeded"
    return source, settings


def refreshed_then_shrunk(tmp_path: Path) -> Settings:
    """REFER refreshed from the small university, whose registrations then fall from 14 to 4."""
    source, settings = refreshed(tmp_path)
    with source.begin() as connection:
        connection.execute(
            delete(apogee.ind_contrat_elp).where(apogee.ind_contrat_elp.c.cod_ind > 1)
        )
    return settings


def test_a_shrunk_source_stops_the_step_unless_forced(tmp_path: Path) -> None:
    settings = refreshed_then_shrunk(tmp_path)
    with refer_writes() as writes:
        report = _run(settings)
    step = report.steps[0]
    assert step.status == "blocked"
    assert "ind_contrat_elp shrank from 14 to 4 rows" in step.error
    assert "--force refer" in step.error
    assert writes == []
    assert len(load_snapshot(open_refer(settings), "2026").pedagogical_registrations) == 14

    forced = _run(settings, force=True)
    assert forced.status == "succeeded"
    assert len(load_snapshot(open_refer(settings), "2026").pedagogical_registrations) == 4
    # The forced counts are the new base: the next refresh is not blocked.
    assert _run(settings).status == "succeeded"


def test_an_empty_required_table_stops_the_first_refresh(tmp_path: Path) -> None:
    university = small_university()
    university.rows["lse_regroupe_elp"] = []
    _apogee(tmp_path, university)
    settings = _settings(tmp_path)
    report = _run(settings)
    assert report.steps[0].status == "blocked"
    assert "source table lse_regroupe_elp is empty" in report.steps[0].error


def test_a_collapse_of_valid_registrations_stops_the_step(tmp_path: Path) -> None:
    university = small_university()
    for cod_ind in range(100, 130):
        university.individu(cod_ind).iae(cod_ind, "SLMAT1", 140)
        university.ip(cod_ind, "SLMAT1", "SMA1U1", 140)
    source = _apogee(tmp_path, university)
    settings = _settings(tmp_path)
    assert _run(settings).status == "succeeded"
    # Same row counts in Apogée, but every registration turned unpaid.
    with source.begin() as connection:
        connection.execute(update(apogee.ins_adm_etp).values(eta_pmt_iae="A"))
    step = _run(settings).steps[0]
    assert step.status == "blocked"
    assert "REFER's student table would shrink from 34 to 0 rows" in step.error


def test_progress_is_reported(tmp_path: Path) -> None:
    _apogee(tmp_path)
    seen: list[tuple[str, int | None, int]] = []

    class Task:
        def __init__(self, entry: list[Any]) -> None:
            self.entry = entry

        def advance(self, amount: int = 1) -> None:
            self.entry[2] += amount

    @contextmanager
    def progress(description: str, total: int | None) -> Iterator[ProgressTask]:
        entry: list[Any] = [description, total, 0]
        yield Task(entry)
        seen.append((entry[0], entry[1], entry[2]))

    assert _run(_settings(tmp_path), progress=progress).status == "succeeded"
    by_name = {name: (total, done) for name, total, done in seen}
    assert by_name["Apogée 2026: pedagogical registrations"] == (14, 14)
    total, done = by_name["REFER: writing"]
    assert total == done and total is not None and total > 14


def test_two_years_side_by_side_a_new_one_without_registrations(tmp_path: Path) -> None:
    _apogee(tmp_path)
    settings = _settings(tmp_path)
    settings.apogee.years = ["2026", "2027"]
    report = _run(settings)
    step = report.steps[0]
    assert step.status == "succeeded", step.error
    assert step.plan is not None
    assert [n.key for n in step.plan.notices if n.kind == "refer_empty_year"] == ["2027"]
    engine = open_refer(settings)
    current, next_year = load_snapshot(engine, "2026"), load_snapshot(engine, "2027")
    assert len(current.pedagogical_registrations) == 14
    assert next_year.etapes.keys() == current.etapes.keys()  # the catalogue is offered
    assert next_year.students == {} and next_year.pedagogical_registrations == []
    # Dropping a year from the configuration leaves its rows in REFER.
    settings.apogee.years = ["2027"]
    assert _run(settings).status == "succeeded"
    assert len(load_snapshot(engine, "2026").pedagogical_registrations) == 14
