"""Small in-memory stand-ins of the offer's catalogue and the directory's accounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from jonction.domain.refer_model import (
    Etape,
    EtapeKey,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
)


@dataclass
class Catalogue:
    """element → course idnumber; FOAD étapes get their own course when `split` is set."""

    elements: Mapping[str, str]
    foad_etapes: set[EtapeKey] = field(default_factory=set)
    hand_managed: set[str] = field(default_factory=set)

    def course_of(self, year: str, element: str, etape: EtapeKey) -> str | None:
        return self.elements.get(element)

    def courses_of_element(self, element: str) -> Sequence[str]:
        course = self.elements.get(element)
        return [course] if course else []

    def teachers_by_hand(self, course: str) -> bool:
        return course in self.hand_managed


@dataclass
class Directory:
    students: Mapping[str, str] = field(default_factory=dict)
    teachers: Mapping[str, str] = field(default_factory=dict)

    def student(self, cod_etu: str) -> str | None:
        return self.students.get(cod_etu)

    def teacher(self, keys: Sequence[str]) -> str | None:
        return next((self.teachers[k] for k in keys if k in self.teachers), None)


def snapshot(
    year: str,
    students: Mapping[int, str | None],
    registrations: Iterable[tuple[int, str, str]],
    foad: Iterable[str] = (),
) -> ReferSnapshot:
    """A REFER snapshot: students (COD_IND → COD_ETU) and IPs (COD_IND, étape, element)."""
    snap = ReferSnapshot(year)
    foad_codes = set(foad)
    for cod_ind, cod_etu in students.items():
        snap.students[cod_ind] = Student(cod_ind, cod_etu, f"NOM{cod_ind}", "Prénom")
    for cod_ind, etape, element in registrations:
        key = EtapeKey(etape, 1)
        snap.etapes.setdefault(key, Etape(key, etape, "UFR", etape in foad_codes, ()))
        snap.pedagogical_registrations.append(PedagogicalRegistration(cod_ind, key, element))
    return snap
