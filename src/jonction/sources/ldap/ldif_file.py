"""The directory from an LDIF file (RFC 2849): the demo and tests use the generator's file.

Parsing is done by the `ldif` package (base64 values, folded lines, comments); a record that
is not a plain entry (a change record) or a line that does not parse is an error that names
the file and the line.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator
from pathlib import Path

import ldif

from .errors import DirectoryError

Record = tuple[str, dict[str, list[str | bytes]]]


def read_ldif(path: Path) -> Iterator[Record]:
    """The entries of an LDIF file, as (dn, values by attribute name)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DirectoryError(f"cannot read the LDIF file {path}: {exc.strerror}") from None
    with handle:
        parser = ldif.LDIFParser(handle, strict=True)
        records = parser.parse()
        while True:
            try:
                dn, values = next(records)
            except StopIteration:
                return
            except (ValueError, binascii.Error, UnicodeError) as exc:
                raise DirectoryError(
                    f"{path}, near line {parser.line_counter}: not valid LDIF ({exc})"
                ) from None
            if dn is None:
                raise DirectoryError(
                    f"{path}, near line {parser.line_counter}: a record without a dn: line"
                )
            if any(name.lower() == "changetype" for name in values):
                raise DirectoryError(
                    f"{path}: {dn} is a change record (changetype); the file must hold entries"
                )
            yield dn, values
