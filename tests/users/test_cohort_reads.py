"""Which cohorts' members the cohorts step reads back tonight, and the members their records
keep after the run (pure rules)."""

from __future__ import annotations

from jonction.domain.cohort_reads import cohort_reads, read_figures, watched_cohorts
from jonction.domain.cohorts import (
    CohortRules,
    DesiredCohorts,
    ManagedCohort,
    MoodleCohort,
    cohort_records,
    desired_cohorts,
    determine_cohort_actions,
)
from jonction.domain.plan import Action, Operation

from .test_cohorts_domain import ACCOUNTS
from .test_cohorts_step import university

YEARS = ["2026"]


def desired() -> DesiredCohorts:
    return desired_cohorts([university()], ACCOUNTS, CohortRules())


def in_moodle(wanted: DesiredCohorts) -> dict[str, MoodleCohort]:
    return {
        idnumber: MoodleCohort(100 + n, idnumber, spec.name, spec.description, True)
        for n, (idnumber, spec) in enumerate(sorted(wanted.cohorts.items()))
    }


def records(wanted: DesiredCohorts, known: dict[str, MoodleCohort]) -> dict[str, ManagedCohort]:
    """Records of a night that left every cohort as wanted."""
    return {
        idnumber: ManagedCohort(
            idnumber, cohort.id, "2026", members=frozenset(wanted.members[idnumber])
        )
        for idnumber, cohort in known.items()
    }


def test_a_full_check_reads_every_cohort_of_the_open_years() -> None:
    wanted = desired()
    known = in_moodle(wanted)
    managed = records(wanted, known)
    closed = MoodleCohort(90, "2025:VET:SLMAT1-101", "L1 2025", "", True)
    known[closed.idnumber] = closed
    managed[closed.idnumber] = ManagedCohort(closed.idnumber, 90, "2025", members=frozenset())
    watched = watched_cohorts(wanted, known, managed, YEARS)
    assert closed.idnumber not in watched  # a closed year's cohort is never read
    reads = cohort_reads(watched, managed, wanted, full=True)
    assert reads.read == sorted(c.id for c in watched.values()) and reads.trusted == {}
    assert read_figures(reads) == {
        "cohorts_full_check": 1,
        "cohorts_members_read": 5,
        "cohorts_members_trusted": 0,
    }


def test_a_night_without_change_reads_no_member() -> None:
    wanted = desired()
    known = in_moodle(wanted)
    managed = records(wanted, known)
    reads = cohort_reads(known, managed, wanted, full=False)
    assert reads.read == [] and not reads.full
    assert reads.trusted == {known[i].id: frozenset(wanted.members[i]) for i in known}
    # Planned from the records alone, the plan is the one a read would give.
    plan = determine_cohort_actions(wanted, known, reads.trusted, managed, YEARS)
    assert plan.operations == []


def test_the_cohorts_whose_members_may_have_changed_are_read() -> None:
    wanted = desired()
    known = in_moodle(wanted)
    managed = records(wanted, known)
    # A student registers in L1; a cohort without a record of its members; one created again
    # in Moodle (another id); one adopted (no record at all).
    wanted.members["2026:VET:SLMAT1-101"][13] = "sroux"
    dfc = managed["2026:CMP:DFC"]
    managed["2026:CMP:DFC"] = ManagedCohort(dfc.idnumber, dfc.moodle_id, "2026")
    minf = managed["2026:VET:SMINF1-101"]
    managed[minf.idnumber] = ManagedCohort(minf.idnumber, 7, "2026", members=minf.members)
    del managed["2026:CMP:UFRSCI"]
    reads = cohort_reads(
        watched_cohorts(wanted, known, managed, YEARS), managed, wanted, full=False
    )
    assert reads.read == sorted(
        known[i].id
        for i in ("2026:VET:SLMAT1-101", "2026:CMP:DFC", "2026:VET:SMINF1-101", "2026:CMP:UFRSCI")
    )
    assert set(reads.trusted) == {known["2026:VET:DUENT1-101"].id}


