"""The external enrolment table: jonction owns it, Moodle's enrol_database reads it.

Moodle reads it with plain unquoted SQL (`SELECT DISTINCT course FROM table`, then
`SELECT user, role FROM table WHERE course = '…'` course by course), so the names must be
plain lower-case identifiers. Beside the three columns Moodle reads, jonction keeps its
bookkeeping in the same rows (which source wrote the row, since when, and since when it is no
longer wanted), so that one transaction changes both.

Writes are deltas inside one transaction: rows are inserted, marked or deleted one by one;
the table is never emptied and reloaded, so Moodle never reads a half-written table.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import mysql

from ..config.moodle import EnrolDatabaseSection
from ..db import make_engine
from ..domain.enrolment_fields import RowColumns
from ..domain.enrolments import KnownRows, Origin, RowKey, TableDiff, TableKey, compare
from ..domain.plan import Action, Operation
from ..journal.store import Outcome
from ..sources.refer.fetch import stream_tuples

ORIGIN = "jonction_origin"
FIRST_SEEN = "jonction_first_seen"
MISSING_SINCE = "jonction_missing_since"
WIDTH = 100  # Moodle's course idnumber and username are at most 100 characters
CHUNK = 5000
# Up to this many users in a plan, apply checks the rows of those users only (on the user
# index); else up to this many courses, the rows of those courses (the table's key starts with
# the course); IN_SLICE of them a query. Beyond, the whole table.
USERS_BY_KEY = 5000
COURSES_BY_KEY = 2000
IN_SLICE = 500
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class EnrolmentTableError(Exception):
    """The table cannot be used as configured; the message names the setting."""


def _key_type() -> Any:
    # Exact, case-sensitive comparison everywhere: MySQL's default collations are not.
    return String(WIDTH).with_variant(
        mysql.VARCHAR(WIDTH, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _checked(setting: str, value: str) -> str:
    if not _NAME.match(value):
        raise EnrolmentTableError(
            f"[enrol_database] {setting} = {value!r}: Moodle reads the table with unquoted "
            "SQL, so use a lower-case name of letters, digits and _ (e.g. jonction_enrolments)"
        )
    return value


@dataclass(frozen=True, slots=True)
class Names:
    schema: str | None
    table: str
    course: str
    user: str
    role: str

    @classmethod
    def of(cls, section: EnrolDatabaseSection) -> Names:
        schema, _, table = section.table.rpartition(".")
        return cls(
            _checked("table", schema) if schema else None,
            _checked("table", table),
            _checked("course_column", section.course_column),
            _checked("user_column", section.user_column),
            _checked("role_column", section.role_column),
        )


class EnrolmentTable:
    def __init__(self, engine: Engine, section: EnrolDatabaseSection) -> None:
        self.engine = engine
        self.names = names = Names.of(section)
        if len({names.course, names.user, names.role}) < 3:
            raise EnrolmentTableError("[enrol_database] the three column names must differ")
        self.metadata = MetaData()
        self.table = Table(
            names.table,
            self.metadata,
            Column(names.course, _key_type(), primary_key=True),
            Column(names.user, _key_type(), primary_key=True),
            Column(names.role, _key_type(), primary_key=True),
            Column(ORIGIN, String(16)),
            Column(FIRST_SEEN, DateTime),
            Column(MISSING_SINCE, DateTime),
            Index(f"{names.table[:50]}_user_idx", names.user),
            schema=names.schema,
        )
        self._course = self.table.c[names.course]
        self._user = self.table.c[names.user]
        self._role = self.table.c[names.role]

    @classmethod
    def open(cls, section: EnrolDatabaseSection) -> EnrolmentTable:
        return cls(make_engine(section.url, password=section.password), section)

    def describe(self) -> str:
        qualified = (
            f"{self.names.schema}.{self.names.table}" if self.names.schema else self.names.table
        )
        return f"{qualified} ({self.engine.url.render_as_string(hide_password=True)})"

    # Schema ---------------------------------------------------------------------------------

    def ensure(self) -> list[str]:
        """Creates the table (with its key and user index) if missing; adds jonction's
        bookkeeping columns to a table that lacks them. Says what it did."""
        names = self.names
        inspector = inspect(self.engine)
        if not inspector.has_table(names.table, schema=names.schema):
            self.metadata.create_all(self.engine)
            return [f"created the enrolment table {self.describe()}"]
        present = {
            column["name"].lower()
            for column in inspector.get_columns(names.table, schema=names.schema)
        }
        missing = [c for c in (names.course, names.user, names.role) if c not in present]
        if missing:
            raise EnrolmentTableError(
                f"the enrolment table {self.describe()} has no column "
                + ", ".join(missing)
                + " ([enrol_database] course_column, user_column, role_column)"
            )
        done = []
        preparer = self.engine.dialect.identifier_preparer
        target = preparer.format_table(self.table)
        with self.engine.begin() as connection:
            for column in self.table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=self.engine.dialect)
                    connection.execute(
                        text(
                            f"ALTER TABLE {target} ADD COLUMN {preparer.quote(column.name)} {kind}"
                        )
                    )
                    done.append(f"added column {column.name} to {self.describe()}")
        return done

    # Reading --------------------------------------------------------------------------------

    def _exists(self) -> bool:
        return inspect(self.engine).has_table(self.names.table, schema=self.names.schema)

    def _rows(
        self, connection: Connection, *columns: Any, where: Any = None
    ) -> Iterator[tuple[TableKey, Any]]:
        """The key and driver's tuple (the key's columns, then `columns`) of every row (matching
        `where`) with a course and a user (rows without them, written by hand, are not ours,
        as domain's `compare` says); the strings repeated from row to row (courses, users,
        roles) in the keys are shared."""
        shared: dict[str, str] = {}
        one = shared.setdefault
        query = select(self._course, self._user, self._role, *columns)
        if where is not None:
            query = query.where(where)
        for row in stream_tuples(connection, query):
            course, user, role = row[0], row[1], row[2] or ""
            if course and user:
                yield (one(course, course), one(user, user), one(role, role)), row

    def _marks(self, connection: Connection) -> dict[TableKey, datetime]:
        # Dates come typed through SQLAlchemy; few rows are leaving at any time.
        leaving = self.table.c[MISSING_SINCE]
        marked = select(self._course, self._user, self._role, leaving).where(leaving.is_not(None))
        return {
            (course, user, role or ""): since
            for course, user, role, since in connection.execute(marked)
            if course and user
        }

    def read(self) -> KnownRows:
        """Every row, keyed; rows without course or user (written by hand) are not ours. A table
        not created yet has no rows."""
        known = KnownRows()
        if not self._exists():
            return known
        origins = known.origins
        with self.engine.connect() as connection:
            names: dict[str, str] = {}  # the few origins, shared
            for key, row in self._rows(connection, self.table.c[ORIGIN]):
                origins[key] = names.setdefault(row[3], row[3]) if row[3] else ""
            known.marks.update(self._marks(connection))
        return known

    def compare(self, desired: Mapping[RowKey, Origin]) -> TableDiff:
        """The table compared with the desired rows as its rows stream by (domain's
        `compare`): hundreds of thousands of rows every night, none of them kept."""
        if not self._exists():
            return compare(desired, (), {})
        columns = (self._course, self._user, self._role, self.table.c[ORIGIN])
        with self.engine.connect() as connection:
            marks = self._marks(connection)
            return compare(desired, stream_tuples(connection, select(*columns)), marks)

    def row_keys(self) -> set[RowKey]:
        if not self._exists():
            return set()
        with self.engine.connect() as connection:
            return {RowKey._make(key) for key, _ in self._rows(connection)}

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(self.table)).scalar_one()
            )

    # Writing --------------------------------------------------------------------------------

    def _by_key(self) -> Any:
        # One row by its primary key: executed for many keys at once (executemany), it uses
        # the index on every database, where (a, b, c) IN (…) scans the table on SQLite.
        return and_(
            self._course == bindparam("k_course"),
            self._user == bindparam("k_user"),
            self._role == bindparam("k_role"),
        )

    @staticmethod
    def _key_params(keys: Sequence[RowKey], **more: Any) -> list[dict[str, Any]]:
        return [{"k_course": k.course, "k_user": k.user, "k_role": k.role, **more} for k in keys]

    def apply(self, operations: Sequence[Operation], now: datetime) -> list[Outcome]:
        """Applies the plan's row changes in ONE transaction, checking each against the table
        as it is inside that transaction (a change already made is skipped, not repeated).
        The changes are written a slice of operations at a time: what the statements take is
        never held for the hundreds of thousands of rows of a first night."""
        outcomes: list[Outcome] = []
        if not operations:
            return outcomes
        with self.engine.begin() as connection:
            present = self._present(connection, operations)
            for start in range(0, len(operations), CHUNK):
                changes = _Changes()
                for op in operations[start : start + CHUNK]:
                    outcomes.append(changes.take(op, present))
                self._write(connection, changes, now)
        return outcomes

    def _present(self, connection: Connection, operations: Sequence[Operation]) -> set[TableKey]:
        """The keys of the rows the operations may find: those of their users (a user has tens
        of rows, on the user index), or of their courses (up to thousands of rows each), or
        every row when they touch many of both (a first night)."""
        users: set[str] = set()
        courses: set[str] = set()
        for op in operations:
            values = op.after if op.action != Action.REMOVE else op.before
            key = _row_key(values) if values is not None else None
            if key is not None and key.course is not None and key.user is not None:
                users.add(key.user)
                courses.add(key.course)
        if len(users) <= USERS_BY_KEY:
            column, names = self._user, sorted(users)
        elif len(courses) <= COURSES_BY_KEY:
            column, names = self._course, sorted(courses)
        else:
            return {key for key, _ in self._rows(connection)}
        present: set[TableKey] = set()
        for start in range(0, len(names), IN_SLICE):
            part = column.in_(names[start : start + IN_SLICE])
            present.update(key for key, _ in self._rows(connection, where=part))
        return present

    def _write(self, connection: Connection, changes: _Changes, now: datetime) -> None:
        names = self.names
        if changes.inserts:
            rows = [
                {
                    names.course: key.course,
                    names.user: key.user,
                    names.role: key.role,
                    ORIGIN: origin,
                    FIRST_SEEN: now,
                    MISSING_SINCE: None,
                }
                for key, origin in changes.inserts
            ]
            connection.execute(insert(self.table), rows)
        if changes.deletes:
            connection.execute(
                delete(self.table).where(self._by_key()), self._key_params(changes.deletes)
            )
        for since, keys in changes.marks.items():
            connection.execute(
                update(self.table).where(self._by_key()).values({MISSING_SINCE: since}),
                self._key_params(keys),
            )


def _row_key(values: Mapping[str, Any]) -> RowKey:
    if isinstance(values, RowColumns):
        return values.key  # the plan's own key, not a copy
    return RowKey(values["course"], values["user"], values["role"])


@dataclass(slots=True)
class _Changes:
    """The statements of a slice of operations: rows to insert, delete and mark."""

    inserts: list[tuple[RowKey, str]] = field(default_factory=list)
    deletes: list[RowKey] = field(default_factory=list)
    marks: dict[datetime | None, list[RowKey]] = field(default_factory=lambda: defaultdict(list))

    def take(self, op: Operation, present: set[TableKey]) -> Outcome:
        """The operation's change, checked against the table's keys (`present`, kept up to
        date); its outcome."""
        values = op.after if op.action != Action.REMOVE else op.before
        if values is None:
            return Outcome(op, "failed", "the operation carries no row")
        key = _row_key(values)
        if op.action == Action.ADD:
            if key in present:
                return Outcome(op, "skipped", "the row is already in the table")
            present.add(key)
            self.inserts.append((key, values.get("origin", "")))
        elif op.action == Action.REMOVE:
            if key not in present:
                return Outcome(op, "skipped", "the row is no longer in the table")
            present.discard(key)
            self.deletes.append(key)
        elif op.action == Action.UPDATE:
            if key not in present:
                return Outcome(op, "skipped", "the row is no longer in the table")
            since = values.get("missing_since")
            self.marks[datetime.fromisoformat(since) if since else None].append(key)
        else:
            return Outcome(op, "failed", f"{op.action} is not a row change")
        return Outcome(op, "applied")
