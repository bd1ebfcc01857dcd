"""The desired rows and the plan: students from registrations, teachers from the timetable,
grace periods, hands-off courses, guards and truncated sources. Pure, no I/O."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from jonction.config.operations import GuardsSection
from jonction.domain.enrolments import (
    AccountIndex,
    Desired,
    DesiredRow,
    Grace,
    KnownRow,
    KnownRows,
    Origin,
    RowKey,
    TableDiff,
    TableRow,
    compare,
    desired_students,
    desired_teachers,
    determine_actions,
    merge,
    plan_enrolments,
    shrunk_sources,
)
from jonction.domain.guards import check_plan
from jonction.domain.plan import Action, Operation, Plan, fingerprint
from jonction.sources.ade.timetable import ActivityUse, Instructor, Teaching

from .fakes import Catalogue, Directory, snapshot

NOW = datetime(2026, 11, 30, 4, 15)
GRACE = Grace(student_days=0, teacher_days=30)
ELEMENTS = {"SMA1U01": "2026:SMA1U01", "SMA1U02": "2026:SMA1U02", "SLV1U01": "2026:SLV1U01"}


def _use(activity: str, day: date = date(2026, 9, 7)) -> ActivityUse:
    return ActivityUse(activity, f"activity {activity}", 1, day, day, ("1",))


def _plan(
    desired: Desired,
    known: Mapping[RowKey, KnownRow],
    now: datetime = NOW,
    teachers_known: bool = True,
    hand: Collection[str] = frozenset(),
) -> Plan:
    return plan_enrolments(
        desired,
        known,
        now=now,
        grace=GRACE,
        teacher_role="editingteacher",
        teachers_known=teachers_known,
        teachers_by_hand=lambda course: course in hand,
    )


def _known(
    *keys: RowKey, origin: str = "student", since: datetime | None = None
) -> dict[RowKey, KnownRow]:
    return {key: KnownRow(key, origin, since) for key in keys}


def test_students_of_every_parent_etape_one_row_per_course() -> None:
    snap = snapshot(
        "2026",
        {1: "22600101", 2: "22600102", 3: None, 4: "22600104"},
        [
            (1, "SLMAT1", "SMA1U01"),
            (1, "SLINF1", "SMA1U01"),  # a second étape leading to the same course
            (1, "SLMAT1", "SMA1S1"),  # a semester: no course
            (2, "SLINF1", "SMA1U01"),
            (3, "SLMAT1", "SMA1U01"),  # no student number yet
            (4, "SLMAT1", "SMA1U02"),  # no account
        ],
    )
    accounts = Directory(students={"22600101": "lmoreau", "22600102": "ngarcia"})
    desired = desired_students([snap], Catalogue(ELEMENTS), accounts, "student")
    assert set(desired.rows) == {
        RowKey("2026:SMA1U01", "lmoreau", "student"),
        RowKey("2026:SMA1U01", "ngarcia", "student"),
    }
    key = RowKey("2026:SMA1U01", "lmoreau", "student")
    assert desired.rows[key] == "student"
    row = desired.justify([key])[key]
    assert row.reason() == "registered to SMA1U01 through étapes SLINF1-1, SLMAT1-1"
    assert [r.etape for r in row.registrations] == ["SLMAT1-1", "SLINF1-1"]
    notices = {n.key: n.message for n in desired.notices}
    assert set(notices) == {"COD_IND 3", "22600104"}
    assert "no student number yet" in notices["COD_IND 3"]
    assert (
        "22600104" in notices["22600104"]
        and "1 course enrolment not written" in notices["22600104"]
    )
    assert desired.stats["registrations"] == 6


def _teaching() -> Teaching:
    instructors = {
        "2011": Instructor("2011", "DUBOIS Anne", ("104217",)),
        "2012": Instructor("2012", "BEN ALI Farid", ("104388",)),
        "2031": Instructor("2031", "O'CONNOR Hélène", ("999",)),
    }
    return Teaching(
        first_day=date(2026, 7, 1),
        last_day=date(2027, 6, 30),
        pairs={
            ("SMA1U01", "2011"): (_use("60101"),),
            ("SMA1U02", "2012"): (_use("60201"),),
            ("SLV1U01", "2011"): (_use("60401"),),
            ("SMA1S1", "2011"): (_use("60901"),),  # an element without course
            ("SMA1U02", "2031"): (_use("60202"),),  # no account
        },
        instructors=instructors,
        unmatched_codes={"XYZ": (_use("60999"),)},
        without_key={"2021": Instructor("2021", "NGUYỄN Jérôme", ())},
    )


def test_teachers_from_the_timetable_foad_excluded() -> None:
    catalogue = Catalogue(ELEMENTS, hand_managed={"2026:SLV1U01"})
    accounts = Directory(teachers={"104217": "adubois", "104388": "fbenali"})
    desired = desired_teachers(_teaching(), catalogue, accounts, "editingteacher", "code")
    assert set(desired.rows) == {
        RowKey("2026:SMA1U01", "adubois", "editingteacher"),
        RowKey("2026:SMA1U02", "fbenali", "editingteacher"),
    }
    key = RowKey("2026:SMA1U01", "adubois", "editingteacher")
    assert desired.rows[key] == "teacher"
    row = desired.justify([key])[key]
    assert "ADE activity 60101" in row.reason()
    assert row.source()["schedulings"][0]["matched_key"] == "104217"
    kinds = sorted(n.kind for n in desired.notices)
    assert kinds == [
        "ade_code_without_element",
        "ade_element_without_course",
        "instructor_without_account",
        "instructor_without_key",
    ]
    assert desired.stats["ade_pairs_in_hand_managed_courses"] == 1


def test_first_run_adds_everything_with_reasons() -> None:
    snap = snapshot("2026", {1: "22600101"}, [(1, "SLMAT1", "SMA1U01")])
    desired = desired_students(
        [snap], Catalogue(ELEMENTS), Directory({"22600101": "lmoreau"}), "student"
    )
    plan = _plan(desired, {})
    (op,) = plan.operations
    assert (op.kind, op.action, op.key, op.scope) == (
        "enrolment",
        Action.ADD,
        "2026:SMA1U01|lmoreau|student",
        "2026:SMA1U01",
    )
    assert op.reason == "registered to SMA1U01 through étape SLMAT1-1"
    assert op.source["registrations"][0]["cod_etu"] == "22600101"
    assert _plan(desired, _known(RowKey("2026:SMA1U01", "lmoreau", "student"))).operations == []


def test_a_student_who_leaves_is_removed_at_once_by_default() -> None:
    gone = RowKey("2026:SMA1U01", "lmoreau", "student")
    (op,) = _plan(merge(), _known(gone)).operations
    assert op.action == Action.REMOVE
    assert "Moodle suspends the enrolment" in op.reason


def test_teacher_grace_period() -> None:
    key = RowKey("2026:SMA1U01", "adubois", "editingteacher")
    nothing = merge()
    (mark,) = _plan(nothing, _known(key, origin="teacher")).operations
    assert mark.action == Action.UPDATE
    assert mark.after is not None and mark.after["missing_since"] == NOW.isoformat()
    assert "kept until 2026-12-30" in mark.reason
    marked = _known(key, origin="teacher", since=NOW)
    assert _plan(nothing, marked, now=NOW + timedelta(days=29)).operations == []
    (removal,) = _plan(nothing, marked, now=NOW + timedelta(days=30)).operations
    assert removal.action == Action.REMOVE and "30 days of grace are over" in removal.reason


def test_wanted_again_during_grace_is_unmarked() -> None:
    key = RowKey("2026:SMA1U01", "adubois", "editingteacher")
    accounts = Directory(teachers={"104217": "adubois"})
    desired = desired_teachers(_teaching(), Catalogue(ELEMENTS), accounts, "editingteacher", "code")
    plan = _plan(desired, _known(key, origin="teacher", since=NOW - timedelta(days=3)))
    (op,) = [op for op in plan.operations if op.key == str(key)]
    assert op.action == Action.UPDATE
    assert op.after is not None and op.after["missing_since"] is None
    assert op.reason.startswith("wanted again")


def test_hands_off_teacher_rows() -> None:
    foad = RowKey("2026:SLV1U01", "adubois", "editingteacher")
    other = RowKey("2026:SMA1U02", "adubois", "editingteacher")
    known = _known(foad, other, origin="teacher")
    ops = _plan(merge(), known, hand={"2026:SLV1U01"}).operations
    assert [op.key for op in ops] == [str(other)]
    # Timetable unreadable: no teacher row moves, students still do.
    student = RowKey("2026:SMA1U01", "lmoreau", "student")
    known |= _known(student)
    ops = _plan(merge(), known, teachers_known=False).operations
    assert [op.key for op in ops] == [str(student)]


def test_rows_written_by_others_get_their_origin_from_the_role() -> None:
    teacher = RowKey("C", "x", "editingteacher")
    known = {teacher: KnownRow(teacher, "")}
    (op,) = _plan(merge(), known).operations
    assert op.action == Action.UPDATE  # a teacher's grace, not a student's immediate removal


def test_mass_removal_is_guarded_per_course_and_overall() -> None:
    keys = [RowKey(f"C{n % 4}", f"u{n}", "student") for n in range(400)]
    known = _known(*keys)

    def wanted_but(lost: list[RowKey]) -> Desired:
        desired = Desired()
        for key in set(keys) - set(lost):
            desired.rows[key] = "student"
        return desired

    in_c0 = [key for key in keys if key.course == "C0"]
    assert check_plan(_plan(wanted_but(in_c0[:5]), known), GuardsSection()) == []
    violations = check_plan(_plan(wanted_but(in_c0), known), GuardsSection())
    assert {(v.scope, v.count, v.base) for v in violations} == {("", 100, 400), ("C0", 100, 100)}


def test_truncated_sources_block() -> None:
    assert shrunk_sources({"refer_registrations": 1000}, {"refer_registrations": 1100}, 0.5) == []
    (blocker,) = shrunk_sources(
        {"ade_events": 10, "refer_registrations": 900},
        {"ade_events": 100, "refer_registrations": 1000},
        0.5,
    )
    assert "ADE's events in the window shrank from 100 to 10" in blocker
    assert shrunk_sources({"ade_events": 0}, {}, 0.5) == []  # no previous run: nothing to compare


def _apply(
    known: dict[RowKey, KnownRow], operations: list[Operation], now: datetime
) -> dict[RowKey, KnownRow]:
    rows = dict(known)
    for op in operations:
        values = op.after if op.action != Action.REMOVE else op.before
        assert values is not None
        key = RowKey(values["course"], values["user"], values["role"])
        if op.action == Action.ADD:
            rows[key] = KnownRow(key, values["origin"])
        elif op.action == Action.REMOVE:
            del rows[key]
        else:
            since = values["missing_since"]
            rows[key] = KnownRow(
                key, rows[key].origin, datetime.fromisoformat(since) if since else None
            )
    return rows


keys = st.builds(
    RowKey,
    st.sampled_from(["C1", "C2", "C3"]),
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["student", "editingteacher"]),
)


@settings(max_examples=200, deadline=None)
@given(
    wanted=st.sets(keys, max_size=12),
    present=st.sets(keys, max_size=12),
    marked=st.sets(keys, max_size=12),
    age=st.integers(0, 60),
)
def test_applying_a_plan_converges(
    wanted: set[RowKey], present: set[RowKey], marked: set[RowKey], age: int
) -> None:
    desired: dict[RowKey, Origin] = {
        key: "teacher" if key.role == "editingteacher" else "student" for key in wanted
    }
    since = NOW - timedelta(days=age)
    known = {key: KnownRow(key, "", since if key in marked else None) for key in present}
    operations = determine_actions(
        desired, known, now=NOW, grace=GRACE, teacher_role="editingteacher"
    )
    after = _apply(known, operations, NOW)
    # Everything wanted is there, unmarked; nothing unwanted outlives its grace.
    assert all(key in after and after[key].missing_since is None for key in wanted)
    for key in after.keys() - wanted:
        leaving_since = after[key].missing_since
        assert key.role == "editingteacher" and leaving_since is not None
        assert NOW - leaving_since < timedelta(days=GRACE.teacher_days)
    # A second plan right after changes nothing.
    assert (
        determine_actions(desired, after, now=NOW, grace=GRACE, teacher_role="editingteacher") == []
    )


def _basis(known: Mapping[RowKey, KnownRow]) -> str:
    """The plan's basis as it has always been computed: the sum of the rows' blake2b."""
    total = 0
    for row in known.values():
        since = row.missing_since.isoformat() if row.missing_since else ""
        line = f"{row.key}\t{since}".encode()
        total += int.from_bytes(hashlib.blake2b(line, digest_size=16).digest(), "big")
    return fingerprint([f"{total % (1 << 128):032x}"])


def _seen(plan: Plan) -> list[tuple[object, ...]]:
    return [
        (o.key, o.action, o.reason, o.scope, dict(o.before or {}), dict(o.after or {}))
        for o in plan.operations
    ]


@settings(max_examples=200, deadline=None)
@given(
    wanted=st.sets(keys, max_size=12),
    present=st.sets(keys, max_size=12),
    marked=st.sets(keys, max_size=12),
    age=st.integers(0, 60),
    order=st.randoms(use_true_random=False),
)
def test_the_table_compared_as_it_streams_plans_as_the_whole_table(
    wanted: set[RowKey], present: set[RowKey], marked: set[RowKey], age: int, order: random.Random
) -> None:
    desired = Desired(
        {key: "teacher" if key.role == "editingteacher" else "student" for key in wanted}
    )
    since = NOW - timedelta(days=age)
    known = {key: KnownRow(key, "", since if key in marked else None) for key in present}
    rows: list[TableRow] = [(*key, None) for key in present]
    order.shuffle(rows)
    # The marks come apart; one read without its row (written in between) is not the table's.
    marks = {tuple(key): since for key in marked}
    streamed = compare(desired.rows, rows, marks)
    assert isinstance(streamed, TableDiff)
    whole, diff = _plan(desired, known), _plan(desired, streamed)
    assert _seen(diff) == _seen(whole)
    assert diff.basis == whole.basis == _basis(known)
    assert diff.existing == whole.existing == {"enrolment": len(present)}
    assert diff.existing_by_scope == {"enrolment": Counter(key.course for key in present)}
    assert diff.stats == whole.stats
    assert whole.stats["rows_in_grace"] == len(marked & present)


def test_a_key_read_twice_is_one_row() -> None:
    # A role NULL and one empty are the same key: one row, as a dict of the rows has it; rows
    # without a course or a user are not jonction's.
    one, two = RowKey("C1", "a", ""), RowKey("C1", "b", "student")
    rows: list[TableRow] = [(*one, "student"), (*two, None), ("C1", "a", None, ""), (*two, "")]
    rows += [("C1", None, "student", ""), ("", "c", "student", "")]  # written by hand
    diff = compare({two: "student"}, rows, {})
    assert diff.rows == 2 and diff.gone == {one: ""} and not diff.missing
    known = KnownRows({tuple(one): "", tuple(two): ""})
    assert _plan(Desired({two: "student"}), diff).basis == _basis(known)


def test_account_index_from_the_users_records() -> None:
    index = AccountIndex.from_records(
        [
            ("lmoreau", {"student_id": "22600101", "employee_id": ""}),
            ("adubois", {"employee_id": "104217", "emails": ["Anne.Dubois@univ-exemple.fr"]}),
            ("hoconnor", {"email": "helene.oconnor@exemple-conseil.fr"}),
            ("old", {"student_id": "22500417"}),
            ("new", {"student_id": "22500417"}),  # one number, two accounts: neither
        ]
    )
    assert index.student("22600101") == "lmoreau"
    assert index.student("22500417") is None
    assert index.teacher(["104217"]) == "adubois"
    assert index.teacher(["999", "anne.dubois@univ-exemple.fr"]) == "adubois"
    assert index.teacher(["HELENE.OCONNOR@exemple-conseil.fr"]) == "hoconnor"
    assert index.teacher(["22600101"]) is None  # a student number is not a teacher key


def test_reasons_are_computed_only_for_the_rows_that_change() -> None:
    snap = snapshot(
        "2026",
        {1: "22600101", 2: "22600102"},
        [(1, "SLMAT1", "SMA1U01"), (2, "SLMAT1", "SMA1U01"), (2, "SLINF1", "SMA1U01")],
    )
    accounts = Directory(students={"22600101": "lmoreau", "22600102": "ngarcia"})
    students = desired_students([snap], Catalogue(ELEMENTS), accounts, "student")
    teachers = desired_teachers(
        _teaching(), Catalogue(ELEMENTS), Directory(teachers={"104217": "adubois"}), "teacher", "c"
    )
    desired = merge(students, teachers)
    asked: list[set[RowKey]] = []
    justify = desired.justify

    def spy(keys: Collection[RowKey]) -> dict[RowKey, DesiredRow]:
        asked.append(set(keys))
        return justify(keys)

    desired.justify = spy
    lmoreau = RowKey("2026:SMA1U01", "lmoreau", "student")
    ngarcia = RowKey("2026:SMA1U01", "ngarcia", "student")
    adubois = RowKey("2026:SMA1U01", "adubois", "teacher")
    other = RowKey("2026:SLV1U01", "adubois", "teacher")
    assert set(desired.rows) == {lmoreau, ngarcia, adubois, other}
    assert _plan(desired, _known(lmoreau, ngarcia, adubois, other)).operations == []
    assert asked == []
    plan = _plan(desired, _known(lmoreau, other) | _known(adubois, origin="teacher", since=NOW))
    assert asked == [{ngarcia, adubois}]
    reasons = {op.key: op.reason for op in plan.operations}
    assert reasons[str(ngarcia)] == "registered to SMA1U01 through étapes SLINF1-1, SLMAT1-1"
    assert "ADE activity 60101" in reasons[str(adubois)]
