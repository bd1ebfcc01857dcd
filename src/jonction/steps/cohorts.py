"""The cohorts step (03:45): a cohort per étape and composante of the open years.

Reads REFER (one snapshot per open year), the accounts the users step recorded (student
number → Moodle account), Moodle's cohorts and the members of those jonction manages whose
members may have changed (all of them on a full check, see `domain.cohort_reads`), and
applies the plan of `domain.cohorts`: cohorts created first, then renamed or moved, then
members added and removed in batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Set
from typing import ClassVar

from ..domain.accounts import USER
from ..domain.cohort_reads import cohort_reads, read_figures, watched_cohorts
from ..domain.cohorts import (
    COHORT,
    MEMBER,
    CohortRules,
    DesiredCohorts,
    ManagedCohort,
    MoodleCohort,
    accounts_by_student_number,
    cohort_records,
    desired_cohorts,
    determine_cohort_actions,
)
from ..domain.full_check import full_check_due
from ..domain.plan import Action, Notice, Operation, Plan
from ..domain.refer_model import ReferSnapshot
from ..journal.store import Outcome
from .base import ApplyResult, Step, StepContext
from .moodle_gateways import CohortsGateway, WriteResult, cohorts_gateway
from .refer_snapshots import refer_snapshots
from .registry import register

# The name the spaces step knows them by.
open_year_snapshots = refer_snapshots

PROGRESS_SLICE = 2000
# When the members of every cohort of the open years were last read back from Moodle.
FULL_CHECK_FLAG = "cohorts.last_full_check"
GatewayFactory = Callable[[StepContext], Awaitable[CohortsGateway]]


def _managed_cohorts(ctx: StepContext) -> dict[str, ManagedCohort]:
    return {
        key: ManagedCohort.from_data(key, item.moodle_id, item.data)
        for key, item in ctx.journal.managed(COHORT).items()
    }


def _by_idnumber(cohorts: list[MoodleCohort]) -> tuple[dict[str, MoodleCohort], list[Notice]]:
    """Cohorts by idnumber; Moodle does not keep idnumbers unique on update, so a shared one
    goes to the oldest cohort and is reported."""
    found: dict[str, MoodleCohort] = {}
    notices: list[Notice] = []
    for cohort in sorted(cohorts, key=lambda c: c.id):
        if not cohort.idnumber:
            continue
        if cohort.idnumber in found:
            notices.append(
                Notice(
                    "cohort_idnumber_shared",
                    cohort.idnumber,
                    f"cohorts {found[cohort.idnumber].id} and {cohort.id} share the idnumber "
                    f"{cohort.idnumber}: only cohort {found[cohort.idnumber].id} is kept up to "
                    "date",
                )
            )
            continue
        found[cohort.idnumber] = cohort
    return found, notices


def empty_year_blockers(
    snapshots: list[ReferSnapshot], managed: Mapping[str, ManagedCohort]
) -> list[str]:
    """An open year that REFER shows without any registration, while jonction manages
    cohorts of it, would empty them: refused."""
    return [
        f"REFER has no valid administrative registration for {snapshot.year} while jonction "
        f"manages cohorts of that year: refusing to empty them (run the refer step, or "
        f"--force cohorts if the year is really empty)"
        for snapshot in snapshots
        if not snapshot.admin_registrations
        and any(record.year == snapshot.year for record in managed.values())
    ]


@register
class CohortsStep(Step):
    name = "cohorts"
    title = "Cohorts of étapes and composantes"
    requires = ("refer",)

    gateway_factory: ClassVar[GatewayFactory | None] = None

    def __init__(self) -> None:
        self._desired: DesiredCohorts | None = None
        self._known: dict[str, MoodleCohort] = {}
        self._managed: dict[str, ManagedCohort] = {}
        self._members: dict[int, Set[int]] = {}
        self._years: set[str] = set()
        self._full_check = False

    async def _gateway(self, ctx: StepContext) -> CohortsGateway:
        factory = type(self).gateway_factory or cohorts_gateway
        return await factory(ctx)

    async def plan(self, ctx: StepContext) -> Plan:
        settings = ctx.settings
        snapshots = await refer_snapshots(ctx)
        users = ctx.journal.managed(USER)
        accounts, account_notices = accounts_by_student_number(
            (key, item.moodle_id, item.data) for key, item in users.items()
        )
        desired = desired_cohorts(snapshots, accounts, CohortRules.from_section(settings.cohorts))
        managed = _managed_cohorts(ctx)
        gateway = await self._gateway(ctx)
        everything, shared = _by_idnumber(await gateway.read_cohorts())
        years = {snapshot.year for snapshot in snapshots}
        known = {
            idnumber: cohort
            for idnumber, cohort in everything.items()
            if idnumber in desired.cohorts or idnumber in managed
        }
        full = full_check_due(
            ctx.journal.flag(FULL_CHECK_FLAG), ctx.now, settings.cohorts.full_check_days
        )
        # Members matter only where jonction may change them: the open years' cohorts.
        watched = watched_cohorts(desired, known, managed, years)
        reads = cohort_reads(watched, managed, desired, full=full)
        members = dict(reads.trusted)
        if reads.read:
            members.update(await gateway.read_members(reads.read))
        usernames = {item.moodle_id: key for key, item in users.items() if item.moodle_id}
        plan = determine_cohort_actions(desired, known, members, managed, years, usernames)
        plan.notices.extend(account_notices + shared)
        plan.blockers = empty_year_blockers(snapshots, managed)
        plan.stats.update(read_figures(reads))
        self._desired, self._known, self._managed = desired, known, managed
        self._members, self._years, self._full_check = members, years, full
        return plan

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        if self._desired is None:
            raise RuntimeError("the cohorts step applies the plan it has just computed")
        gateway = await self._gateway(ctx)
        creates = [op for op in plan.operations if op.kind == COHORT and op.action == Action.CREATE]
        updates = [op for op in plan.operations if op.kind == COHORT and op.action != Action.CREATE]
        adds = [op for op in plan.operations if op.kind == MEMBER and op.action == Action.ADD]
        removals = [op for op in plan.operations if op.kind == MEMBER and op.action != Action.ADD]
        known_ids = {idnumber: cohort.id for idnumber, cohort in self._known.items()}

        async def create_then_add() -> list[Outcome]:
            # Members join the cohorts created tonight once Moodle has given their ids.
            created = await _create_cohorts(gateway, creates)
            ids: dict[str, int | None] = {**known_ids}
            ids.update(
                (o.operation.key, o.moodle_id)
                for o in created
                if o.moodle_id and o.outcome == "applied"
            )
            added = await _members(ctx, "Adding cohort members", gateway.add_members, adds, ids)
            return created + added

        # Renames and removals wait for nothing: they share the calls in flight with the rest.
        parts = await asyncio.gather(
            create_then_add(),
            _update_cohorts(gateway, updates),
            _members(ctx, "Removing cohort members", gateway.remove_members, removals, known_ids),
        )
        outcomes = [outcome for part in parts for outcome in part]
        applied = [(o.operation, o.moodle_id) for o in outcomes if o.outcome == "applied"]
        records = cohort_records(
            self._desired, self._known, self._managed, applied, self._members, self._years
        )
        ctx.journal.save_managed(COHORT, records, ctx.run_id)
        if self._full_check:
            ctx.journal.set_flag(FULL_CHECK_FLAG, ctx.now.isoformat())
        return ApplyResult(outcomes, {"managed_records_written": len(records)})


def _result_outcome(op: Operation, result: WriteResult | None) -> Outcome:
    if result is None:
        return Outcome(op, "failed", "Moodle gave no answer for this item")
    if not result.ok:
        return Outcome(op, "failed", result.message)
    return Outcome(op, "applied", moodle_id=result.moodle_id)


async def _create_cohorts(gateway: CohortsGateway, operations: list[Operation]) -> list[Outcome]:
    if not operations:
        return []
    results = {
        r.key: r for r in await gateway.create_cohorts([op.after or {} for op in operations])
    }
    return [_result_outcome(op, results.get(op.key)) for op in operations]


async def _update_cohorts(gateway: CohortsGateway, operations: list[Operation]) -> list[Outcome]:
    if not operations:
        return []
    changes = [
        (int(op.source["moodle_id"]), {"idnumber": op.key, **op.source["values"]})
        for op in operations
    ]
    results = {r.key: r for r in await gateway.update_cohorts(changes)}
    outcomes = []
    for op in operations:
        moodle_id = int(op.source["moodle_id"])
        outcome = _result_outcome(op, results.get(str(moodle_id)))
        outcomes.append(Outcome(op, outcome.outcome, outcome.message, moodle_id))
    return outcomes


async def _members(
    ctx: StepContext,
    description: str,
    write: Callable[[list[tuple[int, int]]], Awaitable[list[WriteResult]]],
    operations: list[Operation],
    ids: Mapping[str, int | None],
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    if not operations:
        return outcomes
    with ctx.progress(description, len(operations)) as task:
        for start in range(0, len(operations), PROGRESS_SLICE):
            part = operations[start : start + PROGRESS_SLICE]
            sendable: list[tuple[Operation, tuple[int, int]]] = []
            for op in part:
                cohort_id = ids.get(str(op.source["cohort"]))
                if cohort_id is None:
                    outcomes.append(Outcome(op, "failed", "the cohort could not be created"))
                else:
                    sendable.append((op, (cohort_id, int(op.source["user_id"]))))
            if sendable:
                results = {r.key: r for r in await write([pair for _, pair in sendable])}
                for op, (cohort_id, user_id) in sendable:
                    outcomes.append(_result_outcome(op, results.get(f"{cohort_id}|{user_id}")))
            task.advance(len(part))
    return outcomes
