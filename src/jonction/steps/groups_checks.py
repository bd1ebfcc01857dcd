"""Whether the groups step reads every managed group's members tonight (a full check, every
`[groups] full_check_days`), and otherwise which courses the journal says Moodle may have
changed memberships in on its own: where the enrolments step removed rows of the external
table since the last groups run that was applied. Moodle's enrol_database sync unenrols those
users, and unenrolling drops their memberships of the course's groups, which the groups'
records do not know (see domain/group_reads.py).
"""

from __future__ import annotations

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


def member_check(ctx: StepContext) -> tuple[bool, set[str]]:
    """(full check tonight, courses touched since the last run: empty on a full check)."""
    last = ctx.journal.flag(FULL_CHECK_FLAG)
    if full_check_due(last, ctx.now, ctx.settings.groups.full_check_days):
        return True, set()
    return False, courses_unenrolled_since_groups(ctx.journal)


def full_check_done(ctx: StepContext) -> None:
    """Notes tonight's full check, once its plan is applied."""
    ctx.journal.set_flag(FULL_CHECK_FLAG, ctx.now.isoformat())


def courses_unenrolled_since_groups(journal: Journal) -> set[str]:
    """Idnumbers of the courses where an applied enrolments run removed a row after the last
    groups run that succeeded (every such course when there was none)."""
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
        keys = connection.execute(
            select(operations.c.key).where(
                operations.c.step_run_id.in_(runs.scalar_subquery()),
                operations.c.kind == ENROLMENT,
                operations.c.action == Action.REMOVE.value,
                operations.c.outcome == "applied",
            )
        ).scalars()
        # A row's key is "course|user|role" (RowKey); a course idnumber may hold "|".
        return {key.rsplit("|", 2)[0] for key in keys}
