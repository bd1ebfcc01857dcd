"""Repairing labels damaged by single-byte character sets on their way through Apogée.

Two kinds of damage are common: UTF-8 bytes read as Latin-1/CP1252 (`Ã©tudes` for `études`),
which is reversible, and characters the charset could not hold replaced by `¿`
(`d¿activités`): between two letters that is almost always a typographic apostrophe.
"""

from __future__ import annotations

import contextlib
import re

import ftfy

_LOST_APOSTROPHE = re.compile(r"(?<=\w)¿(?=\w)")
# What UTF-8 lead bytes of French letters look like once read as CP1252.
_MOJIBAKE = re.compile("[ÃÅâ]")
# Any damage leaves one of these; most labels have none and skip the repair.
_SUSPECT = re.compile("[ÂÃÄÅâ¿]")


def repair_label(text: str) -> str:
    """The label with its charset damage undone; an undamaged label is returned unchanged."""
    if text.isascii() or not _SUSPECT.search(text):
        return text
    repaired = ftfy.fix_encoding(text)
    if _MOJIBAKE.search(repaired):
        # ftfy stays careful on short labels (`ÃŽle`); a strict round trip is proof enough.
        with contextlib.suppress(UnicodeError):
            repaired = repaired.encode("cp1252").decode("utf-8")
    return _LOST_APOSTROPHE.sub("’", repaired)
