"""Names and identities of Moodle groups and groupings, within Moodle's rules.

Identities come from codes and the year only, so a label change is a rename:

    2026:GPE:4711          the Moodle group of Apogée group COD_GPE 4711, in any course
    2026:VET:L1MATH:1      the per-étape group (and grouping) of étape L1MATH version 1

The identity of a group in jonction's records is "<course idnumber>|<group idnumber>": Moodle
keeps group idnumbers unique within a course only.

Moodle refuses a second group with the same name in a course (case-sensitively, answering a
generic invalidparameter), so names are made unique before any call, deterministically: a
name wanted by several groups of a course, or already taken by a group jonction does not
manage, gets its first distinguishing hint in brackets ("TD 1 (L1MATH-1)"), then the next
hint, then a number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from .naming import academic_year_values, clean_label, fit_key, fit_label, render
from .naming import comparable as _comparable
from .refer_model import Etape, EtapeKey, Group

# Column sizes of Moodle 4.1 (groups.name, groups.idnumber, groupings.name).
GROUP_NAME_MAX: Final = 254
GROUP_IDNUMBER_MAX: Final = 100
GROUPING_NAME_MAX: Final = 255


@lru_cache(maxsize=65536)
def comparable(name: str) -> str:
    """A name as Moodle compares it (cached: the same few names recur in every course)."""
    return _comparable(name)


def apogee_group_idnumber(year: str, code: int) -> str:
    return f"{year}:GPE:{code}"


def etape_group_idnumber(year: str, etape: EtapeKey) -> str:
    return fit_key(f"{year}:VET:{etape.code}:{etape.version}", GROUP_IDNUMBER_MAX)


def group_key(course: str, idnumber: str) -> str:
    """jonction's identity of a group: its course's idnumber and its own."""
    return f"{course}|{idnumber}"


def split_group_key(key: str) -> tuple[str, str]:
    course, _, idnumber = key.rpartition("|")
    return course, idnumber


def group_label(group: Group) -> str:
    """LIB_GPE, or COD_EXT_GPE for a group without a label, or its number as a last resort."""
    return clean_label(group.label) or clean_label(group.ext_code) or f"Groupe {group.code}"


def attached_to(group: Group) -> str:
    """The code of what the group hangs from: an element, or an étape with its version."""
    if group.element is not None:
        return group.element
    return str(group.etape) if group.etape is not None else ""


def apogee_group_name(template: str, group: Group, year: str) -> str:
    values = {
        **academic_year_values(year),
        "label": group_label(group),
        "ext_code": clean_label(group.ext_code),
        "code": str(group.code),
        "kind": group.kind,
        "object": attached_to(group),
    }
    return fit_label(render(template, values), GROUP_NAME_MAX)


def etape_values(etape: Etape | None, key: EtapeKey, year: str) -> dict[str, str]:
    return {
        **academic_year_values(year),
        "code": key.code,
        "version": str(key.version),
        "label": clean_label(etape.label) if etape is not None else str(key),
    }


def etape_group_name(template: str, etape: Etape | None, key: EtapeKey, year: str) -> str:
    return fit_label(render(template, etape_values(etape, key, year)), GROUP_NAME_MAX)


def etape_grouping_name(template: str, etape: Etape | None, key: EtapeKey, year: str) -> str:
    return fit_label(render(template, etape_values(etape, key, year)), GROUPING_NAME_MAX)


@dataclass(frozen=True, slots=True)
class WantedName:
    """A name one group of a course wants, with the hints that tell it from others."""

    key: str
    name: str
    hints: Sequence[str]


def _with_hint(name: str, hint: str) -> str:
    suffix = f" ({hint})"
    return fit_label(name, GROUP_NAME_MAX - len(suffix)) + suffix


def _candidates(wanted: WantedName) -> Iterable[str]:
    seen: set[str] = set()
    for hint in wanted.hints:
        candidate = _with_hint(wanted.name, hint)
        if hint and candidate not in seen:
            seen.add(candidate)
            yield candidate
    number = 2
    while True:
        yield _with_hint(wanted.name, str(number))
        number += 1


def unique_names(wanted: Iterable[WantedName], taken: Iterable[str] = ()) -> dict[str, str]:
    """A name for every group of one course, no two alike and none in `taken` (names of the
    course's other groups). A name wanted once and free is kept; the others get their first
    hint that makes them unique. Deterministic: keys are served in sorted order."""
    items = sorted(wanted, key=lambda w: w.key)
    blocked = {comparable(name) for name in taken}
    counts = Counter(comparable(w.name) for w in items)
    result: dict[str, str] = {}
    used: set[str] = set()
    for item in items:
        if counts[comparable(item.name)] == 1 and comparable(item.name) not in blocked:
            result[item.key] = item.name
            used.add(comparable(item.name))
    for item in items:
        if item.key in result:
            continue
        for candidate in _candidates(item):
            form = comparable(candidate)
            if form not in used and form not in blocked and counts[form] == 0:
                result[item.key] = candidate
                used.add(form)
                break
    return result
