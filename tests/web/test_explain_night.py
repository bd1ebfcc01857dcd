"""Explain after a whole night of a generated university against the simulator: the keys the
steps really journal (enrolment rows, group and cohort memberships, ADE schedulings) are the
ones explain reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from jonction.config import Settings
from jonction.db import make_engine
from jonction.explain.service import answer
from jonction.journal.schema import managed, operations
from jonction.sources.refer.store import open_refer

from .night_site import generated_nights

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with generated_nights(tmp_path_factory.mktemp("night"), 150) as settings:
        yield settings


def _keys(settings: Settings, kind: str, role: str) -> list[str]:
    with make_engine(settings.state.url).connect() as connection:
        return list(
            connection.execute(
                select(managed.c.key).where(managed.c.kind == kind, managed.c.key.like(f"%|{role}"))
            ).scalars()
        )


def test_a_student_of_the_night(night: Settings) -> None:
    state = make_engine(night.state.url)
    with state.connect() as connection:
        member = connection.execute(
            select(operations.c.key).where(operations.c.kind == "group_member").limit(1)
        ).scalar_one()
    username = member.rsplit("|", 1)[-1]
    result = answer(night, open_refer(night), state, username)
    assert result.explanation is not None, result
    entries = result.explanation.entries
    courses = [e for e in entries if e.what == "course" and e.state == "in_moodle"]
    assert courses and all(e.chain[0][0] == "admin_registration" for e in courses)
    assert all(e.moodle and e.moodle[0].last_reason.startswith("registered to") for e in courses)
    assert any(e.what == "group" and e.state == "in_moodle" for e in entries)
    assert any(e.what == "cohort" and e.state == "in_moodle" for e in entries)
    assert result.explanation.unexplained == []


def test_a_teacher_of_the_night(night: Settings) -> None:
    row = _keys(night, "enrolment", night.policy.teacher_role)[0]
    course, username, _ = row.split("|")
    state = make_engine(night.state.url)
    result = answer(night, open_refer(night), state, username)
    assert result.explanation is not None and result.people[0].staff
    teaching = {e.code: e for e in result.explanation.entries if e.what == "teaching"}
    entry = teaching[course]
    assert entry.state == "in_moodle"
    assert [link[0] for link in entry.chain][:1] == ["ade_activity"]
    assert entry.chain[-1] == ("course", course, "")
    # A course of which they are no teacher: nothing leads them there.
    other = answer(night, open_refer(night), state, username, course="NOSUCH01")
    assert other.explanation is not None
    assert [e.cause for e in other.explanation.entries] == ["not_registered"]


def test_a_foad_course_is_by_hand(night: Settings) -> None:
    state = make_engine(night.state.url)
    with state.connect() as connection:
        sources = connection.execute(
            select(operations.c.key, operations.c.source).where(operations.c.kind == "course")
        ).all()
    foad = [key for key, source in sources if (source or {}).get("foad_managed")]
    if not foad:
        pytest.skip("this generated university has no FOAD course")
    teacher = _keys(night, "enrolment", night.policy.teacher_role)[0].split("|")[1]
    result = answer(night, open_refer(night), state, teacher, course=foad[0])
    assert result.explanation is not None
    assert [(e.state, e.cause) for e in result.explanation.entries] == [("by_hand", "foad_by_hand")]


def test_explain_command_names_the_path(night: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from jonction.cli import app

    config = tmp_path / "night.toml"
    config.write_text(f'[state]\nurl = "{night.state.url}"\n[refer]\nurl = "{night.refer.url}"\n')
    teacher = _keys(night, "enrolment", night.policy.teacher_role)[0].split("|")[1]
    done = CliRunner().invoke(app, ["explain", "--user", teacher, "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "ade_activity" in done.output and "teaching" in done.output


def test_a_teacher_found_by_name(night: Settings) -> None:
    username = _keys(night, "enrolment", night.policy.teacher_role)[0].split("|")[1]
    state = make_engine(night.state.url)
    with state.connect() as connection:
        record = connection.execute(
            select(managed.c.data).where(managed.c.kind == "user", managed.c.key == username)
        ).scalar_one()
    name = f"{record['firstname']} {record['lastname']}"
    result = answer(night, open_refer(night), state, name.upper())
    staff = [p for p in result.people if p.staff]
    assert username in {p.username for p in staff}, result.people
    assert any(p.last_name == record["lastname"] for p in staff)
