"""A small hand-made REFER snapshot, for the tests of REFER's store."""

from __future__ import annotations

from jonction.domain.refer_model import (
    AdminRegistration,
    Composante,
    Diplome,
    DiplomeKey,
    Element,
    Etape,
    EtapeKey,
    Exclusion,
    Group,
    GroupMembership,
    ParentLink,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
    TeachingCharge,
)

L1 = EtapeKey("SLMAT1", 140)
L1B = EtapeKey("SLINF1", 900)
LIC = DiplomeKey("SLMAT", 140)


def sample_snapshot(year: str = "2026") -> ReferSnapshot:
    snap = ReferSnapshot(year=year)
    snap.composantes = {
        "SCI": Composante("SCI", "UFR des Sciences", "UFR"),
        "LET": Composante("LET", "UFR Lettres et Langues", "UFR"),
    }
    snap.diplomes = {LIC: Diplome(LIC, "Licence Mathématiques", "SCI")}
    snap.etapes = {
        L1: Etape(L1, "Licence 1 Mathématiques", "SCI", False, (LIC,)),
        L1B: Etape(L1B, "Licence 1 Informatique à distance", "SCI", True, (LIC,)),
    }
    snap.elements = {
        "SMA1S01": Element("SMA1S01", "Semestre 1", "S1", "", "SEM", "SCI", "S1", None),
        "SMA1U01": Element(
            "SMA1U01",
            "Analyse d’une fonction",
            "Analyse",
            "Analyse réelle, long",
            "UE",
            "SCI",
            "S1",
            6.0,
        ),
        "LANG01": Element("LANG01", "Anglais", "Anglais", "", "EC", "LET", "", 3.0),
    }
    snap.links = [
        ParentLink(L1, "SMA1S01", None, "LSMA1"),
        ParentLink(L1, "SMA1U01", "SMA1S01", "LSMA1S1"),
        ParentLink(L1, "LANG01", "SMA1S01", "LLANG"),
        ParentLink(L1B, "LANG01", None, "LLANG"),
    ]
    snap.charges = [TeachingCharge("LANG01", L1)]
    snap.students = {
        1001: Student(1001, "21100001", "Dupont", "Élodie"),
        1002: Student(1002, None, "N'Diaye", "Moussa"),
    }
    snap.people_left_out = {1003: Student(1003, "21100003", "Lefèvre", "Inès")}
    snap.admin_registrations = [
        AdminRegistration(1001, L1, LIC, "SCI", True),
        AdminRegistration(1001, L1B, LIC, "SCI", False),
        AdminRegistration(1002, L1, LIC, "SCI", True),
    ]
    snap.pedagogical_registrations = [
        PedagogicalRegistration(1001, L1, "SMA1S01"),
        PedagogicalRegistration(1001, L1, "SMA1U01"),
        PedagogicalRegistration(1001, L1, "LANG01"),
        PedagogicalRegistration(1001, L1B, "LANG01"),
        PedagogicalRegistration(1002, L1, "SMA1U01"),
    ]
    snap.groups = {
        7: Group(7, "TD1", "TD 1 Analyse", "TD", "SMA1U01", None, None),
        8: Group(8, "TP1A", "TP 1A", "TP", "SMA1U01", None, 7),
        9: Group(9, "GL1", "Groupe L1", "CM", None, L1, None),
    }
    snap.memberships = [GroupMembership(1001, 7), GroupMembership(1001, 8)]
    snap.exclusions = [
        Exclusion(
            "pedagogical_registration",
            "1002/SLMAT1-140/SMA1S01",
            "acquired_earlier",
            "acquired in an earlier year",
            1002,
            "SMA1S01",
            L1,
        ),
        Exclusion("element", "SMA1X99", "element_closed", "closed in Apogée", element="SMA1X99"),
    ]
    return snap
