"""Applying an offer plan: parents before children, in bulk, every object recorded.

Order: categories are created level by level (a category needs its parent's Moodle id),
then categories are renamed and moved, then courses are created, then courses are updated
(all the changes of one course go in one item). Each phase is one bulk operation of the
gateway (batched and concurrent). The key of every object about to be created is written
first as an intent (`journal/intents.py`); created objects are recorded in the state database
after every chunk and their intents settled, so that an object made by a run stopped
half-way is recognised by the next run as jonction's own, never taken for a hand-made one.
Objects recognised that way are recorded first (no Moodle write).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import Any

from ..domain.intents import is_recovery
from ..domain.offer_plan import MOODLE_COURSE_FIELDS
from ..domain.offer_state import CATEGORY_KIND, COURSE_KIND, KnownCatalogue
from ..domain.plan import Action, Operation, Plan
from ..journal.intents import intend, settle
from ..journal.store import Journal, Outcome
from .base import ProgressTask
from .offer_gateway import CategoryWrite, CourseWrite, OfferGateway, WriteResult

# Courses created between two saves of the records (a few full batches of every worker).
CHUNK = 300


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _course_record(previous: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    data = {**previous, **after}
    for transient in ("startdate", "enddate"):
        data.pop(transient, None)
    return data


@dataclass
class OfferApplier:
    gateway: OfferGateway
    journal: Journal
    known: KnownCatalogue
    run_id: int | None
    progress: ProgressTask | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    category_ids: dict[str, int] = field(default_factory=dict)
    # What the state database holds for each managed object, to merge changes into.
    category_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    course_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, record in self.known.category_records.items():
            if record.moodle_id is not None and record.moodle_id in self.known.categories:
                self.category_ids[key] = record.moodle_id
        managed = self.journal.managed
        self.category_data = {k: dict(v.data) for k, v in managed(CATEGORY_KIND).items()}
        self.course_data = {k: dict(v.data) for k, v in managed(COURSE_KIND).items()}

    def _done(
        self, op: Operation, outcome: str, message: str = "", moodle_id: int | None = None
    ) -> None:
        self.outcomes.append(Outcome(op, outcome, message, moodle_id))
        if self.progress is not None:
            self.progress.advance()

    def _category_id(self, idnumber: str) -> int | None:
        if idnumber == "":
            return self.known.root
        return self.category_ids.get(idnumber)

    async def apply(self, plan: Plan) -> list[Outcome]:
        self._recover([o for o in plan.operations if is_recovery(o)])
        for kind, keys in self.known.settled_intents.items():
            settle(self.journal, kind, keys)
        ops = [o for o in plan.operations if not is_recovery(o)]
        await self._create_categories(
            [o for o in ops if o.kind == CATEGORY_KIND and o.action is Action.CREATE]
        )
        await self._update_categories(
            [o for o in ops if o.kind == CATEGORY_KIND and o.action is not Action.CREATE]
        )
        await self._create_courses(
            [o for o in ops if o.kind == COURSE_KIND and o.action is Action.CREATE]
        )
        await self._update_courses(
            [o for o in ops if o.kind == COURSE_KIND and o.action is not Action.CREATE]
        )
        return self.outcomes

    def _recover(self, ops: list[Operation]) -> None:
        """Records the objects a stopped run created (recognised by their intents)."""
        for kind, store in ((CATEGORY_KIND, self.category_data), (COURSE_KIND, self.course_data)):
            mine = [op for op in ops if op.kind == kind]
            records = []
            for op in mine:
                moodle_id = int(op.source["moodle_id"])
                record = dict(op.source.get("record") or {})
                records.append((op.key, moodle_id, record))
                store[op.key] = record
                if kind == CATEGORY_KIND:
                    self.category_ids[op.key] = moodle_id
                self._done(op, "applied", moodle_id=moodle_id)
            self.journal.save_managed(kind, records, self.run_id)
            settle(self.journal, kind, [op.key for op in mine])

    def _settle(self, kind: str, results: Sequence[WriteResult]) -> None:
        """Forgets the intents whose answer is known (kept when the answer was lost)."""
        settle(self.journal, kind, [r.key for r in results if r.ok or not r.may_exist])

    # Categories -----------------------------------------------------------------------------

    async def _create_categories(self, ops: list[Operation]) -> None:
        def depth(op: Operation) -> int:
            return int((op.after or {}).get("depth", 0))

        for _, level in groupby(sorted(ops, key=lambda o: (depth(o), o.key)), key=depth):
            items: list[CategoryWrite] = []
            pending: dict[str, Operation] = {}
            for op in level:
                after = op.after or {}
                parent = self._category_id(str(after.get("parent", "")))
                if parent is None:
                    self._done(
                        op, "skipped", f"its parent category {after.get('parent')} was not created"
                    )
                    continue
                items.append(
                    CategoryWrite(op.key, name=str(after["name"]), parent=parent, idnumber=op.key)
                )
                pending[op.key] = op
            intend(
                self.journal,
                CATEGORY_KIND,
                [
                    (item.key, {"match": {"name": item.name}, "record": self._category_data(op)})
                    for item in items
                    for op in (pending[item.key],)
                ],
                self.run_id,
            )
            results = await self.gateway.create_categories(items) if items else []
            records = []
            for result in results:
                op = pending[result.key]
                if result.ok and result.id is not None:
                    self.category_ids[op.key] = result.id
                    records.append((op.key, result.id, self._category_data(op)))
                    self._done(op, "applied", moodle_id=result.id)
                else:
                    self._done(op, "failed", result.message)
            self.journal.save_managed(CATEGORY_KIND, records, self.run_id)
            self._settle(CATEGORY_KIND, results)

    @staticmethod
    def _category_data(op: Operation) -> dict[str, Any]:
        after = op.after or {}
        return {key: after[key] for key in ("name", "parent", "level", "year") if key in after}

    async def _update_categories(self, ops: list[Operation]) -> None:
        by_key: dict[str, list[Operation]] = defaultdict(list)
        for op in ops:
            by_key[op.key].append(op)
        items: list[CategoryWrite] = []
        carried: dict[str, list[Operation]] = {}
        for key, group in sorted(by_key.items()):
            moodle_id = self.category_ids.get(key)
            if moodle_id is None:
                for op in group:
                    self._done(op, "skipped", "the category is not known in Moodle")
                continue
            name: str | None = None
            parent: int | None = None
            sent: list[Operation] = []
            for op in group:
                after = op.after or {}
                if "name" in after:
                    name = str(after["name"])
                if "parent" in after:
                    parent = self._category_id(str(after["parent"]))
                    if parent is None:
                        self._done(
                            op, "skipped", f"its new parent {after['parent']} was not created"
                        )
                        continue
                sent.append(op)
            if sent:
                items.append(CategoryWrite(key, id=moodle_id, name=name, parent=parent))
                carried[key] = sent
        results = await self.gateway.update_categories(items) if items else []
        records = []
        for result in results:
            moodle_id = self.category_ids[result.key]
            data = dict(self.category_data.get(result.key, {}))
            for op in carried[result.key]:
                if result.ok:
                    data.update(op.after or {})
                    self._done(op, "applied", moodle_id=moodle_id)
                else:
                    self._done(op, "failed", result.message, moodle_id)
            if result.ok:
                records.append((result.key, moodle_id, data))
        self.journal.save_managed(CATEGORY_KIND, records, self.run_id)

    # Courses --------------------------------------------------------------------------------

    async def _create_courses(self, ops: list[Operation]) -> None:
        for chunk in _chunks(sorted(ops, key=lambda o: o.key), CHUNK):
            items: list[CourseWrite] = []
            pending: dict[str, tuple[Operation, int]] = {}
            for op in chunk:
                after = op.after or {}
                category = self._category_id(str(after["category"]))
                if category is None:
                    self._done(op, "skipped", f"its category {after['category']} was not created")
                    continue
                items.append(
                    CourseWrite(
                        op.key,
                        fullname=str(after["fullname"]),
                        shortname=str(after["shortname"]),
                        idnumber=op.key,
                        category=category,
                        summary=str(after["summary"]),
                        visible=bool(after["visible"]),
                        startdate=int(after["startdate"]) or None,
                        enddate=int(after["enddate"]) or None,
                    )
                )
                pending[op.key] = (op, category)
            intend(
                self.journal,
                COURSE_KIND,
                [
                    (item.key, {"match": {"shortname": item.shortname}, "record": record})
                    for item in items
                    for record in (self._new_course_record(*pending[item.key]),)
                ],
                self.run_id,
            )
            results = await self.gateway.create_courses(items) if items else []
            records = []
            for result in results:
                op, category = pending[result.key]
                if result.ok and result.id is not None:
                    records.append((op.key, result.id, self._new_course_record(op, category)))
                    self._done(op, "applied", moodle_id=result.id)
                else:
                    self._done(op, "failed", result.message)
            self.journal.save_managed(COURSE_KIND, records, self.run_id)
            self._settle(COURSE_KIND, results)

    @staticmethod
    def _new_course_record(op: Operation, category: int) -> dict[str, Any]:
        data = _course_record({}, op.after or {})
        data["category_id"] = category
        return data

    def _course_write(
        self, key: str, moodle_id: int, group: list[Operation]
    ) -> tuple[CourseWrite | None, list[Operation], dict[str, Any]]:
        """One update item for all the changes of a course; the ops it carries; the values
        to record."""
        values: dict[str, Any] = {}
        carried: list[Operation] = []
        recorded: dict[str, Any] = {}
        for op in group:
            after = dict(op.after or {})
            if "category" in after:
                category = self._category_id(str(after["category"]))
                if category is None:
                    self._done(op, "skipped", f"its category {after['category']} was not created")
                    continue
                after["category_id"] = category
                values["category"] = category
            for name in MOODLE_COURSE_FIELDS - {"category"}:
                if name in after:
                    values[name] = after[name]
            recorded.update(after)
            carried.append(op)
        if not values:
            return None, carried, recorded
        item = CourseWrite(
            key,
            id=moodle_id,
            fullname=values.get("fullname"),
            shortname=values.get("shortname"),
            idnumber=values.get("idnumber"),
            category=values.get("category"),
            summary=values.get("summary"),
            visible=values.get("visible"),
        )
        return item, carried, recorded

    async def _update_courses(self, ops: list[Operation]) -> None:
        by_key: dict[str, list[Operation]] = defaultdict(list)
        for op in ops:
            by_key[op.key].append(op)
        items: list[CourseWrite] = []
        carried: dict[str, tuple[int, list[Operation], dict[str, Any]]] = {}
        records = []
        for key, group in sorted(by_key.items()):
            record = self.known.course_records.get(key)
            if record is None or record.moodle_id is None:
                for op in group:
                    self._done(op, "skipped", "the course is not managed by jonction")
                continue
            item, sent, recorded = self._course_write(key, record.moodle_id, group)
            if item is None:
                # Only jonction's own record changes (placement, marks): no call.
                for op in sent:
                    self._done(op, "applied", moodle_id=record.moodle_id)
                if sent:
                    records.append((key, record.moodle_id, self._merged(key, recorded)))
                continue
            items.append(item)
            carried[key] = (record.moodle_id, sent, recorded)
        self.journal.save_managed(COURSE_KIND, records, self.run_id)
        records = []
        for result in await self.gateway.update_courses(items) if items else []:
            moodle_id, sent, recorded = carried[result.key]
            for op in sent:
                if result.ok:
                    self._done(op, "applied", moodle_id=moodle_id)
                else:
                    self._done(op, "failed", result.message, moodle_id)
            if result.ok:
                records.append((result.key, moodle_id, self._merged(result.key, recorded)))
        self.journal.save_managed(COURSE_KIND, records, self.run_id)

    def _merged(self, key: str, recorded: Mapping[str, Any]) -> dict[str, Any]:
        return _course_record(self.course_data.get(key, {}), recorded)
