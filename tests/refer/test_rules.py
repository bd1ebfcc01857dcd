"""Pure rules of the refresh: filters, label repair, keyed diff, truncated-source checks."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from jonction.sources.apogee.filters import (
    admin_registration_reason,
    as_date,
    composante_reason,
    element_reason,
    group_valid,
    link_open,
    offered,
)
from jonction.sources.apogee.labels import repair_label
from jonction.sources.refer.diff import TableDelta, diff_rows, diff_sliced
from jonction.sources.refer.sanity import check_sources, check_tables


def test_admin_registration_states_and_payments() -> None:
    paid = frozenset({"P"})
    assert admin_registration_reason("E", "P", paid) is None
    assert admin_registration_reason("E", "A", paid) == "unpaid"
    assert admin_registration_reason("E", "A", {"P", "A"}) is None
    assert admin_registration_reason("A", "P", paid) == "cancelled"
    assert admin_registration_reason("R", "P", paid) == "resigned"
    assert admin_registration_reason("C", "P", paid) == "being_created"
    assert admin_registration_reason("X", "P", paid) == "not_valid"
    assert admin_registration_reason(None, "P", paid) == "not_valid"


def test_offer_ranges_compare_years_as_text() -> None:
    recruitment, validity = ("2020", "2024"), ("2020", "2028")
    assert offered("2026", recruitment, validity, "validity")
    assert not offered("2026", recruitment, validity, "recruitment")
    assert offered("2026", recruitment, validity, "recruitment_or_validity")
    assert not offered("2029", recruitment, validity, "recruitment_or_validity")
    assert offered("2026", (None, None), (None, None), "validity")  # open ends
    assert offered("2028", recruitment, validity, "validity")  # bounds included


def test_composantes_elements_groups_links() -> None:
    assert composante_reason("O", "UFR", {"EXT"}) is None
    assert composante_reason("O", "EXT", {"EXT"}) == "composante_excluded"
    assert composante_reason("N", "UFR", {"EXT"}) == "composante_closed"
    assert element_reason("O", "N") is None
    assert element_reason("F", "N") == "element_closed"
    assert element_reason("O", "O") == "element_suspended"
    assert group_valid("2026", None, None) and group_valid("2026", "2026", "2026")
    assert not group_valid("2026", "2027", None) and not group_valid("2026", None, "2025")
    today = date(2026, 10, 1)
    assert link_open(None, today) and link_open(date(2026, 10, 2), today)
    assert not link_open(today, today) and not link_open(date(2020, 1, 1), today)
    assert as_date(datetime(2026, 1, 2, 3, 4)) == date(2026, 1, 2)
    assert as_date("2026-01-02 00:00:00") == date(2026, 1, 2)
    assert as_date(None) is None


def test_label_repair() -> None:
    assert repair_label("Management d¿activités-1") == "Management d’activités-1"
    assert repair_label("Ã‰lectrochimie des matÃ©riaux") == "Électrochimie des matériaux"
    assert repair_label("Å’uvres du cÅ“ur") == "Œuvres du cœur"
    # Sound labels are left alone, including a lone ¿ that is no apostrophe.
    sound_labels = ("Anglais", "Génie civil – option", "L’économie", "¿Qué?", "Ångström", "Pâté")
    for sound in sound_labels:
        assert repair_label(sound) == sound


WORDS = ("Économie", "générale", "à", "l’été", "d'Ère", "Français", "Ça", "où", "cœur", "Île")


@given(st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join))
def test_damage_then_repair_is_the_identity(text: str) -> None:
    damaged = text.encode("utf-8").decode("cp1252", errors="strict") if text else text
    assert repair_label(damaged) == text


def test_diff_by_key() -> None:
    desired = {("a",): (1,), ("b",): (2,), ("d",): (4,)}
    existing = [(("a",), (1,)), (("b",), (3,)), (("c",), (3,))]
    delta = diff_rows("t", "2026", desired, iter(existing))
    assert delta.inserts == [("d", 4)]  # whole rows
    assert delta.updates == [(("b",), (3,), (2,))]
    assert delta.deletes == [("c",)]
    assert (delta.existing, delta.desired, delta.changes) == (3, 3, 3)
    assert desired == {}  # consumed


@given(
    st.dictionaries(st.tuples(st.integers(0, 30)), st.tuples(st.integers(0, 3))),
    st.dictionaries(st.tuples(st.integers(0, 30)), st.tuples(st.integers(0, 3))),
)
def test_applying_a_diff_gives_the_desired_rows(
    desired: dict[tuple[int], tuple[int]], existing: dict[tuple[int], tuple[int]]
) -> None:
    delta = diff_rows("t", "2026", dict(desired), iter(existing.items()))
    result = dict(existing)
    for key in delta.deletes:
        del result[key]
    for key, before, after in delta.updates:
        assert result[key] == before
        result[key] = after
    for row in delta.inserts:
        assert row[:1] not in result
        result[row[:1]] = row[1:]
    assert result == desired
    assert delta.is_empty() == (desired == existing)


@given(
    st.dictionaries(st.tuples(st.integers(0, 60), st.integers(0, 3)), st.tuples(st.booleans())),
    st.dictionaries(st.tuples(st.integers(0, 60), st.integers(0, 3)), st.tuples(st.booleans())),
    st.integers(1, 10),
)
def test_slice_by_slice_gives_the_same_delta_as_whole(
    desired: dict[tuple[int, int], tuple[bool]],
    existing: dict[tuple[int, int], tuple[bool]],
    size: int,
) -> None:
    reads: list[tuple[int | None, int | None]] = []

    def read(low: int | None, high: int | None) -> list[tuple[tuple[int, int], tuple[bool]]]:
        reads.append((low, high))
        return [
            (key, values)
            for key, values in existing.items()
            if (low is None or key[0] >= low) and (high is None or key[0] < high)
        ]

    rows = sorted(desired.items())
    sliced = diff_sliced("t", "2026", iter(rows), read, size)
    whole = diff_rows("t", "2026", dict(desired), iter(existing.items()))
    assert sorted(sliced.inserts) == whole.inserts
    assert sorted(sliced.updates) == whole.updates
    assert sorted(sliced.deletes) == whole.deletes
    assert (sliced.existing, sliced.desired) == (whole.existing, whole.desired)
    # The slices cover every student once, and none splits a student.
    bounds = [b for pair in reads for b in pair]
    assert bounds[0] is None and bounds[-1] is None
    assert all(reads[i][1] == reads[i + 1][0] for i in range(len(reads) - 1))
    assert len(reads) <= len(desired) // size + 1


def test_source_checks() -> None:
    required = {"element_pedagogi"}
    ok, notices = check_sources(
        "2026", {"element_pedagogi": 10, "ins_adm_etp": 5, "ind_contrat_elp": 9}, {}, required, 0.5
    )
    assert ok == [] and notices == []
    blockers, _ = check_sources("2026", {"element_pedagogi": 0}, {}, required, 0.5)
    assert blockers == [
        "2026: the source table element_pedagogi is empty (0 rows; a working system always has "
        "rows at the previous refresh)"
    ]
    blockers, _ = check_sources(
        "2026", {"element_pedagogi": 10, "groupe": 0}, {"groupe": 8}, required, 0.5
    )
    assert blockers == [
        "2026: the source table groupe is empty (0 rows; it had 8 rows at the previous refresh)"
    ]
    blockers, _ = check_sources(
        "2026", {"element_pedagogi": 49}, {"element_pedagogi": 100}, required, 0.5
    )
    assert "shrank from 100 to 49 rows" in blockers[0]
    assert (
        check_sources("2026", {"element_pedagogi": 50}, {"element_pedagogi": 100}, required, 0.5)[0]
        == []
    )
    # A new year with no registrations yet: a notice, not a blocker.
    blockers, notices = check_sources("2027", {"element_pedagogi": 10}, {}, required, 0.5)
    assert blockers == [] and [n.kind for n in notices] == ["refer_empty_year"]


def test_table_checks() -> None:
    deltas = [
        TableDelta("student", "2026", existing=100, desired=40),
        TableDelta("exclusion", "2026", existing=100, desired=0),  # not watched
        TableDelta("element", "2026", existing=10, desired=0),  # too small to judge
    ]
    blockers = check_tables(deltas, 0.5, 20)
    assert blockers == [
        "2026: REFER's student table would shrink from 100 to 40 rows, below 50% of its size "
        "([guards] source_shrink_ratio)"
    ]
