"""Groupings per étape (`[groups] groupings`): planned after the groups, recorded after apply.
Pure functions.

A grouping is created once (with a name no other grouping of the course has), then the
groups of its étape are assigned to it as they appear. Groupings are never renamed, emptied
nor deleted: activities may be restricted to them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .group_names import WantedName, unique_names
from .group_plan import GroupsPlanning
from .group_state import GroupingRecord, KnownGroups
from .groups import GROUPING, DesiredGrouping, DesiredGroups
from .plan import Action, Operation

ASSIGNMENT = "grouping_group"


def _in_moodle(desired: DesiredGroups, known: KnownGroups) -> list[DesiredGrouping]:
    return [
        g
        for _, g in sorted(desired.groupings.items())
        if g.course in known.courses and known.courses[g.course] not in known.unreadable
    ]


def groupings_to_read(desired: DesiredGroups, known: KnownGroups) -> list[int]:
    """Courses where a grouping is to be created (or found by idnumber): their groupings are
    read first."""
    return sorted(
        {
            known.courses[g.course]
            for g in _in_moodle(desired, known)
            if g.key not in known.grouping_records
        }
        - set(known.course_groupings)
    )


def _source(grouping: DesiredGrouping) -> dict[str, object]:
    return {
        "origin": "etape",
        "course": grouping.course,
        "year": grouping.year,
        "composante": grouping.composante,
        "etape": str(grouping.etape),
    }


def plan_groupings(
    desired: DesiredGroups, planning: GroupsPlanning, known: KnownGroups
) -> tuple[list[Operation], dict[str, int]]:
    """Operations creating groupings and assigning groups to them, and the groupings found in
    Moodle by idnumber (key → id), adopted."""
    operations: list[Operation] = []
    adopted: dict[str, int] = {}
    by_course: dict[str, list[DesiredGrouping]] = {}
    for grouping in _in_moodle(desired, known):
        by_course.setdefault(grouping.course, []).append(grouping)
    for course, groupings in sorted(by_course.items()):
        course_id = known.courses[course]
        existing = known.course_groupings.get(course_id, [])
        found = {g.idnumber: g for g in sorted(existing, key=lambda g: -g.id) if g.idnumber}
        ours = {
            known.grouping_records[g.key].moodle_id
            for g in groupings
            if g.key in known.grouping_records
        }
        ours |= {found[g.idnumber].id for g in groupings if g.idnumber in found}
        taken = [g.name for g in existing if g.id not in ours]
        names = unique_names((WantedName(g.key, g.name, (str(g.etape),)) for g in groupings), taken)
        for grouping in groupings:
            record = known.grouping_records.get(grouping.key)
            grouping_id = record.moodle_id if record is not None else None
            assigned = record.groups if record is not None else frozenset()
            if grouping_id is None and grouping.idnumber in found:
                grouping_id = adopted[grouping.key] = found[grouping.idnumber].id
            if grouping_id is None:
                operations.append(
                    Operation(
                        GROUPING,
                        Action.CREATE,
                        grouping.key,
                        label=names[grouping.key],
                        after={
                            "name": names[grouping.key],
                            "idnumber": grouping.idnumber,
                            "course_id": course_id,
                        },
                        reason=f"groups of étape {grouping.etape} in course {course}",
                        source=_source(grouping),
                        scope=course,
                    )
                )
            operations.extend(_assignments(grouping, grouping_id, assigned, planning))
    return operations, adopted


def _assignments(
    grouping: DesiredGrouping,
    grouping_id: int | None,
    assigned: frozenset[int],
    planning: GroupsPlanning,
) -> Iterable[Operation]:
    for key in grouping.groups:
        place = planning.placements.get(key)
        if place is None or (place.group_id is not None and place.group_id in assigned):
            continue
        yield Operation(
            ASSIGNMENT,
            Action.ADD,
            f"{grouping.key}|{place.desired.idnumber}",
            label=f"{place.name} → {grouping.name}",
            after={
                "grouping_id": grouping_id,
                "grouping": grouping.key,
                "group_id": place.group_id,
                "group": key,
            },
            reason=f"group of étape {grouping.etape}",
            source={**_source(grouping), **place.desired.source()},
            scope=grouping.course,
        )


def grouping_records_after(
    desired: DesiredGroups,
    known: KnownGroups,
    adopted: dict[str, int],
    applied: Iterable[tuple[Operation, int | None]],
    group_ids: dict[str, int],
) -> list[GroupingRecord]:
    """The grouping records to write: created or adopted groupings, with the Moodle ids of the
    groups assigned to them. `group_ids` gives each group key's Moodle id after apply."""
    created: dict[str, int] = {}
    names: dict[str, str] = {}
    assigned: dict[str, set[int]] = {}
    for op, moodle_id in applied:
        if op.kind == GROUPING and op.action is Action.CREATE and moodle_id is not None:
            created[op.key] = moodle_id
            names[op.key] = str((op.after or {}).get("name", ""))
        elif op.kind == ASSIGNMENT and op.after is not None:
            group_id = group_ids.get(str(op.after["group"]))
            if group_id is not None:
                assigned.setdefault(str(op.after["grouping"]), set()).add(group_id)
    records: list[GroupingRecord] = []
    for key, grouping in sorted(desired.groupings.items()):
        record = known.grouping_records.get(key)
        moodle_id = created.get(key) or adopted.get(key) or (record.moodle_id if record else None)
        if moodle_id is None or grouping.course not in known.courses:
            continue
        groups = (record.groups if record is not None else frozenset()) | assigned.get(key, set())
        updated = GroupingRecord(
            key=key,
            moodle_id=moodle_id,
            course=grouping.course,
            course_id=known.courses[grouping.course],
            idnumber=grouping.idnumber,
            name=names.get(key) or (record.name if record is not None else grouping.name),
            groups=frozenset(groups),
        )
        if record is None or record.to_data() != updated.to_data() or record.moodle_id != moodle_id:
            records.append(updated)
    return records
