"""An in-memory Moodle for the pure planning tests: groups, members and enrolments, read the
way the step reads Moodle (in the phases the domain's helpers choose) and changed the way the
applier changes it."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from jonction.config.groups import GroupsSection
from jonction.domain.group_plan import (
    GroupsPlanning,
    Resolved,
    account_owners,
    adopted_to_read,
    courses_to_read,
    determine_actions,
    enrolment_reads,
    resolve_members,
)
from jonction.domain.group_reads import member_reads
from jonction.domain.group_records import groups_named, records_after
from jonction.domain.group_state import Account, GroupRecord, KnownGroups, MoodleGroup
from jonction.domain.groups import GROUP, MEMBER, DesiredGroups
from jonction.domain.plan import Action, Operation, Plan

from .builders import Campus, course


@dataclass
class World:
    courses: dict[str, int] = field(default_factory=dict)
    groups: dict[int, MoodleGroup] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    enrolled: dict[int, set[int]] = field(default_factory=dict)
    records: dict[str, GroupRecord] = field(default_factory=dict)
    next_id: int = 1000
    reads: dict[str, int] = field(default_factory=dict)

    def course(self, idnumber: str, course_id: int) -> None:
        self.courses[idnumber] = course_id
        self.enrolled.setdefault(course_id, set())

    def enrol(self, course_id: int, *users: int) -> None:
        self.enrolled.setdefault(course_id, set()).update(users)

    def hand_group(self, course_id: int, name: str, idnumber: str = "") -> int:
        self.next_id += 1
        self.groups[self.next_id] = MoodleGroup(self.next_id, course_id, name, idnumber)
        self.members[self.next_id] = set()
        return self.next_id

    def by_key(self, key: str) -> MoodleGroup:
        return self.groups[self.records[key].moodle_id]

    # Reading, phase by phase ------------------------------------------------------------------

    def known(
        self,
        desired: DesiredGroups,
        resolved: Resolved,
        config: GroupsSection,
        accounts: dict[str, Account],
        *,
        full: bool = True,
        unenrolled: Mapping[str, Set[int]] | None = None,
    ) -> KnownGroups:
        known = KnownGroups(
            courses=dict(self.courses),
            records=dict(self.records),
            accounts=accounts,
            usernames={a.user_id: a.username for a in accounts.values()},
        )
        self.reads = {"members": 0, "courses": 0, "enrolled": 0, "user_courses": 0}
        chosen = member_reads(desired, resolved, known, config, full=full, unenrolled=unenrolled)
        known.members.update(chosen.trusted)
        for group_id in chosen.read:
            self._read_members(known, group_id)
        for course_id in courses_to_read(desired, known, config):
            self.reads["courses"] += 1
            known.course_groups[course_id] = [
                g for g in self.groups.values() if g.course_id == course_id
            ]
        for group_id in adopted_to_read(desired, known):
            self._read_members(known, group_id)
        reads = enrolment_reads(desired, resolved, known)
        for course_id in reads.courses:
            self.reads["enrolled"] += 1
            known.enrolled[course_id] = frozenset(self.enrolled.get(course_id, set()))
        for user_id in reads.users:
            self.reads["user_courses"] += 1
            known.user_courses[user_id] = frozenset(
                c for c, users in self.enrolled.items() if user_id in users
            )
        return known

    def _read_members(self, known: KnownGroups, group_id: int) -> None:
        self.reads["members"] += 1
        if group_id in self.groups:
            known.members[group_id] = frozenset(self.members[group_id])
        else:
            known.missing.add(group_id)

    # Applying ---------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> list[tuple[Operation, int | None]]:
        applied: list[tuple[Operation, int | None]] = []
        created: dict[str, int] = {}
        for op in plan.operations:
            if op.kind == GROUP and op.action is Action.CREATE:
                after = op.after or {}
                self.next_id += 1
                course_id = int(after["course_id"])
                self.groups[self.next_id] = MoodleGroup(
                    self.next_id, course_id, str(after["name"]), str(after["idnumber"])
                )
                self.members[self.next_id] = set()
                created[op.key] = self.next_id
                applied.append((op, self.next_id))
            elif op.kind == GROUP and op.action is Action.RENAME:
                after = op.after or {}
                old = self.groups[int(after["group_id"])]
                self.groups[old.id] = MoodleGroup(
                    old.id, old.course_id, str(after["name"]), old.idnumber
                )
                applied.append((op, None))
        for op in plan.operations:
            if op.kind != MEMBER or op.source.get("deferred"):
                continue
            if op.action in (Action.ADD, Action.MOVE):
                after = op.after or {}
                group_id = after.get("group_id") or created[str(after.get("group", op.scope))]
                course_id = self.groups[int(group_id)].course_id
                user_id = int(after["user_id"])
                if user_id not in self.enrolled.get(course_id, set()):
                    continue  # Moodle refuses: only enrolled users may be members
                self.members[int(group_id)].add(user_id)
            if op.action in (Action.REMOVE, Action.MOVE):
                before = op.before or {}
                self.members[int(before["group_id"])].discard(int(before["user_id"]))
            applied.append((op, None))
        return applied


@dataclass
class Night:
    """One run of the step's pure core against the world."""

    plan: Plan
    planning: GroupsPlanning
    known: KnownGroups


