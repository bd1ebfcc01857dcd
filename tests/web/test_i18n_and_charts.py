"""The French catalogue covers every message of the dashboard; charts are well-formed SVG."""

from __future__ import annotations

import math
from pathlib import Path
from xml.etree import ElementTree

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from jonction.web import i18n
from jonction.web.charts import nice_ceiling, stacked_bars

WEB = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}


def _messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")],
        keywords=KEYWORDS,
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_french_translation() -> None:
    messages = _messages()
    assert len(messages) > 80
    with (WEB / i18n.catalogue_path("fr")).open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    assert sorted(messages - translated) == []


def test_messages_named_by_a_code_read_well_in_english() -> None:
    english = i18n.translations("en")
    coded = [m for m in _messages() if " " not in m and ("_" in m or ":" in m)]
    assert coded and [m for m in coded if english.gettext(m) == m] == []


def test_english_is_the_messages_themselves() -> None:
    assert i18n.translations("en").gettext("Nights") == "Nights"
    assert i18n.translations("fr").gettext("Nights") == "Nuits"
    assert i18n.pick_language("de", "fr") == "fr"


@given(st.floats(min_value=0.001, max_value=1e9, allow_nan=False))
def test_axis_top_is_round_and_covers_the_value(value: float) -> None:
    top = nice_ceiling(value)
    assert value <= top <= value * 5.0001
    mantissa = top / 10 ** math.floor(math.log10(top))
    assert any(math.isclose(mantissa, round_value) for round_value in (1, 2, 5, 10))


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), min_size=0, max_size=40))
def test_stacked_bars_are_valid_svg(points: list[tuple[int, int]]) -> None:
    labels = [f"#{i} <&>" for i in range(len(points))]
    svg = stacked_bars(
        "Changes & failures",
        labels,
        {"applied": [float(a) for a, _ in points], "failed <x>": [float(b) for _, b in points]},
    )
    root = ElementTree.fromstring(svg)
    bars = [el for el in root.iter("{http://www.w3.org/2000/svg}rect") if el.find("*") is not None]
    assert len(bars) == sum((a > 0) + (b > 0) for a, b in points)
    for bar in bars:
        assert float(bar.get("y", "0")) >= 0


def test_a_long_legend_wraps_inside_the_chart() -> None:
    from jonction.web.charts import RIGHT, WIDTH, _legend

    steps = ["refer", "users", "cohorts", "offer", "enrolments", "groups", "obsolescence", "spaces"]
    placed = _legend(steps)
    assert [name for _, _, name in placed] == steps
    assert all(x + 28 + 7 * len(name) <= WIDTH - RIGHT for x, _, name in placed)
    assert placed[-1][1] > 0  # on a second row


def test_every_status_of_the_journal_reads_as_a_french_word() -> None:
    french = i18n.translations("fr")
    statuses = ("running", "succeeded", "partial", "failed", "guarded", "blocked")
    statuses += ("planned", "stale", "interrupted")
    words = {status: french.gettext(status) for status in statuses}
    assert all(word != status for status, word in words.items()), words
    assert words["interrupted"] == "interrompue"
