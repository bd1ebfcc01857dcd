"""A small hand-made university for the groups step's tests: étapes, course elements,
students registered to them, and Apogée groups with their members."""

from __future__ import annotations

from jonction.config.policy import PolicySection
from jonction.domain.course_map import CourseMap, build_course_map
from jonction.domain.refer_model import (
    AdminRegistration,
    Composante,
    Diplome,
    DiplomeKey,
    Element,
    Etape,
    EtapeKey,
    Group,
    GroupMembership,
    ParentLink,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
)

YEAR = "2026"
L1MATH = EtapeKey("L1MATH", 1)
L1INFO = EtapeKey("L1INFO", 1)
L1DIST = EtapeKey("L1DIST", 1)


def course(element: str, year: str = YEAR) -> str:
    """The course idnumber the offer gives an element (default [policy] course_idnumber)."""
    return f"{year}:ELP:{element}"


class Campus:
    """Three étapes (one FOAD), elements and students added by the test."""

    def __init__(self, year: str = YEAR) -> None:
        snap = self.snapshot = ReferSnapshot(year)
        snap.composantes = {
            "SCI": Composante("SCI", "UFR Sciences", "UFR"),
            "INF": Composante("INF", "Institut d'informatique", "INS"),
        }
        diplome = DiplomeKey("LIC", 1)
        snap.diplomes = {diplome: Diplome(diplome, "Licence", "SCI")}
        snap.etapes = {
            L1MATH: Etape(L1MATH, "Licence 1 Mathématiques", "SCI", False, (diplome,)),
            L1INFO: Etape(L1INFO, "Licence 1 Informatique", "INF", False, (diplome,)),
            L1DIST: Etape(L1DIST, "Licence 1 Maths à distance", "SCI", True, (diplome,)),
        }

    def element(self, code: str, *etapes: EtapeKey, nature: str = "UE") -> str:
        composante = "INF" if code.startswith("I") else "SCI"
        self.snapshot.elements[code] = Element(
            code, f"Élément {code}", code, "", nature, composante, "S1", 6.0
        )
        for etape in etapes:
            self.snapshot.links.append(ParentLink(etape, code, None, f"L{etape.code}"))
        return code

    def student(self, cod_ind: int, etape: EtapeKey, *elements: str) -> int:
        snap = self.snapshot
        snap.students[cod_ind] = Student(cod_ind, f"E{cod_ind:05d}", f"Nom{cod_ind}", "Prénom")
        snap.admin_registrations.append(
            AdminRegistration(cod_ind, etape, DiplomeKey("LIC", 1), "SCI")
        )
        for element in elements:
            self.register(cod_ind, etape, element)
        return cod_ind

    def register(self, cod_ind: int, etape: EtapeKey, element: str) -> None:
        self.snapshot.pedagogical_registrations.append(
            PedagogicalRegistration(cod_ind, etape, element)
        )

    def group(
        self,
        code: int,
        ext: str,
        label: str,
        *,
        element: str | None = None,
        etape: EtapeKey | None = None,
        kind: str = "TD",
        members: tuple[int, ...] = (),
    ) -> int:
        self.snapshot.groups[code] = Group(code, ext, label, kind, element, etape)
        for cod_ind in members:
            self.join(cod_ind, code)
        return code

    def join(self, cod_ind: int, code: int) -> None:
        self.snapshot.memberships.append(GroupMembership(cod_ind, code))

    def leave(self, cod_ind: int, code: int) -> None:
        self.snapshot.memberships = [
            m for m in self.snapshot.memberships if (m.cod_ind, m.group) != (cod_ind, code)
        ]

    def move(self, cod_ind: int, source: int, target: int) -> None:
        self.leave(cod_ind, source)
        self.join(cod_ind, target)

    def rename(self, code: int, label: str) -> None:
        group = self.snapshot.groups[code]
        self.snapshot.groups[code] = Group(
            code, group.ext_code, label, group.kind, group.element, group.etape, group.parent
        )

    def drop_group(self, code: int) -> None:
        del self.snapshot.groups[code]
        self.snapshot.memberships = [m for m in self.snapshot.memberships if m.group != code]

    def course_maps(self, policy: PolicySection | None = None) -> dict[str, CourseMap]:
        return {self.snapshot.year: build_course_map(self.snapshot, policy or PolicySection())}


def standard_campus() -> Campus:
    """Two TD groups on a math element, an element shared by L1MATH and L1INFO, an étape group
    of L1MATH, and six students."""
    campus = Campus()
    campus.element("MAT101", L1MATH)
    campus.element("MAT102", L1MATH)
    campus.element("SHARED1", L1MATH, L1INFO)
    for cod_ind in (1, 2, 3, 4):
        campus.student(cod_ind, L1MATH, "MAT101", "MAT102", "SHARED1")
    for cod_ind in (5, 6):
        campus.student(cod_ind, L1INFO, "SHARED1")
    campus.group(100, "TD1", "TD 1", element="MAT101", members=(1, 2))
    campus.group(101, "TD2", "TD 2", element="MAT101", members=(3, 4))
    campus.group(200, "GA", "Groupe A", etape=L1MATH, kind="GRP", members=(1, 3))
    return campus
