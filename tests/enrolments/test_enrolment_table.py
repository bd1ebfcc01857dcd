"""The external enrolment table on SQLite, the machine's PostgreSQL and MariaDB: created as
Moodle reads it, changed by deltas in one transaction, never seen half-written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from jonction.config.moodle import EnrolDatabaseSection
from jonction.domain.enrolments import RowKey
from jonction.domain.plan import Action, Operation
from jonction.moodle import enrol_table
from jonction.moodle.enrol_table import EnrolmentTable, EnrolmentTableError

NOW = datetime(2026, 11, 30, 4, 15)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def url(request: pytest.FixtureRequest) -> str:
    fixture = {"sqlite": "sqlite_url", "postgres": "postgres_url", "mariadb": "mariadb_url"}
    value: str = request.getfixturevalue(fixture[request.param])
    return value


@pytest.fixture
def table(url: str) -> Iterator[EnrolmentTable]:
    table = EnrolmentTable.open(EnrolDatabaseSection(url=url))
    table.ensure()
    yield table
    table.engine.dispose()


def _add(course: str, user: str, role: str = "student", origin: str = "student") -> Operation:
    key = RowKey(course, user, role)
    return Operation("enrolment", Action.ADD, str(key), after={**key.columns(), "origin": origin})


def _remove(course: str, user: str, role: str = "student") -> Operation:
    key = RowKey(course, user, role)
    return Operation("enrolment", Action.REMOVE, str(key), before={**key.columns()})


def _mark(course: str, user: str, since: datetime | None, role: str = "student") -> Operation:
    key = RowKey(course, user, role)
    value = since.isoformat() if since else None
    return Operation(
        "enrolment", Action.UPDATE, str(key), after={**key.columns(), "missing_since": value}
    )


def _moodle_reads(engine: Engine) -> dict[str, set[tuple[str, str]]]:
    """What enrol_database's sync reads: distinct courses, then users and roles per course."""
    seen: dict[str, set[tuple[str, str]]] = {}
    with engine.connect() as connection:
        courses = connection.execute(
            text("SELECT DISTINCT course_idnumber FROM jonction_enrolments")
        ).scalars()
        for course in list(courses):
            rows = connection.execute(
                text(
                    "SELECT username,role FROM jonction_enrolments "
                    f"WHERE course_idnumber = '{course}'"
                )
            )
            seen[course] = {(user, role) for user, role in rows}
    return seen


def test_created_as_moodle_reads_it(table: EnrolmentTable) -> None:
    outcomes = table.apply(
        [_add("SMA1U01", "lmoreau"), _add("SMA1U01", "adubois", "editingteacher", "teacher")], NOW
    )
    assert [o.outcome for o in outcomes] == ["applied", "applied"]
    assert _moodle_reads(table.engine) == {
        "SMA1U01": {("lmoreau", "student"), ("adubois", "editingteacher")}
    }
    assert table.ensure() == []  # a second time: nothing to do
    row = table.read()[RowKey("SMA1U01", "adubois", "editingteacher")]
    assert (row.origin, row.missing_since) == ("teacher", None)
    with table.engine.connect() as connection:
        first_seen = connection.execute(
            text("SELECT jonction_first_seen FROM jonction_enrolments WHERE username = 'adubois'")
        ).scalar_one()
    assert str(first_seen).startswith("2026-11-30")


def test_keys_are_case_sensitive(table: EnrolmentTable) -> None:
    table.apply([_add("SMA1U01", "lmoreau"), _add("sma1u01", "lmoreau")], NOW)
    assert set(table.read()) == {
        RowKey("SMA1U01", "lmoreau", "student"),
        RowKey("sma1u01", "lmoreau", "student"),
    }


def test_marks_removals_and_repeats(table: EnrolmentTable) -> None:
    table.apply([_add("C1", "a"), _add("C1", "b"), _add("C2", "a")], NOW)
    later = datetime(2026, 12, 1, 4, 15)
    outcomes = table.apply([_remove("C1", "b"), _mark("C2", "a", later)], later)
    assert [o.outcome for o in outcomes] == ["applied", "applied"]
    rows = table.read()
    assert set(rows) == {RowKey("C1", "a", "student"), RowKey("C2", "a", "student")}
    assert rows[RowKey("C2", "a", "student")].missing_since == later
    table.apply([_mark("C2", "a", None)], later)
    assert table.read()[RowKey("C2", "a", "student")].missing_since is None
    # A change already made is skipped, not repeated nor failed.
    again = table.apply([_remove("C1", "b"), _add("C1", "a")], later)
    assert [o.outcome for o in again] == ["skipped", "skipped"]
    assert table.count() == 2


