"""A tiny REFER and the Moodle objects jonction manages for it, for explain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert

from jonction.domain.plan import Action, Operation
from jonction.journal.store import Journal, Outcome
from jonction.sources.refer import schema as refer
from jonction.sources.refer.store import ensure_schema

YEAR = "2026"
CAMILLE = "21000457"  # SCI, enrolled in SMA1U01, missing from SMA1U02, a TD group
LOUIS = "21000999"  # LET, no directory account
INES = "21000912"  # SCI, her registration to LHI1U03 was left out (unpaid)
HUGO = "21000460"  # LET, his only administrative registration is not paid: left out


def fill_refer(engine: Engine) -> None:
    ensure_schema(engine)
    rows = {
        refer.refer_year: [{"year": YEAR, "changed_at": datetime(2026, 9, 1)}],
        refer.refer_composante: [
            {"code": "SCI", "label": "UFR Sciences", "kind": "UFR"},
            {"code": "LET", "label": "UFR Lettres", "kind": "UFR"},
        ],
        refer.refer_etape: [
            {
                "etape_code": "SL1",
                "etape_version": 101,
                "label": "Licence 1 Sciences",
                "composante": "SCI",
                "foad": False,
            },
            {
                "etape_code": "LL1",
                "etape_version": 101,
                "label": "Licence 1 Lettres",
                "composante": "LET",
                "foad": False,
            },
        ],
        refer.refer_element: [
            {
                "code": code,
                "label": label,
                "short_label": label[:10],
                "long_label": "",
                "nature": nature,
                "composante": composante,
                "period": "",
                "credits": None,
            }
            for code, label, nature, composante in (
                ("SMA1U01", "Analyse 1", "UE", "SCI"),
                ("SMA1U02", "Algèbre linéaire", "UE", "SCI"),
                ("SMA1S01", "Semestre 1", "SEM", "SCI"),
                ("LLA1U01", "Latin débutant", "UE", "LET"),
                ("SMA1U09", "Topologie", "UE", "SCI"),
                ("LHI1U07", "", "UE", "LET"),
            )
        ],
        refer.refer_student: [
            {"cod_ind": 1, "cod_etu": CAMILLE, "last_name": "Martin", "first_name": "Camille"},
            {"cod_ind": 2, "cod_etu": LOUIS, "last_name": "Bernard", "first_name": "Louis"},
            {"cod_ind": 3, "cod_etu": INES, "last_name": "Haddad", "first_name": "Inès"},
            {"cod_ind": 4, "cod_etu": "21000458", "last_name": "Martin", "first_name": "Paul"},
        ],
        refer.refer_admin_registration: [
            {
                "cod_ind": cod_ind,
                "etape_code": etape,
                "etape_version": 101,
                "diplome_code": "L",
                "diplome_version": 1,
                "composante": composante,
                "main": True,
            }
            for cod_ind, etape, composante in (
                (1, "SL1", "SCI"),
                (2, "LL1", "LET"),
                (3, "SL1", "SCI"),
                (4, "SL1", "SCI"),
            )
        ],
        refer.refer_pedagogical_registration: [
            {"cod_ind": cod_ind, "etape_code": etape, "etape_version": 101, "element": element}
            for cod_ind, etape, element in (
                (1, "SL1", "SMA1U01"),
                (1, "SL1", "SMA1U02"),
                (1, "SL1", "SMA1S01"),
                (2, "LL1", "LLA1U01"),
                (3, "SL1", "SMA1U01"),
            )
        ],
        refer.refer_group: [
            {
                "code": 501,
                "ext_code": "TD1",
                "label": "TD 1 Analyse",
                "kind": "TD",
                "element": "SMA1U01",
                "etape_code": None,
                "etape_version": None,
                "parent": None,
            },
            {
                "code": 502,
                "ext_code": "TPX",
                "label": "TP orphelin",
                "kind": "TP",
                "element": None,
                "etape_code": None,
                "etape_version": None,
                "parent": None,
            },
        ],
        refer.refer_group_membership: [{"group_code": 501, "cod_ind": 1}],
        refer.refer_person_left_out: [
            {"cod_ind": 5, "cod_etu": HUGO, "last_name": "Petit", "first_name": "Hugo"}
        ],
        refer.refer_exclusion: [
            {
                "kind": "admin_registration",
                "key": "5/LL1-101",
                "reason": "unpaid",
                "detail": "the administrative registration to LL1-101 is not paid (ETA_PMT_IAE)",
                "cod_ind": 5,
                "element": None,
                "etape_code": "LL1",
                "etape_version": 101,
            },
            {
                "kind": "pedagogical_registration",
                "key": "5/LL1-101/LLA1U01",
                "reason": "admin_registration_excluded",
                "detail": "the administrative registration is left out (unpaid)",
                "cod_ind": 5,
                "element": "LLA1U01",
                "etape_code": "LL1",
                "etape_version": 101,
            },
            {
                "kind": "pedagogical_registration",
                "key": f"{YEAR}/3/SL1-101/LHI1U03",
                "reason": "unpaid",
                "detail": "administrative registration not paid",
                "cod_ind": 3,
                "element": "LHI1U03",
                "etape_code": "SL1",
                "etape_version": 101,
            },
            {
                "kind": "link",
                "key": f"{YEAR}/LL1-101/LLA1U01/LLA1U01",
                "reason": "cycle",
                "detail": "LLA1U01 is listed under itself",
                "cod_ind": None,
                "element": "LLA1U01",
                "etape_code": "LL1",
                "etape_version": 101,
            },
        ],
    }
    with engine.begin() as connection:
        for table, values in rows.items():
            if table is not refer.refer_year:
                values = [{"year": YEAR, **row} for row in values]
            connection.execute(insert(table), values)


def fill_managed(journal: Journal) -> None:
    """Camille's account, enrolment and group membership; Inès's account."""
    run = journal.start_run("nightly", ["users", "enrolments", "groups"])
    journal.save_managed(
        "user",
        [("cmartin", 11, {"idnumber": f"E{CAMILLE}"}), ("ihaddad", 12, {"idnumber": f"E{INES}"})],
        run,
    )
    journal.save_managed("enrolment", [("2026:ELP:SMA1U01|cmartin|student", None, {})], run)
    groups = journal.start_step(run, "groups", "apply")
    member = Operation(
        "group_member",
        Action.ADD,
        "2026:ELP:SMA1U01|2026:GPE:501|cmartin",
        reason="assigned to group 501 in Apogée",
    )
    journal.record_outcomes(groups, [Outcome(member, "applied")])
    journal.finish_step(groups, "succeeded")
    journal.save_managed("enrolment", [("2026:ELP:SMA1U01|ihaddad|student", None, {})], run)
    journal.finish_run(run, "succeeded", {})
