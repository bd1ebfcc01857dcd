"""Names of Moodle groups: templates, fallbacks and uniqueness within a course."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jonction.domain.group_names import (
    GROUP_NAME_MAX,
    WantedName,
    apogee_group_idnumber,
    apogee_group_name,
    etape_group_idnumber,
    group_label,
    split_group_key,
    unique_names,
)
from jonction.domain.refer_model import EtapeKey, Group


def test_identities_come_from_codes_and_year() -> None:
    assert apogee_group_idnumber("2026", 4711) == "2026:GPE:4711"
    assert etape_group_idnumber("2026", EtapeKey("L1MATH", 140)) == "2026:VET:L1MATH:140"
    assert split_group_key("2026:ELP:X|2026:GPE:1") == ("2026:ELP:X", "2026:GPE:1")


def test_label_falls_back_to_the_external_code_then_the_number() -> None:
    assert group_label(Group(1, "TD1", "  Travaux  dirigés 1 ", "TD", "E", None)) == (
        "Travaux dirigés 1"
    )
    assert group_label(Group(1, "TD1", "", "TD", "E", None)) == "TD1"
    assert group_label(Group(7, "", "", "TD", "E", None)) == "Groupe 7"


def test_template_placeholders() -> None:
    group = Group(12, "TP3", "TP trois", "TP", "MAT101", None)
    name = apogee_group_name("{kind} {ext_code} – {label} [{object}] {year}", group, "2026")
    assert name == "TP TP3 – TP trois [MAT101] 2026"
    etape_group = Group(13, "GA", "", "GRP", None, EtapeKey("L1MATH", 1))
    assert apogee_group_name("{label} {object}", etape_group, "2026") == "GA L1MATH-1"


def test_long_names_fit_moodle() -> None:
    group = Group(1, "X", "mot " * 100, "TD", "E", None)
    assert len(apogee_group_name("{label}", group, "2026")) <= GROUP_NAME_MAX


def test_unique_names_keep_free_names_and_tell_duplicates_apart() -> None:
    names = unique_names(
        [
            WantedName("a", "Groupe A", ("L1MATH-1", "GA", "200")),
            WantedName("b", "Groupe A", ("L1INFO-1", "GA", "300")),
            WantedName("c", "TD 1", ("TD1", "100")),
        ]
    )
    assert names == {"a": "Groupe A (L1MATH-1)", "b": "Groupe A (L1INFO-1)", "c": "TD 1"}


def test_unique_names_avoid_other_groups_of_the_course() -> None:
    names = unique_names([WantedName("c", "TD 1", ("TD1", "100"))], taken=["TD 1"])
    assert names == {"c": "TD 1 (TD1)"}


def test_same_hints_fall_through_to_the_next_then_to_numbers() -> None:
    names = unique_names(
        [
            WantedName("a", "TD", ("X",)),
            WantedName("b", "TD", ("X",)),
            WantedName("c", "TD", ("X",)),
        ],
        taken=["TD (2)"],
    )
    assert names == {"a": "TD (X)", "b": "TD (3)", "c": "TD (4)"}


def test_uniqueness_is_case_sensitive_like_moodle() -> None:
    names = unique_names([WantedName("a", "td 1", ()), WantedName("b", "TD 1", ())])
    assert names == {"a": "td 1", "b": "TD 1"}


def test_escaped_names_read_from_moodle_count_as_taken() -> None:
    names = unique_names([WantedName("a", "TD & TP", ("X",))], taken=["TD &amp; TP"])
    assert names == {"a": "TD & TP (X)"}


labels = st.sampled_from(["TD 1", "TD 2", "Groupe A", "TP"])


@given(
    st.lists(st.tuples(labels, st.sampled_from(["L1", "L2", ""])), max_size=12),
    st.lists(labels, max_size=3),
)
def test_names_are_unique_free_and_deterministic(
    wanted: list[tuple[str, str]], taken: list[str]
) -> None:
    items = [WantedName(f"k{i:02d}", name, (hint,)) for i, (name, hint) in enumerate(wanted)]
    names = unique_names(items, taken)
    assert set(names) == {item.key for item in items}
    assert len(set(names.values())) == len(items)
    assert not set(names.values()) & set(taken)
    assert unique_names(list(reversed(items)), taken) == names
