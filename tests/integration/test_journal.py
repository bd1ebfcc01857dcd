from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jonction.db import make_engine
from jonction.domain.plan import Action, Notice, Operation
from jonction.journal.schema import metadata
from jonction.journal.store import Journal, Outcome


def _journal(url: str) -> Journal:
    journal = Journal(make_engine(url))
    journal.ensure_schema()
    journal.ensure_schema()  # idempotent
    return journal


def _assert_migrations_match_metadata(journal: Journal) -> None:
    with journal.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            diff
            for diff in compare_metadata(context, metadata)
            if not (diff[0] == "remove_table" and "version" in diff[1].name)
        ]
    assert differences == []


def _exercise(journal: Journal) -> None:
    run_id = journal.start_run("run", ["offer"])
    step_run = journal.start_step(run_id, "offer", "apply")
    op = Operation("course", Action.CREATE, "2026:ELP:X", label="Cours é & ç", after={"a": 1})
    assert journal.record_outcomes(step_run, [Outcome(op, "applied", moodle_id=12)] * 3) == 3
    journal.record_notices(step_run, [Notice("collision", "X", "hand-made")])
    journal.finish_step(step_run, "succeeded", counts={"course.create": 3})
    journal.finish_run(run_id, "succeeded", {"offer": "succeeded"})

    journal.save_managed("course", [("K1", 5, {"name": "A"}), ("K2", 6, {})], run_id)
    journal.save_managed("course", [("K1", 5, {"name": "B"})], run_id + 1)
    known = journal.managed("course")
    assert set(known) == {"K1", "K2"}
    assert known["K1"].data == {"name": "B"} and known["K1"].moodle_id == 5
    journal.forget_managed("course", ["K2"])
    assert set(journal.managed("course")) == {"K1"}

    journal.set_flag("paused", {"until": "2027-08-31"})
    assert journal.flag("paused") == {"until": "2027-08-31"}
    journal.set_flag("paused", None)
    assert journal.flag("paused") is None


def test_journal_on_sqlite(sqlite_url: str) -> None:
    journal = _journal(sqlite_url)
    _assert_migrations_match_metadata(journal)
    _exercise(journal)


@pytest.mark.postgres
def test_journal_on_postgres(postgres_url: str) -> None:
    journal = _journal(postgres_url)
    _assert_migrations_match_metadata(journal)
    _exercise(journal)


def test_kept_kinds_are_read_once_until_this_journal_writes_them(sqlite_url: str) -> None:
    journal = _journal(sqlite_url)
    other = Journal(journal.engine)  # another writer, which a run's lock rules out
    journal.save_managed("user", [("alice", 1, {"n": 1})], None)
    journal.save_managed("course", [("C1", 7, {})], None)
    journal.keep_managed(["user"])
    assert journal.managed("user")["alice"].data == {"n": 1}
    other.save_managed("user", [("bob", 2, {})], None)
    other.save_managed("course", [("C2", 8, {})], None)
    assert set(journal.managed("user")) == {"alice"}  # kept: not read again
    assert set(journal.managed("course")) == {"C1", "C2"}  # not kept: read every time
    mine = journal.managed("user")
    mine.pop("alice")  # the caller's own dict
    assert set(journal.managed("user")) == {"alice"}
    journal.save_managed("user", [("carol", 3, {})], None)
    assert set(journal.managed("user")) == {"alice", "bob", "carol"}
    journal.forget_managed("user", ["bob"])
    assert set(journal.managed("user")) == {"alice", "carol"}