def accounts_of(campus: Campus) -> dict[str, Account]:
    """Every student gets the account 'e<cod_ind>' with Moodle id 10000 + COD_IND."""
    return {
        str(s.cod_etu): Account(f"e{s.cod_ind}", 10000 + s.cod_ind)
        for s in campus.snapshot.students.values()
    }


def run_night(
    world: World,
    campus: Campus,
    config: GroupsSection | None = None,
    *,
    apply: bool = True,
    accounts: dict[str, Account] | None = None,
    today: str = "2026-10-01",
    full: bool = True,
    unenrolled: Mapping[str, Set[int]] | None = None,
) -> Night:
    from jonction.domain.groups import desired_groups

    config = config or GroupsSection()
    accounts = accounts if accounts is not None else accounts_of(campus)
    desired = desired_groups([campus.snapshot], campus.course_maps(), config)
    students = {c: s.cod_etu for c, s in campus.snapshot.students.items()}
    resolved, notices = resolve_members(desired, students, accounts)
    known = world.known(desired, resolved, config, accounts, full=full, unenrolled=unenrolled)
    plan, planning = determine_actions(
        desired,
        resolved,
        known,
        config,
        today=today,
        cod_ind_of=account_owners(students, accounts),
    )
    plan.notices[:0] = notices
    if apply:
        applied = list(world.apply(plan))
        records, forget = records_after(planning, resolved, known.records, applied)
        # The step makes the records of the groups no operation names while Moodle works,
        # the others after: together, the same records.
        untouched = planning.placements.keys() - groups_named(plan.operations)
        early, _ = records_after(planning, resolved, known.records, (), only=untouched)
        later, later_forget = records_after(
            planning, resolved, known.records, applied, skip=untouched
        )
        assert sorted(early + later, key=str) == sorted(records, key=str)
        assert later_forget == forget
        for record in records:
            world.records[record.key] = record
        for key in forget:
            world.records.pop(key, None)
    return Night(plan, planning, known)


def user(cod_ind: int) -> int:
    return 10000 + cod_ind


def enrolled_world(campus: Campus) -> World:
    """A Moodle with the campus's three courses (MAT101, MAT102, SHARED1: ids 1 to 3) and
    every student enrolled in the courses of their registrations, no group yet."""
    world = World()
    for course_id, code in enumerate(("MAT101", "MAT102", "SHARED1"), start=1):
        world.course(course(code), course_id)
    for ip in campus.snapshot.pedagogical_registrations:
        world.enrol(world.courses[course(ip.element)], user(ip.cod_ind))
    return world
