"""The compact fields of enrolment operations read, save and journal like the dicts they
stand for: what the journal, `plan --json` and `jonction apply FILE` see is unchanged."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jonction.db import make_engine
from jonction.domain.enrolment_fields import OneRegistration, RowColumns, RowSource
from jonction.domain.enrolments import (
    DesiredRow,
    Grace,
    KnownRow,
    Origin,
    Registration,
    RowKey,
    Scheduling,
    determine_actions,
)
from jonction.domain.plan import Operation, Plan
from jonction.journal.schema import operations
from jonction.journal.store import Journal, Outcome
from jonction.sources.ade.timetable import ActivityUse

NOW = datetime(2026, 11, 30, 4, 15)
KEY = RowKey("2026:SMA1U01", "e17", "student")
FIRST = Registration("2026", 17, "22600101", "SLMAT1-1", "SMA1U01")
SECOND = Registration("2026", 17, "22600101", "SLINF1-1", "SMA1U01")
USE = ActivityUse("A1", "TD algebra", 1, date(2026, 9, 7), date(2026, 9, 7), ("1",))
SCHEDULING = Scheduling("SMA1U01", "I9", "Curie Marie", "104217", (USE,))


def _plain(value: Any) -> bool:
    """True when every mapping in `value` is a plain dict."""
    if isinstance(value, dict):
        return all(_plain(item) for item in value.values())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return not hasattr(value, "keys")


def test_row_columns_read_like_the_row_dict() -> None:
    after = RowColumns(KEY, "student", "first_seen", "2026-11-30T04:15:00")
    expected = {
        "course": "2026:SMA1U01",
        "user": "e17",
        "role": "student",
        "origin": "student",
        "first_seen": "2026-11-30T04:15:00",
    }
    assert after == expected and expected == after
    assert list(after) == list(expected) and len(after) == 5
    assert {**after} == expected and repr(after) == repr(expected)
    assert after.get("missing_since", "none") == "none" and after.key is KEY
    with pytest.raises(KeyError):
        after["missing_since"]
    leaving = RowColumns(KEY, "teacher", "missing_since", None)
    assert dict(leaving)["missing_since"] is None and "first_seen" not in leaving


def test_sources_read_like_the_dicts_the_journal_records() -> None:
    one = FIRST.to_json()
    assert one == {
        "year": "2026",
        "cod_ind": 17,
        "cod_etu": "22600101",
        "etape": "SLMAT1-1",
        "element": "SMA1U01",
    }
    student = {"origin": "student", "table": "IND_CONTRAT_ELP", "registrations": [one]}
    assert OneRegistration(*FIRST) == student
    assert DesiredRow(KEY, "student", (FIRST,)).source() == student
    assert isinstance(DesiredRow(KEY, "student", (FIRST,)).source(), OneRegistration)
    both = DesiredRow(KEY, "student", (FIRST, SECOND)).source()
    assert both == {**student, "registrations": [one, SECOND.to_json()]}
    teacher = RowSource(True, (SCHEDULING,))
    assert dict(teacher) == {
        "origin": "teacher",
        "source": "ADE",
        "schedulings": [SCHEDULING.to_json()],
    }
    assert teacher["schedulings"][0]["matched_key"] == "104217"
    assert "registrations" not in teacher and "schedulings" not in both
    assert len(both) == len(teacher) == 3


def _night(desired: dict[RowKey, Origin], known: dict[RowKey, KnownRow]) -> list[Operation]:
    reasons = {
        KEY: DesiredRow(KEY, "student", (FIRST,)),
        RowKey("2026:SMA1U02", "e17", "student"): DesiredRow(
            RowKey("2026:SMA1U02", "e17", "student"), "student", (FIRST, SECOND)
        ),
    }
    return determine_actions(
        desired,
        known,
        now=NOW,
        grace=Grace(student_days=10, teacher_days=30),
        teacher_role="editingteacher",
        justify=lambda keys: {key: row for key, row in reasons.items() if key in keys},
    )


def _every_action() -> list[Operation]:
    again = RowKey("2026:SMA1U02", "e17", "student")
    leaving = RowKey("2026:SLV1U01", "e18", "student")
    gone = RowKey("2026:SLV1U01", "e19", "student")
    known = {
        again: KnownRow(again, "student", NOW - timedelta(days=2)),
        leaving: KnownRow(leaving, "student"),
        gone: KnownRow(gone, "", NOW - timedelta(days=11)),
    }
    return _night({KEY: "student", again: "student"}, known)


def test_every_action_carries_the_same_fields_as_before() -> None:
    ops = {str(op.action): op for op in _every_action()}
    assert set(ops) == {"add", "update", "remove"} and len(_every_action()) == 4
    add = ops["add"]
    assert add.after == {**KEY.columns(), "origin": "student", "first_seen": NOW.isoformat()}
    assert add.reason == "registered to SMA1U01 through étape SLMAT1-1"
    removed = ops["remove"]
    assert removed.before == {
        "course": "2026:SLV1U01",
        "user": "e19",
        "role": "student",
        "origin": "student",
        "missing_since": (NOW - timedelta(days=11)).isoformat(),
    }
    assert removed.source == {"origin": "student", "grace_days": 10}
    marked = next(op for op in _every_action() if op.key == "2026:SLV1U01|e18|student")
    assert marked.before is not None and marked.after is not None
    assert (marked.before["missing_since"], marked.after["missing_since"]) == (
        None,
        NOW.isoformat(),
    )


def test_reasons_and_grace_sources_are_shared_between_rows() -> None:
    keys = [RowKey(f"2026:C{n}", "e17", "student") for n in range(3)]
    gone = {key: KnownRow(key, "student") for key in keys}
    ops = determine_actions(
        {},
        gone,
        now=NOW,
        grace=Grace(student_days=10, teacher_days=30),
        teacher_role="editingteacher",
    )
    assert len({id(op.reason) for op in ops}) == 1 and len({id(op.source) for op in ops}) == 1
    with pytest.raises(TypeError):
        ops[0].source["grace_days"] = 0  # type: ignore[index]


def test_saved_plans_round_trip_as_plain_json() -> None:
    plan = Plan("enrolments", operations=_every_action())
    saved = plan.to_json()
    assert all(_plain(op) for op in saved["operations"])
    again = Plan.from_json(json.loads(json.dumps(saved)))
    assert again.to_json() == saved
    assert [op.after for op in again.operations] == [op.after for op in plan.operations]
    assert [op.source for op in again.operations] == [op.source for op in plan.operations]


def test_the_journal_records_the_compact_fields_as_the_plain_ones(tmp_path: Path) -> None:
    journal = Journal(make_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    journal.ensure_schema()
    compact = _every_action()
    plain = Plan.from_json(json.loads(json.dumps(Plan("enrolments", compact).to_json())))
    run = journal.start_run("run", ["enrolments"])
    first, second = (journal.start_step(run, "enrolments", "apply") for _ in range(2))
    journal.record_outcomes(first, [Outcome(op, "applied") for op in compact])
    journal.record_outcomes(second, [Outcome(op, "applied") for op in plain.operations])
    columns = [c for c in operations.c if c.name not in ("id", "step_run_id")]
    with journal.engine.connect() as connection:
        rows = {
            run: [
                tuple(row)
                for row in connection.execute(
                    select(*columns)
                    .where(operations.c.step_run_id == run)
                    .order_by(operations.c.seq)
                )
            ]
            for run in (first, second)
        }
    assert rows[first] == rows[second] and len(rows[first]) == 4
    sources = [row[columns.index(operations.c.source)] for row in rows[first]]
    assert {
        "origin": "student",
        "table": "IND_CONTRAT_ELP",
        "registrations": [FIRST.to_json()],
    } in sources
