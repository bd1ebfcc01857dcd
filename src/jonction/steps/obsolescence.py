"""The obsolescence step: courses of elements that left the catalogue, and courses of closed
years, hidden, archived and (only when the policy says so) deleted.

    records (state DB) + years ─► candidates ─► (reads: categories, those courses by id,
                                                 usage of deletion candidates)
                                              ─► determine_obsolescence ─► plan ─► apply

A night with nothing to do makes no Moodle call. The rules are in `domain.obsolescence` and in
words in docs/operations.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from ..domain.intents import is_recovery, recognise, recovery_operation
from ..domain.naming import same_label
from ..domain.obsolescence import (
    ARCHIVE_KIND,
    CourseLife,
    ObsolescenceInput,
    Usage,
    archive_categories,
    archive_ids,
    deletion_candidates,
    determine_obsolescence,
    touched_courses,
)
from ..domain.offer_state import CATEGORY_KIND, COURSE_KIND, MoodleCategory
from ..domain.plan import Action, Operation, Plan
from ..domain.years import closed_years
from ..journal.intents import intend, pending, settle
from ..journal.store import Journal, Outcome
from .base import ApplyResult, Step, StepContext
from .offer import moodle_client
from .offer_gateway import CategoryWrite, CourseWrite, OfferGateway, WriteResult
from .offer_moodle import MoodleOfferGateway
from .registry import register
from .years import years_state


def composante_labels(journal: Journal) -> dict[tuple[str, str], str]:
    """(year, COD_CMP) → the composante category's name, from the offer step's records."""
    labels: dict[tuple[str, str], str] = {}
    for key, item in journal.managed(CATEGORY_KIND).items():
        if item.data.get("level") == "composante":
            code = key.rsplit(":", 1)[-1]
            labels[(str(item.data.get("year", "")), code)] = str(item.data.get("name", code))
    return labels


class ArchiveRootMissing(Exception):
    """[obsolescence] archive_root names a category Moodle does not have."""


class ObsolescenceGateway(OfferGateway, Protocol):
    """The offer's port, plus what deleting unused courses needs."""

    async def course_usage(self, ids: Sequence[int]) -> dict[int, Usage]: ...

    async def delete_courses(self, items: Sequence[tuple[str, int]]) -> list[WriteResult]: ...


