"""The enrolments step (04:15): students from REFER, teachers from ADE, written as deltas to
the external table that Moodle's enrol_database reads, then Moodle's sync triggered.

plan: read REFER (the registrations of the managed years) and the timetable, stop if either
looks truncated, then compute the desired rows (domain/enrolments.py) and compare them with
the table. apply: write the difference in one transaction, remember the sources' sizes, and
trigger the sync when something Moodle reads has changed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..config import Settings
from ..domain import enrolments as domain
from ..domain.course_map import CourseMap
from ..domain.enrolments import AccountIndex, Accounts, CourseIndex, Desired, Grace
from ..domain.plan import Action, Notice, Operation, Plan
from ..domain.refer_model import EtapeKey, ReferSnapshot
from ..journal.schema import managed
from ..journal.store import Outcome
from ..moodle.enrol_sync import trigger_sync
from ..moodle.enrol_table import EnrolmentTable
from ..sources.ade.model import AdeError, Timetable
from ..sources.ade.reader import read_timetable_now
from ..sources.ade.rules import rules_from, window
from ..sources.ade.timetable import teaching_from
from .base import ApplyResult, Step, StepContext
from .course_maps import course_maps, shared_course_maps
from .read_ahead import SourceRead
from .refer_snapshots import refer_snapshots
from .registry import register

NAME = "enrolments"
# Sizes of the sources at the last applied run, to recognise a truncated source.
COUNTS_FLAG = "enrolments.source_counts"
# Set when the table changed but Moodle's sync did not run (it failed): retried next time.
SYNC_PENDING_FLAG = "enrolments.sync_pending"
SOURCE_COUNTS = ("refer_registrations", "ade_events")
# Reached when the table is written and Moodle's sync is triggered (StepContext.reached).
SYNCING = "syncing"
# Reached once Moodle's sync has answered (or failed).
SYNCED = "synced"
# Shared with the run's steps by then: the keys of the rows removed from the table (the
# journal has them only once the step has ended).
UNENROLLED = "enrolments.unenrolled"
# Rows changed above which the step does not let others prepare during the sync: it holds its
# plan and outcomes until the sync ends (685,420 rows on a first night at 30,000 students), and
# the groups step's preparation beside them would take the night over 1 GiB (measured: 1,056
# MiB). A night of changes writes a few thousand rows.
PREPARE_BESIDE_SYNC_ROWS = 100_000
# Whether the registry of managed rows was written after the table ("written") or not.
REGISTRY_FLAG = "enrolments.registry"
USER_KIND = "user"  # the managed accounts of the users step
KEY_WORDS = {"code": "code", "email": "e-mail", "code_or_email": "code or e-mail"}


def _naive_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None, microsecond=0)


# The two neighbours this step depends on: the offer's catalogue and the users' accounts.


class OfferCourses:
    """The offer step's course maps (one per year), as this step looks courses up: a
    registration in the map of its year; a timetable's element in the map of the timetable's
    year (the last managed one)."""

    def __init__(self, maps: Mapping[str, CourseMap], teaching_year: str) -> None:
        self._maps = maps
        self._of_element: dict[str, list[str]] = defaultdict(list)
        teaching = maps.get(teaching_year)
        for course in teaching.courses.values() if teaching else ():
            self._of_element[course.element.code].append(course.idnumber)
        self._by_hand = {
            idnumber
            for course_map in maps.values()
            for idnumber, course in course_map.courses.items()
            if course.foad_managed
        }

    def course_of(self, year: str, element: str, etape: EtapeKey) -> str | None:
        course_map = self._maps.get(year)
        ref = course_map.course_for(element, etape) if course_map else None
        return ref.idnumber if ref else None

    def courses_of_element(self, element: str) -> Sequence[str]:
        return self._of_element.get(element, [])

    def teachers_by_hand(self, course: str) -> bool:
        return course in self._by_hand


def catalogue_index(settings: Settings, snapshots: list[ReferSnapshot]) -> CourseIndex:
    """The courses the offer step wants, as this step needs them."""
    return OfferCourses(course_maps(settings, snapshots), snapshots[-1].year)


def timetable_read(settings: Settings, today: date) -> SourceRead[Timetable] | None:
    """The timetable of the last managed year's window, when ADE is configured."""
    section = settings.ade
    if not section.configured:
        return None
    year = settings.apogee.effective_years(today)[-1]
    first, last = window(section, year, today)
    return SourceRead("timetable", read_timetable_now, (section, first, last))


async def offer_courses(ctx: StepContext, snapshots: list[ReferSnapshot]) -> CourseIndex:
    """`catalogue_index` of the maps the run's steps share."""
    return OfferCourses(await shared_course_maps(ctx, snapshots), snapshots[-1].year)


def account_index(ctx: StepContext) -> Accounts:
    """The accounts the users step manages, by student number, employee number and e-mail."""
    records = ctx.journal.managed(USER_KIND)
    return AccountIndex.from_records((key, item.data) for key, item in records.items())


