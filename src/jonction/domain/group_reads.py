"""Whose members the groups step reads back from Moodle tonight, as pure functions.

Reading the members of every managed group every night costs a university tens of calls and
a million members returned for nothing on most nights. Each record of a managed group keeps
the members jonction put there (`GroupRecord.members`). A normal night reads only the groups
whose members may differ from that record:

- the groups where tonight's plan changes members (the members wanted differ from the
  record: a student joins, leaves or moves; a member Moodle refused or that was deferred
  last time is not in the record either);
- the groups that hold, by their record, a student whose row of the external table the
  enrolments step removed since the last groups run (`unenrolled`: course → user ids):
  Moodle's sync unenrols them, and unenrolling drops their memberships of the course;
- the groups whose course is no longer the one recorded (created again in Moodle), and the
  groups wanted again after they had vanished;
- the groups no longer wanted that are to be emptied (`[groups] vanished_groups = "empty"`)
  while jonction's members are recorded there.

Every other group is trusted to hold its record's members: the plan then neither adds the
members it believes present nor removes any, since nothing else was seen there. A full check
reads every managed group: on the first run, every `[groups] full_check_days`, or when asked.
A member removed by hand is put back, a member added by hand is seen (`hand_members`) and a
group deleted by hand is created again, at the latest then.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from ..config.groups import GroupsSection
from .full_check import MemberReads
from .group_plan import Resolved, members_to_read
from .group_state import GroupRecord, KnownGroups
from .groups import DesiredGroups


def may_have_changed(
    key: str,
    record: GroupRecord,
    desired: DesiredGroups,
    resolved: Resolved,
    known: KnownGroups,
    unenrolled: Mapping[str, Set[int]],
) -> bool:
    """Whether the members of a managed group in Moodle may differ from its record, or the
    plan would change them (see the module's description)."""
    if known.courses.get(record.course) != record.course_id:
        return True
    gone = unenrolled.get(record.course)
    if gone and not record.members.isdisjoint(gone):
        return True
    if key not in desired.groups:
        return bool(record.members)  # only read when it is to be emptied (see member_reads)
    if record.vanished_since is not None:
        return True
    # A KeysView compares with a set by content: no set is made for a million members.
    return resolved.get(key, {}).keys() != record.members


def member_reads(
    desired: DesiredGroups,
    resolved: Resolved,
    known: KnownGroups,
    config: GroupsSection,
    *,
    full: bool,
    unenrolled: Mapping[str, Set[int]] | None = None,
) -> MemberReads:
    """Which managed groups to read tonight (see the module's description)."""
    compared = members_to_read(desired, known, config)
    if full:
        return MemberReads(compared, {}, True)
    candidates = set(compared)
    read: set[int] = set()
    trusted: dict[int, Set[int]] = {}
    for key, record in known.records.items():
        if record.moodle_id not in candidates:
            continue
        if may_have_changed(key, record, desired, resolved, known, unenrolled or {}):
            read.add(record.moodle_id)
        else:
            trusted[record.moodle_id] = record.members
    for group_id in read:
        trusted.pop(group_id, None)
    return MemberReads(sorted(read), trusted, False)
