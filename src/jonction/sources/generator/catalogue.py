"""The catalogue of the synthetic university: composantes, diplômes in versions, étapes and the
DAG of lists and elements under them, with the sharing a real catalogue has.

Shapes (see docs/generator.md): an LMD year is VET → list O → year element (ANNE) → list O →
two semesters (SEM) → lists → UE → lists → EC/MATI/MATC → (sometimes) TD/TP parts, so element
depth is 3 to 5; a BUT year adds a fictitious result element (RSET) holding competence blocks;
DU, certificates, doctorates and DES are small (VET → list → a few modules).
Sharing: language lists and free-elective lists hang under many semesters, L1 étapes of one
composante share a common-core list, M2 parcours share their common semester list, FOAD étapes
share a semester with their on-site twin, and some UE are reused across diplômes of a composante.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from . import labels
from .codes import CodeAllocator
from .model import Composante, Diplome, Element, Etape, Link, Liste, Vdi, stream, year_date

# (code, label, short, COD_TPC, letter, étape codes prefixed by the composante, VDI version,
#  VET version, disciplines)
COMPOSANTES: tuple[tuple[str, str, str, str, str, bool, int, int, tuple[str, ...]], ...] = (
    (
        "SCI",
        "UFR Sciences et techniques",
        "UFR ST",
        "UFR",
        "S",
        False,
        211,
        101,
        ("Mathématiques", "Informatique", "Physique", "Chimie", "Sciences de la vie"),
    ),
    (
        "DEG",
        "UFR de Droit, d'économie et de gestion",
        "UFR DEG",
        "UFR",
        "D",
        True,
        140,
        140,
        ("Droit", "Économie", "Gestion"),
    ),
    (
        "LSH",
        "UFR Lettres, langues et sciences humaines",
        "UFR LSH",
        "UFR",
        "H",
        False,
        1,
        1,
        ("Lettres modernes", "Histoire", "Géographie", "Langues étrangères appliquées"),
    ),
    ("MED", "UFR Santé", "UFR Santé", "UFR", "M", True, 3, 1, ("Médecine", "Pharmacie")),
    (
        "IUT",
        "IUT d'Exempleville",
        "IUT",
        "INS",
        "U",
        True,
        900,
        900,
        (
            "Informatique",
            "Gestion",
            "Génie électrique",
            "Techniques de commercialisation",
            "Génie civil",
        ),
    ),
    (
        "PSE",
        "UFR de Psychologie et des sciences de l'éducation",
        "UFR PSE",
        "UFR",
        "P",
        True,
        1,
        2,
        ("Psychologie", "Sciences de l'éducation"),
    ),
    ("STA", "UFR STAPS", "STAPS", "UFR", "T", False, 2, 2, ("STAPS",)),
    (
        "IAE",
        "IAE – École universitaire de management",
        "IAE",
        "INS",
        "A",
        True,
        1,
        1,
        ("Management", "Gestion"),
    ),
    (
        "DFC",
        "Direction de la formation continue",
        "DFC",
        "DPT",
        "F",
        True,
        1,
        1,
        ("Management", "Droit", "Informatique", "Médecine", "Psychologie"),
    ),
    (
        "LCE",
        "Centre de langues et cultures étrangères",
        "CLCE",
        "DPT",
        "L",
        False,
        1,
        1,
        ("Langues",),
    ),
    (
        "ESP",
        "INSPE de l'académie d'Exempleville",
        "INSPE",
        "INS",
        "E",
        False,
        1,
        1,
        ("Enseignement",),
    ),
    (
        "IFS",
        "Institut de formation en soins infirmiers (partenaire)",
        "IFSI",
        "EXT",
        "I",
        False,
        1,
        1,
        ("Soins infirmiers",),
    ),
    (
        "SEA",
        "UFR Sciences économiques et AES (ancienne)",
        "UFR SEA",
        "UFR",
        "Z",
        False,
        1,
        1,
        ("Économie",),
    ),
)
RETIRED_COMPOSANTE = "SEA"
LANGUAGE_COMPOSANTE = "LCE"

DISCIPLINE_CODES = {
    "Mathématiques": "MAT",
    "Informatique": "INF",
    "Physique": "PHY",
    "Chimie": "CHI",
    "Sciences de la vie": "SVI",
    "Lettres modernes": "LMO",
    "Histoire": "HIS",
    "Géographie": "GEO",
    "Psychologie": "PSY",
    "Sciences de l'éducation": "SED",
    "Droit": "DRT",
    "Économie": "ECO",
    "Gestion": "GES",
    "STAPS": "STA",
    "Médecine": "MED",
    "Pharmacie": "PHA",
    "Langues": "LAN",
    "Langues étrangères appliquées": "LEA",
    "Génie électrique": "GEI",
    "Techniques de commercialisation": "TCO",
    "Génie civil": "GCI",
    "Enseignement": "ENS",
    "Soins infirmiers": "SIN",
    "Management": "MGT",
}
SISE_SECTORS = {
    "Mathématiques": "01",
    "Informatique": "14",
    "Physique": "02",
    "Chimie": "03",
    "Sciences de la vie": "04",
    "Lettres modernes": "07",
    "Histoire": "09",
    "Géographie": "10",
    "Psychologie": "11",
    "Sciences de l'éducation": "12",
    "Droit": "16",
    "Économie": "17",
    "Gestion": "18",
    "STAPS": "19",
    "Médecine": "20",
    "Pharmacie": "21",
    "Langues": "08",
    "Langues étrangères appliquées": "08",
    "Génie électrique": "15",
    "Techniques de commercialisation": "18",
    "Génie civil": "15",
    "Enseignement": "12",
    "Soins infirmiers": "22",
    "Management": "18",
}

# Element natures: (COD_NEL, label, short, course-bearing by default policy, TEM_FICTIF, in use)
NATURES: tuple[tuple[str, str, str, bool, str, str], ...] = (
    ("UE", "Unité d'enseignement", "U.E.", True, "N", "O"),
    ("EC", "Élément constitutif", "E.C.", True, "N", "O"),
    ("MATI", "Matière", "Matière", True, "N", "O"),
    ("MATC", "Matière à contrôle", "Mat. ctrl", True, "N", "O"),
    ("MODU", "Module", "Module", True, "N", "O"),
    ("STAG", "Stage", "Stage", True, "N", "O"),
    ("PRJ", "Projet", "Projet", True, "N", "O"),
    ("ANNE", "Année", "Année", False, "N", "O"),
    ("SEM", "Semestre", "Semestre", False, "N", "O"),
    ("CHOI", "Choix", "Choix", False, "N", "O"),
    ("BLOC", "Bloc de compétences", "Bloc", False, "N", "O"),
    ("TD", "Travaux dirigés", "TD", False, "N", "O"),
    ("TP", "Travaux pratiques", "TP", False, "N", "O"),
    ("RSET", "Résultat d'étape", "Rés. étape", False, "O", "O"),
    ("UE97", "Unité d'enseignement (maquettes 1997)", "UE 97", True, "N", "N"),
)
NATURE_LETTER = {
    "UE": "U",
    "EC": "E",
    "MATI": "M",
    "MATC": "C",
    "MODU": "D",
    "STAG": "G",
    "PRJ": "J",
    "ANNE": "A",
    "SEM": "S",
    "CHOI": "X",
    "BLOC": "B",
    "TD": "T",
    "TP": "P",
    "RSET": "R",
    "UE97": "V",
}
PERIODS = (
    ("AN", "Année", "Année"),
    *((f"S{n}", f"Semestre {n}", f"Sem. {n}") for n in range(1, 10)),
    ("SA", "Semestre 10", "Sem. 10"),
)

# Programme kinds: (kind, COD_TPD_ETB, COD_CYC, COD_CUR, typedip, label, levels, count at
# 30,000 students, smallest count, composantes offering it, big template)
KINDS: tuple[
    tuple[str, str, str, str | None, str, str, tuple[str, ...], int, int, tuple[str, ...], bool],
    ...,
] = (
    (
        "LIC",
        "LI",
        "1",
        "L",
        "XA",
        "Licence",
        ("L1", "L2", "L3"),
        52,
        2,
        ("SCI", "DEG", "LSH", "STA", "PSE"),
        True,
    ),
    (
        "MAS",
        "MA",
        "2",
        "M",
        "XB",
        "Master",
        ("M1", "M2"),
        70,
        1,
        ("SCI", "DEG", "LSH", "PSE", "IAE", "STA"),
        True,
    ),
    ("BUT", "BU", "1", "L", "DT", "BUT", ("B1", "B2", "B3"), 14, 1, ("IUT",), True),
    (
        "LPR",
        "LP",
        "1",
        "L",
        "XD",
        "Licence professionnelle",
        ("L3",),
        60,
        1,
        ("IUT", "SCI", "DEG"),
        False,
    ),
    (
        "DU",
        "DU",
        "1",
        None,
        "UB",
        "Diplôme d'université",
        ("X1",),
        280,
        2,
        ("DFC", "MED", "DEG", "LCE", "SCI", "LSH"),
        False,
    ),
    ("CER", "CE", "1", None, "UC", "Certificat", ("X1",), 60, 1, ("LCE", "DFC", "IAE"), False),
    (
        "DOC",
        "DO",
        "3",
        "D",
        "YB",
        "Doctorat",
        ("D1", "D2", "D3"),
        20,
        1,
        ("SCI", "LSH", "DEG", "MED"),
        False,
    ),
    ("DES", "DE", "3", None, "YD", "DES", ("D1", "D2"), 75, 1, ("MED",), False),
    ("SAN", "SA", "1", None, "XS", "Études de santé", ("PASS",), 1, 0, ("MED",), True),
    ("MEF", "MF", "2", "M", "XB", "Master MEEF", ("M1", "M2"), 6, 0, ("ESP",), False),
    (
        "IFS",
        "IF",
        "1",
        None,
        "XI",
        "Diplôme d'État d'infirmier",
        ("I1", "I2", "I3"),
        1,
        0,
        ("IFS",),
        False,
    ),
)
KIND_LETTER = {
    "LIC": "L",
    "MAS": "M",
    "BUT": "B",
    "LPR": "P",
    "DU": "D",
    "CER": "C",
    "DOC": "T",
    "DES": "E",
    "SAN": "S",
    "MEF": "N",
    "IFS": "I",
}
# Students attracted per étape, by kind and rank (1-based), before randomness.
WEIGHTS = {
    "LIC": (6.5, 4.5, 4.0),
    "MAS": (2.4, 2.0),
    "BUT": (4.0, 3.5, 3.0),
    "LPR": (1.8,),
    "DU": (0.5,),
    "CER": (0.4,),
    "DOC": (0.45, 0.4, 0.4),
    "DES": (0.4, 0.35),
    "SAN": (12.0, 6.0, 6.0, 4.0, 4.0, 4.0),
    "MEF": (2.0, 2.0),
    "IFS": (3.0, 3.0, 3.0),
}
SAN_STEPS = (
    ("PASS", "Parcours d'accès spécifique santé", "P"),
    ("DFGSM", "DFGSM 2 – Formation générale en sciences médicales", "G"),
    ("DFGSM", "DFGSM 3 – Formation générale en sciences médicales", "G"),
    ("DFASM", "DFASM 1 – Formation approfondie en sciences médicales", "A"),
    ("DFASM", "DFASM 2 – Formation approfondie en sciences médicales", "A"),
    ("DFASM", "DFASM 3 – Formation approfondie en sciences médicales", "A"),
)
VARIANTS = (
    "parcours renforcé",
    "parcours international",
    "accès santé (LAS)",
    "bi-disciplinaire",
    "parcours enseignement",
    "parcours recherche",
    "parcours professionnel",
)
DU_TOPICS = (
    "Médiation",
    "Éthique du soin",
    "Droit du numérique",
    "Management de la qualité",
    "Préparation aux concours",
    "Santé au travail",
    "Langue des signes française",
    "Gestion de crise",
    "Création d'entreprise",
    "Addictologie",
    "Soins palliatifs",
    "Intelligence économique",
    "Photographie",
    "Œnologie",
    "Cybersécurité",
)


@dataclass(slots=True)
class Catalogue:
    year: str
    composantes: list[Composante] = field(default_factory=list)
    diplomes: list[Diplome] = field(default_factory=list)
    vdis: list[Vdi] = field(default_factory=list)
    etapes: list[Etape] = field(default_factory=list)
    elements: dict[str, Element] = field(default_factory=dict)
    lists: dict[str, Liste] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    # ELP_CHARGE_ENS: element → VET porteuse (None: load declared without a VET porteuse)
    porteuse: dict[str, tuple[str, int] | None] = field(default_factory=dict)
    carriers: list[tuple[str, str]] = field(default_factory=list)  # (carried, carrier)
    dirt: dict[str, int] = field(default_factory=dict)

    def etape(self, key: tuple[str, int]) -> Etape:
        for etape in self.etapes:
            if etape.key == key:
                return etape
        raise KeyError(key)


@dataclass(slots=True)
class _Sharing:
    language_lists: dict[int, str] = field(default_factory=dict)  # semester → list
    free_lists: dict[int, str] = field(default_factory=dict)  # parity → list
    portail: dict[str, str] = field(default_factory=dict)  # composante → S1 common list
    ue_pool: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    master_common: dict[str, str] = field(default_factory=dict)  # diplôme → S3 list
    first_semesters: dict[tuple[str, int], str] = field(default_factory=dict)  # VET → SEM


def scaled(base: int, students: int, floor: int) -> int:
    return max(floor, round(base * students / 30000))


class CatalogueBuilder:
    """Builds a `Catalogue`; every random choice comes from the catalogue stream of the seed."""

    def __init__(self, seed: int, year: str, students: int) -> None:
        self.rng = stream(seed, "catalogue")
        self.year = year
        self.y = int(year)
        self.students = students
        self.cat = Catalogue(year=year)
        self.codes = CodeAllocator()
        self.list_codes = CodeAllocator()
        self.dip_codes = CodeAllocator()
        self.etp_codes = CodeAllocator()
        self.share = _Sharing()
        self.subject_cursor: dict[str, int] = {}
        self.cmp: dict[str, Composante] = {}
        self._portail_vets: dict[str, Etape] = {}
        self.created = year_date(year, 5, 15)

    # ---- building blocks -------------------------------------------------------------------

    def element(
        self,
        stem: tuple[str, str, str],  # composante letter, discipline code, level character
        nature: str,
        label: str,
        composante: str,
        discipline: str,
        period: str | None = None,
        credits: float | None = None,
    ) -> str:
        letter, disc, level = stem
        width = self.rng.choices((6, 7, 8), weights=(9, 55, 36))[0]
        code = self.codes.fresh(f"{letter}{disc[:2]}{level}{NATURE_LETTER[nature]}", width)
        lib, long_label = fit(label)
        hours = (0, 0, 0)
        if nature in ("UE", "EC", "MATI", "MATC", "MODU"):
            hours = (self.rng.choice((0, 12, 18, 24)), self.rng.choice((12, 18, 24)), 0)
        element = Element(
            code=code,
            label=lib,
            short=labels.short_label(label),
            nature=nature,
            composante=composante,
            period=period,
            credits=credits,
            discipline=discipline,
            long_label=long_label,
            hours=hours,
        )
        if long_label is None and nature in ("UE", "SEM") and self.rng.random() < 0.15:
            element.long_label = f"{labels.NATURES_LONG.get(nature, '')}{label}"
        elif long_label is None and self.rng.random() < 0.01:
            element.english_label = f"{label} (English-taught)"
        self.cat.elements[code] = element
        return code

    def liste(self, kind: str, label: str, stem: str, elements: list[str]) -> str:
        code = self.list_codes.fresh("L" + stem[:4], 8)
        self.cat.lists[code] = Liste(
            code=code,
            kind=kind,
            label=labels.cut(label, labels.LIB_MAX),
            short=labels.short_label(label),
            elements=list(dict.fromkeys(elements)),
        )
        return code

    def bounds(self, kind: str, size: int) -> tuple[int | None, int | None]:
        if kind == "O":
            return None, None
        if kind == "X":
            low = 1 if size < 4 else self.rng.choice((1, 2))
            return low, low if self.rng.random() < 0.7 else min(size, low + 1)
        return 0, min(size, self.rng.choice((1, 1, 2)))

    def under_vet(self, etape: Etape, lse: str) -> None:
        kind = self.cat.lists[lse].kind
        low, high = self.bounds(kind, len(self.cat.lists[lse].elements))
        self.cat.links.append(Link(lse, etape.key, None, low, high, self.created))

    def under_element(self, elp: str, lse: str, order: int = 1) -> None:
        kind = self.cat.lists[lse].kind
        low, high = self.bounds(kind, len(self.cat.lists[lse].elements))
        self.cat.links.append(Link(lse, None, elp, low, high, self.created, order=order))

    def subject(self, discipline: str) -> str:
        pool = labels.SUBJECTS.get(discipline, labels.TRANSVERSAL)
        cursor = self.subject_cursor.get(discipline, self.rng.randrange(len(pool)))
        self.subject_cursor[discipline] = cursor + 1
        return pool[cursor % len(pool)]

    # ---- the whole catalogue ---------------------------------------------------------------

    def build(self) -> Catalogue:
        self._composantes()
        self._shared_lists()
        for spec in KINDS:
            self._programmes(spec)
        self._foad_twins()
        self._old_versions()
        return self.cat

    def _composantes(self) -> None:
        for code, label, short, kind, letter, prefix, vdi_v, vet_v, disciplines in COMPOSANTES:
            composante = Composante(
                code=code,
                label=label,
                short=short,
                kind=kind,
                letter=letter,
                prefix_codes=prefix,
                vdi_version=vdi_v,
                vet_version=vet_v,
                in_service=code != RETIRED_COMPOSANTE,
                disciplines=disciplines,
            )
            self.cat.composantes.append(composante)
            self.cmp[code] = composante

    def _shared_lists(self) -> None:
        """Language lists per semester and free-elective lists per semester parity."""
        for semester in range(1, 7):
            elements = []
            for language in labels.SUBJECTS["Langues"][:5]:
                code = self.element(
                    ("L", "LV", str(semester)),
                    "UE",
                    f"{language} S{semester}",
                    LANGUAGE_COMPOSANTE,
                    "Langues",
                    f"S{semester}",
                    3,
                )
                elements.append(code)
            self.share.language_lists[semester] = self.liste(
                "X", f"Langue vivante semestre {semester}", f"LV{semester}", elements
            )
        free_count = scaled(24, self.students, 3)
        donors = [c for c in self.cat.composantes if c.kind in ("UFR", "INS") and c.in_service]
        for parity in (1, 2):
            elements = []
            for number in range(free_count):
                composante = donors[(number + parity) % len(donors)]
                discipline = composante.disciplines[number % len(composante.disciplines)]
                label = f"UE libre : {self.subject(discipline)}"
                elements.append(
                    self.element(
                        (composante.letter, "UL", str(parity)),
                        "UE",
                        label,
                        composante.code,
                        discipline,
                        f"S{parity}",
                        3,
                    )
                )
            name = "impairs" if parity == 1 else "pairs"
            self.share.free_lists[parity] = self.liste(
                "F", f"UE libres semestres {name}", f"UL{parity}", elements
            )

    def _programmes(
        self,
        spec: tuple[
            str, str, str, str | None, str, str, tuple[str, ...], int, int, tuple[str, ...], bool
        ],
    ) -> None:
        kind, tpd, cycle, cursus, sise, title, levels, base, floor, offering, big = spec
        count = scaled(base, self.students, floor)
        if kind in ("SAN", "IFS"):
            count = min(count, 1) if self.students >= 3000 else 0
        if kind == "MEF":
            count = min(count, 6) if self.students >= 3000 else 0
        pairs = [
            (self.cmp[code], discipline)
            for code in offering
            for discipline in self.cmp[code].disciplines
        ]
        for number in range(count):
            composante, discipline = pairs[number % len(pairs)]
            variant = number // len(pairs)
            self._programme(
                kind, tpd, cycle, cursus, sise, title, levels, big, composante, discipline, variant
            )

    def _diplome(
        self,
        kind: str,
        tpd: str,
        cycle: str,
        sise: str,
        label: str,
        composante: Composante,
        discipline: str,
        duration: int,
    ) -> tuple[Diplome, list[Vdi]]:
        stem = KIND_LETTER[kind] + DISCIPLINE_CODES[discipline]
        code = (
            self.dip_codes.exact_or_fresh(stem, 7)
            if kind not in ("DU", "CER")
            else (self.dip_codes.fresh(stem, 6))
        )
        diplome = Diplome(
            code=code,
            label=labels.cut(label, labels.LIB_MAX),
            short=labels.short_label(label),
            kind=kind,
            tpd=tpd,
            cycle=cycle,
            composante=composante.code,
            discipline=discipline,
            sise_type=sise,
            sise_sector=SISE_SECTORS[discipline],
        )
        start = self.y - self.rng.randint(0, 4)
        vdis = [
            Vdi(
                diplome=code,
                version=composante.vdi_version,
                short=labels.short_label(label),
                web_label=label if self.rng.random() < 0.9 else None,
                composante=composante.code,
                first_year=start,
                last_recruitment=start + 4,
                last_validity=start + 5,
                duration=duration,
            )
        ]
        if self.rng.random() < 0.1 and duration > 1:
            # The previous accreditation: recruits no more, still valid for continuing students.
            old = composante.vdi_version - 1 if composante.vdi_version > 1 else 0
            vdis.insert(
                0,
                Vdi(
                    diplome=code,
                    version=old or 9,
                    short=labels.short_label(label),
                    web_label=f"{label} (ancienne maquette)",
                    composante=composante.code,
                    first_year=start - 5,
                    last_recruitment=self.y - 1,
                    last_validity=self.y + 1,
                    duration=duration,
                ),
            )
        diplome.versions = [vdi.version for vdi in vdis]
        self.cat.diplomes.append(diplome)
        self.cat.vdis.extend(vdis)
        return diplome, vdis

    def _etape(
        self,
        diplome: Diplome,
        vdis: list[Vdi],
        rank: int,
        level: str,
        label: str,
        composante: Composante,
        cursus: str | None,
        weight: float,
        big: bool,
    ) -> Etape:
        disc = DISCIPLINE_CODES[diplome.discipline]
        kind_letter = KIND_LETTER[diplome.kind]
        rank_char = str(rank)
        if composante.prefix_codes:
            code = self.etp_codes.exact_or_fresh(
                f"{composante.code}{kind_letter}{disc[0]}", 6, rank_char
            )
        else:
            code = self.etp_codes.exact_or_fresh(
                f"{composante.letter}{kind_letter}{disc}", 6, rank_char
            )
        web = labels.cut(label, 120) if self.rng.random() > 0.08 else None
        etape = Etape(
            code=code,
            version=composante.vet_version,
            label=labels.cut(label, labels.LIB_MAX),
            short=labels.short_label(label),
            web_label=web,
            composante=composante.code,
            cycle=diplome.cycle,
            cursus=cursus,
            level=level,
            kind=diplome.kind,
            discipline=diplome.discipline,
            rank=rank,
            weight=weight * self.rng.uniform(0.5, 1.6),
            big=big,
        )
        for vdi in vdis:
            recruit_end = vdi.last_recruitment
            etape.vdis.append(
                (vdi.diplome, vdi.version, rank, vdi.first_year, recruit_end, vdi.last_validity)
            )
        self.cat.etapes.append(etape)
        return etape

    def _programme(
        self,
        kind: str,
        tpd: str,
        cycle: str,
        cursus: str | None,
        sise: str,
        title: str,
        levels: tuple[str, ...],
        big: bool,
        composante: Composante,
        discipline: str,
        variant: int,
    ) -> None:
        rng = self.rng
        if kind in ("DU", "CER"):
            topic = DU_TOPICS[(variant + len(self.cat.diplomes)) % len(DU_TOPICS)]
            name = f"{title} {topic}" + (f" {variant + 1}" if variant else "")
        elif kind == "DES":
            name = f"DES {self.subject('Médecine')}" + (f" {variant + 1}" if variant > 10 else "")
        elif kind == "SAN":
            self._health(composante)
            return
        else:
            name = f"{title} {discipline}"
            if variant:
                name += f" – {VARIANTS[(variant - 1) % len(VARIANTS)]}"
                if variant > len(VARIANTS):
                    name += f" {variant}"
        weights = WEIGHTS[kind]
        diplome, vdis = self._diplome(
            kind, tpd, cycle, sise, name, composante, discipline, len(levels)
        )
        if kind == "MAS":
            m1 = self._etape(
                diplome, vdis, 1, "M1", f"M1 {name[7:]}", composante, cursus, weights[0], True
            )
            self._lmd_year(m1, semesters=(7, 8))
            parcours = 1 + (rng.random() < 0.55) + (rng.random() < 0.25)
            for number in range(parcours):
                suffix = f" – parcours {self.subject(discipline)}" if parcours > 1 else ""
                m2 = self._etape(
                    diplome,
                    vdis,
                    2,
                    "M2",
                    f"M2 {name[7:]}{suffix}",
                    composante,
                    cursus,
                    weights[1],
                    False,
                )
                self._master_two(m2, diplome.code, number)
            return
        if kind == "LIC" and composante.code in self.share.portail and rng.random() < 0.3:
            # This licence's first year is the portail of an earlier licence of the composante.
            portail_vet = self._portail_vets.get(composante.code)
            if portail_vet is not None and len(portail_vet.vdis) == 1:
                for vdi in vdis:
                    portail_vet.vdis.append(
                        (
                            vdi.diplome,
                            vdi.version,
                            1,
                            vdi.first_year,
                            vdi.last_recruitment,
                            vdi.last_validity,
                        )
                    )
                portail_vet.label = labels.cut(f"{portail_vet.label} – {discipline}", 60)
                start_rank = 2
            else:
                start_rank = 1
        else:
            start_rank = 1
        for rank in range(start_rank, len(levels) + 1):
            level = levels[rank - 1]
            if kind == "LIC":
                label = f"Licence {rank} {name[8:]}"
            elif kind == "BUT":
                label = f"BUT {rank} {name[4:]}"
            elif kind in ("DOC",):
                label = f"{name} – {rank}e année" if rank > 1 else f"{name} – 1re année"
            elif kind == "DES":
                label = f"{name} – " + ("phase socle" if rank == 1 else "phase d'approfondissement")
            elif kind in ("IFS", "MEF"):
                label = f"{name} – {level}"
            else:
                label = name
            etape = self._etape(
                diplome,
                vdis,
                rank,
                level,
                label,
                composante,
                cursus,
                weights[min(rank, len(weights)) - 1],
                big,
            )
            if kind == "LIC":
                self._lmd_year(etape, semesters=(2 * rank - 1, 2 * rank))
                if rank == 1 and composante.code not in self._portail_vets:
                    self._portail_vets[composante.code] = etape
            elif kind == "BUT":
                self._but_year(etape, semesters=(2 * rank - 1, 2 * rank))
            elif kind in ("LPR", "MEF", "IFS"):
                self._medium(etape, semesters=(2 * rank - 1, 2 * rank))
            elif kind == "DOC":
                self._doctorate(etape)
            else:
                self._small(etape)

    def _health(self, composante: Composante) -> None:
        """PASS, then DFGSM 2-3 and DFASM 1-3: big health étapes with no language list."""
        weights = WEIGHTS["SAN"]
        made: dict[str, tuple[Diplome, list[Vdi]]] = {}
        ranks = {"PASS": 0, "DFGSM": 1, "DFASM": 0}
        for index, (code, label, _letter) in enumerate(SAN_STEPS):
            if code not in made:
                title = label if code == "PASS" else label.split(" – ")[1]
                made[code] = self._diplome(
                    "SAN", "SA", "1", "XS", f"{code} {title}"[:60], composante, "Médecine", 3
                )
            ranks[code] += 1
            diplome, vdis = made[code]
            level = ("L1", "L2", "L3", "M1", "M2", "M2")[index]
            etape = self._etape(
                diplome, vdis, ranks[code], level, label, composante, None, weights[index], True
            )
            self._lmd_year(etape, semesters=(2 * index + 1, 2 * index + 2), languages=False)

    # ---- templates ---------------------------------------------------------------------------

    def _stem(self, etape: Etape, level: int | str) -> tuple[str, str, str]:
        composante = self.cmp[etape.composante]
        return (composante.letter, DISCIPLINE_CODES[etape.discipline], str(level)[-1])

    def _ue(self, etape: Etape, semester: int, nature: str = "UE", deep: bool = True) -> str:
        """A new course element with, often, its constituent elements below."""
        rng = self.rng
        subject = self.subject(etape.discipline)
        number = 1 + (semester - 1) // 2
        label = f"{subject} {number}" if rng.random() < 0.5 else subject
        if rng.random() < 0.25:
            label = f"UE{rng.randint(1, 9)} {label}"
        if rng.random() < 0.05:
            label = labels.typographic(label)
        code = self.element(
            self._stem(etape, semester),
            nature,
            label,
            etape.composante,
            etape.discipline,
            f"S{min(semester, 9)}" if semester <= 9 else "SA",
            rng.choice((3, 4, 5, 6)),
        )
        roll = rng.random()
        if roll < 0.62:
            parts = [
                self.element(
                    self._stem(etape, semester),
                    rng.choice(("EC", "EC", "MATI", "MATC")),
                    f"{self.subject(etape.discipline)}{rng.choice(labels.LEVEL_WORDS)}",
                    etape.composante,
                    etape.discipline,
                    f"S{min(semester, 9)}",
                )
                for _ in range(rng.choice((2, 2, 3)))
            ]
            for part in parts:
                if deep and rng.random() < 0.06:
                    technical = [
                        self.element(
                            self._stem(etape, semester),
                            kind,
                            f"{self.cat.elements[part].label[:50]} – {kind}",
                            etape.composante,
                            etape.discipline,
                        )
                        for kind in ("TD", "TP")
                    ]
                    self.under_element(part, self.liste("O", f"Travaux {part}", part, technical))
            self.under_element(code, self.liste("O", f"Éléments de {label}", code, parts))
        elif roll < 0.7:
            parts = [
                self.element(
                    self._stem(etape, semester),
                    "EC",
                    self.subject(etape.discipline),
                    etape.composante,
                    etape.discipline,
                )
                for _ in range(2)
            ]
            self.under_element(code, self.liste("X", f"Choix dans {label}", code, parts))
        return code

    def _pooled_ue(self, etape: Etape, semester: int) -> str:
        """A UE of the semester, sometimes one already taught in another diplôme."""
        pool = self.share.ue_pool.setdefault((etape.composante, semester), [])
        if pool and self.rng.random() < 0.25:
            return self.rng.choice(pool)
        code = self._ue(etape, semester)
        pool.append(code)
        return code

    def _lmd_year(self, etape: Etape, semesters: tuple[int, int], languages: bool = True) -> None:
        rng = self.rng
        stem = self._stem(etape, etape.rank)
        semester_codes = []
        for semester in semesters:
            sem = self.element(
                stem,
                "SEM",
                f"Semestre {semester} {etape.short}",
                etape.composante,
                etape.discipline,
                f"S{semester}" if semester <= 9 else "SA",
                30,
            )
            semester_codes.append(sem)
            own = [self._pooled_ue(etape, semester) for _ in range(rng.choice((3, 4, 4, 5)))]
            order = 1
            if (
                semester == 1
                and etape.kind == "LIC"
                and etape.composante in self.share.portail
                and rng.random() < 0.6
            ):
                self.under_element(sem, self.share.portail[etape.composante], order)
                order += 1
            elif semester == 1 and etape.kind == "LIC":
                common = [self._ue(etape, semester) for _ in range(2)]
                lse = self.liste(
                    "O", f"Tronc commun S1 {self.cmp[etape.composante].short}", sem, common
                )
                self.share.portail[etape.composante] = lse
                self.under_element(sem, lse, order)
                order += 1
            self.under_element(
                sem, self.liste("O", f"UE obligatoires S{semester}", sem, own), order
            )
            order += 1
            chooser = rng.random() < 0.2
            options = [
                self._ue(etape, semester, deep=not chooser) for _ in range(rng.choice((2, 3, 4)))
            ]
            option_list = self.liste("X", f"UE à choix S{semester}", sem, options)
            if chooser:
                choice = self.element(
                    stem, "CHOI", f"Choix d'options S{semester}", etape.composante, etape.discipline
                )
                self.under_element(choice, option_list)
                self.under_element(
                    sem, self.liste("O", f"Options S{semester}", sem, [choice]), order
                )
            else:
                self.under_element(sem, option_list, order)
            order += 1
            if languages and semester in self.share.language_lists and rng.random() < 0.85:
                self.under_element(sem, self.share.language_lists[semester], order)
                order += 1
            parity = 1 if semester % 2 else 2
            if etape.kind == "LIC" and rng.random() < 0.6:
                self.under_element(sem, self.share.free_lists[parity], order)
                order += 1
            if semester % 2 == 0 and etape.rank >= 3 and etape.kind in ("LIC", "MAS"):
                stage = self.element(
                    stem,
                    "STAG",
                    f"Stage {etape.short}",
                    etape.composante,
                    etape.discipline,
                    f"S{min(semester, 9)}",
                    6,
                )
                self.under_element(sem, self.liste("F", "Stage facultatif", sem, [stage]), order)
        self.share.first_semesters[etape.key] = semester_codes[0]
        if rng.random() < 0.3:
            self.under_vet(
                etape, self.liste("O", f"Semestres {etape.short}", etape.code, semester_codes)
            )
            return
        year = self.element(stem, "ANNE", etape.label, etape.composante, etape.discipline, "AN", 60)
        self.under_element(year, self.liste("O", f"Semestres {etape.short}", year, semester_codes))
        self.under_vet(etape, self.liste("O", etape.label, etape.code, [year]))

    def _master_two(self, etape: Etape, diplome: str, number: int) -> None:
        rng = self.rng
        stem = self._stem(etape, 9)
        sem3 = self.element(
            stem, "SEM", f"Semestre 3 {etape.short}", etape.composante, etape.discipline, "S9", 30
        )
        if diplome not in self.share.master_common:
            common = [self._ue(etape, 9) for _ in range(rng.choice((2, 3, 4)))]
            self.share.master_common[diplome] = self.liste(
                "O", f"Tronc commun M2 {diplome}", sem3, common
            )
        own = [self._ue(etape, 9) for _ in range(rng.choice((2, 3)))]
        self.under_element(sem3, self.share.master_common[diplome], 1)
        self.under_element(sem3, self.liste("O", f"Parcours S3 {etape.short}", sem3, own), 2)
        sem4 = self.element(
            stem, "SEM", f"Semestre 4 {etape.short}", etape.composante, etape.discipline, "SA", 30
        )
        stage = self.element(
            stem,
            "STAG",
            f"Stage de fin d'études {etape.short}",
            etape.composante,
            etape.discipline,
            "SA",
            24,
        )
        project = self.element(
            stem,
            "PRJ",
            f"Mémoire de recherche {etape.short}",
            etape.composante,
            etape.discipline,
            "SA",
            6,
        )
        self.under_element(
            sem4, self.liste("O", f"Semestre 4 {etape.short}", sem4, [stage, project])
        )
        self.under_vet(etape, self.liste("O", etape.label, etape.code, [sem3, sem4]))

    def _but_year(self, etape: Etape, semesters: tuple[int, int]) -> None:
        rng = self.rng
        stem = self._stem(etape, etape.rank)
        result = self.element(
            stem, "RSET", f"Résultat d'étape {etape.short}", etape.composante, etape.discipline
        )
        blocks = []
        for number in range(1, 4):
            block = self.element(
                stem,
                "BLOC",
                f"Bloc de compétences {number} {etape.short}",
                etape.composante,
                etape.discipline,
                None,
                20,
            )
            ues = [self._ue(etape, semester, "UE", deep=False) for semester in semesters]
            self.under_element(block, self.liste("O", f"UE du bloc {number}", block, ues))
            blocks.append(block)
        self.under_element(result, self.liste("O", f"Blocs {etape.short}", result, blocks))
        tops = [result]
        for semester in semesters:
            sem = self.element(
                stem,
                "SEM",
                f"Semestre {semester} {etape.short}",
                etape.composante,
                etape.discipline,
                f"S{semester}",
                30,
            )
            resources = [
                self.element(
                    stem,
                    "MATI",
                    f"Ressource {self.subject(etape.discipline)}",
                    etape.composante,
                    etape.discipline,
                    f"S{semester}",
                )
                for _ in range(rng.choice((4, 5, 6)))
            ]
            sae = self.element(
                stem,
                "PRJ",
                f"SAÉ {semester} – projet {etape.short}",
                etape.composante,
                etape.discipline,
                f"S{semester}",
            )
            self.under_element(
                sem, self.liste("O", f"Ressources S{semester}", sem, [*resources, sae])
            )
            tops.append(sem)
            if semester == semesters[0]:
                self.share.first_semesters[etape.key] = sem
        year = self.element(stem, "ANNE", etape.label, etape.composante, etape.discipline, "AN", 60)
        self.under_element(year, self.liste("O", f"Année {etape.short}", year, tops))
        self.under_vet(etape, self.liste("O", etape.label, etape.code, [year]))

    def _medium(self, etape: Etape, semesters: tuple[int, int]) -> None:
        stem = self._stem(etape, etape.rank)
        tops = []
        for semester in semesters:
            sem = self.element(
                stem,
                "SEM",
                f"Semestre {semester} {etape.short}",
                etape.composante,
                etape.discipline,
                f"S{min(semester, 9)}",
                30,
            )
            ues = [self._ue(etape, semester) for _ in range(self.rng.choice((2, 3)))]
            if semester == semesters[1]:
                ues.append(
                    self.element(
                        stem,
                        "STAG",
                        f"Stage {etape.short}",
                        etape.composante,
                        etape.discipline,
                        f"S{min(semester, 9)}",
                        12,
                    )
                )
                ues.append(
                    self.element(
                        stem,
                        "PRJ",
                        f"Projet tuteuré {etape.short}",
                        etape.composante,
                        etape.discipline,
                    )
                )
            self.under_element(sem, self.liste("O", f"UE S{semester} {etape.short}", sem, ues))
            tops.append(sem)
        self.share.first_semesters[etape.key] = tops[0]
        self.under_vet(etape, self.liste("O", etape.label, etape.code, tops))

    def _small(self, etape: Etape) -> None:
        rng = self.rng
        stem = self._stem(etape, etape.rank)
        modules = []
        for _ in range(rng.choice((2, 3, 3, 4, 5))):
            module = self.element(
                stem,
                "MODU",
                f"Module {self.subject(etape.discipline)}",
                etape.composante,
                etape.discipline,
                "AN",
                rng.choice((2, 3, 4, 6)),
            )
            if rng.random() < 0.2:
                parts = [
                    self.element(
                        stem,
                        "MATI",
                        self.subject(etape.discipline),
                        etape.composante,
                        etape.discipline,
                    )
                    for _ in range(rng.choice((1, 2, 3)))
                ]
                self.under_element(module, self.liste("O", f"Matières {module}", module, parts))
            modules.append(module)
        self.under_vet(etape, self.liste("O", etape.label, etape.code, modules))
        if rng.random() < 0.25:
            extra = [
                self.element(
                    stem,
                    rng.choice(("STAG", "PRJ")),
                    f"{rng.choice(('Stage', 'Projet'))} {etape.short}",
                    etape.composante,
                    etape.discipline,
                )
            ]
            self.under_vet(etape, self.liste("F", f"Options {etape.short}", etape.code, extra))

    def _doctorate(self, etape: Etape) -> None:
        stem = self._stem(etape, etape.rank)
        training = self.element(
            stem,
            "MODU",
            f"Formation doctorale {etape.short}",
            etape.composante,
            etape.discipline,
            "AN",
        )
        seminar = self.element(
            stem,
            "MODU",
            f"Séminaires de l'école doctorale {etape.short}",
            etape.composante,
            etape.discipline,
            "AN",
        )
        self.under_vet(etape, self.liste("O", etape.label, etape.code, [training, seminar]))
        self.under_vet(etape, self.share.language_lists[5])

    # ---- special étapes --------------------------------------------------------------------

    def _foad_twins(self) -> None:
        """FOAD étapes: most share their first semester with an on-site twin."""
        rng = self.rng
        count = scaled(12, self.students, 2)
        candidates = [
            etape
            for etape in self.cat.etapes
            if (
                etape.kind in ("LIC", "MAS", "DU", "LPR")
                and etape.key in self.share.first_semesters
                and etape.rank >= 2
            )
            or etape.kind == "DU"
        ]
        rng.shuffle(candidates)
        for number, twin in enumerate(candidates[:count]):
            composante = self.cmp[twin.composante]
            code = self.etp_codes.fresh(twin.code[:4], 6, "D")
            etape = Etape(
                code=code,
                version=twin.version,
                label=labels.cut(f"{twin.label} (FOAD)", 60),
                short=labels.short_label(f"{twin.short} FOAD"),
                web_label=labels.cut(f"{twin.label} – enseignement à distance", 120),
                composante=composante.code,
                cycle=twin.cycle,
                cursus=twin.cursus,
                level=twin.level,
                kind=twin.kind,
                discipline=twin.discipline,
                rank=twin.rank,
                foad=True,
                weight=twin.weight * 0.25,
                big=False,
                vdis=list(twin.vdis),
            )
            self.cat.etapes.append(etape)
            stem = self._stem(etape, etape.rank)
            own = [
                self.element(
                    stem,
                    "MODU",
                    f"Méthodologie de la formation à distance {n}",
                    etape.composante,
                    etape.discipline,
                    "AN",
                    2,
                )
                for n in (1, 2)
            ]
            shared = self.share.first_semesters.get(twin.key)
            if shared is not None and number % 4 != 3:
                self.under_vet(
                    etape, self.liste("O", f"Semestre partagé {etape.short}", etape.code, [shared])
                )
            else:
                own.append(self._ue(etape, 1))
            self.under_vet(etape, self.liste("O", f"À distance {etape.short}", etape.code, own))

    def _old_versions(self) -> None:
        """Earlier versions of a few étapes: no longer offered, holding retired elements."""
        rng = self.rng
        count = scaled(25, self.students, 1)
        licences = [etape for etape in self.cat.etapes if etape.kind == "LIC" and not etape.foad]
        for etape in licences[:count]:
            old = Etape(
                code=etape.code,
                version=max(1, etape.version - 1) if etape.version > 1 else 9,
                label=etape.label,
                short=etape.short,
                web_label=f"{etape.label} (maquette précédente)",
                composante=etape.composante,
                cycle=etape.cycle,
                cursus=etape.cursus,
                level=etape.level,
                kind=etape.kind,
                discipline=etape.discipline,
                rank=etape.rank,
                weight=0.0,
                offered=False,
            )
            first = self.y - 11
            known = {(vdi.diplome, vdi.version) for vdi in self.cat.vdis}
            for dip, _version, rank, *_ in etape.vdis[:1]:
                old.vdis.append((dip, old.version, rank, first, self.y - 6, self.y - 5))
                if (dip, old.version) not in known:
                    self.cat.vdis.append(
                        Vdi(
                            dip,
                            old.version,
                            f"{dip} v{old.version}",
                            None,
                            etape.composante,
                            first,
                            self.y - 6,
                            self.y - 5,
                            3,
                        )
                    )
            self.cat.etapes.append(old)
            retired = []
            for _ in range(rng.choice((2, 3))):
                code = self._ue(old, 1, "UE97")
                self.cat.elements[code].state = "F"
                retired.append(code)
            self.under_vet(old, self.liste("O", f"{old.short} (ancienne)", old.code, retired))


def fit(label: str) -> tuple[str, str | None]:
    """(LIB_ELP, the long label for ELP_LIBELLE or None): long titles are cut at 60 exactly."""
    if len(label) <= labels.LIB_MAX:
        return label, None
    lib = label[: labels.LIB_MAX]
    if lib.endswith(" "):
        lib = lib[:-1] + "…"
    return lib, label


def build_catalogue(seed: int, year: str, students: int) -> Catalogue:
    return CatalogueBuilder(seed, year, students).build()


def vdi_ranges_cover(etape: Etape, year: int) -> bool:
    return any(first <= year <= last_val for _d, _v, _r, first, _rct, last_val in etape.vdis)


def random_date(rng: random.Random, year: str) -> date:
    return year_date(year, rng.choice((7, 8, 9)), rng.randint(1, 28))
