"""What the journal tells the groups step about the steps before it, so that it need not ask
Moodle: the courses the offer step created in this run (they have no group yet), and the
enrolments Moodle's enrol_database sync has surely made.

The enrolments step writes the external table, triggers Moodle's sync and journals the sync's
outcome (operation kind `enrolment_sync`). A row of the table (course idnumber, username) is
an enrolment in Moodle once a sync that succeeded has read it, if the course existed then:

- the enrolments runs are read from the newest: a run with no sync (nothing Moodle reads had
  changed) or that wrote nothing (blocked, guarded) is passed over; the first run that synced
  decides, and only if its sync succeeded. A run that failed, whose sync failed or was left to
  Moodle's cron, leaves nothing to take for granted;
- a course counts only if the offer step's record of it has not changed since that run (a
  course created, or created again, after the sync has none of its rows yet);
- members Moodle refused at the last groups run, or that were deferred, are checked by a read
  again, not taken from the table.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Set
from dataclasses import dataclass, field

from sqlalchemy import select

from ..config import Settings
from ..domain.groups import MEMBER
from ..domain.offer_state import COURSE_KIND
from ..journal.schema import managed, operations, step_runs
from ..journal.store import Journal
from ..moodle.enrol_table import EnrolmentTable

OFFER = "offer"
ENROLMENTS = "enrolments"
GROUPS = "groups"
SYNC_KIND = "enrolment_sync"
UNADDED = ("failed", "deferred")
# Statuses of an enrolments run that wrote nothing: the table is as the run before left it.
WROTE_NOTHING = frozenset({"blocked", "guarded", "planned", "skipped"})


def created_in_run(journal: Journal, run_id: int | None) -> set[str]:
    """Idnumbers of the courses the offer step created in this run."""
    if run_id is None:
        return set()
    query = (
        select(operations.c.key)
        .join(step_runs, step_runs.c.id == operations.c.step_run_id)
        .where(
            step_runs.c.run_id == run_id,
            step_runs.c.step == OFFER,
            operations.c.kind == COURSE_KIND,
            operations.c.action == "create",
            operations.c.outcome == "applied",
        )
    )
    with journal.engine.connect() as connection:
        return set(connection.execute(query).scalars())


def synced_run(journal: Journal) -> int | None:
    """The run whose enrolment sync covers the external table as it is now, if any."""
    runs = (
        select(step_runs.c.id, step_runs.c.run_id, step_runs.c.status)
        .where(step_runs.c.step == ENROLMENTS, step_runs.c.mode == "apply")
        .order_by(step_runs.c.id.desc())
    )
    with journal.engine.connect() as connection:
        for step_run_id, run_id, status in connection.execute(runs).all():
            if status in WROTE_NOTHING:
                continue
            if status != "succeeded":
                return None
            sync = connection.execute(
                select(operations.c.outcome).where(
                    operations.c.step_run_id == step_run_id, operations.c.kind == SYNC_KIND
                )
            ).first()
            if sync is None:
                continue
            return int(run_id) if sync.outcome == "applied" else None
    return None


def courses_unchanged_since(journal: Journal, run_id: int) -> set[str]:
    """Idnumbers of the offer's courses whose record has not changed after run `run_id`."""
    query = select(managed.c.key).where(
        managed.c.kind == COURSE_KIND,
        managed.c.updated_run.is_not(None),
        managed.c.updated_run <= run_id,
    )
    with journal.engine.connect() as connection:
        return set(connection.execute(query).scalars())


def refused_last_time(journal: Journal) -> set[tuple[str, int]]:
    """(course idnumber, user id) of the members the last groups run could not add (refused
    by Moodle, or deferred as not enrolled)."""
    with journal.engine.connect() as connection:
        row = connection.execute(
            select(step_runs.c.id, step_runs.c.counts)
            .where(
                step_runs.c.step == GROUPS,
                step_runs.c.mode == "apply",
                step_runs.c.status == "succeeded",
            )
            .order_by(step_runs.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return set()
        last, counts = row
        # The run's tally says whether any member was refused: a first night's million
        # operations are not looked through for nothing.
        done = (counts or {}).get("outcomes", {})
        if not any(done.get(f"{MEMBER}.{a}.{o}") for a in ("add", "move") for o in UNADDED):
            return set()
        rows = connection.execute(
            select(operations.c.key, operations.c.after).where(
                operations.c.step_run_id == last,
                operations.c.kind == MEMBER,
                operations.c.action.in_(("add", "move")),
                operations.c.outcome.in_(UNADDED),
            )
        ).all()
    refused: set[tuple[str, int]] = set()
    for key, after in rows:
        user = (after or {}).get("user_id")
        if isinstance(user, int):
            refused.add((str(key).split("|", 1)[0], user))
    return refused


@dataclass(frozen=True, slots=True)
class SyncedEnrolments:
    """Users the sync surely enrolled, by Moodle course id; and from which run."""

    run_id: int | None = None
    users: Mapping[int, frozenset[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(users) for users in self.users.values())


# Up to this many courses, their rows are read by course (the table's key); beyond, the
# whole table is read once (a first night wants every course).
COURSES_BY_KEY = 2000
IN_CHUNK = 500


def table_pairs(settings: Settings, courses: Collection[str]) -> Iterable[tuple[str, str]]:
    """(course idnumber, username) of the external table's rows of these courses, streamed
    (other rows may come too)."""
    table = EnrolmentTable.open(settings.enrol_database)
    try:
        with table.engine.connect() as connection:
            if not table.engine.dialect.has_table(
                connection, table.names.table, schema=table.names.schema
            ):
                return
            course = table.table.c[table.names.course]
            query = select(course, table.table.c[table.names.user])
            if len(courses) > COURSES_BY_KEY:
                queries = [query]
            else:
                wanted = sorted(courses)
                queries = [
                    query.where(course.in_(wanted[i : i + IN_CHUNK]))
                    for i in range(0, len(wanted), IN_CHUNK)
                ]
            for part in queries:
                result = connection.execute(part.execution_options(yield_per=20_000))
                for partition in result.partitions():
                    yield from partition
    finally:
        table.engine.dispose()


def synced_enrolments(
    journal: Journal,
    settings: Settings,
    courses: Mapping[str, int],
    user_ids: Mapping[str, int],
    wanted: Mapping[int, Set[int]],
) -> SyncedEnrolments:
    """Which of the `wanted` users (by course id) the groups step may take for granted as
    enrolled (see the module's docstring): `courses` are the offer's courses (idnumber →
    Moodle id), `user_ids` the accounts (username → Moodle id)."""
    run_id = synced_run(journal)
    if run_id is None:
        return SyncedEnrolments()
    trusted = {
        idnumber: courses[idnumber]
        for idnumber in courses_unchanged_since(journal, run_id)
        if idnumber in courses
    }
    refused = refused_last_time(journal)
    found: dict[int, set[int]] = {}
    wanted_courses = [c for c, course_id in trusted.items() if wanted.get(course_id)]
    # The rows of the users not wanted anywhere (most of them) are passed over at once.
    anywhere = set().union(*wanted.values())
    wanted_ids = {name: user_id for name, user_id in user_ids.items() if user_id in anywhere}
    for course, username in table_pairs(settings, wanted_courses):
        user_id = wanted_ids.get(username)
        if user_id is None:
            continue
        course_id = trusted.get(course)
        if course_id is None or user_id not in wanted.get(course_id, ()):
            continue
        if (course, user_id) in refused:
            continue
        found.setdefault(course_id, set()).add(user_id)
    return SyncedEnrolments(run_id, {c: frozenset(u) for c, u in found.items()})
