"""Anomalies: the pure rules over a REFER snapshot, the page by composante, the CSV."""

from __future__ import annotations

import csv
import io

from starlette.testclient import TestClient

from jonction.domain.anomalies import find_anomalies, journal_anomalies
from jonction.domain.refer_model import (
    AdminRegistration,
    Composante,
    DiplomeKey,
    Element,
    Etape,
    EtapeKey,
    Exclusion,
    Group,
    PedagogicalRegistration,
    ReferSnapshot,
    Student,
)
from jonction.web import i18n

from .conftest import log_in


def _element(code: str, label: str, nature: str = "UE", composante: str = "SCI") -> Element:
    return Element(code, label, label[:10], "", nature, composante, "", None)


def test_rules() -> None:
    etape = EtapeKey("SL1", 101)
    snapshot = ReferSnapshot(
        year="2026",
        composantes={"SCI": Composante("SCI", "Sciences")},
        etapes={
            etape: Etape(etape, "L1", "SCI", False, ()),
            EtapeKey("XX1", 1): Etape(EtapeKey("XX1", 1), "Orpheline", "ZZZ", False, ()),
        },
        elements={
            "A1": _element("A1", "Analyse"),
            "B1": _element("B1", ""),
            "C1": _element("C1", "x" * 300),
            "S1": _element("S1", "Semestre", "SEM"),
        },
        pedagogical_registrations=[
            PedagogicalRegistration(1, etape, "A1"),
            PedagogicalRegistration(1, etape, "B1"),
            PedagogicalRegistration(1, etape, "C1"),
        ],
        groups={
            1: Group(1, "TD1", "TD 1", "TD", "A1", None),
            2: Group(2, "TD2", "TD 2", "TD", None, None),
            3: Group(3, "TD3", "TD 3", "TD", "GONE", None),
        },
        exclusions=[
            Exclusion("link", "k1", "cycle", "A1 under itself", element="A1"),
            Exclusion("pedagogical_registration", "k2", "unpaid", "not paid", 5, "A1"),
            Exclusion("element", "k3", "element_closed", "closed", element="C1"),
        ],
    )
    found = {(a.rule, a.code) for a in find_anomalies(snapshot, ["UE"])}
    assert found == {
        ("element_without_label", "B1"),
        ("label_too_long", "C1"),
        ("etape_without_composante", "XX1-1"),
        ("group_attached_to_nothing", "2 (TD2)"),
        ("group_attached_to_nothing", "3 (TD3)"),
        ("catalogue_cycle", "k1"),
        ("left_out_of_catalogue", "k3"),
    }
    # The semester has no course nature: no "without students" anomaly for it; A1 has students.
    lonely = find_anomalies(
        ReferSnapshot(year="2026", elements={"E1": _element("E1", "Optique")}), ["UE"]
    )
    assert [(a.rule, a.composante) for a in lonely] == [("course_element_without_students", "SCI")]


def test_every_rule_is_explained_in_both_languages() -> None:
    from jonction.domain.anomalies import RULES

    for language in ("fr", "en"):
        catalogue = i18n.translations(language)
        for rule in RULES:
            for key in (rule, f"why:{rule}", f"fix:{rule}"):
                assert catalogue.gettext(key) != key, (language, key)


def test_page_by_composante(client: TestClient) -> None:
    log_in(client, "admin")
    page = client.get("/anomalies").text
    assert (
        "Topologie" in page and "TP orphelin" in page and "LLA1U01 is listed under itself" in page
    )
    assert "Saisir le libellé" in page  # how to fix it, in French
    only = client.get("/anomalies", params={"composante": "LET"}).text
    assert "Topologie" not in only and "LHI1U07" in only


def test_scolarite_sees_its_composante_only(client: TestClient) -> None:
    log_in(client, "scol-let")
    page = client.get("/anomalies").text
    assert "LHI1U07" in page and "Topologie" not in page
    asked = client.get("/anomalies", params={"composante": "SCI"}).text
    assert "Topologie" not in asked
    exported = client.get("/anomalies.csv", params={"composante": "SCI"}).text
    assert "Topologie" not in exported


