"""Compact fields of enrolment row operations (see compact_fields.py).

A first night adds every row of the external table, 685,000 at 30,000 students. As dicts,
each row's `after` (its five columns) and `source` (the registration behind it) would take
close to a kilobyte; these hold the row's key (shared with the desired rows), its origin and
its registration or schedulings, and make the dicts only when read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .compact_fields import FieldMapping

if TYPE_CHECKING:
    from .enrolments import RowKey

_COLUMNS = ("course", "user", "role", "origin")
_STUDENT = ("origin", "table", "registrations")
_TEACHER = ("origin", "source", "schedulings")
STUDENT_TABLE = "IND_CONTRAT_ELP"
TEACHER_SOURCE = "ADE"


class RowColumns(FieldMapping):
    """{"course", "user", "role", "origin", <stamp>}: a row's columns as its operation carries
    them, the stamp being `first_seen` (a row added) or `missing_since` (a row marked, unmarked
    or removed)."""

    __slots__ = ("_origin", "_stamp", "_value", "key")

    def __init__(self, key: RowKey, origin: str, stamp: str, value: str | None) -> None:
        self.key = key
        self._origin = origin
        self._stamp = stamp
        self._value = value

    def __getitem__(self, name: str) -> Any:
        if name == "course":
            return self.key.course
        if name == "user":
            return self.key.user
        if name == "role":
            return self.key.role
        if name == "origin":
            return self._origin
        if name == self._stamp:
            return self._value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield from _COLUMNS
        yield self._stamp

    def __len__(self) -> int:
        return 5


def registration_json(
    year: str, cod_ind: int, cod_etu: str, etape: str, element: str
) -> dict[str, Any]:
    """A registration as the journal records it."""
    return {
        "year": year,
        "cod_ind": cod_ind,
        "cod_etu": cod_etu,
        "etape": etape,
        "element": element,
    }


class Justification(Protocol):
    """A registration or an ADE scheduling behind a row."""

    def to_json(self) -> dict[str, Any]: ...


class RowSource(FieldMapping):
    """{"origin": "student", "table": "IND_CONTRAT_ELP", "registrations": […]} or
    {"origin": "teacher", "source": "ADE", "schedulings": […]}: why a row is wanted, the
    registrations or schedulings themselves held, their JSON made when read."""

    __slots__ = ("_items", "_teacher")

    def __init__(self, teacher: bool, items: Sequence[Justification]) -> None:
        self._teacher = teacher
        self._items = items

    def __getitem__(self, name: str) -> Any:
        if name == "origin":
            return "teacher" if self._teacher else "student"
        if name == "table" and not self._teacher:
            return STUDENT_TABLE
        if name == "source" and self._teacher:
            return TEACHER_SOURCE
        if name == ("schedulings" if self._teacher else "registrations"):
            return [item.to_json() for item in self._items]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(_TEACHER if self._teacher else _STUDENT)

    def __len__(self) -> int:
        return 3


class OneRegistration(FieldMapping):
    """The source of a student's row that one registration justifies (most of them), its
    fields held inline: what RowSource gives for it, in a third of the memory."""

    __slots__ = ("_cod_etu", "_cod_ind", "_element", "_etape", "_year")

    def __init__(self, year: str, cod_ind: int, cod_etu: str, etape: str, element: str) -> None:
        self._year = year
        self._cod_ind = cod_ind
        self._cod_etu = cod_etu
        self._etape = etape
        self._element = element

    def __getitem__(self, name: str) -> Any:
        if name == "origin":
            return "student"
        if name == "table":
            return STUDENT_TABLE
        if name == "registrations":
            return [
                registration_json(
                    self._year, self._cod_ind, self._cod_etu, self._etape, self._element
                )
            ]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(_STUDENT)

    def __len__(self) -> int:
        return 3
