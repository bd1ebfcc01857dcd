"""A saved plan of the offer step, against the simulator: `jonction apply` carries out exactly
the operations saved, and refuses a plan whose basis changed (a category renamed by hand)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from jonction.cli import app
from jonction.journal.schema import operations, runs, step_runs
from jonction.moodle import CategoryUpdate, MoodleClient
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.generate import generate
from moodlesim.testing import running_simulator

from .night import Site, moodle_state

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    apogee = f"sqlite:///{tmp_path / 'apogee.db'}"
    generate(apogee, 60, 9, "2026", tmp_path / "directory.ldif")
    with running_simulator(latency_ms=0, per_item_ms=0) as moodle:
        site = Site(tmp_path / "site", moodle, apogee, tmp_path / "directory.ldif")
        site.write_config("2026")
        site.night("refer")
        yield site


def cli(site: Site, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--config", str(site.config)])
    assert result.exit_code == code, result.output
    return result.output


def applied(site: Site, run_id: int) -> list[tuple[str, str, str]]:
    with site.journal().engine.connect() as connection:
        rows = connection.execute(
            select(operations.c.kind, operations.c.action, operations.c.key)
            .join(step_runs, step_runs.c.id == operations.c.step_run_id)
            .where(step_runs.c.run_id == run_id, operations.c.outcome == "applied")
        )
        return sorted((r.kind, r.action, r.key) for r in rows)


def last_run(site: Site) -> tuple[int, str, str]:
    with site.journal().engine.connect() as connection:
        row = connection.execute(select(runs).order_by(runs.c.id.desc())).first()
    assert row is not None
    return int(row.id), row.command, row.status


def test_saved_plan_applied_exactly_then_refused_when_stale(site: Site, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    cli(site, "plan", "offer", "--save", str(saved))
    document = json.loads(saved.read_text())
    wanted = sorted(
        (op["kind"], op["action"], op["key"]) for op in document["steps"]["offer"]["operations"]
    )
    assert wanted and moodle_state(site.moodle)["courses"] == []
    cli(site, "apply", str(saved))
    run_id, command, status = last_run(site)
    assert (command, status) == ("apply", "succeeded")
    assert applied(site, run_id) == wanted

    # A night of change planned and saved; then a managed category is renamed by hand.
    evolve(site.apogee, seed=2)
    site.night("refer")
    cli(site, "plan", "offer", "--save", str(saved))
    assert json.loads(saved.read_text())["steps"]["offer"]["operations"]
    before = moodle_state(site.moodle)

    async def rename_by_hand() -> None:
        async with MoodleClient(site.moodle.base_url, site.moodle.token) as client:
            category = next(c for c in await client.categories() if c.idnumber == "2026:ANU")
            report = await client.update_categories([CategoryUpdate(category.id, name="Renommée")])
            assert report.ok

    asyncio.run(rename_by_hand())
    output = cli(site, "apply", str(saved), code=1)
    assert "computed from a state that has changed" in output
    _, command, status = last_run(site)
    assert (command, status) == ("apply", "failed")
    after = moodle_state(site.moodle)
    assert after["courses"] == before["courses"]  # nothing applied