def test_csv_export(client: TestClient) -> None:
    log_in(client, "scol-sci")
    answer = client.get("/anomalies.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Anomalie"
    assert rows[1][:4] == [
        "Élément porteur de cours sans étudiant inscrit",
        "SCI",
        "SMA1U09",
        "Topologie",
    ]


def test_support_has_no_anomalies(client: TestClient) -> None:
    log_in(client, "helpdesk")
    assert client.get("/anomalies").status_code == 403
    assert client.get("/anomalies.csv").status_code == 403


def test_rules_from_the_last_night() -> None:
    etape = EtapeKey("SL1", 101)
    snapshot = ReferSnapshot(
        year="2026",
        composantes={"SCI": Composante("SCI", "Sciences")},
        etapes={etape: Etape(etape, "L1", "SCI", False, ())},
        elements={"A1": _element("A1", "Analyse"), "L9": _element("L9", "Latin", "UE", "LET")},
        students={
            7: Student(7, "2100007", "Martin", "Camille"),
            8: Student(8, None, "Durand", "Lea"),
        },
        admin_registrations=[
            AdminRegistration(7, etape, DiplomeKey("L", 1), "SCI"),
            AdminRegistration(8, etape, DiplomeKey("L", 1), "SCI"),
        ],
    )
    notices = [
        {"kind": "ade_code_without_element", "key": "ZZ99", "message": "ADE code ZZ99", "data": {}},
        {
            "kind": "instructor_without_account",
            "key": "ADE:42",
            "message": "ADE instructor Durand matches no account",
            "data": {"courses": ["2026:ELP:L9"]},
        },
        {
            "kind": "student_without_account",
            "key": "2100007",
            "message": "no account",
            "data": {"cod_ind": 7, "cod_etu": "2100007"},
        },
        {  # the users step reports the same student: one anomaly
            "kind": "student_without_account",
            "key": "2100007",
            "message": "no account",
            "data": {"etapes": ["SL1-101"]},
        },
        {  # a student without a number, by both steps
            "kind": "student_without_account",
            "key": "COD_IND 8",
            "message": "student 8 (DURAND Lea) has no student number yet",
            "data": {"cod_ind": 8, "cod_etu": None},
        },
        {
            "kind": "student_without_number",
            "key": "Lea Durand",
            "message": "Lea Durand, registered in SL1-101, has no student number yet",
            "data": {"etapes": ["SL1-101"]},
        },
        {
            "kind": "space_duplicates_course",
            "key": "space:3",
            "message": "space 3 takes the students of SL1-101",
            "data": {"composante": "SCI"},
        },
        {"kind": "category_unused", "key": "x", "message": "not an anomaly", "data": {}},
    ]
    moves = [
        {
            "key": "2026:ELP:A1",
            "label": "Analyse",
            "before": {"etape": "SL1-101"},
            "after": {"etape": "SM1-101"},
            "reason": "placed under SM1-101: most students",
            "source": {"element": "A1"},
        },
        {"key": "2026:ELP:L9", "before": {"fullname": "a"}, "after": {"fullname": "b"}},
    ]
    found = {(a.rule, a.code): a for a in journal_anomalies(snapshot, notices, moves)}
    assert sorted(found) == [
        ("ade_code_without_element", "ZZ99"),
        ("primary_parent_changed", "A1"),
        ("space_collision", "space:3"),
        ("student_without_account", "2100007"),
        ("student_without_account", "COD_IND 8"),
        ("teacher_without_account", "ADE:42"),
    ]
    assert found[("teacher_without_account", "ADE:42")].composante == "LET"
    student = found[("student_without_account", "2100007")]
    assert (student.composante, student.label) == ("SCI", "Martin Camille")
    moved = found[("primary_parent_changed", "A1")]
    assert (moved.composante, moved.label) == ("SCI", "Analyse")
    assert moved.detail.startswith("SL1-101 → SM1-101")
    ordered = find_anomalies(snapshot, [], journal_anomalies(snapshot, notices, moves))
    assert {a.rule for a in ordered} >= {"primary_parent_changed", "space_collision"}
