"""Comparing labels with what Moodle gives back.

Moodle returns category, course and group names through `format_string`: `&` becomes
`&amp;`, tags are stripped and `<`, `>` escaped; non-ASCII arrives as JSON `\\uXXXX`
(decoded by the JSON parser). Cohort names and the shortname echoed by course creation come
back raw. A step that compared its own label with Moodle's text would plan a rename every
night for "Arts & Humanities": compare with `same_label`, which brings both sides to one
form.
"""

from __future__ import annotations

import html
import re
import unicodedata

# What PHP's strip_tags removes: a `<` that opens a tag, up to the next `>`.
_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")


def from_moodle(text: str | None) -> str:
    """Moodle's formatted text as plain text: entities decoded (`&amp;` → `&`)."""
    if text is None:
        return ""
    return html.unescape(text)


def normalize_label(text: str | None) -> str:
    """The form in which two labels are compared: entities decoded, tags removed,
    Unicode composed (NFC) and outer whitespace trimmed."""
    if text is None:
        return ""
    plain = _TAG.sub("", html.unescape(text))
    return unicodedata.normalize("NFC", plain).strip()


def same_label(ours: str | None, moodles: str | None) -> bool:
    """True when Moodle's label shows the same text as ours (no rename is needed)."""
    return normalize_label(ours) == normalize_label(moodles)
