"""The groups plan: what to create, rename, add, remove and move so that Moodle's groups match
the desired ones. Pure functions, no I/O.

    desired (domain.groups) ─┐
    resolved members ────────┼─► determine_actions ─► Plan + Placements (what apply needs)
    known (group_state) ─────┘

The reads the plan needs are chosen by the helpers `members_to_read`, `courses_to_read`,
`adopted_to_read` and `enrolment_reads`, so that a quiet night reads little.

Rules:
- A group is identified by its course and idnumber, never by its name: a new label is a
  rename of the same Moodle group.
- Only groups jonction created or recognises by idnumber are changed; the names of the other
  groups of a course are avoided.
- Members jonction put in a group and no longer wanted are removed; members someone added by
  hand are kept or removed per `[groups] hand_members`.
- A student who leaves a group for another of the same family (same element or étape, same
  kind) in a course is moved: one operation, added to the new group, then removed from the
  old one.
- A student who is not enrolled in the course yet (the enrolment sync has not run) is not
  added: the operation is deferred to the next run.
- A group no longer wanted is never deleted; it is kept, or emptied of jonction's members,
  per `[groups] vanished_groups`.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

from ..config.groups import GroupsSection
from .group_enrolment import EnrolmentReads, Pending, choose_reads, known_enrolled
from .group_fields import MemberAddition, MemberGroup, MemberIds, MemberSource
from .group_names import WantedName, unique_names
from .group_state import Account, GroupRecord, KnownGroups, same_name
from .groups import GROUP, LISTED, MEMBER, DesiredGroup, DesiredGroups
from .plan import Action, Notice, Operation, Plan
from .refer_model import EtapeKey
from .user_ids import UserIds

STEP = "groups"
NOT_ENROLLED = "not_enrolled"
NOBODY: frozenset[int] = frozenset()  # shared by the placements of groups without members


class Member(NamedTuple):
    """A wanted member of a group, mapped to its Moodle account (a named tuple: a million of
    them are made on a large night)."""

    user_id: int
    username: str
    cod_ind: int
    etape: EtapeKey


Resolved = dict[str, dict[int, Member]]  # group key → user id → member
# Where a desired group is in Moodle: (Moodle id, live record, adopted by idnumber).
Settled = tuple[int | None, GroupRecord | None, bool]


def resolve_members(
    desired: DesiredGroups,
    students: Mapping[int, str | None],
    accounts: Mapping[str, Account],
    listed: int = LISTED,
) -> tuple[Resolved, list[Notice]]:
    """Maps each wanted member (COD_IND) to a Moodle account through the student number
    (COD_ETU) and the users step's records. Students without an account are left out and
    counted in one notice."""
    resolved: Resolved = {}
    without: dict[int, str] = {}
    account_of: dict[int, Account | None] = {}
    for cod_ind, cod_etu in students.items():
        account_of[cod_ind] = accounts.get(cod_etu) if cod_etu else None
    # A student is in dozens of groups, mostly through one étape: one Member each is shared.
    shared: dict[tuple[int, EtapeKey], Member] = {}
    # The student's last one, tried first: its étape is mostly the very same object (no
    # (COD_IND, étape) pair hashed for each of a million members).
    last: dict[int, Member] = {}
    for key, group in desired.groups.items():
        members: dict[int, Member] = {}
        for cod_ind, etape in group.members.items():
            member = last.get(cod_ind)
            if member is None or (member.etape is not etape and member.etape != etape):
                member = shared.get((cod_ind, etape))
                if member is None:
                    account = account_of.get(cod_ind)
                    if account is None:
                        without[cod_ind] = students.get(cod_ind) or f"COD_IND {cod_ind}"
                        continue
                    member = Member(account.user_id, account.username, cod_ind, etape)
                    shared[(cod_ind, etape)] = member
                last[cod_ind] = member
            members[member.user_id] = member
        resolved[key] = members
    notices: list[Notice] = []
    if without:
        shown = sorted(without.values())[:listed]
        notices.append(
            Notice(
                "group_member_without_account",
                "group_member_without_account",
                f"{len(without)} student(s) of Apogée groups have no Moodle account that "
                "jonction manages (the users step has not created it, or the student number is "
                "unknown to the directory): they join their groups once they have one",
                "info",
                {"count": len(without), "items": shown},
            )
        )
    return resolved, notices


def account_owners(
    students: Mapping[int, str | None], accounts: Mapping[str, Account]
) -> dict[int, int]:
    """Moodle user id → COD_IND, for the students whose account jonction knows (to tie the
    members it removes back to Apogée)."""
    by_number = {cod_etu: cod_ind for cod_ind, cod_etu in students.items() if cod_etu}
    return {
        account.user_id: by_number[number]
        for number, account in accounts.items()
        if number in by_number
    }


# Reads --------------------------------------------------------------------------------------


def _wanted_in_moodle(desired: DesiredGroups, known: KnownGroups) -> dict[str, list[DesiredGroup]]:
    """Desired groups by course, for the courses that exist in Moodle and could be read."""
    courses: dict[str, list[DesiredGroup]] = defaultdict(list)
    for group in desired.groups.values():
        course_id = known.courses.get(group.course)
        if course_id is not None and course_id not in known.unreadable:
            courses[group.course].append(group)
    return {course: sorted(groups, key=lambda g: g.key) for course, groups in courses.items()}


def members_to_read(desired: DesiredGroups, known: KnownGroups, config: GroupsSection) -> list[int]:
    """Moodle ids of the managed groups whose members the plan compares: those still wanted,
    and those no longer wanted when they are to be emptied."""
    ids: set[int] = set()
    for key, record in known.records.items():
        wanted = key in desired.groups
        if wanted or config.vanished_groups == "empty":
            ids.add(record.moodle_id)
    return sorted(ids)


def courses_to_read(desired: DesiredGroups, known: KnownGroups, config: GroupsSection) -> list[int]:
    """Courses whose groups must be read: where a group is to be created (or adopted), or
    renamed (the name must be free), or every course holding jonction's groups with
    `verify_names`."""
    ids: set[int] = set()
    for course, groups in _wanted_in_moodle(desired, known).items():
        course_id = known.courses[course]
        for group in groups:
            record = known.live(group.key)
            if record is None or not same_name(record.base, group.name) or config.verify_names:
                ids.add(course_id)
                break
    return sorted(ids - set(known.course_groups))


def adopted_to_read(desired: DesiredGroups, known: KnownGroups) -> list[int]:
    """Groups found in Moodle by idnumber that jonction does not record yet: their members
    must be read before they are compared."""
    ids: set[int] = set()
    for course, groups in _wanted_in_moodle(desired, known).items():
        course_id = known.courses[course]
        for group in groups:
            if known.live(group.key) is None:
                found = known.found_in_course(course_id, group.idnumber)
                if found is not None and found.id not in known.members:
                    ids.add(found.id)
    return sorted(ids)


def pending_enrolments(desired: DesiredGroups, resolved: Resolved, known: KnownGroups) -> Pending:
    """Users to join a group of a course where they are not known as enrolled (in none of the
    course's groups, not read tonight), with the sizes the choice of reads needs."""
    pending = Pending()
    for course, groups in _wanted_in_moodle(desired, known).items():
        course_id = known.courses[course]
        placed = [(g, _settle(g, course_id, known)) for g in groups]
        in_groups = _in_course_groups(course_id, [p for _, p in placed], known)
        everyone: set[int] = set()
        for group, (group_id, _, _) in placed:
            wanted = resolved.get(group.key, {})
            everyone.update(wanted)
            present = known.members.get(group_id, frozenset()) if group_id else frozenset()
            # Those already there are most of them: set aside at once (in C).
            for user in wanted.keys() - present:
                if user in in_groups:
                    continue
                if known_enrolled(known, course_id, user) is None:
                    pending.users_of[course_id].add(user)
        pending.course_size[course_id] = len(everyone | in_groups)
        for user in everyone:
            pending.user_courses[user] += 1
    return pending


def enrolment_reads(
    desired: DesiredGroups, resolved: Resolved, known: KnownGroups
) -> EnrolmentReads:
    """The courses and the users to ask Moodle about before adding members."""
    return choose_reads(pending_enrolments(desired, resolved, known))


# Placement of each desired group --------------------------------------------------------------


def _settle(group: DesiredGroup, course_id: int, known: KnownGroups) -> Settled:
    """(Moodle id, live record, adopted): where the desired group is in Moodle, if anywhere."""
    record = known.live(group.key)
    if record is not None:
        return record.moodle_id, record, False
    found = known.found_in_course(course_id, group.idnumber)
    if found is not None:
        return found.id, None, True
    return None, None, False


def _in_course_groups(
    course_id: int, placed: Sequence[Settled], known: KnownGroups
) -> frozenset[int]:
    """Users seen tonight in a group of the course: they are enrolled in it (Moodle removes
    the memberships of whoever is unenrolled)."""
    users: set[int] = set()
    ids = {group_id for group_id, _, _ in placed if group_id}
    ids.update(known.recorded_in(course_id))
    for group_id in ids:
        users.update(known.members.get(group_id, ()))
    return frozenset(users)


@dataclass(frozen=True, slots=True)
class Placement:
    """A desired group as the plan settled it in an existing course."""

    desired: DesiredGroup
    course_id: int
    group_id: int | None  # None: created by this plan
    name: str  # the name it must have
    current_name: str | None  # its name now (None when created)
    present: Set[int]  # its members now
    ours: Set[int]  # the members jonction put there
    adopted: bool
    record: GroupRecord | None


@dataclass(slots=True)
class GroupsPlanning:
    """What the records need beyond the plan's operations."""

    placements: dict[str, Placement] = field(default_factory=dict)
    # Managed groups no longer wanted that still exist, and managed groups gone from Moodle.
    vanished: dict[str, GroupRecord] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    today: str = ""


# Operations ---------------------------------------------------------------------------------


def _group_create(place: Placement, recreated: bool) -> Operation:
    group = place.desired
    again = " (deleted in Moodle since: created again)" if recreated else ""
    return Operation(
        GROUP,
        Action.CREATE,
        group.key,
        label=place.name,
        after={
            "name": place.name,
            "idnumber": group.idnumber,
            "course": group.course,
            "course_id": place.course_id,
            "description": group.description,
        },
        reason=f"{group.reason()}; course {group.course}{again}",
        source=group.source(),
        scope=group.course,
    )


def _group_rename(place: Placement, why: str) -> Operation:
    group = place.desired
    return Operation(
        GROUP,
        Action.RENAME,
        group.key,
        label=place.name,
        before={"name": place.current_name, "group_id": place.group_id},
        after={"name": place.name, "group_id": place.group_id},
        reason=f"{why}; {group.reason()}",
        source=group.source(),
        scope=group.course,
    )


def _rename_reason(place: Placement, read: bool) -> str:
    record = place.record
    if record is None:
        return "found in Moodle with jonction's idnumber under another name"
    if not same_name(record.base, place.desired.name):
        return "its label changed in Apogée"
    if read and not same_name(place.current_name, record.name):
        return (
            "renamed in Moodle by hand; jonction keeps the names it manages ([groups] verify_names)"
        )
    return "the name it wants is free again, or is now taken by another group of the course"


@dataclass(frozen=True, slots=True)
class _Change:
    """A membership change before moves are paired."""

    action: Action  # ADD or REMOVE
    key: str  # group key
    family: str
    user_id: int
    username: str
    group_id: int | None
    group_idnumber: str
    group_name: str
    course: str
    reason: str
    source: Mapping[str, Any]
    deferred: bool = False
    # An addition's group (shared by its members) and member: what its compact operation holds.
    added: tuple[MemberGroup, Member] | None = None


def _change(
    action: Action,
    place: Placement,
    user_id: int,
    username: str,
    reason: str,
    source: Mapping[str, Any],
    deferred: bool = False,
    added: tuple[MemberGroup, Member] | None = None,
) -> _Change:
    group = place.desired
    return _Change(
        action,
        group.key,
        group.family,
        user_id,
        username,
        place.group_id,
        group.idnumber,
        place.name,
        group.course,
        reason,
        source,
        deferred,
        added,
    )


# The source codes and reasons of deferred members are shared: a night when the enrolment
# sync has not run defers every addition.
DEFERRED: Mapping[str, str] = {"deferred": NOT_ENROLLED}


@lru_cache(maxsize=4096)
def _deferred_reason(reason: str, course: str) -> str:
    return (
        f"{reason}; not enrolled in {course} yet (Moodle's enrolment sync has not run): "
        "deferred to the next run"
    )


def _member_operation(change: _Change) -> Operation:
    reason = _deferred_reason(change.reason, change.course) if change.deferred else change.reason
    if change.added is not None and change.action is Action.ADD:
        group, member = change.added
        return MemberAddition(MEMBER, group, member, reason, DEFERRED if change.deferred else None)
    key = f"{change.key}|{change.username}"
    ids = MemberIds(change.group_id, change.user_id)
    source = change.source
    if change.deferred:
        if isinstance(source, MemberSource):
            source = source.with_extra(deferred=NOT_ENROLLED)
        else:
            source = {**source, "deferred": NOT_ENROLLED}
    return Operation(
        MEMBER,
        change.action,
        key,
        label=f"{change.username}: {change.group_name}",
        before=ids if change.action is Action.REMOVE else None,
        after=ids if change.action is Action.ADD else None,
        reason=reason,
        source=source,
        scope=change.key,
    )


def _move_operation(leave: _Change, join: _Change) -> Operation:
    source = {**join.source, "from_group": leave.source.get("group"), "from": leave.group_idnumber}
    return Operation(
        MEMBER,
        Action.MOVE,
        f"{join.key}|{join.username}",
        label=f"{join.username}: {leave.group_name} → {join.group_name}",
        before={"group_id": leave.group_id, "user_id": leave.user_id, "group": leave.key},
        after={"group_id": join.group_id, "user_id": join.user_id, "group": join.key},
        reason=f"moved from {leave.group_name} to {join.group_name} in Apogée: {join.reason}",
        source=source,
        scope=join.key,
    )


def pair_moves(changes: Sequence[_Change]) -> list[Operation]:
    """Adds and removals of one user in one course, within one family, become moves (in key
    order); the rest stay adds and removals."""
    # Only a user who leaves a group can move: the others' adds are not bucketed (a first
    # night adds a million members and removes none).
    leaving = {
        (c.course, c.user_id, c.family)
        for c in changes
        if c.action is Action.REMOVE and not c.deferred
    }
    buckets: dict[tuple[str, int, str], dict[Action, list[_Change]]] = defaultdict(
        lambda: {Action.ADD: [], Action.REMOVE: []}
    )
    for change in changes:
        if change.deferred:
            continue
        bucket = (change.course, change.user_id, change.family)
        if bucket in leaving:
            buckets[bucket][change.action].append(change)
    paired: set[int] = set()
    operations: list[Operation] = []
    for _, sides in sorted(buckets.items()):
        leaves = sorted(sides[Action.REMOVE], key=lambda c: c.key)
        joins = sorted(sides[Action.ADD], key=lambda c: c.key)
        for leave, join in zip(leaves, joins, strict=False):
            paired.update({id(leave), id(join)})
            operations.append(_move_operation(leave, join))
    operations.extend(_member_operation(c) for c in changes if id(c) not in paired)
    return operations


# The plan -----------------------------------------------------------------------------------


@dataclass
class _Tally:
    hand_kept: int = 0
    deferred: dict[str, int] = field(default_factory=dict)  # course → count
    missing_course: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    recreated: list[str] = field(default_factory=list)


def _record_source(record: GroupRecord, user_id: int, username: str) -> dict[str, Any]:
    return {**record.source, "username": username, "user_id": user_id}


class _Planner:
    def __init__(
        self,
        desired: DesiredGroups,
        resolved: Resolved,
        known: KnownGroups,
        config: GroupsSection,
        cod_ind_of: Mapping[int, int],
    ) -> None:
        self.desired = desired
        self.resolved = resolved
        self.known = known
        self.config = config
        self.cod_ind_of = cod_ind_of
        self.plan = Plan(STEP)
        self.planning = GroupsPlanning()
        self.changes: list[_Change] = []
        self.tally = _Tally()
        # Shared by the members of a group: its source codes, and the reason per étape.
        self._etapes: dict[EtapeKey, str] = {}
        self._reasons: dict[tuple[str, EtapeKey], str] = {}

    def _etape(self, etape: EtapeKey) -> str:
        text = self._etapes.get(etape)
        if text is None:
            text = self._etapes[etape] = str(etape)
        return text

    def _reason(self, group: DesiredGroup, etape: EtapeKey) -> str:
        reason = self._reasons.get((group.key, etape))
        if reason is None:
            reason = self._reasons[(group.key, etape)] = group.member_reason(etape)
        return reason

    def username(self, user_id: int) -> str:
        return self.known.usernames.get(user_id, f"id:{user_id}")

    def course(self, course: str, groups: list[DesiredGroup]) -> None:
        known = self.known
        course_id = known.courses[course]
        read = course_id in known.course_groups
        settled = {g.key: _settle(g, course_id, known) for g in groups}
        names = self._names(course_id, groups, settled, read)
        # Only a course where someone joins a group needs them (most courses on most nights).
        in_groups = cache(lambda: _in_course_groups(course_id, list(settled.values()), known))
        for group in groups:
            group_id, record, adopted = settled[group.key]
            current = None
            if group_id is not None:
                read_name = known.moodle_name(course_id, group_id) if read else None
                current = read_name if read_name is not None else (record.name if record else "")
            place = Placement(
                desired=group,
                course_id=course_id,
                group_id=group_id,
                name=names[group.key],
                current_name=current,
                present=known.members.get(group_id, NOBODY) if group_id else NOBODY,
                ours=record.members if record is not None else NOBODY,
                adopted=adopted,
                record=record,
            )
            self.planning.placements[group.key] = place
            if group_id is None:
                recreated = group.key in known.records
                if recreated:
                    self.tally.recreated.append(group.key)
                self.plan.operations.append(_group_create(place, recreated))
            elif not same_name(current, place.name):
                self.plan.operations.append(_group_rename(place, _rename_reason(place, read)))
            if adopted:
                self.tally.adopted.append(group.key)
            self._members(place, in_groups)

    def _names(
        self,
        course_id: int,
        groups: list[DesiredGroup],
        settled: Mapping[str, Settled],
        read: bool,
    ) -> dict[str, str]:
        if not read:
            # Nothing to create or rename here (else the course would have been read).
            names: dict[str, str] = {}
            for group in groups:
                record = settled[group.key][1]
                keep = record is not None and same_name(record.base, group.name)
                names[group.key] = record.name if keep and record is not None else group.name
            return names
        ours = {group_id for group_id, _, _ in settled.values() if group_id}
        taken = [g.name for g in self.known.course_groups[course_id] if g.id not in ours]
        return unique_names((WantedName(g.key, g.name, g.hints) for g in groups), taken)

    def _members(self, place: Placement, course_groups: Callable[[], frozenset[int]]) -> None:
        group = place.desired
        wanted = self.resolved.get(group.key, {})
        if place.present == wanted.keys():
            return  # most groups on most nights: nobody to add or remove
        in_groups = course_groups()
        group_source = group.source()
        shared = MemberGroup(group.key, place.name, place.group_id, group_source)
        for user_id, member in sorted(wanted.items()):
            if user_id in place.present:
                continue
            # Not enrolled as far as tonight's reads tell: deferred. Unknown: tried.
            deferred = user_id not in in_groups and (
                known_enrolled(self.known, place.course_id, user_id) is False
            )
            if deferred:
                self.tally.deferred[group.course] = self.tally.deferred.get(group.course, 0) + 1
            self.changes.append(
                _change(
                    Action.ADD,
                    place,
                    user_id,
                    member.username,
                    self._reason(group, member.etape),
                    MemberSource(
                        group_source, self._etape(member.etape), member.cod_ind, member.username
                    ),
                    deferred,
                    (shared, member),
                )
            )
        for user_id in sorted(place.present - wanted.keys()):
            if user_id in place.ours:
                reason = f"no longer wanted in this group: {self._left(group)}"
            elif self.config.hand_members == "remove":
                reason = "added in Moodle by hand ([groups] hand_members = remove)"
            else:
                self.tally.hand_kept += 1
                continue
            source = {**group.source(), "username": self.username(user_id), "user_id": user_id}
            if user_id in self.cod_ind_of:
                source["cod_ind"] = self.cod_ind_of[user_id]
            self.changes.append(
                _change(Action.REMOVE, place, user_id, self.username(user_id), reason, source)
            )

    def _left(self, group: DesiredGroup) -> str:
        if group.group is None:
            return f"no longer follows {group.course} through étape {group.etape}"
        return f"no longer in Apogée group {group.ext_code} (IND_AFFECTE_GPE {group.year})"

    def vanished(self, key: str, record: GroupRecord) -> None:
        known = self.known
        if record.moodle_id in known.missing:
            self.planning.gone.append(key)
            return
        self.planning.vanished[key] = record
        if self.config.vanished_groups != "empty":
            return
        present = known.members.get(record.moodle_id, frozenset())
        for user_id in sorted(present & record.members):
            username = self.username(user_id)
            source = _record_source(record, user_id, username)
            if user_id in self.cod_ind_of:
                source["cod_ind"] = self.cod_ind_of[user_id]
            self.changes.append(
                _Change(
                    Action.REMOVE,
                    key=key,
                    family=record.family,
                    user_id=user_id,
                    username=username,
                    group_id=record.moodle_id,
                    group_idnumber=record.idnumber,
                    group_name=record.name,
                    course=record.course,
                    reason="its group is no longer wanted from Apogée ([groups] vanished_groups = "
                    "empty)",
                    source=source,
                )
            )

    def notices(self) -> list[Notice]:
        tally, listed = self.tally, self.config.listed_in_notices
        notices: list[Notice] = []
        if tally.deferred:
            total = sum(tally.deferred.values())
            courses = sorted(tally.deferred)
            notices.append(
                Notice(
                    "group_member_deferred",
                    "group_member_deferred",
                    f"{total} student(s) are not enrolled yet in {len(courses)} course(s) "
                    "(Moodle's enrolment sync has not run for them): they join their groups at "
                    "the next run",
                    "info",
                    {"count": total, "courses": len(courses), "items": courses[:listed]},
                )
            )
        if tally.missing_course:
            notices.append(
                Notice(
                    "group_course_missing",
                    "group_course_missing",
                    f"{len(tally.missing_course)} group(s) belong to courses not in Moodle yet "
                    "(the offer step has not created them): they are created once the course is",
                    "info",
                    {
                        "count": len(tally.missing_course),
                        "items": sorted(tally.missing_course)[:listed],
                    },
                )
            )
        if tally.adopted:
            notices.append(
                Notice(
                    "group_adopted",
                    "group_adopted",
                    f"{len(tally.adopted)} group(s) found in Moodle with jonction's idnumber are "
                    "now managed by jonction",
                    "info",
                    {"count": len(tally.adopted), "items": sorted(tally.adopted)[:listed]},
                )
            )
        if tally.recreated:
            notices.append(
                Notice(
                    "group_deleted_in_moodle",
                    "group_deleted_in_moodle",
                    f"{len(tally.recreated)} group(s) jonction manages were deleted in Moodle: "
                    "they are created again",
                    "warning",
                    {"count": len(tally.recreated), "items": sorted(tally.recreated)[:listed]},
                )
            )
        unreadable = self.known.unreadable
        if unreadable:
            notices.append(
                Notice(
                    "group_course_unreadable",
                    "group_course_unreadable",
                    f"the groups of {len(unreadable)} course(s) could not be read (deleted in "
                    "Moodle?): their groups are left as they are",
                    "warning",
                    {"items": [f"{c}: {m}" for c, m in sorted(unreadable.items())][:listed]},
                )
            )
        return notices


def determine_actions(
    desired: DesiredGroups,
    resolved: Resolved,
    known: KnownGroups,
    config: GroupsSection,
    *,
    today: str,
    cod_ind_of: Mapping[int, int] | None = None,
) -> tuple[Plan, GroupsPlanning]:
    """The plan that makes Moodle's groups match `desired`, and what its records need.
    `cod_ind_of` maps Moodle user ids to COD_IND, to tie removals back to Apogée."""
    planner = _Planner(desired, resolved, known, config, cod_ind_of or {})
    planner.planning.today = today
    wanted = _wanted_in_moodle(desired, known)
    for key, group in desired.groups.items():
        if group.course not in wanted:
            planner.tally.missing_course.append(key)
    # Removals from vanished groups first, by course: a student moving from one of them to
    # a group of the same course is a move.
    for key, record in sorted(known.records.items()):
        if key not in desired.groups:
            planner.vanished(key, record)
    leaving: dict[str, list[_Change]] = defaultdict(list)
    for change in planner.changes:
        leaving[change.course].append(change)
    planner.changes = []
    # Then course by course, the changes of a course paired into moves at once: a first
    # night's million members never wait as changes all together.
    members: list[Operation] = []
    for course, groups in sorted(wanted.items()):
        planner.course(course, groups)
        members.extend(pair_moves([*planner.changes, *leaving.pop(course, [])]))
        planner.changes = []
    for course in sorted(leaving):
        members.extend(pair_moves(leaving[course]))
    plan = planner.plan
    plan.operations.extend(members)
    plan.notices.extend(planner.notices())
    _figures(plan, planner, known)
    return plan, planner.planning


def _figures(plan: Plan, planner: _Planner, known: KnownGroups) -> None:
    placements = planner.planning.placements
    read: dict[str, Set[int]] = {
        p.desired.key: p.present for p in placements.values() if p.group_id is not None
    }
    for key, record in planner.planning.vanished.items():
        if record.moodle_id in known.members:
            read[key] = known.members[record.moodle_id]
    plan.existing = {
        GROUP: sum(1 for r in known.records.values() if r.moodle_id not in known.missing),
        MEMBER: sum(len(present) for present in read.values()),
    }
    plan.existing_by_scope = {MEMBER: {key: len(present) for key, present in sorted(read.items())}}
    plan.stats.update(
        {
            "groups_in_moodle_courses": len(placements),
            "groups_waiting_for_course": len(planner.tally.missing_course),
            "groups_no_longer_wanted": len(planner.planning.vanished),
            "members_added_by_hand_kept": planner.tally.hand_kept,
            "members_deferred": sum(planner.tally.deferred.values()),
            "groups_adopted": len(planner.tally.adopted),
        }
    )
    plan.basis = _basis(placements, known)


def _basis(placements: Mapping[str, Placement], known: KnownGroups) -> str:
    """The fingerprint of what the plan was computed from; sets of ids go in as raw bytes
    (a million members take a second as JSON)."""
    digest = hashlib.sha256()

    def ids(values: Set[int]) -> None:
        if isinstance(values, UserIds):
            digest.update(values.packed())  # already sorted
        else:
            digest.update(array("q", sorted(values)).tobytes())
        digest.update(b"\n")

    for key in sorted(placements):
        place = placements[key]
        digest.update(json.dumps([key, place.group_id, place.current_name]).encode())
        ids(place.present)
    for course, users in sorted(known.enrolled.items()):
        digest.update(b"course %d" % course)
        ids(users)
    for user, courses in sorted(known.user_courses.items()):
        digest.update(b"user %d" % user)
        ids(courses)
    return digest.hexdigest()[:32]
