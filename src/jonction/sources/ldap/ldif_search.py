"""The search of an LDIF file: base, subtree scope and filter applied to its records directly.

Loading a university's file into ldap3's in-memory server to search it took most of the users
step's time (every value converted and indexed, every DN parsed twice). The filter is parsed
by ldap3, as for a server, and evaluated here the way a directory's usual matching rules do:
values compared without regard to case (and as integers when both are digits), substrings
without regard to case, an attribute absent making its assertion false.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from ldap3.core import exceptions as ldap_errors
from ldap3.operation.search import (
    AND,
    MATCH_APPROX,
    MATCH_EQUAL,
    MATCH_EXTENSIBLE,
    MATCH_GREATER_OR_EQUAL,
    MATCH_LESS_OR_EQUAL,
    MATCH_PRESENT,
    MATCH_SUBSTRING,
    NOT,
    OR,
    ROOT,
    FilterNode,
    parse_filter,
)
from ldap3.utils.dn import safe_dn

from .entries import DirectoryEntry
from .errors import DirectoryError
from .ldif_file import Record, read_ldif

# The tested attributes of an entry: lowercased name → values as text.
Tested = Mapping[str, Sequence[str]]
Test = Callable[[Tested], bool]

_ESCAPED = re.compile(r"\\([0-9A-Fa-f]{2})")
# DNs that need ldap3's full parser (escapes, quotes, multi-valued RDNs…).
_SPECIAL = re.compile(r'[\\"+;<>#@]')


def search_ldif(
    path: Path, base: str, search_filter: str, attributes: Sequence[str], origin: str
) -> list[DirectoryEntry]:
    """The entries of an LDIF file under `base` (subtree) that match `search_filter`, with
    `attributes` ("*": all of them), in the order of the file. Only the attributes asked for
    and those the filter tests are read."""
    try:
        test, tested = compile_filter(search_filter)
    except DirectoryError as exc:
        raise DirectoryError(f"{origin}: {exc}") from None
    keep = None if "*" in attributes else {*attributes, *tested}
    return search_records(read_ldif(path, keep), base, (test, tested), attributes, origin)


def search_records(
    records: Iterable[Record],
    base: str,
    search_filter: tuple[Test, frozenset[str]],
    attributes: Sequence[str],
    origin: str,
) -> list[DirectoryEntry]:
    """The records under `base` (subtree) that pass the compiled filter, with `attributes`."""
    test, tested = search_filter
    base_key = normal_dn(base)
    suffix = "," + base_key
    every = "*" in attributes
    asked = {name.lower() for name in attributes}
    seen: set[str] = set()
    under_base = False
    entries: list[DirectoryEntry] = []
    for dn, values in records:
        key = normal_dn(dn)
        if key in seen:
            raise DirectoryError(f"{origin}: entry {dn!r} appears twice")
        seen.add(key)
        if key != base_key and not key.endswith(suffix):
            continue
        under_base = True
        if not test(_tested(values, tested)):
            continue
        raw = values if every else {k: v for k, v in values.items() if k.lower() in asked}
        entries.append(DirectoryEntry.from_raw(dn, raw))
    if not under_base:
        raise DirectoryError(f"{origin}: the search base {base!r} does not exist")
    return entries


def normal_dn(dn: str) -> str:
    """A DN compared without regard to case or to the spaces around its separators."""
    if _SPECIAL.search(dn):
        try:
            return str(safe_dn(dn)).lower()
        except ldap_errors.LDAPException:
            return dn.lower()
    parts = []
    for rdn in dn.split(","):
        name, _, value = rdn.partition("=")
        parts.append(f"{name.strip()}={value.strip()}")
    return ",".join(parts).lower()


def compile_filter(search_filter: str) -> tuple[Test, frozenset[str]]:
    """The filter as a test of an entry's values, and the attributes it tests (lowercased)."""
    try:
        root = parse_filter(
            search_filter,
            None,
            auto_escape=True,
            auto_encode=False,
            validator=None,
            check_names=False,
        )
    except ldap_errors.LDAPException as exc:
        raise DirectoryError(f"invalid filter {search_filter!r} ({exc})") from None
    tested: set[str] = set()
    test = _compile(root, tested, search_filter)
    return test, frozenset(tested)


def _tested(values: Mapping[str, Sequence[str | bytes]], names: frozenset[str]) -> Tested:
    found: dict[str, list[str]] = {}
    for name, items in values.items():
        lowered = name.lower()
        if lowered in names:
            text = [v if isinstance(v, str) else v.decode("utf-8", "replace") for v in items]
            found.setdefault(lowered, []).extend(text)
    return found


def _text(value: object) -> str:
    """An assertion value as text, its \\XX escapes (RFC 4515) decoded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    if "\\" not in text:
        return text
    raw = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def _equal(wanted: str) -> Callable[[str], bool]:
    folded = wanted.lower()
    digits = wanted.isdigit()

    def match(value: str) -> bool:
        if value == wanted or value.lower() == folded:
            return True
        return digits and value.isdigit() and int(value) == int(wanted)

    return match


def _ordered(wanted: str, greater: bool) -> Callable[[str], bool]:
    def match(value: str) -> bool:
        if value.isdigit() and wanted.isdigit():
            left, right = int(value), int(wanted)
            return left >= right if greater else left <= right
        low, other = value.lower(), wanted.lower()
        return low >= other if greater else low <= other

    return match


def _substring(assertion: Mapping[str, object]) -> Callable[[str], bool]:
    initial = assertion.get("initial")
    middle = assertion.get("any") or []
    final = assertion.get("final")
    pattern = re.escape(_text(initial)) if initial else ""
    for part in middle if isinstance(middle, list | tuple) else [middle]:
        pattern += ".*" + re.escape(_text(part))
    pattern += ".*" + re.escape(_text(final)) if final else ".*"
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _compile(node: FilterNode, tested: set[str], source: str) -> Test:
    tag = node.tag
    if tag == ROOT:
        return _compile(node.elements[0], tested, source)
    if tag in (AND, OR, NOT):
        parts = [_compile(element, tested, source) for element in node.elements]
        if tag == AND:
            return lambda entry: all(part(entry) for part in parts)
        if tag == OR:
            return lambda entry: any(part(entry) for part in parts)
        (inner,) = parts
        return lambda entry: not inner(entry)
    if tag == MATCH_EXTENSIBLE:
        raise DirectoryError(f"invalid filter {source!r} (extensible match is not read in LDIF)")
    name = str(node.assertion["attr"]).lower()
    tested.add(name)
    if tag == MATCH_PRESENT:
        return lambda entry: bool(entry.get(name))
    match: Callable[[str], bool]
    if tag in (MATCH_EQUAL, MATCH_APPROX):
        match = _equal(_text(node.assertion["value"]))
    elif tag in (MATCH_GREATER_OR_EQUAL, MATCH_LESS_OR_EQUAL):
        match = _ordered(_text(node.assertion["value"]), tag == MATCH_GREATER_OR_EQUAL)
    elif tag == MATCH_SUBSTRING:
        match = _substring(node.assertion)
    else:
        raise DirectoryError(f"invalid filter {source!r} (unknown filter item)")
    return lambda entry: any(match(value) for value in entry.get(name, ()))