class ObsolescenceShell:
    """Reads what the pure planner needs and applies its plan, through the offer's port."""

    def __init__(self, gateway: ObsolescenceGateway, journal: Journal, ctx: StepContext) -> None:
        self.gateway = gateway
        self.journal = journal
        self.ctx = ctx
        self.categories: dict[int, MoodleCategory] = {}
        self.root = 0
        self.recovered: list[Operation] = []
        self.settled: frozenset[str] = frozenset()

    def _input(self, day: date) -> ObsolescenceInput:
        records = self.journal.managed(COURSE_KIND)
        courses = {k: CourseLife.from_data(k, v.moodle_id, v.data) for k, v in records.items()}
        archives = self.journal.managed(ARCHIVE_KIND)
        state = years_state(self.ctx.settings, self.journal, day)
        return ObsolescenceInput(
            courses=courses,
            archives=archive_categories((k, v.data) for k, v in archives.items()),
            closed=closed_years(state, day, {c.year for c in courses.values()}),
            composante_labels=composante_labels(self.journal),
            policy=self.ctx.settings.obsolescence,
            today=day,
            archive_ids={k: v.moodle_id for k, v in archives.items() if v.moodle_id is not None},
        )

    async def plan(self) -> Plan:
        data = self._input(self.ctx.now.date())
        plan = determine_obsolescence(data)
        if not plan.operations and not plan.stats.get("deletion_candidates"):
            return plan
        await self._read_categories(data)
        candidates = deletion_candidates(data)
        ids = set(touched_courses(plan)) | set(candidates)
        data.moodle = {c.id: c for c in await self.gateway.courses_by_id(sorted(ids))}
        if candidates:
            data.usage = await self._usage(candidates)
        plan = determine_obsolescence(data)
        plan.operations[:0] = self.recovered
        return plan

    async def _usage(self, ids: Sequence[int]) -> dict[int, Usage]:
        found = await self.gateway.course_usage(ids)
        return {i: found.get(i, Usage(known=False)) for i in ids}

    async def _read_categories(self, data: ObsolescenceInput) -> None:
        self.categories = {c.id: c for c in await self.gateway.categories()}
        root_key = data.policy.archive_root
        if root_key:
            matches = [c.id for c in self.categories.values() if c.idnumber == root_key]
            if not matches:
                raise ArchiveRootMissing(
                    f"[obsolescence] archive_root = {root_key!r}: Moodle has no category with "
                    "this idnumber"
                )
            self.root = matches[0]
        managed = {k: v.moodle_id for k, v in self.journal.managed(ARCHIVE_KIND).items()}
        intended = pending(self.journal, ARCHIVE_KIND)
        by_idnumber = {c.idnumber: c for c in self.categories.values() if c.idnumber}
        alive = archive_ids(managed, self.categories)
        result = recognise(
            intended,
            {k: by_idnumber[k] for k in intended if k in by_idnumber},
            managed=alive,
            managed_ids=set(alive.values()),
            moodle_id=lambda category: category.id,
            matches=lambda match, category: same_label(str(match.get("name", "")), category.name),
        )
        self.recovered = [
            recovery_operation(ARCHIVE_KIND, key, item.found.name, item, "category", "idnumber")
            for key, item in sorted(result.recovered.items())
        ]
        self.settled = result.settled
        data.archive_ids = {**alive, **{k: r.moodle_id for k, r in result.recovered.items()}}

    # Apply -----------------------------------------------------------------------------------

    async def apply(self, plan: Plan) -> list[Outcome]:
        run_id = self.ctx.run_id
        outcomes: list[Outcome] = []
        settle(self.journal, ARCHIVE_KIND, self.settled)
        ids = {k: v.moodle_id for k, v in self.journal.managed(ARCHIVE_KIND).items()}
        recoveries = [op for op in plan.operations if is_recovery(op)]
        self.journal.save_managed(
            ARCHIVE_KIND,
            [
                (op.key, int(op.source["moodle_id"]), op.source.get("record") or {})
                for op in recoveries
            ],
            run_id,
        )
        settle(self.journal, ARCHIVE_KIND, [op.key for op in recoveries])
        for op in recoveries:
            ids[op.key] = int(op.source["moodle_id"])
            outcomes.append(Outcome(op, "applied", moodle_id=int(op.source["moodle_id"])))
        creations = [
            op for op in plan.operations if op.kind == ARCHIVE_KIND and op.action is Action.CREATE
        ]
        outcomes += await self._create_archives(creations, ids)
        changes = [op for op in plan.operations if op.kind == COURSE_KIND]
        outcomes += await self._change_courses(changes, ids)
        return outcomes

    async def _create_archives(
        self, ops: list[Operation], ids: dict[str, int | None]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        levels: dict[int, list[Operation]] = defaultdict(list)
        for op in ops:
            levels[int((op.after or {}).get("depth", 0))].append(op)
        for depth in sorted(levels):
            items: list[CategoryWrite] = []
            pending_ops: dict[str, Operation] = {}
            for op in sorted(levels[depth], key=lambda o: o.key):
                after = op.after or {}
                parent_key = str(after.get("parent", ""))
                parent = self.root if parent_key == "" else ids.get(parent_key)
                if parent is None:
                    outcomes.append(
                        Outcome(op, "skipped", f"its parent {parent_key} was not created")
                    )
                    continue
                items.append(
                    CategoryWrite(op.key, name=str(after["name"]), parent=parent, idnumber=op.key)
                )
                pending_ops[op.key] = op
            if not items:
                continue
            intend(
                self.journal,
                ARCHIVE_KIND,
                [
                    (
                        i.key,
                        {"match": {"name": i.name}, "record": _archive_record(pending_ops[i.key])},
                    )
                    for i in items
                ],
                self.ctx.run_id,
            )
            results = await self.gateway.create_categories(items)
            records = []
            for result in results:
                op = pending_ops[result.key]
                if result.ok and result.id is not None:
                    ids[op.key] = result.id
                    records.append((op.key, result.id, _archive_record(op)))
                    outcomes.append(Outcome(op, "applied", moodle_id=result.id))
                else:
                    outcomes.append(Outcome(op, "failed", result.message))
            self.journal.save_managed(ARCHIVE_KIND, records, self.ctx.run_id)
            settle(self.journal, ARCHIVE_KIND, [r.key for r in results if r.ok or not r.may_exist])
        return outcomes

    async def _change_courses(
        self, ops: list[Operation], archive: Mapping[str, int | None]
    ) -> list[Outcome]:
        """Hides, shows, archives or moves back courses (one update each), deletes those the
        policy lets go; every record follows."""
        outcomes: list[Outcome] = []
        if not ops:
            return outcomes
        records = self.journal.managed(COURSE_KIND)
        catalogue = {k: v.moodle_id for k, v in self.journal.managed(CATEGORY_KIND).items()}
        places = {**catalogue, **archive}
        by_key: dict[str, list[Operation]] = defaultdict(list)
        for op in ops:
            by_key[op.key].append(op)
        writes: list[CourseWrite] = []
        carried: dict[str, tuple[list[Operation], dict[str, Any]]] = {}
        deletions: list[tuple[Operation, int]] = []
        record_only: list[tuple[str, int, dict[str, Any]]] = []
        for key, group in sorted(by_key.items()):
            record = records.get(key)
            if record is None or record.moodle_id is None:
                outcomes += [
                    Outcome(op, "skipped", "the course is not managed by jonction") for op in group
                ]
                continue
            data = dict(record.data)
            visible: bool | None = None
            category: int | None = None
            sent: list[Operation] = []
            for op in group:
                if op.action is Action.DELETE:
                    deletions.append((op, record.moodle_id))
                    continue
                after = dict(op.after or {})
                if "category" in after:
                    target = places.get(str(after["category"]))
                    if target is None:
                        outcomes.append(
                            Outcome(op, "skipped", f"category {after['category']} is not known")
                        )
                        continue
                    category = target
                    after["category_id"] = target
                if "visible" in after:
                    visible = bool(after["visible"])
                data.update(after)
                sent.append(op)
            if not sent:
                continue
            if visible is None and category is None:
                record_only.append((key, record.moodle_id, data))
                outcomes += [Outcome(op, "applied", moodle_id=record.moodle_id) for op in sent]
                continue
            writes.append(CourseWrite(key, id=record.moodle_id, visible=visible, category=category))
            carried[key] = (sent, data)
        self.journal.save_managed(COURSE_KIND, record_only, self.ctx.run_id)
        saved = []
        for result in await self.gateway.update_courses(writes) if writes else []:
            sent, data = carried[result.key]
            moodle_id = records[result.key].moodle_id
            for op in sent:
                outcomes.append(
                    Outcome(op, "applied" if result.ok else "failed", result.message, moodle_id)
                )
            if result.ok:
                saved.append((result.key, moodle_id, data))
        self.journal.save_managed(COURSE_KIND, saved, self.ctx.run_id)
        outcomes += await self._delete(deletions)
        return outcomes

    async def _delete(self, deletions: list[tuple[Operation, int]]) -> list[Outcome]:
        if not deletions:
            return []
        remover = getattr(self.gateway, "delete_courses", None)
        if remover is None:
            return [
                Outcome(op, "skipped", "deleting courses is not available") for op, _ in deletions
            ]
        results = {r.key: r for r in await remover([(op.key, mid) for op, mid in deletions])}
        outcomes = []
        gone = []
        for op, moodle_id in deletions:
            result = results.get(op.key)
            if result is not None and result.ok:
                gone.append(op.key)
                outcomes.append(Outcome(op, "applied", moodle_id=moodle_id))
            else:
                message = result.message if result is not None else "no answer"
                outcomes.append(Outcome(op, "failed", message, moodle_id))
        self.journal.forget_managed(COURSE_KIND, gone)
        return outcomes


def _archive_record(op: Operation) -> dict[str, Any]:
    after = op.after or {}
    return {k: after[k] for k in ("name", "parent", "year", "composante", "number") if k in after}


@register
class ObsolescenceStep(Step):
    name = "obsolescence"
    title = "Obsolete and closed-year courses: hidden, archived"
    requires = ("offer",)

    def __init__(self) -> None:
        self._shell: ObsolescenceShell | None = None

    async def _open(self, ctx: StepContext) -> ObsolescenceShell:
        if self._shell is None:
            client = await moodle_client(ctx)
            self._shell = ObsolescenceShell(MoodleOfferGateway(client), ctx.journal, ctx)
        return self._shell

    async def plan(self, ctx: StepContext) -> Plan:
        shell = await self._open(ctx)
        client = await moodle_client(ctx)
        mark = client.stats.calls
        try:
            return await shell.plan()
        except ArchiveRootMissing as exc:
            return Plan(self.name, blockers=[str(exc)])
        finally:
            client.stats.tally_into(ctx.calls, since=mark)

    async def apply(self, ctx: StepContext, plan: Plan) -> ApplyResult:
        shell = await self._open(ctx)
        client = await moodle_client(ctx)
        mark = client.stats.calls
        try:
            with ctx.progress("obsolescence: courses", len(plan.operations)) as task:
                outcomes = await shell.apply(plan)
                task.advance(len(plan.operations))
        finally:
            client.stats.tally_into(ctx.calls, since=mark)
        done: dict[str, int] = defaultdict(int)
        for item in outcomes:
            done[f"{item.operation.kind}_{item.operation.action}_{item.outcome}"] += 1
        return ApplyResult(outcomes, stats=dict(sorted(done.items())))