def test_a_cohort_no_longer_offered_is_read_while_its_record_holds_members() -> None:
    wanted = desired()
    known = in_moodle(wanted)
    managed = records(wanted, known)
    gone = MoodleCohort(90, "2026:VET:OLD1-101", "Old", "", True)
    emptied = MoodleCohort(91, "2026:VET:OLD2-101", "Old 2", "", True)
    known.update({gone.idnumber: gone, emptied.idnumber: emptied})
    managed[gone.idnumber] = ManagedCohort(gone.idnumber, 90, "2026", members=frozenset({11}))
    managed[emptied.idnumber] = ManagedCohort(emptied.idnumber, 91, "2026", members=frozenset())
    reads = cohort_reads(
        watched_cohorts(wanted, known, managed, YEARS), managed, wanted, full=False
    )
    assert reads.read == [90]
    assert reads.trusted[91] == frozenset()


def member(action: Action, idnumber: str, user_id: int) -> Operation:
    return Operation(
        "cohort_member",
        action,
        f"{idnumber}|u{user_id}",
        f"u{user_id}",
        source={"cohort": idnumber, "user_id": user_id},
        scope=idnumber,
    )


def test_records_keep_what_was_read_and_what_moodle_accepted() -> None:
    wanted = desired()
    known = in_moodle(wanted)
    managed = records(wanted, known)
    l1 = known["2026:VET:SLMAT1-101"]
    # Read tonight: Léa and someone added by hand (12). Sébastien is wanted: his addition is
    # accepted, the removal of 12 is refused (not applied).
    members = {c.id: frozenset(wanted.members[i]) for i, c in known.items()}
    members[l1.id] = frozenset({11, 12})
    applied = [(member(Action.ADD, l1.idnumber, 13), None)]
    written = {
        key: (moodle_id, data)
        for key, moodle_id, data in cohort_records(wanted, known, managed, applied, members, YEARS)
    }
    assert set(written) == {l1.idnumber}  # the others are as recorded
    moodle_id, data = written[l1.idnumber]
    assert moodle_id == l1.id
    assert data == {
        "year": "2026",
        "level": "etape",
        "code": "SLMAT1-101",
        "context": "system",
        "members": [11, 12, 13],
    }
    # Read back from its data, the record differs from the wanted members: read next night.
    record = ManagedCohort.from_data(l1.idnumber, moodle_id, data)
    wanted.members[l1.idnumber][13] = "sroux"
    managed[l1.idnumber] = record
    reads = cohort_reads(known, managed, wanted, full=False)
    assert reads.read == [l1.id]


def test_records_of_created_and_emptied_cohorts() -> None:
    wanted = desired()
    known = in_moodle(wanted)
    created = known.pop("2026:CMP:DFC")
    gone = MoodleCohort(90, "2026:VET:OLD1-101", "Old", "", True)
    known[gone.idnumber] = gone
    managed = records(wanted, {i: c for i, c in known.items() if i != gone.idnumber})
    managed[gone.idnumber] = ManagedCohort(
        gone.idnumber, 90, "2026", "system", frozenset({11, 13}), "etape", "OLD1-101"
    )
    members = {c.id: frozenset(wanted.members.get(i, {})) for i, c in known.items()}
    members[gone.id] = frozenset({11, 13})
    create = Operation("cohort", Action.CREATE, created.idnumber, created.name)
    applied = [
        (create, 555),
        (member(Action.ADD, created.idnumber, 12), None),
        (member(Action.REMOVE, gone.idnumber, 11), None),  # 13's removal failed
    ]
    written = {
        key: (moodle_id, data["members"])
        for key, moodle_id, data in cohort_records(wanted, known, managed, applied, members, YEARS)
    }
    assert written == {created.idnumber: (555, [12]), gone.idnumber: (90, [13])}
