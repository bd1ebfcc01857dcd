"""Reading the external enrolment table for the groups step: by course, or whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from jonction.config import Settings
from jonction.moodle.enrol_table import EnrolmentTable
from jonction.steps import groups_journal
from jonction.steps.groups_journal import table_pairs

ROWS = [("2026:A", "e1"), ("2026:A", "e2"), ("2026:B", "e1"), ("2026:C", "e3")]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings()
    settings.enrol_database.url = f"sqlite:///{tmp_path / 'enrolments.db'}"
    table = EnrolmentTable.open(settings.enrol_database)
    table.ensure()
    names = table.names
    with table.engine.begin() as connection:
        connection.execute(
            insert(table.table),
            [{names.course: c, names.user: u, names.role: "student"} for c, u in ROWS],
        )
    table.engine.dispose()
    return settings


def test_a_few_courses_are_read_by_key(settings: Settings) -> None:
    assert sorted(table_pairs(settings, ["2026:A", "2026:C"])) == [
        ("2026:A", "e1"),
        ("2026:A", "e2"),
        ("2026:C", "e3"),
    ]


def test_many_courses_read_the_whole_table(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(groups_journal, "COURSES_BY_KEY", 1)
    assert sorted(table_pairs(settings, ["2026:A", "2026:C"])) == sorted(ROWS)


def test_a_table_not_created_yet_has_no_rows(tmp_path: Path) -> None:
    settings = Settings()
    settings.enrol_database.url = f"sqlite:///{tmp_path / 'none.db'}"
    assert list(table_pairs(settings, ["2026:A"])) == []
