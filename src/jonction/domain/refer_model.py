"""What REFER holds, as plain values: the contract between the `refer` step and the steps that
read REFER (cohorts, offer, enrolments, groups, explain, anomalies).

Everything here is already filtered by the `refer` step (open years, valid and paid
administrative registrations, open elements, lists and links, cycles cut); what was left out is
kept in `exclusions` with the reason, so that `explain` and the anomaly report can say why.
Keys are codes, never labels. Versions are part of every étape and diplôme key. A snapshot is
one academic year: registrations, offered étapes, links and groups are the year's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class EtapeKey:
    code: str  # COD_ETP
    version: int  # COD_VRS_VET

    def __str__(self) -> str:
        return f"{self.code}-{self.version}"


@dataclass(frozen=True, slots=True, order=True)
class DiplomeKey:
    code: str  # COD_DIP
    version: int  # COD_VRS_VDI

    def __str__(self) -> str:
        return f"{self.code}-{self.version}"


@dataclass(frozen=True, slots=True)
class Composante:
    code: str
    label: str
    kind: str = ""  # COD_TPC: UFR, DPT, INS…


@dataclass(frozen=True, slots=True)
class Diplome:
    key: DiplomeKey
    label: str
    composante: str


@dataclass(frozen=True, slots=True)
class Etape:
    key: EtapeKey
    label: str  # LIB_WEB_VET, else LIB_ETP
    composante: str  # VERSION_ETAPE.COD_CMP
    foad: bool  # VERSION_ETAPE.TEM_TLS_VET = 'O'
    # Diplômes the étape belongs to in the year (VDI_FRACTIONNER_VET), sorted; the first is the
    # one whose category holds the étape's category when the tree has a diplôme level.
    diplomes: tuple[DiplomeKey, ...]


@dataclass(frozen=True, slots=True)
class Element:
    code: str  # COD_ELP
    label: str  # LIB_ELP (repaired when damaged)
    short_label: str  # LIC_ELP
    long_label: str  # ELP_LIBELLE in French, or ""
    nature: str  # COD_NEL
    composante: str  # ELEMENT_PEDAGOGI.COD_CMP
    period: str  # COD_PEL or ""
    credits: float | None


@dataclass(frozen=True, slots=True)
class ParentLink:
    """An open edge of the catalogue: `element` hangs under `parent` (an element) or directly
    under the étape (`parent` None) through list `list_code`, within étape `etape`."""

    etape: EtapeKey
    element: str
    parent: str | None
    list_code: str


@dataclass(frozen=True, slots=True)
class TeachingCharge:
    """ELP_CHARGE_ENS: the étape declared as carrying an element's teaching in a year."""

    element: str
    etape: EtapeKey


@dataclass(frozen=True, slots=True)
class Student:
    cod_ind: int
    cod_etu: str | None  # the student number, as text (the LDAP supannEtuId); None if new
    last_name: str
    first_name: str


@dataclass(frozen=True, slots=True)
class AdminRegistration:
    """A valid IAE: ETA_IAE='E' and a payment state accepted by policy."""

    cod_ind: int
    etape: EtapeKey
    diplome: DiplomeKey
    composante: str
    main: bool = True  # TEM_IAE_PRM: the student's first étape of the year, not a second one


@dataclass(frozen=True, slots=True)
class PedagogicalRegistration:
    """An IP (TEM_PRC_ICE='N') on an open element, backed by a valid IAE on the same étape."""

    cod_ind: int
    etape: EtapeKey
    element: str


@dataclass(frozen=True, slots=True)
class Group:
    code: int  # COD_GPE
    ext_code: str  # COD_EXT_GPE
    label: str  # LIB_GPE (groups without one are left out, as exclusions)
    kind: str  # COD_TGR (TD, TP…) or ""
    element: str | None  # attached to an element (TYP_OBJ_GPO='ELP')…
    etape: EtapeKey | None  # …or to an étape (TYP_OBJ_GPO='VET')
    parent: int | None = None  # GPE_INCLUS_GPE: the enclosing group, if any


@dataclass(frozen=True, slots=True)
class GroupMembership:
    cod_ind: int
    group: int


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A source row the `refer` step left out, and why (for explain and the anomaly report)."""

    kind: str  # e.g. admin_registration, pedagogical_registration, element, link, cycle, group
    key: str  # codes of the row, e.g. "2026/12345/SLMAT1-101"
    reason: str  # e.g. unpaid, cancelled, acquired_earlier, element_closed, cycle
    detail: str = ""  # a sentence for staff
    cod_ind: int | None = None
    element: str | None = None
    etape: EtapeKey | None = None


@dataclass(slots=True)
class ReferSnapshot:
    """What REFER holds for one academic year, ready for the pure domain functions. Steps that
    manage several years (an overlap at rollover) load one snapshot per year."""

    year: str
    composantes: dict[str, Composante] = field(default_factory=dict)
    diplomes: dict[DiplomeKey, Diplome] = field(default_factory=dict)
    etapes: dict[EtapeKey, Etape] = field(default_factory=dict)
    elements: dict[str, Element] = field(default_factory=dict)
    links: list[ParentLink] = field(default_factory=list)
    charges: list[TeachingCharge] = field(default_factory=list)
    students: dict[int, Student] = field(default_factory=dict)
    # Individuals registered in the year (IAE or IP) with no valid administrative registration
    # (unpaid, cancelled…): they get nothing, but `explain` must find them to say why.
    people_left_out: dict[int, Student] = field(default_factory=dict)
    admin_registrations: list[AdminRegistration] = field(default_factory=list)
    pedagogical_registrations: list[PedagogicalRegistration] = field(default_factory=list)
    groups: dict[int, Group] = field(default_factory=dict)
    memberships: list[GroupMembership] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
