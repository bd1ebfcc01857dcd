"""Names within Moodle's limits: readable labels, identities that stay distinct."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jonction.domain.naming import (
    COURSE_FULLNAME_MAX,
    COURSE_IDNUMBER_MAX,
    ELLIPSIS,
    clean_label,
    comparable,
    fit_key,
    fit_label,
    same_label,
)


def test_short_label_is_kept_as_is() -> None:
    assert fit_label("Analyse 1", COURSE_FULLNAME_MAX) == "Analyse 1"


def test_long_label_is_cut_at_a_word_with_an_ellipsis() -> None:
    label = "Mathématiques " * 30
    fitted = fit_label(label, COURSE_FULLNAME_MAX)
    assert len(fitted) <= COURSE_FULLNAME_MAX
    assert fitted.endswith("Mathématiques" + ELLIPSIS)


def test_a_label_without_spaces_is_cut_anywhere() -> None:
    fitted = fit_label("x" * 300, 254)
    assert len(fitted) == 254 and fitted.endswith(ELLIPSIS)


def test_long_keys_stay_distinct_and_stable() -> None:
    first = fit_key("2026:ELP:" + "A" * 120 + "1", COURSE_IDNUMBER_MAX)
    second = fit_key("2026:ELP:" + "A" * 120 + "2", COURSE_IDNUMBER_MAX)
    assert len(first) == COURSE_IDNUMBER_MAX and len(second) == COURSE_IDNUMBER_MAX
    assert first != second
    assert first == fit_key("2026:ELP:" + "A" * 120 + "1", COURSE_IDNUMBER_MAX)
    assert fit_key("2026:ELP:SMA1U01", COURSE_IDNUMBER_MAX) == "2026:ELP:SMA1U01"


def test_labels_are_compared_as_moodle_shows_them() -> None:
    assert same_label("Arts & Lettres", "Arts &amp; Lettres")
    assert same_label("Droit  public ", "Droit public")
    assert not same_label("Droit public", "Droit privé")
    assert comparable("Cafe\u0301") == "Café"


def test_control_characters_and_tags_are_removed() -> None:
    assert clean_label("Analyse\t1 <b>avancée</b>\n") == "Analyse 1 avancée"


@given(st.text(min_size=0, max_size=600), st.integers(min_value=10, max_value=300))
def test_fitted_labels_never_exceed_the_limit(text: str, limit: int) -> None:
    assert len(fit_label(text, limit)) <= limit


@given(st.text(min_size=0, max_size=400), st.integers(min_value=10, max_value=255))
def test_fitted_keys_never_exceed_the_limit(text: str, limit: int) -> None:
    fitted = fit_key(text, limit)
    assert len(fitted) <= limit
    if len(text) <= limit:
        assert fitted == text
