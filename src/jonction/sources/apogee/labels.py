"""Repairing labels damaged by single-byte character sets on their way through Apogée.

Two kinds of damage are common: UTF-8 bytes read as Latin-1/CP1252 (`Ã©tudes` for `études`),
which is reversible, and characters the charset could not hold replaced by `¿`
(`d¿activités`): between two letters that is almost always a typographic apostrophe.
"""

from __future__ import annotations

import re

import ftfy

_LOST_APOSTROPHE = re.compile(r"(?<=\w)¿(?=\w)")


def repair_label(text: str) -> str:
    """The label with its charset damage undone; an undamaged label is returned unchanged."""
    if text.isascii():
        return text
    repaired = ftfy.fix_encoding(text)
    return _LOST_APOSTROPHE.sub("’", repaired)
