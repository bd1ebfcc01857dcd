"""Inverse operations built from the journal, as pure functions."""

from __future__ import annotations

from jonction.domain.plan import Action, Operation
from jonction.domain.undo import inverse, undo_plan


def op(kind: str, action: Action, key: str = "k", **values: object) -> Operation:
    return Operation(kind, action, key, f"label {key}", reason="because", **values)  # type: ignore[arg-type]


def test_renames_moves_and_updates_go_back() -> None:
    renamed = inverse(
        op("course", Action.RENAME, before={"fullname": "Old"}, after={"fullname": "New"}), 7
    )
    assert isinstance(renamed, Operation)
    assert (renamed.action, renamed.before, renamed.after) == (
        Action.RENAME,
        {"fullname": "New"},
        {"fullname": "Old"},
    )
    assert renamed.source["undo_of_run"] == 7 and "undo of run 7" in renamed.reason
    moved = inverse(
        op(
            "course",
            Action.MOVE,
            before={"category": "2026:VET:A:1", "etape": "A-1"},
            after={"category": "2026:VET:B:1", "etape": "B-1"},
        ),
        7,
    )
    assert isinstance(moved, Operation)
    assert moved.after == {"category": "2026:VET:A:1", "etape": "A-1"}
    summary = inverse(
        op("course", Action.UPDATE, before={"summary": None}, after={"summary": "x"}), 7
    )
    assert isinstance(summary, Operation) and summary.after == {"summary": ""}


def test_hide_and_show_suspend_and_reactivate_flip() -> None:
    shown = inverse(
        op(
            "course",
            Action.HIDE,
            before={"visible": True},
            after={"visible": False, "hidden_by_jonction": True, "hidden_on": "2027-07-15"},
        ),
        3,
    )
    assert isinstance(shown, Operation)
    assert shown.action is Action.SHOW
    assert shown.after == {"visible": True, "hidden_by_jonction": False, "hidden_on": None}
    hidden = inverse(
        op(
            "course",
            Action.SHOW,
            before={"visible": False},
            after={"visible": True, "hidden_by_jonction": False},
        ),
        3,
    )
    assert isinstance(hidden, Operation)
    assert hidden.after == {"visible": False, "hidden_by_jonction": True}
    back = inverse(
        op(
            "user",
            Action.REACTIVATE,
            before={"suspended": True, "lastname": "A"},
            after={"suspended": False, "lastname": "B"},
            source={"moodle_id": 9},
        ),
        3,
    )
    assert isinstance(back, Operation)
    assert (back.action, back.after, back.source["moodle_id"]) == (
        Action.SUSPEND,
        {"suspended": True, "lastname": "A"},
        9,
    )
    archived = inverse(
        op(
            "course",
            Action.ARCHIVE,
            before={"category": "2026:VET:A:1"},
            after={"category": "archive:2026:U01", "archived_on": "2027-08-20"},
        ),
        3,
    )
    assert isinstance(archived, Operation)
    assert (archived.action, archived.after) == (
        Action.MOVE,
        {"category": "2026:VET:A:1", "archived_on": None},
    )


def test_members_flip_and_cohort_values_follow() -> None:
    readd = inverse(
        op(
            "cohort_member",
            Action.REMOVE,
            "2026:VET:A-1|jdoe",
            before={"member": True},
            source={"cohort": "2026:VET:A-1", "user_id": 5},
        ),
        4,
    )
    assert isinstance(readd, Operation)
    assert (readd.action, readd.after, readd.source["user_id"]) == (Action.ADD, {"member": True}, 5)
    renamed = inverse(
        op(
            "cohort",
            Action.RENAME,
            before={"name": "Old"},
            after={"name": "New"},
            source={"moodle_id": 3, "values": {"name": "New", "visible": True}},
        ),
        4,
    )
    assert isinstance(renamed, Operation)
    assert renamed.source["values"] == {"name": "Old", "visible": True}


def test_what_is_never_undone() -> None:
    assert "never deletes" in str(inverse(op("course", Action.CREATE, after={"fullname": "x"}), 1))
    assert "cannot bring" in str(inverse(op("course", Action.DELETE), 1))
    adopted = op("course", Action.UPDATE, before={"managed": False}, after={"managed": True})
    assert "stays managed" in str(inverse(adopted, 1))
    foreign = op("course", Action.MOVE, before={"category": "#12"}, after={"category": "2026:ANU"})
    assert "does not manage" in str(inverse(foreign, 1))
    assert "not something undo" in str(inverse(op("enrolment_sync", Action.UPDATE), 1))


def test_undo_plan_respects_later_changes_and_reverses_the_order() -> None:
    first = op("course", Action.RENAME, "c1", before={"fullname": "A"}, after={"fullname": "B"})
    second = op("course", Action.RENAME, "c2", before={"fullname": "C"}, after={"fullname": "D"})
    created = op("course", Action.CREATE, "c3", after={"fullname": "E"})
    summary = op("course", Action.UPDATE, "c2", before={"summary": "s"}, after={"summary": "t"})
    later_rename = op(
        "course", Action.RENAME, "c1", before={"fullname": "B"}, after={"fullname": "Z"}
    )
    plan = undo_plan(
        5,
        [("offer", first), ("offer", second), ("offer", created), ("offer", summary)],
        [(6, later_rename), (6, op("course", Action.UPDATE, "c2", after={"etape": "X-1"}))],
    )
    offer = plan.plans["offer"]
    assert [(o.key, o.action) for o in offer.operations] == [
        ("c2", Action.UPDATE),
        ("c2", Action.RENAME),
    ]
    reasons = {n.key: n.message for n in plan.kept}
    assert "run 6 changed it again" in reasons["c1"]
    assert "never deletes" in reasons["c3"]
    assert plan.steps == ["offer"]


def test_enrolment_rows_come_back_or_go() -> None:
    row = {"course": "2026:ELP:A", "user": "jdoe", "role": "student", "origin": "student"}
    back = inverse(op("enrolment", Action.REMOVE, before={**row, "missing_since": None}), 8)
    assert isinstance(back, Operation)
    assert (back.action, back.after) == (Action.ADD, {**row, "missing_since": None})
    gone = inverse(op("enrolment", Action.ADD, after={**row, "first_seen": "2026-11-01"}), 8)
    assert isinstance(gone, Operation)
    assert (gone.action, gone.before) == (Action.REMOVE, {**row, "first_seen": "2026-11-01"})
    unmarked = inverse(
        op(
            "enrolment",
            Action.UPDATE,
            before={**row, "missing_since": None},
            after={**row, "missing_since": "2026-11-02T04:15:00"},
        ),
        8,
    )
    assert isinstance(unmarked, Operation)
    assert unmarked.after == {**row, "missing_since": None}
    assert "not something undo" in str(inverse(op("enrolment_sync", Action.UPDATE), 8))
