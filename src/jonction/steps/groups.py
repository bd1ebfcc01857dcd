"""The groups step (05:00): Apogée's groups become Moodle groups in the offer's courses, with
their members; groups are renamed when their label changes, members added, removed and moved.

    REFER (one snapshot per managed year) ─┐
    offer's course map, users' accounts ────┼─► desired_groups ─► determine_actions ─► plan
    records (state DB) + Moodle reads ──────┘                                            │
    Moodle client ◄──────────── apply: groups created, renamed; members added, removed ◄─┘

The rules are in the domain modules `groups`, `group_names`, `group_plan` and
`group_records`, and in words in docs/groups.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from ..domain.group_enrolment import Pending
from ..domain.group_groupings import (
    grouping_records_after,
    groupings_to_read,
    plan_groupings,
)
from ..domain.group_plan import (
    GroupsPlanning,
    Resolved,
    account_owners,
    determine_actions,
    pending_enrolments,
    resolve_members,
)
from ..domain.group_records import groups_named, records_after
from ..domain.group_state import KnownGroups
from ..domain.groups import GROUP, GROUPING, DesiredGroups, desired_groups
from ..domain.plan import Notice, Operation, Plan
from ..journal.store import Outcome
from .base import ApplyResult, Step, StepContext
from .course_maps import shared_course_maps
from .enrolments import NAME as ENROLMENTS
from .enrolments import SYNCED, SYNCING, UNENROLLED
from .groups_ahead import RemovingAhead, remove_ahead
from .groups_apply import GroupsApplier
from .groups_checks import full_check_done, member_check
from .groups_journal import created_in_run, synced_enrolments
from .groups_known import (
    SyncedLoader,
    known_from_state,
    read_enrolments,
    read_groups,
    students_of,
)
from .groups_moodle import MoodleGroupings, MoodleGroups
from .moodle_gateways import moodle_client
from .offer import refer_snapshots
from .registry import register

NAME = "groups"


@dataclass
class Prepared:
    """What the plan needs before the enrolments are synced: the groups and members wanted,
    and what the journal and Moodle's groups say now (`read_groups`)."""

    desired: DesiredGroups
    known: KnownGroups
    resolved: Resolved
    notices: list[Notice]
    cod_ind_of: dict[int, int]
    full_check: bool
    stats: dict[str, int]  # what was read
    pending: Pending  # the students to join groups whose enrolment is to be known
    calls_from: int  # the Moodle client's count of calls when it began: its calls are the step's
    seconds: float
    ahead: bool  # by the run, before the step started
    during_sync: bool  # while Moodle synced the enrolments
    removing: RemovingAhead | None = None  # members being removed (groups_ahead.py)


