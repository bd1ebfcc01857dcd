from __future__ import annotations

import pytest

from jonction.moodle import from_moodle, normalize_label, same_label


@pytest.mark.parametrize(
    ("ours", "moodles"),
    [
        ("Faculty of Arts & Humanities", "Faculty of Arts &amp; Humanities"),
        ("Grupo A (mañana) & co", "Grupo A (ma\u00f1ana) &amp; co"),
        ("Física d'Ones & l'Éclair", "F\u00edsica d'Ones &amp; l'\u00c9clair"),
        ("A &amp; B", "A &amp; B"),  # Moodle does not escape an entity twice
        ("a < b", "a &lt; b"),
        ("<b>Gras</b>", "Gras"),  # PARAM_TEXT strips tags
        ("Éte\u0301", "Été"),  # decomposed and composed accents
        ("All staff & teachers", "All staff & teachers"),  # cohorts come back raw
    ],
)
def test_labels_equal_after_moodles_escaping(ours: str, moodles: str) -> None:
    assert same_label(ours, moodles)


@pytest.mark.parametrize(
    ("ours", "moodles"),
    [("Arts & Humanities", "Arts &amp; Sciences"), ("Groupe A", "groupe a"), ("A", "")],
)
def test_real_renames_still_differ(ours: str, moodles: str) -> None:
    assert not same_label(ours, moodles)


def test_from_moodle_decodes_entities_only() -> None:
    assert (
        from_moodle("Dept. of Mathematics &amp; Statistics") == "Dept. of Mathematics & Statistics"
    )
    assert from_moodle(None) == ""
    assert normalize_label("  x  ") == "x"
