"""The directory from an LDIF file (RFC 2849): the demo, the tests and the benchmark use the
generator's file.

A small parser of LDIF content records: folded lines, comments, base64 values (`::`), URL
values (`:<`, read as empty, never fetched). Attributes that are not asked for are skipped
before their value is decoded: at 30,000 students the file holds a million values, most of
them never used. A line that does not parse, a record without a `dn:` line, a change record
is an error that names the file and the line.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Collection, Iterator
from pathlib import Path

from ldif import is_dn

from .errors import DirectoryError

Record = tuple[str, dict[str, list[str | bytes]]]


class _Malformed(ValueError):
    """A line or record that is not LDIF, at a line of the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def read_ldif(path: Path, keep: Collection[str] | None = None) -> Iterator[Record]:
    """The entries of an LDIF file, as (dn, values by attribute name); only the attributes in
    `keep` (any case) when it is given. Values are text, or bytes when not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DirectoryError(f"cannot read the LDIF file {path}: {exc.strerror}") from None
    wanted = None if keep is None else frozenset(name.lower() for name in keep)
    quick = None if wanted is None else _plain_records(data, wanted)
    if quick is not None:
        yield from quick
        return
    try:
        yield from _records(data, wanted)
    except _Malformed as exc:
        raise DirectoryError(f"{path}, near line {exc.line}: {exc}") from None
    except _ChangeRecord as exc:
        raise DirectoryError(
            f"{path}: {exc} is a change record (changetype); the file must hold entries"
        ) from None


class _ChangeRecord(ValueError):
    pass


# What the quick reading leaves to the careful one (which names it in its error): a change
# record, a line that is neither empty, a comment nor "name:", a name that is not ASCII. Each
# pattern starts with a newline, which the regular expression engine looks for quickly (a
# `^` in multiline mode is tried at every byte of the file).
_UNUSUAL = (
    re.compile(rb"\n(?:changetype:|:|[^#\n:][^:\n]*\n)", re.IGNORECASE),
    re.compile(rb"\n[^:\n\x80-\xff]*[\x80-\xff]"),
)
_DN_LINE = re.compile(rb"(?:^|\n)[dD][nN](::?)[ ]*([^\n]*)")
_ANOTHER_DN = re.compile(rb"\n[dD][nN]:")
_CONTENT = re.compile(rb"(?:^|\n)[^#\n]")


def _plain_records(data: bytes, wanted: frozenset[str]) -> list[Record] | None:
    """The records of a file in the usual shape (one dn: line first in each record, no change
    record), read with a few regular expressions over the whole text instead of line by line;
    None when the file needs the careful reading (which reports what is wrong in it)."""
    text = data.replace(b"\r\n", b"\n")
    if b"\n\n " in text or text.startswith(b" "):
        return None
    # Unfolded, and a newline before the first line and after the last, for the patterns.
    text = b"\n" + text.replace(b"\n ", b"") + b"\n"
    if any(pattern.search(text) for pattern in _UNUSUAL):
        return None
    names = b"|".join(re.escape(name.encode()) for name in sorted(wanted - {"dn"}))
    if not names:
        return None
    values_of = re.compile(rb"\n(" + names + rb")(:<|::|:)([^\n]*)", re.IGNORECASE)
    records: list[Record] = []
    for block in text.split(b"\n\n"):
        found = _DN_LINE.search(block)
        if found is None:
            if _CONTENT.search(block):
                return None  # a record without a dn: line, or "version: 1"
            continue
        if _CONTENT.search(block, 0, found.start()) or _ANOTHER_DN.search(block, found.end()):
            return None
        try:
            dn = _dn(0, _decoded(found.group(1), found.group(2)))
        except (_Malformed, binascii.Error):
            return None
        values: dict[str, list[str | bytes]] = {}
        for name, kind, raw in values_of.findall(block, found.end()):
            try:
                value = _decoded(kind, raw)
            except binascii.Error:
                return None
            _add_value(values, name.decode("ascii"), value)
        records.append((dn, values))
    return records


def _add_value(values: dict[str, list[str | bytes]], name: str, raw: bytes) -> None:
    """Adds a value to the record's values: text when it is UTF-8, bytes otherwise."""
    try:
        value: str | bytes = raw.decode("utf-8")
    except UnicodeDecodeError:
        value = raw
    found = values.get(name)
    if found is None:
        values[name] = [value]
    else:
        found.append(value)


def _decoded(kind: bytes, raw: bytes) -> bytes:
    if kind == b"::":
        return binascii.a2b_base64(raw.strip())
    if kind == b":<":
        return b""
    return raw.strip()


def _logical_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, unfolded line), comments left out; b"" ends a record."""
    current: bytes | None = None
    start = 0
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.startswith(b" ") and current is not None:
            current += line[1:]
            continue
        if current is not None and not current.startswith(b"#"):
            yield start, current
        current, start = line, number
    if current is not None and not current.startswith(b"#"):
        yield start, current


def _records(data: bytes, wanted: frozenset[str] | None) -> Iterator[Record]:
    dn: str | None = None
    values: dict[str, list[str | bytes]] = {}
    for number, line in _logical_lines(data):
        if not line:
            if dn is not None:
                yield dn, values
            dn, values = None, {}
            continue
        colon = line.find(b":")
        if colon <= 0:
            raise _Malformed(number, "not valid LDIF (a line without an attribute name)")
        try:
            name = line[:colon].decode("ascii")
        except UnicodeDecodeError:
            raise _Malformed(
                number, "not valid LDIF (an attribute name that is not ASCII)"
            ) from None
        lowered = name.lower()
        if dn is None:
            if lowered == "version" and not values:
                continue  # "version: 1", before the first record
            if lowered != "dn":
                raise _Malformed(number, f"not valid LDIF (the record starts with {name}:)")
            dn = _dn(number, _value(number, line, colon))
            continue
        if lowered == "dn":
            raise _Malformed(number, "not valid LDIF (two dn: lines in one record)")
        if lowered == "changetype":
            raise _ChangeRecord(dn)
        if wanted is not None and lowered not in wanted:
            continue
        _add_value(values, name, _value(number, line, colon))
    if dn is not None:
        yield dn, values


def _value(number: int, line: bytes, colon: int) -> bytes:
    kind = line[colon + 1 : colon + 2]
    if kind == b":":
        try:
            return binascii.a2b_base64(line[colon + 2 :].strip())
        except binascii.Error as exc:
            raise _Malformed(number, f"not valid LDIF ({exc})") from None
    if kind == b"<":
        return b""  # a URL: never fetched
    return line[colon + 1 :].strip()


def _dn(number: int, raw: bytes) -> str:
    try:
        dn = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed(number, "not valid LDIF (a dn that is not UTF-8)") from None
    if not is_dn(dn):
        raise _Malformed(number, f"not valid LDIF (not a distinguished name: {dn})")
    return dn