@register
class GroupsStep(Step):
    name = NAME
    title = "Groups: Apogée's groups in the courses, with their members"
    requires = ("refer", "users", "offer", "enrolments")
    # What it wants, what the journal knows and Moodle's groups and members do not depend on
    # the enrolments: they are computed and read while Moodle's enrolment sync runs, which a
    # night would otherwise wait for (enrol_database suspends or unenrols; in suspend mode,
    # docs/enrolments.md, the sync leaves groups alone).
    prepare_at: ClassVar[Mapping[str, str]] = {ENROLMENTS: SYNCING}

    def __init__(self) -> None:
        self._planning = GroupsPlanning()
        self._resolved: Resolved = {}
        self._known = KnownGroups()
        self._desired = DesiredGroups()
        self._adopted_groupings: dict[str, int] = {}
        self._full_check = False
        self._prepared: Prepared | None = None
        self._removing: RemovingAhead | None = None
        self._applied_ahead: set[int] = set()
        self._tallied: int | None = None  # the client's count of calls when the plan tallied

    async def prepare(self, ctx: StepContext) -> None:
        self._prepared = await self._prepare(ctx, ahead=True)

    async def _prepare(self, ctx: StepContext, *, ahead: bool) -> Prepared:
        started = time.monotonic()
        during_sync = ahead and ctx.has_reached(ENROLMENTS, SYNCING)
        settings = ctx.settings
        config = settings.groups
        client = await moodle_client(ctx)
        calls_from = client.stats.calls
        snapshots = await refer_snapshots(ctx)
        maps = await shared_course_maps(ctx, snapshots)
        known = known_from_state(ctx.journal)

        def compute() -> tuple[DesiredGroups, Resolved, list[Notice], dict[int, int]]:
            # Pure and long (a million members on a first night): in a thread, so that the
            # steps beside this one keep being answered.
            desired = desired_groups(snapshots, maps, config)
            students = students_of(snapshots)
            resolved, notices = resolve_members(
                desired, students, known.accounts, config.listed_in_notices
            )
            return desired, resolved, notices, account_owners(students, known.accounts)

        desired, resolved, notices, cod_ind_of = await asyncio.to_thread(compute)
        stats = from_earlier_steps(ctx, known)
        full_check, unenrolled = member_check(ctx, ctx.shared_now(UNENROLLED, ()))
        stats |= await read_groups(
            MoodleGroups(client),
            known,
            desired,
            resolved,
            settings,
            full=full_check,
            unenrolled=unenrolled,
        )
        pending = await asyncio.to_thread(pending_enrolments, desired, resolved, known)
        # Sent ahead only while Moodle still syncs: after, they go with the rest of the plan.
        if during_sync and ctx.writes_ahead and not ctx.has_reached(ENROLMENTS, SYNCED):
            self._removing = await remove_ahead(
                MoodleGroups(client),
                MoodleGroupings(client),
                desired,
                resolved,
                known,
                settings,
                today=_today(ctx),
                cod_ind_of=cod_ind_of,
                syncing=lambda: not ctx.has_reached(ENROLMENTS, SYNCED),
            )
        return Prepared(
            desired,
            known,
            resolved,
            notices,
            cod_ind_of,
            full_check,
            stats,
            pending,
            calls_from,
            time.monotonic() - started,
            ahead,
            during_sync,
        )

    async def done_ahead(self) -> list[Outcome]:
        return await self._removing.outcomes() if self._removing is not None else []

    async def plan(self, ctx: StepContext) -> Plan:
        settings = ctx.settings
        client = await moodle_client(ctx)
        mark = client.stats.calls
        try:
            prepared = self._prepared or await self._prepare(ctx, ahead=False)
            self._prepared = None
            mark = min(mark, prepared.calls_from)
            desired, known, resolved = prepared.desired, prepared.known, prepared.resolved
            self._full_check = prepared.full_check
            reads = prepared.stats | await read_enrolments(
                MoodleGroups(client), known, prepared.pending, synced_loader(ctx, known)
            )
            plan, planning = determine_actions(
                desired,
                resolved,
                known,
                settings.groups,
                today=_today(ctx),
                cod_ind_of=prepared.cod_ind_of,
            )
            if self._removing is not None:
                self._applied_ahead = self._removing.into(plan)
            if desired.groupings:
                courses = groupings_to_read(desired, known)
                found, refused = await MoodleGroupings(client).of_courses(courses)
                known.course_groupings.update(found)
                known.unreadable.update(refused)
                operations, self._adopted_groupings = plan_groupings(desired, planning, known)
                plan.operations.extend(operations)
        finally:
            client.stats.tally_into(ctx.calls, mark)
            self._tallied = client.stats.calls
        # What only the plan needed (enrolments, a million pairs on a first night).
        known.synced, known.enrolled, known.user_courses = {}, {}, {}
        plan.notices[:0] = [*desired.notices, *prepared.notices]
        plan.stats.update(desired.stats)
        plan.stats.update(reads)
        plan.stats["groups_prepared_ahead"] = int(prepared.ahead)
        plan.stats["groups_prepared_during_sync"] = int(prepared.during_sync)
        plan.stats["groups_prepare_ms"] = round(prepared.seconds * 1000)
        plan.stats["group_members_removed_during_sync"] = len(self._applied_ahead)
        self._planning, self._resolved, self._known = planning, resolved, known
        self._desired = desired
        return plan

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        client = await moodle_client(ctx)
        # From the plan's tally on: the removals sent ahead may have been answered since.
        mark = self._tallied if self._tallied is not None else client.stats.calls
        # The removals sent during the sync are on their way: the rest of the plan goes now.
        done = self._applied_ahead
        rest = dataclasses.replace(
            plan, operations=[op for op in plan.operations if id(op) not in done]
        )
        # The records of the groups no operation acts on are made while Moodle works.
        untouched = self._planning.placements.keys() - groups_named(plan.operations)
        settled = asyncio.create_task(
            asyncio.to_thread(
                records_after,
                self._planning,
                self._resolved,
                self._known.records,
                (),
                only=untouched,
            )
        )
        try:
            with ctx.progress("groups and members", len(rest.operations)) as task:
                placements = self._planning.placements

                def course_of(op: Operation) -> int | None:
                    place = placements.get(op.scope)
                    return place.course_id if place is not None else None

                applier = GroupsApplier(
                    MoodleGroups(client), MoodleGroupings(client), task, course_of=course_of
                )
                ahead, later = await asyncio.gather(self.done_ahead(), applier.apply(rest))
                outcomes = [*ahead, *later]
        finally:
            client.stats.tally_into(ctx.calls, mark)
            records, _ = await settled

        # Read twice, never held: a first night applies a million operations.
        def applied() -> Iterator[tuple[Operation, int | None]]:
            return ((o.operation, o.moodle_id) for o in outcomes if o.outcome == "applied")

        touched, forget = records_after(
            self._planning, self._resolved, self._known.records, applied(), skip=untouched
        )
        records.extend(touched)
        ctx.journal.save_managed(
            GROUP, ((r.key, r.moodle_id, r.to_data()) for r in records), ctx.run_id
        )
        ctx.journal.forget_managed(GROUP, forget)
        if self._full_check:
            full_check_done(ctx)
        group_ids = {r.key: r.moodle_id for r in self._known.records.values()}
        group_ids.update((r.key, r.moodle_id) for r in records)
        groupings = grouping_records_after(
            self._desired, self._known, self._adopted_groupings, applied(), group_ids
        )
        ctx.journal.save_managed(
            GROUPING, ((r.key, r.moodle_id, r.to_data()) for r in groupings), ctx.run_id
        )
        return ApplyResult(
            outcomes,
            {
                "group_records_written": len(records),
                "group_records_forgotten": len(forget),
                "grouping_records_written": len(groupings),
            },
        )


def from_earlier_steps(ctx: StepContext, known: KnownGroups) -> dict[str, int]:
    """Fills `known` with what the journal tells of the steps before: the courses created in
    this run have no group (not read), and the enrolments the sync made (not checked)."""
    created = [
        known.courses[c] for c in created_in_run(ctx.journal, ctx.run_id) if c in known.courses
    ]
    for course_id in created:
        known.course_groups.setdefault(course_id, [])
    return {"courses_created_in_this_run": len(created)}


def synced_loader(ctx: StepContext, known: KnownGroups) -> SyncedLoader:
    """Reads, when members are to join groups, which of them the enrolment sync enrolled."""

    def load(wanted: Mapping[int, Set[int]]) -> Mapping[int, frozenset[int]]:
        user_ids = {username: user_id for user_id, username in known.usernames.items()}
        return synced_enrolments(ctx.journal, ctx.settings, known.courses, user_ids, wanted).users

    return load


def _today(ctx: StepContext) -> str:
    today: date = ctx.now.date()
    return today.isoformat()