def _events_in_window(timetable: Timetable) -> int:
    return len(
        {e.id for e in timetable.events if timetable.first_day <= e.day <= timetable.last_day}
    )


def _registry_changes(
    outcomes: list[Outcome],
) -> tuple[Iterator[tuple[str, int | None, dict[str, Any]]], Iterator[str]]:
    """The registry's records to write and keys to forget after the table's changes."""

    def in_table(outcome: Outcome) -> bool:
        # A skipped addition was already in the table; a skipped update or removal was not.
        op = outcome.operation
        return op.action == Action.ADD or (
            op.action == Action.UPDATE and outcome.outcome == "applied"
        )

    done = [
        o
        for o in outcomes
        if o.outcome in ("applied", "skipped") and o.operation.kind == domain.KIND
    ]
    keep = (
        (
            o.operation.key,
            None,
            {k: (o.operation.after or {}).get(k) for k in ("origin", "missing_since")},
        )
        for o in done
        if in_table(o)
    )
    gone = (o.operation.key for o in done if not in_table(o))
    return keep, gone


def _removed(outcomes: list[Outcome]) -> list[str]:
    return [
        o.operation.key
        for o in outcomes
        if o.outcome == "applied"
        and o.operation.kind == domain.KIND
        and o.operation.action == Action.REMOVE
    ]


def _registered(ctx: StepContext) -> set[str]:
    with ctx.journal.engine.connect() as connection:
        query = select(managed.c.key).where(managed.c.kind == domain.KIND)
        return set(connection.execute(query).scalars())


