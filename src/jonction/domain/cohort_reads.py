"""Whose members the cohorts step reads back from Moodle tonight, as pure functions.

Reading the members of every cohort of the open years every night costs a university a dozen
calls and seconds of Moodle's time for nothing on most nights. The record of each cohort
keeps the members Moodle held after jonction's last run (`ManagedCohort.members`: those read
or trusted then, with what Moodle accepted to add or remove). A normal night reads only the
cohorts whose members may differ from that record, or that the plan would change:

- a cohort without a record of its members (adopted, or recorded before members were);
- a cohort that is no longer the one recorded (created again in Moodle);
- a cohort whose wanted members differ from the recorded ones (a student registers, leaves
  or gets a new account; an addition or removal Moodle refused last time is not in the
  record either); an open year's cohort no longer offered is to be emptied, so it is read
  while its record holds members.

Every other cohort is trusted to hold its record's members. Only a full check sees what was
done outside jonction (a member added or removed by hand in Moodle, an account deleted): it
reads every cohort of the open years, on the first run, every `[cohorts] full_check_days`, or
when asked (`--full`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from .cohorts import DesiredCohorts, ManagedCohort, MoodleCohort
from .full_check import MemberReads


def read_figures(reads: MemberReads) -> dict[str, int]:
    """The step's figures of what it read."""
    return {
        "cohorts_full_check": int(reads.full),
        "cohorts_members_read": len(reads.read),
        "cohorts_members_trusted": len(reads.trusted),
    }


def watched_cohorts(
    desired: DesiredCohorts,
    known: Mapping[str, MoodleCohort],
    managed: Mapping[str, ManagedCohort],
    open_years: Iterable[str],
) -> dict[str, MoodleCohort]:
    """The cohorts whose members matter, by idnumber: those of the open years, where jonction
    may change them (`known` holds the wanted and the managed ones)."""
    years = set(open_years)
    return {
        idnumber: cohort
        for idnumber, cohort in known.items()
        if idnumber in desired.cohorts or managed[idnumber].year in years
    }


def recorded_members(
    idnumber: str, cohort: MoodleCohort, record: ManagedCohort | None, desired: DesiredCohorts
) -> frozenset[int] | None:
    """The members a cohort can be trusted to hold, from its record; None when they may have
    changed (see the module's description)."""
    if record is None or record.members is None or record.moodle_id != cohort.id:
        return None
    # A cohort no longer offered is wanted empty. A KeysView compares with a set by content.
    if desired.members.get(idnumber, {}).keys() != record.members:
        return None
    return record.members


def cohort_reads(
    watched: Mapping[str, MoodleCohort],
    managed: Mapping[str, ManagedCohort],
    desired: DesiredCohorts,
    *,
    full: bool,
) -> MemberReads:
    """Which of the watched cohorts to read tonight: all of them on a full check."""
    if full:
        return MemberReads(sorted(cohort.id for cohort in watched.values()), {}, True)
    read: list[int] = []
    trusted: dict[int, Set[int]] = {}
    for idnumber, cohort in watched.items():
        members = recorded_members(idnumber, cohort, managed.get(idnumber), desired)
        if members is None:
            read.append(cohort.id)
        else:
            trusted[cohort.id] = members
    return MemberReads(sorted(read), trusted, False)
