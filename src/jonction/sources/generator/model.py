"""The synthetic university as plain values, before it is written anywhere.

The catalogue (composantes, diplômes, étapes, lists, elements and the links between them) and
the people (students with their registrations, teachers, other directory entries) are built by
`catalogue` and `population`; writers turn them into Apogée rows, LDIF and ADE XML.
Random choices come from named streams of one seed (`stream`), so each part stays the same when
another part changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

# Code of the establishment in the directory's labelled values ({UAI}0999999F).
UAI = "0999999F"
MAIL_DOMAIN = "univ-exemple.fr"
STUDENT_MAIL_DOMAIN = "etu.univ-exemple.fr"
LDAP_BASE = "dc=univ-exemple,dc=fr"
PEOPLE_BASE = f"ou=people,{LDAP_BASE}"


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream for one part of the university (string seeds are hashed
    with SHA-512 by `random`, so they do not depend on PYTHONHASHSEED)."""
    return random.Random(f"jonction/{seed}/{name}")


def year_date(year: str, month: int, day: int) -> date:
    """A date of academic year `year` ('2026' = 2026-2027): months before July are in the
    second calendar year."""
    start = int(year)
    return date(start if month >= 7 else start + 1, month, day)


@dataclass(slots=True)
class Composante:
    code: str  # COD_CMP, 3 characters
    label: str
    short: str
    kind: str  # COD_TPC: UFR, INS, DPT, EXT
    letter: str  # first letter of its étape and element codes
    prefix_codes: bool  # étape codes start with the composante code (Lille 2's habit)
    vdi_version: int  # the versions this composante's scolarité uses (1, 140, 900…)
    vet_version: int
    in_service: bool = True
    disciplines: tuple[str, ...] = ()


@dataclass(slots=True)
class Diplome:
    code: str  # COD_DIP
    label: str
    short: str
    kind: str  # LIC, MAS, BUT, LPR, DU, CER, DOC, SAN, DES, IFS, MEF
    tpd: str  # COD_TPD_ETB
    cycle: str  # COD_CYC
    composante: str
    discipline: str
    sise_type: str  # typedip in the directory ({SISE}XA…)
    sise_sector: str  # sectdisc ({SISE}01…)
    versions: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Vdi:
    diplome: str
    version: int
    short: str
    web_label: str | None
    composante: str
    first_year: int  # first year of recruitment
    last_recruitment: int
    last_validity: int
    duration: int


@dataclass(slots=True)
class Etape:
    code: str  # COD_ETP
    version: int  # COD_VRS_VET
    label: str  # LIB_ETP
    short: str
    web_label: str | None  # LIB_WEB_VET, sometimes empty
    composante: str
    cycle: str
    cursus: str | None  # COD_CUR: L, M, D
    level: str  # supannEtuCursusAnnee without label: L1, M2, D1, X1…
    kind: str  # the diplôme kind of its main VDI
    discipline: str
    rank: int  # COD_SIS_DAA_MIN: year of the étape in its diplôme
    foad: bool = False
    weight: float = 1.0  # share of the students it attracts
    big: bool = False  # built from the LMD/BUT template (30-80 elements)
    offered: bool = True  # has a VDI_FRACTIONNER_VET range covering the year
    # (COD_DIP, COD_VRS_VDI, rank, first recruitment, last recruitment, last validity)
    vdis: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int]:
        return (self.code, self.version)


@dataclass(slots=True)
class Element:
    code: str  # COD_ELP
    label: str  # LIB_ELP, ≤ 60
    short: str  # LIC_ELP, ≤ 25
    nature: str  # COD_NEL
    composante: str
    period: str | None  # COD_PEL
    credits: float | None
    discipline: str
    state: str = "O"  # ETA_ELP
    suspended: str = "N"  # TEM_SUS_ELP
    long_label: str | None = None  # ELP_LIBELLE 'FRAN'
    english_label: str | None = None  # ELP_LIBELLE 'ANGL'
    hours: tuple[int, int, int] = (0, 0, 0)  # CM, TD, TP
    historical: bool = False  # an old element no list holds any more


@dataclass(slots=True)
class Liste:
    code: str  # COD_LSE
    kind: str  # COD_TYP_LSE: O, X, F
    label: str
    short: str
    state: str = "O"  # ETA_LSE
    elements: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Link:
    """A list hanging under an étape (`element` None) or under an element, with the choice
    bounds of this link and its closing date."""

    lse: str
    etape: tuple[str, int] | None
    element: str | None
    minimum: int | None
    maximum: int | None
    created: date
    closed: date | None = None
    order: int = 1


@dataclass(slots=True)
class Group:
    code: int  # COD_GPE
    external: str  # COD_EXT_GPE
    label: str | None  # LIB_GPE, may be empty
    kind: str  # COD_TGR: TD, TP, GRP
    first_year: str | None
    last_year: str | None
    element: str | None  # GPE_OBJ 'ELP'
    etape: tuple[str, int] | None  # GPE_OBJ 'VET'
    parent: int | None = None  # GPE_INCLUS_GPE: this group is inside `parent`


@dataclass(slots=True)
class Registration:
    """One IAE (or, with `administrative` False, a pedagogical registration with no IAE)."""

    year: str
    etape: tuple[str, int]
    diplome: tuple[str, int]
    composante: str
    occurrence: int = 1
    state: str = "E"  # ETA_IAE
    payment: str = "P"  # ETA_PMT_IAE
    main: bool = True  # TEM_IAE_PRM
    profile: str = "NO"  # COD_PRU
    administrative: bool = True
    pedagogical: bool = True  # has IND_CONTRAT_ELP rows
    repeater: bool = False  # some elements acquired earlier (TEM_PRC_ICE='O')


@dataclass(slots=True)
class Student:
    cod_ind: int
    cod_etu: int | None
    sex: str
    given: str
    surname: str
    birth: date
    ine: str
    registrations: list[Registration] = field(default_factory=list)
    past: list[Registration] = field(default_factory=list)  # earlier years' IAE
    in_directory: bool = True
    uid: str = ""


@dataclass(slots=True)
class Teacher:
    emp_id: str | None  # supannEmpId = ADE instructor code
    sex: str
    given: str
    surname: str
    composante: str
    uid: str
    mail: str | None
    other_mail: str | None = None  # supannAutreMail (personal address ADE knows)
    affiliations: tuple[str, ...] = ("faculty", "employee", "member")
    primary: str = "faculty"
    in_directory: bool = True
    ade_code: bool = True  # ADE knows the code
    ade_mails: tuple[str, ...] = ()  # addresses in ADE's email attribute