def test_a_plan_is_written_a_slice_at_a_time_in_one_transaction(
    table: EnrolmentTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    table.apply([_add("C1", "a"), _add("C1", "b"), _add("C1", "c")], NOW)
    monkeypatch.setattr(enrol_table, "CHUNK", 2)
    later = datetime(2026, 12, 1, 4, 15)
    ops = [
        _add("C2", "a"),
        _remove("C1", "a"),
        _mark("C1", "b", later),
        _add("C2", "a"),  # the same row again, a slice later: skipped
        _remove("C1", "a"),
        _add("C2", "b"),
        _mark("C1", "c", later),
    ]
    outcomes = table.apply(ops, later)
    assert [o.outcome for o in outcomes] == [
        "applied",
        "applied",
        "applied",
        "skipped",
        "skipped",
        "applied",
        "applied",
    ]
    assert [o.operation for o in outcomes] == ops
    rows = table.read()
    assert set(rows) == {
        RowKey(course, user, "student")
        for course, user in (("C1", "b"), ("C1", "c"), ("C2", "a"), ("C2", "b"))
    }
    assert {rows[RowKey("C1", u, "student")].missing_since for u in "bc"} == {later}
    # A failure in a later slice leaves nothing of the earlier ones.
    broken = Operation(
        "enrolment",
        Action.ADD,
        "x",
        after={"course": None, "user": "c", "role": "student", "origin": "student"},
    )
    with pytest.raises(Exception):  # noqa: B017 - the database's own error, whichever it is
        table.apply([_add("C3", "a"), _add("C3", "b"), _add("C3", "c"), broken], later)
    assert set(table.read()) == set(rows)


def test_the_table_compared_with_the_desired_rows(table: EnrolmentTable) -> None:
    a1, b1, a2, a3 = (
        RowKey(c, u, "student") for c, u in (("C1", "a"), ("C1", "b"), ("C2", "a"), ("C3", "a"))
    )
    table.apply([_add("C1", "a"), _add("C1", "b", origin="teacher"), _add("C2", "a")], NOW)
    table.apply([_mark("C2", "a", NOW)], NOW)
    diff = table.compare({a1: "student", a3: "student"})
    assert set(diff.missing) == {a3}
    assert diff.gone == {b1: "teacher", a2: "student"}
    assert diff.marks == {a2: NOW}
    assert diff.rows == 3 and diff.by_course == {"C1": 2, "C2": 1}
    read = table.read()
    assert set(read) == {a1, b1, a2} and read[a2].missing_since == NOW


@pytest.mark.parametrize("by", ["user", "course", "table"])
def test_a_plan_checks_the_rows_of_its_users_or_courses_or_the_whole_table(
    table: EnrolmentTable, monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    table.apply([_add("C1", "a"), _add("C2", "a"), _add("C3", "a")], NOW)
    monkeypatch.setattr(enrol_table, "USERS_BY_KEY", 2 if by == "user" else 1)
    monkeypatch.setattr(enrol_table, "COURSES_BY_KEY", 2 if by == "course" else 1)
    monkeypatch.setattr(enrol_table, "IN_SLICE", 1)
    ops = [_add("C1", "a"), _remove("C2", "b"), _add("C2", "b"), _remove("C1", "a")]
    outcomes = table.apply(ops, NOW)
    assert [o.outcome for o in outcomes] == ["skipped", "skipped", "applied", "applied"]
    assert set(table.read()) == {
        RowKey(course, user, "student") for course, user in (("C2", "a"), ("C2", "b"), ("C3", "a"))
    }


def test_one_transaction_nothing_half_written(table: EnrolmentTable) -> None:
    table.apply([_add("C1", "a"), _add("C1", "b")], NOW)
    broken = Operation(
        "enrolment",
        Action.ADD,
        "x",
        after={"course": None, "user": "c", "role": "student", "origin": "student"},
    )
    with pytest.raises(Exception):  # noqa: B017 - the database's own error, whichever it is
        table.apply([_remove("C1", "a"), _add("C1", "z"), broken], NOW)
    assert set(table.read()) == {RowKey("C1", "a", "student"), RowKey("C1", "b", "student")}


def test_a_reader_never_sees_a_half_written_table(table: EnrolmentTable, url: str) -> None:
    table.apply([_add("C1", f"u{n}") for n in range(50)], NOW)
    reader = create_engine(url)
    seen: list[dict[str, set[tuple[str, str]]]] = []

    def look(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE") and not seen:
            seen.append(_moodle_reads(reader))  # the inserts are done, the deletes not yet

    event.listen(table.engine, "before_cursor_execute", look)
    try:
        table.apply(
            [_add("C2", f"u{n}") for n in range(30)] + [_remove("C1", f"u{n}") for n in range(25)],
            NOW,
        )
    finally:
        event.remove(table.engine, "before_cursor_execute", look)
    assert seen == [{"C1": {(f"u{n}", "student") for n in range(50)}}]
    after = _moodle_reads(reader)
    assert len(after["C1"]) == 25 and len(after["C2"]) == 30
    reader.dispose()


def test_a_table_without_bookkeeping_is_completed(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE jonction_enrolments (course_idnumber VARCHAR(100), "
                "username VARCHAR(100), role VARCHAR(100))"
            )
        )
        connection.execute(
            text("INSERT INTO jonction_enrolments VALUES ('C1', 'a', 'student'), ('', 'b', '')")
        )
    table = EnrolmentTable.open(EnrolDatabaseSection(url=url))
    done = table.ensure()
    assert len(done) == 3 and all("added column jonction_" in line for line in done)
    rows = table.read()
    assert list(rows) == [RowKey("C1", "a", "student")]  # the row without course is not ours
    assert rows[RowKey("C1", "a", "student")].origin == ""
    table.engine.dispose()
    engine.dispose()


def test_a_table_without_moodle_columns_is_refused(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE jonction_enrolments (course VARCHAR(100))"))
    table = EnrolmentTable.open(EnrolDatabaseSection(url=url))
    with pytest.raises(EnrolmentTableError, match="no column course_idnumber, username, role"):
        table.ensure()
    table.engine.dispose()
    engine.dispose()


@pytest.mark.parametrize(
    ("setting", "value"),
    [("table", "Enrolments"), ("course_column", "course idnumber"), ("role_column", "rôle")],
)
def test_names_moodle_cannot_read_unquoted_are_refused(setting: str, value: str) -> None:
    section = EnrolDatabaseSection(url="sqlite://", **{setting: value})
    with pytest.raises(EnrolmentTableError, match=f"{setting} = "):
        EnrolmentTable.open(section)
