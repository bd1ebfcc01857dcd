"""Whether the groups step reads every managed group's members tonight (a full check, every
`[groups] full_check_days`), and otherwise whose memberships the journal says Moodle may have
dropped on its own: the students whose rows of the external table the enrolments step removed
since the last groups run that was applied. Moodle's enrol_database sync unenrols them, and
unenrolling drops their memberships of the course's groups, which the groups' records do not
know (see domain/group_reads.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from ..domain.enrolments import KIND as ENROLMENT
from ..domain.full_check import full_check_due
from ..domain.plan import Action
from ..journal.schema import operations, step_runs
from ..journal.store import Journal
from .base import StepContext

GROUPS = "groups"
ENROLMENTS = "enrolments"
# When every managed group's members were last read back from Moodle.
FULL_CHECK_FLAG = "groups.last_full_check"


def member_check(ctx: StepContext, tonight: Iterable[str] = ()) -> tuple[bool, dict[str, set[str]]]:
    """(full check tonight, usernames unenrolled by course since the last run: none on a full
    check). `tonight`: the keys of the rows the enrolments step has just removed, which the
    journal holds only once that step has ended."""
    last = ctx.journal.flag(FULL_CHECK_FLAG)
    if full_check_due(last, ctx.now, ctx.settings.groups.full_check_days):
        return True, {}
    unenrolled = unenrolled_since_groups(ctx.journal)
    for course, users in by_course(tonight).items():
        unenrolled.setdefault(course, set()).update(users)
    return False, unenrolled


def full_check_done(ctx: StepContext) -> None:
    """Notes tonight's full check, once its plan is applied."""
    ctx.journal.set_flag(FULL_CHECK_FLAG, ctx.now.isoformat())


def unenrolled_since_groups(journal: Journal) -> dict[str, set[str]]:
    """Usernames by course idnumber whose rows an applied enrolments run removed after the
    last groups run that succeeded (all of them when there was none)."""
    with journal.engine.connect() as connection:
        last = connection.execute(
            select(func.max(step_runs.c.id)).where(
                step_runs.c.step == GROUPS,
                step_runs.c.mode == "apply",
                step_runs.c.status == "succeeded",
            )
        ).scalar_one_or_none()
        runs = select(step_runs.c.id).where(
            step_runs.c.step == ENROLMENTS, step_runs.c.mode == "apply"
        )
        if last is not None:
            runs = runs.where(step_runs.c.id > last)
        # The runs' ids first, as values: with a subquery SQLite reads every enrolment
        # operation ever journaled through the index on kind.
        run_ids = list(connection.execute(runs).scalars())
        if not run_ids:
            return {}
        keys = connection.execute(
            select(operations.c.key).where(
                operations.c.step_run_id.in_(run_ids),
                operations.c.kind == ENROLMENT,
                operations.c.action == Action.REMOVE.value,
                operations.c.outcome == "applied",
            )
        ).scalars()
        return by_course(keys)


def by_course(keys: Iterable[str]) -> dict[str, set[str]]:
    """Usernames by course idnumber of the external table's row keys."""
    unenrolled: dict[str, set[str]] = {}
    for key in keys:
        # A row's key is "course|user|role" (RowKey); a course idnumber may hold "|".
        course, user, _ = key.rsplit("|", 2)
        unenrolled.setdefault(course, set()).add(user)
    return unenrolled
