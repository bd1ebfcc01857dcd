"""The spaces step: complementary spaces get their cohort filled from their étapes and
cohorts, emptied at their end date; expired spaces are hidden; conflicts with the catalogue
are reported (rules in `domain.spaces`, words in docs/operations.md).

A night without any registered space makes no Moodle call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar

from ..config import Settings
from ..domain.accounts import USER
from ..domain.catalogue import Catalogue, desired_catalogue
from ..domain.cohorts import accounts_by_student_number
from ..domain.intents import is_recovery, recognise
from ..domain.offer_state import COURSE_KIND
from ..domain.plan import Action, Operation, Plan
from ..domain.refer_model import ReferSnapshot
from ..domain.space_conflicts import conflicts
from ..domain.spaces import (
    SPACE,
    SPACE_COHORT,
    SPACE_ENDED,
    SPACE_MEMBER,
    STEP,
    SpaceCohort,
    SpaceCourse,
    SpacesKnown,
    desired_spaces,
    determine_space_actions,
)
from ..journal.intents import intend, pending, settle
from ..journal.spaces import list_spaces
from ..journal.store import Outcome
from .base import ApplyResult, Step, StepContext
from .cohorts import open_year_snapshots
from .moodle_gateways import CohortsGateway, WriteResult, cohorts_gateway, moodle_client
from .offer_gateway import CourseWrite, OfferGateway
from .offer_moodle import MoodleOfferGateway
from .registry import register

CohortsFactory = Callable[[StepContext], Awaitable[CohortsGateway]]
CoursesFactory = Callable[[StepContext], Awaitable[OfferGateway]]


async def offer_gateway(ctx: StepContext) -> OfferGateway:
    return MoodleOfferGateway(await moodle_client(ctx))


@register
class SpacesStep(Step):
    name = STEP
    title = "Complementary spaces: cohorts until their end date, conflicts"
    requires = ("refer",)

    # How the step reaches Moodle; tests give in-memory ones.
    cohorts_factory: ClassVar[CohortsFactory | None] = None
    courses_factory: ClassVar[CoursesFactory | None] = None

    def __init__(self) -> None:
        self._known: SpacesKnown | None = None
        self._settled: frozenset[str] = frozenset()

    async def _cohorts(self, ctx: StepContext) -> CohortsGateway:
        return await (type(self).cohorts_factory or cohorts_gateway)(ctx)

    async def _courses(self, ctx: StepContext) -> OfferGateway:
        return await (type(self).courses_factory or offer_gateway)(ctx)

    async def plan(self, ctx: StepContext) -> Plan:
        journal, settings = ctx.journal, ctx.settings
        spaces = list_spaces(journal)
        managed = {k: v.moodle_id for k, v in journal.managed(SPACE_COHORT).items()}
        if not spaces and not managed:
            return Plan(STEP)
        today = ctx.now.date()
        snapshots = await open_year_snapshots(ctx)
        users = journal.managed(USER)
        accounts, _ = accounts_by_student_number(
            (key, item.moodle_id, item.data) for key, item in users.items()
        )
        usernames = {item.moodle_id: key for key, item in users.items() if item.moodle_id}
        cohorts_gw = await self._cohorts(ctx)
        moodle_cohorts = {c.idnumber: c for c in await cohorts_gw.read_cohorts() if c.idnumber}
        wanted_ids = {settings.spaces.cohort_idnumber.format(id=s.id) for s in spaces}
        listed = {c for s in spaces for c in s.cohorts}
        read = sorted(
            moodle_cohorts[k].id
            for k in (wanted_ids | set(managed) | listed)
            if k in moodle_cohorts
        )
        members = await cohorts_gw.read_members(read) if read else {}
        cohort_members = {
            idnumber: {
                u: usernames.get(u, f"user {u}")
                for u in members.get(moodle_cohorts[idnumber].id, ())
            }
            for idnumber in listed
            if idnumber in moodle_cohorts
        }
        courses_gw = await self._courses(ctx)
        courses = {
            c.id: SpaceCourse(c.id, c.shortname, c.idnumber, c.fullname, c.visible)
            for c in await courses_gw.courses_by_id(sorted({s.moodle_id for s in spaces}))
        }
        intended = pending(journal, SPACE_COHORT)
        recognition = recognise(
            intended,
            {k: moodle_cohorts[k] for k in intended if k in moodle_cohorts},
            managed={k: v for k, v in managed.items() if k in moodle_cohorts},
            managed_ids={v for v in managed.values() if v is not None},
            moodle_id=lambda cohort: cohort.id,
            matches=lambda match, cohort: str(match.get("name", "")) == cohort.name,
        )
        hidden = {
            int(key.split(":", 1)[1]): bool(item.data.get("hidden_by_jonction"))
            for key, item in journal.managed(SPACE).items()
        }
        known = SpacesKnown(
            courses=courses,
            cohorts={
                k: SpaceCohort(c.id, c.idnumber, c.name, c.description, c.visible)
                for k, c in moodle_cohorts.items()
            },
            members=members,
            managed_cohorts=managed,
            hidden=hidden,
            recovered={k: r.moodle_id for k, r in recognition.recovered.items()},
        )
        desired = desired_spaces(
            spaces, snapshots, accounts, cohort_members, settings.spaces, today
        )
        plan = determine_space_actions(desired, known, settings.spaces, today, usernames)
        catalogue = await ctx.shared_value(
            "spaces.catalogue", lambda: _catalogue(snapshots, settings)
        )
        managed_courses = {
            item.moodle_id: key
            for key, item in journal.managed(COURSE_KIND).items()
            if item.moodle_id is not None
        }
        plan.notices.extend(conflicts(spaces, catalogue, snapshots, managed_courses))
        self._known, self._settled = known, recognition.settled
        return plan

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        if self._known is None:
            if not plan.operations:
                return ApplyResult()
            raise RuntimeError("the spaces step applies the plan it has just computed")
        journal, run_id = ctx.journal, ctx.run_id
        settle(journal, SPACE_COHORT, self._settled)
        outcomes: list[Outcome] = []
        ids = {k: c.id for k, c in self._known.cohorts.items()}
        recoveries = [op for op in plan.operations if is_recovery(op)]
        journal.save_managed(
            SPACE_COHORT,
            [
                (op.key, int(op.source["moodle_id"]), {"space": op.source["space"]})
                for op in recoveries
            ],
            run_id,
        )
        settle(journal, SPACE_COHORT, [op.key for op in recoveries])
        outcomes += [
            Outcome(op, "applied", moodle_id=int(op.source["moodle_id"])) for op in recoveries
        ]
        cohorts_gw = await self._cohorts(ctx)
        outcomes += await self._create(ctx, cohorts_gw, plan, ids)
        outcomes += await self._rename(cohorts_gw, plan)
        members = [op for op in plan.operations if op.kind in (SPACE_MEMBER, SPACE_ENDED)]
        adds = [op for op in members if op.action is Action.ADD]
        removals = [op for op in members if op.action is Action.REMOVE]
        outcomes += await _members(cohorts_gw.add_members, adds, ids)
        outcomes += await _members(cohorts_gw.remove_members, removals, ids)
        outcomes += await self._visibility(ctx, plan)
        return ApplyResult(outcomes, {"operations": len(outcomes)})

    async def _create(
        self, ctx: StepContext, gateway: CohortsGateway, plan: Plan, ids: dict[str, int]
    ) -> list[Outcome]:
        ops = [
            op for op in plan.operations if op.kind == SPACE_COHORT and op.action is Action.CREATE
        ]
        if not ops:
            return []
        intend(
            ctx.journal,
            SPACE_COHORT,
            [(op.key, {"match": {"name": (op.after or {})["name"]}}) for op in ops],
            ctx.run_id,
        )
        results = {r.key: r for r in await gateway.create_cohorts([op.after or {} for op in ops])}
        outcomes, records = [], []
        for op in ops:
            result = results.get(op.key)
            if result is not None and result.ok and result.moodle_id is not None:
                ids[op.key] = result.moodle_id
                records.append((op.key, result.moodle_id, {"space": op.source["space"]}))
                outcomes.append(Outcome(op, "applied", moodle_id=result.moodle_id))
            else:
                outcomes.append(Outcome(op, "failed", result.message if result else "no answer"))
        ctx.journal.save_managed(SPACE_COHORT, records, ctx.run_id)
        settle(ctx.journal, SPACE_COHORT, [op.key for op in ops if op.key in results])
        return outcomes

    async def _rename(self, gateway: CohortsGateway, plan: Plan) -> list[Outcome]:
        ops = [
            op for op in plan.operations if op.kind == SPACE_COHORT and op.action is Action.RENAME
        ]
        if not ops:
            return []
        changes = [
            (int(op.source["moodle_id"]), {"idnumber": op.key, **op.source["values"]}) for op in ops
        ]
        results = {r.key: r for r in await gateway.update_cohorts(changes)}
        return [_outcome(op, results.get(str(op.source["moodle_id"]))) for op in ops]

    async def _visibility(self, ctx: StepContext, plan: Plan) -> list[Outcome]:
        ops = [op for op in plan.operations if op.kind == SPACE]
        if not ops:
            return []
        gateway = await self._courses(ctx)
        writes = [
            CourseWrite(
                op.key, id=int(op.source["moodle_id"]), visible=bool((op.after or {})["visible"])
            )
            for op in ops
        ]
        results = {r.key: r for r in await gateway.update_courses(writes)}
        outcomes, records = [], []
        for op in ops:
            result = results.get(op.key)
            ok = result is not None and result.ok
            outcomes.append(
                Outcome(
                    op,
                    "applied" if ok else "failed",
                    "" if ok or result is None else result.message,
                    int(op.source["moodle_id"]),
                )
            )
            if ok:
                after = op.after or {}
                records.append(
                    (
                        op.key,
                        int(op.source["moodle_id"]),
                        {"hidden_by_jonction": bool(after.get("hidden_by_jonction"))},
                    )
                )
        ctx.journal.save_managed(SPACE, records, ctx.run_id)
        return outcomes


async def _catalogue(snapshots: Sequence[ReferSnapshot], settings: Settings) -> Catalogue:
    return desired_catalogue(snapshots, settings.policy)


def _outcome(op: Operation, result: WriteResult | None) -> Outcome:
    if result is None:
        return Outcome(op, "failed", "Moodle gave no answer for this item")
    if not result.ok:
        return Outcome(op, "failed", result.message)
    return Outcome(op, "applied", moodle_id=result.moodle_id)


async def _members(
    write: Callable[[list[tuple[int, int]]], Awaitable[list[WriteResult]]],
    ops: list[Operation],
    ids: Mapping[str, int],
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    sendable: list[tuple[Operation, tuple[int, int]]] = []
    for op in ops:
        cohort = ids.get(str(op.source["cohort"]))
        if cohort is None:
            outcomes.append(Outcome(op, "failed", "the space's cohort could not be created"))
        else:
            sendable.append((op, (cohort, int(op.source["user_id"]))))
    if sendable:
        results = {r.key: r for r in await write([pair for _, pair in sendable])}
        for op, (cohort, user) in sendable:
            outcomes.append(_outcome(op, results.get(f"{cohort}|{user}")))
    return outcomes