def _mirror(ctx: StepContext, table: EnrolmentTable, outcomes: list[Outcome], check: bool) -> bool:
    """Keeps the state database's registry of managed objects (what `explain` reads) equal to
    the table: the changes just made; with `check`, a comparison of the keys that repairs what
    a run stopped between the table's commit and the registry's left. Says if it repaired."""
    keep, gone = _registry_changes(outcomes)
    ctx.journal.save_managed(domain.KIND, keep, ctx.run_id)
    ctx.journal.forget_managed(domain.KIND, gone)
    if not check:
        return False
    registered = _registered(ctx)
    in_table = {str(key) for key in table.row_keys()}
    if registered == in_table:
        return False
    rows = {str(key): row for key, row in table.read().items() if str(key) not in registered}
    ctx.journal.save_managed(
        domain.KIND,
        (
            (name, None, {"origin": row.origin, "missing_since": _iso(row.missing_since)})
            for name, row in rows.items()
        ),
        ctx.run_id,
    )
    ctx.journal.forget_managed(domain.KIND, [name for name in registered if name not in in_table])
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@register
class EnrolmentsStep(Step):
    name = NAME
    title = "Enrolments: students from REFER, teachers from ADE"
    requires = ("refer", "users", "offer")

    @classmethod
    def read_ahead(cls, settings: Settings, today: date) -> Sequence[SourceRead[Any]]:
        read = timetable_read(settings, today)
        return [read] if read is not None else []

    async def _timetable(self, ctx: StepContext) -> tuple[Timetable | None, str, bool]:
        read = timetable_read(ctx.settings, ctx.now.date())
        if read is None:
            problem = "[ade] has neither url nor path: teacher enrolments are left as they are"
            return None, problem, False
        try:
            timetable, ahead = await ctx.source(read)
            return timetable, "", ahead
        except AdeError as exc:
            problem = f"ADE could not be read ({exc}): teacher enrolments are left as they are"
            return None, problem, False

    async def plan(self, ctx: StepContext) -> Plan:
        settings = ctx.settings
        snapshots = await refer_snapshots(ctx)
        timetable, ade_problem, ahead = await self._timetable(ctx)
        counts = {"refer_registrations": sum(len(s.pedagogical_registrations) for s in snapshots)}
        if timetable is not None:
            counts["ade_events"] = _events_in_window(timetable)
        blockers = domain.shrunk_sources(
            counts, ctx.journal.flag(COUNTS_FLAG) or {}, settings.guards.source_shrink_ratio
        )
        if blockers and not ctx.forced:
            return Plan(NAME, blockers=blockers, stats=counts)

        policy = settings.policy
        courses = await offer_courses(ctx, snapshots)
        accounts = account_index(ctx)
        parts = [domain.desired_students(snapshots, courses, accounts, policy.student_role)]
        if timetable is not None:
            elements = {code for snapshot in snapshots for code in snapshot.elements}
            teaching = teaching_from(timetable, rules_from(settings.ade), elements)
            parts.append(
                domain.desired_teachers(
                    teaching,
                    courses,
                    accounts,
                    policy.teacher_role,
                    KEY_WORDS[settings.ade.teacher_key],
                )
            )
        desired: Desired = domain.merge(*parts)
        table = EnrolmentTable.open(settings.enrol_database)
        try:
            known = table.compare(desired.rows)
        finally:
            table.engine.dispose()
        plan = domain.plan_enrolments(
            desired,
            known,
            now=_naive_utc(ctx.now),
            grace=Grace(policy.student_grace_days, policy.teacher_grace_days),
            teacher_role=policy.teacher_role,
            teachers_known=timetable is not None,
            teachers_by_hand=courses.teachers_by_hand,
        )
        if ade_problem:
            severity = "error" if settings.ade.configured else "info"
            plan.notices.insert(0, Notice("ade_unavailable", "ADE", ade_problem, severity))
        plan.stats.update(counts)
        plan.stats["timetable_read_ahead"] = int(ahead)
        plan.blockers.extend(blockers)  # forced past them: kept in the journal
        return plan

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        settings = ctx.settings
        table = EnrolmentTable.open(settings.enrol_database)
        try:
            setup = table.ensure()
            for line in setup:
                ctx.log.info(line)
            rows = [op for op in plan.operations if op.kind == domain.KIND]
            # "written" once the registry follows the table; anything else (never run, or a
            # run stopped in between) makes this run compare them, unless both were empty.
            check = ctx.journal.flag(REGISTRY_FLAG) != "written" and bool(
                plan.existing.get(domain.KIND) or _registered(ctx)
            )
            ctx.journal.set_flag(REGISTRY_FLAG, "pending")
            outcomes = table.apply(rows, _naive_utc(ctx.now))
            ctx.share(UNENROLLED, _removed(outcomes))
            if any(
                o.outcome == "applied" and o.operation.action != Action.UPDATE for o in outcomes
            ):
                # Committed and not yet read by Moodle: a run that stops before the sync leaves
                # the next one to trigger it, even with nothing new to write.
                ctx.journal.set_flag(SYNC_PENDING_FLAG, True)
            stats: dict[str, Any] = {"table": table.describe(), "table_setup": setup}
            stats["managed_repaired"] = _mirror(ctx, table, outcomes, check)
            ctx.journal.set_flag(REGISTRY_FLAG, "written")
        finally:
            table.engine.dispose()
        counts = {name: plan.stats[name] for name in SOURCE_COUNTS if name in plan.stats}
        if counts:
            ctx.journal.set_flag(COUNTS_FLAG, counts)
        done = Counter(str(o.operation.action) for o in outcomes if o.outcome == "applied")
        stats.update(
            rows_added=done[Action.ADD],
            rows_removed=done[Action.REMOVE],
            rows_marked_or_unmarked=done[Action.UPDATE],
        )
        visible = done[Action.ADD] + done[Action.REMOVE]
        pending = bool(ctx.journal.flag(SYNC_PENDING_FLAG))
        journaled = 0
        if visible or pending or settings.enrol_database.sync_when_unchanged:
            if len(outcomes) <= PREPARE_BESIDE_SYNC_ROWS:
                # Moodle works now; the steps that prepare beside it may start.
                ctx.reached(SYNCING)
            syncing = asyncio.create_task(self._sync(ctx, stats, visible, pending))
            try:
                # The rows' outcomes are journaled while Moodle syncs, not after.
                if ctx.step_run_id is not None:
                    await asyncio.to_thread(ctx.journal.record_outcomes, ctx.step_run_id, outcomes)
                    journaled = len(outcomes)
            finally:
                try:
                    outcomes.append(await syncing)
                finally:
                    ctx.reached(SYNCED)
        return ApplyResult(outcomes, stats, journaled)

    async def _sync(
        self, ctx: StepContext, stats: dict[str, Any], visible: int, pending: bool
    ) -> Outcome:
        why = (
            f"{visible} row(s) added or removed"
            if visible
            else ("the last sync failed" if pending else "sync_when_unchanged")
        )
        operation = Operation(
            "enrolment_sync",
            Action.UPDATE,
            "enrol_database",
            label="Moodle's enrol_database sync",
            reason=why,
        )
        report = await trigger_sync(ctx.settings.enrol_database, ctx.settings.moodle)
        answered = time.time()
        if report is None:
            stats["sync"] = {"method": "cron"}
            ctx.journal.set_flag(SYNC_PENDING_FLAG, None)  # Moodle's cron reads the table
            return Outcome(operation, "deferred", "left to Moodle's cron")
        stats["sync"] = report.to_json()
        ctx.calls.add(
            f"enrol_database_sync ({report.method})",
            1,
            visible,
            report.seconds,
            0 if report.ok else 1,
            (answered - report.seconds, answered),
        )
        ctx.journal.set_flag(SYNC_PENDING_FLAG, None if report.ok else True)
        if not report.ok:
            ctx.log.warning("enrol_database sync failed", detail=report.detail[-500:])
            return Outcome(operation, "failed", report.detail[-2000:])
        return Outcome(operation, "applied", f"{report.method} in {report.seconds:.1f} s")
