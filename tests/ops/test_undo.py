"""`jonction undo RUN` against the simulator: renames and moves of the offer put back, a
suspended account reactivated, a changed name restored, removed cohort members re-added;
creations kept; the undo journaled as a run of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from jonction.cli import app
from jonction.db import make_engine
from jonction.domain.plan import Action
from jonction.journal.schema import runs
from jonction.moodle import MoodleClient
from jonction.sources.apogee import schema as apogee
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.generate import generate
from moodlesim.testing import running_simulator

from .night import Site, moodle_state

pytestmark = pytest.mark.slow
YEAR = "2026"
runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    apogee_url = f"sqlite:///{tmp_path / 'apogee.db'}"
    generate(apogee_url, 60, 8, YEAR, tmp_path / "directory.ldif")
    with running_simulator(latency_ms=0, per_item_ms=0) as moodle:
        site = Site(tmp_path / "site", moodle, apogee_url, tmp_path / "directory.ldif")
        site.write_config(
            YEAR, "[guards]\nmin_items_for_share = 100000\nmin_items_per_scope = 100000\n"
        )
        yield site


def undo(site: Site, *args: str) -> str:
    result = runner.invoke(app, ["undo", *args, "--config", str(site.config)])
    assert result.exit_code == 0, result.output
    return result.output


def last_run(site: Site) -> tuple[int, str]:
    with site.journal().engine.connect() as connection:
        row = connection.execute(
            select(runs.c.id, runs.c.command).order_by(runs.c.id.desc())
        ).first()
    assert row is not None
    return int(row.id), str(row.command)


def offer_view(site: Site) -> dict[str, object]:
    state = moodle_state(site.moodle)
    return {"categories": state["categories"], "courses": state["courses"]}


def test_undo_puts_the_offer_back(site: Site) -> None:
    site.night("refer", "offer")
    before = offer_view(site)
    evolve(site.apogee, seed=2)
    changed = site.night("refer", "offer")
    offer = changed.steps[1]
    assert offer.plan is not None
    kinds = {(op.kind, op.action) for op in offer.plan.operations}
    assert ("course", Action.RENAME) in kinds and ("category", Action.MOVE) in kinds
    run_id = changed.run_id
    assert run_id is not None
    evolved = offer_view(site)

    output = undo(site, str(run_id), "--yes", "--limit", "0")
    assert "undo of run" in output
    undone_id, command = last_run(site)
    assert command == f"undo of run {run_id}"
    after = offer_view(site)
    created = {op.key for op in offer.plan.operations if op.action is Action.CREATE}
    # Everything renamed or moved is as before; courses created by the run are kept.
    assert [c for c in after["courses"] if c[0] not in created] == before["courses"]  # type: ignore[index,union-attr]
    kept = {c[0] for c in after["categories"]} - {c[0] for c in before["categories"]}  # type: ignore[union-attr]
    assert kept <= created
    assert [c for c in after["categories"] if c[0] not in created] == before["categories"]  # type: ignore[union-attr]

    # Undoing the undo redoes the changes.
    undo(site, str(undone_id), "--yes")
    assert offer_view(site) == evolved
    redo = site.night("refer", "offer").steps[1]
    assert redo.plan is not None and redo.plan.operations == []


def _drop_entry(ldif: Path, uid: str) -> None:
    blocks = ldif.read_text(encoding="utf-8").split("\n\n")
    ldif.write_text("\n\n".join(b for b in blocks if f"dn: uid={uid}," not in b), encoding="utf-8")


def _rename_entry(ldif: Path, uid: str, surname: str) -> None:
    blocks = ldif.read_text(encoding="utf-8").split("\n\n")
    out = []
    for block in blocks:
        if f"dn: uid={uid}," in block:
            lines = [line for line in block.split("\n") if not line.startswith(("sn:", "sn::"))]
            lines.insert(2, f"sn: {surname}")
            block = "\n".join(lines)
        out.append(block)
    ldif.write_text("\n\n".join(out), encoding="utf-8")


def test_undo_reactivates_restores_and_readds(site: Site) -> None:
    site.night("refer", "users", "cohorts")
    journal = site.journal()
    accounts = journal.managed("user")
    students = sorted(k for k, v in accounts.items() if v.data.get("student_id"))
    gone, renamed, left = students[0], students[1], students[2]
    before = moodle_state(site.moodle, accounts)
    # The directory loses one person and renames another; a student's registration goes.
    _drop_entry(site.ldif, gone)
    _rename_entry(site.ldif, renamed, "Nouveaunom")
    number = accounts[left].data["student_id"]
    with make_engine(site.apogee).begin() as connection:
        cod_ind = connection.execute(
            select(apogee.individu.c.cod_ind).where(apogee.individu.c.cod_etu == number)
        ).scalar_one()
        connection.execute(
            delete(apogee.ins_adm_etp).where(apogee.ins_adm_etp.c.cod_ind == cod_ind)
        )
    night = site.night("refer", "users", "cohorts")
    users, cohorts = night.steps[1], night.steps[2]
    assert users.plan is not None and cohorts.plan is not None
    assert {(op.key, op.action) for op in users.plan.operations} == {
        (gone, Action.SUSPEND),
        (renamed, Action.UPDATE),
    }
    removed = [op for op in cohorts.plan.operations if op.action is Action.REMOVE]
    assert removed and all(op.label == left for op in removed)
    assert moodle_state(site.moodle, accounts) != before

    undo(site, str(night.run_id), "--yes")
    assert moodle_state(site.moodle, accounts) == before
    # Only the users step, of another run: nothing left to undo there.
    output = undo(site, str(night.run_id), "--step", "users", "--yes")
    assert "changed it again since" in output
    assert asyncio.run(_suspended(site, gone)) is False


async def _suspended(site: Site, username: str) -> bool:
    async with MoodleClient(site.moodle.base_url, site.moodle.token) as client:
        return (await client.users_by_username([username]))[username].suspended
