"""Names and identities of Moodle categories and courses, within Moodle's limits.

Moodle refuses a whole creation batch when one name is too long (`dmlwriteexception` for a
fullname over 254 characters), so every text is fitted here, before any call:

- labels (fullname, category name) are cut at a word and end with "…": still readable;
- identities (idnumber, shortname) are cut and end with "~" and six characters of a digest
  of the whole value, so that two long identities that share their beginning stay distinct
  and the same long value always gives the same identity.

Lengths are counted in characters, as Moodle does. Labels are compared the way Moodle shows
them back (entities decoded, tags removed, Unicode composed, outer spaces trimmed), or a
rename would be planned every night for "Arts & Lettres".
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Final

# Column sizes of Moodle 4.1 (course.fullname, course.shortname, course.idnumber,
# course_categories.name, course_categories.idnumber).
COURSE_FULLNAME_MAX: Final = 254
COURSE_SHORTNAME_MAX: Final = 255
COURSE_IDNUMBER_MAX: Final = 100
CATEGORY_NAME_MAX: Final = 255
CATEGORY_IDNUMBER_MAX: Final = 100

ELLIPSIS: Final = "…"
_DIGEST_LENGTH: Final = 6
# What PHP's strip_tags (through Moodle's PARAM_TEXT) removes: a complete tag.
_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def clean_label(text: str) -> str:
    """A label as jonction sends it: no control characters, no tags, single spaces, NFC."""
    text = _TAG.sub("", _CONTROL.sub(" ", text))
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text)).strip()


@lru_cache(maxsize=1 << 16)
def comparable(text: str | None) -> str:
    """The form in which a label of ours and a label read from Moodle are compared."""
    if text is None:
        return ""
    return clean_label(html.unescape(text))


def same_label(ours: str | None, moodles: str | None) -> bool:
    """True when Moodle shows the same text as ours: no rename is needed."""
    return comparable(ours) == comparable(moodles)


def fit_label(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary when one is near, with "…"."""
    text = clean_label(text)
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text[:room]
    space = cut.rfind(" ")
    # Cut at a word only when it does not throw away too much of the room.
    if space >= room * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" -–—,;:/(") + ELLIPSIS


def fit_key(value: str, limit: int) -> str:
    """An identity within `limit` characters; a long one keeps a digest of its whole value."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:_DIGEST_LENGTH]
    return value[: limit - _DIGEST_LENGTH - 1] + "~" + digest


def render(template: str, values: Mapping[str, str]) -> str:
    """A template filled with `values` (the configuration checked its placeholders)."""
    return template.format_map(values)


def academic_year_values(year: str) -> dict[str, str]:
    return {"year": year, "next_year": str(int(year) + 1)}
