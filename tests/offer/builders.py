"""Hand-made REFER snapshots for the offer step's tests."""

from __future__ import annotations

from jonction.domain.refer_model import (
    Composante,
    Diplome,
    DiplomeKey,
    Element,
    Etape,
    EtapeKey,
    ParentLink,
    PedagogicalRegistration,
    ReferSnapshot,
    TeachingCharge,
)


def vet(code: str, version: int = 1) -> EtapeKey:
    return EtapeKey(code, version)


class University:
    """A few composantes, diplômes and étapes; elements added by the test."""

    def __init__(self, year: str = "2026") -> None:
        self.snapshot = ReferSnapshot(year)
        self._next_student = 1
        self.composante("U01", "UFR Sciences & Techniques")
        self.composante("U02", "UFR Lettres")
        self.diplome("LICMATH", "U01", "Licence Mathématiques")
        self.diplome("LICLET", "U02", "Licence Lettres")
        self.etape("L1MATH", "U01", "Licence 1 Mathématiques", ["LICMATH"])
        self.etape("L2MATH", "U01", "Licence 2 Mathématiques", ["LICMATH"])
        self.etape("L1LET", "U02", "Licence 1 Lettres", ["LICLET"])
        self.etape("L1MATD", "U01", "Licence 1 Mathématiques à distance", ["LICMATH"], foad=True)

    def composante(self, code: str, label: str) -> None:
        self.snapshot.composantes[code] = Composante(code, label, "UFR")

    def diplome(self, code: str, composante: str, label: str, version: int = 1) -> None:
        key = DiplomeKey(code, version)
        self.snapshot.diplomes[key] = Diplome(key, label, composante)

    def etape(
        self,
        code: str,
        composante: str,
        label: str,
        diplomes: list[str],
        *,
        version: int = 1,
        foad: bool = False,
    ) -> EtapeKey:
        key = EtapeKey(code, version)
        self.snapshot.etapes[key] = Etape(
            key, label, composante, foad, tuple(DiplomeKey(d, 1) for d in diplomes)
        )
        return key

    def element(
        self,
        code: str,
        *,
        parents: list[str] | None = None,
        nature: str = "UE",
        composante: str = "U01",
        label: str | None = None,
        under: str | None = None,
        long_label: str = "",
    ) -> str:
        self.snapshot.elements[code] = Element(
            code,
            label or f"Élément {code}",
            (label or code)[:25],
            long_label,
            nature,
            composante,
            "S1",
            6.0,
        )
        for parent in parents or []:
            self.link(code, parent, under)
        return code

    def link(self, element: str, etape: str, under: str | None = None) -> None:
        self.snapshot.links.append(ParentLink(vet(etape), element, under, f"L{etape[:6]}"))

    def unlink(self, element: str, etape: str) -> None:
        self.snapshot.links = [
            link
            for link in self.snapshot.links
            if not (link.element == element and link.etape == vet(etape))
        ]

    def charge(self, element: str, etape: str) -> None:
        self.snapshot.charges.append(TeachingCharge(element, vet(etape)))

    def students(self, element: str, etape: str, count: int) -> None:
        for _ in range(count):
            self.snapshot.pedagogical_registrations.append(
                PedagogicalRegistration(self._next_student, vet(etape), element)
            )
            self._next_student += 1
