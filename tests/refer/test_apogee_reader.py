"""The Apogée reader on small hand-made Apogée databases: filters, graph walk, exclusions."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import event
from sqlalchemy.dialects import oracle

from jonction.config.sources import ApogeeSection
from jonction.db import make_engine
from jonction.domain.refer_model import DiplomeKey, EtapeKey, ParentLink
from jonction.sources.apogee.reader import ApogeeReader
from jonction.sources.refer.source import SourceExtract
from jonction.steps.base import silent_progress

from .tiny_apogee import TinyApogee, small_university

TODAY = date(2026, 10, 1)
MAT = EtapeKey("SLMAT1", 140)
INF = EtapeKey("SLINF1", 900)


@pytest.fixture
def read(tmp_path: Path) -> Any:
    def _read(apogee: TinyApogee, today: date = TODAY, **options: Any) -> SourceExtract:
        url = f"sqlite:///{tmp_path / 'apogee.db'}"
        engine = apogee.write(url)
        section = ApogeeSection(url=url, years=[apogee.year], **options)
        reader = ApogeeReader(engine, section)
        try:
            return reader.read(apogee.year, today, silent_progress)
        finally:
            reader.close()

    return _read


def _reasons(extract: SourceExtract, kind: str | None = None) -> dict[str, str]:
    return {x.key: x.reason for x in extract.snapshot.exclusions if kind is None or x.kind == kind}


def _links(extract: SourceExtract, etape: EtapeKey | None = None) -> set[tuple[str, str | None]]:
    return {
        (link.element, link.parent)
        for link in extract.snapshot.links
        if etape is None or link.etape == etape
    }


def test_small_university_is_read_whole(read: Any) -> None:
    extract = read(small_university())
    snap = extract.snapshot
    assert snap.year == "2026"
    assert set(snap.etapes) == {MAT, INF}
    assert snap.etapes[MAT].label == "Licence 1 Mathématiques"  # LIB_WEB_VET
    assert snap.etapes[INF].label == "L1 Informatique"  # falls back to LIB_ETP
    assert snap.etapes[INF].foad and not snap.etapes[MAT].foad
    assert snap.etapes[MAT].diplomes == (DiplomeKey("SLMAT", 140),)
    assert set(snap.diplomes) == {DiplomeKey("SLMAT", 140), DiplomeKey("SLINF", 900)}
    assert set(snap.composantes) == {"SCI", "LET"}
    assert set(snap.elements) == {"SMA1S1", "SMA1U1", "SMA1U2", "LANG1", "SIN1U1"}
    assert snap.elements["SMA1U1"].credits == 6.0
    assert snap.elements["LANG1"].composante == "LET"
    assert _links(extract, MAT) == {
        ("SMA1S1", None),
        ("SMA1U1", "SMA1S1"),
        ("SMA1U2", "SMA1S1"),
        ("LANG1", "SMA1S1"),
    }
    # A shared element: under a semester in one étape, directly under the other.
    assert _links(extract, INF) == {("SIN1U1", None), ("LANG1", None)}
    assert ParentLink(MAT, "SMA1U1", "SMA1S1", "LMAT1S1") in snap.links
    assert [(c.element, c.etape) for c in snap.charges] == [("LANG1", MAT)]
    assert set(snap.students) == {1, 2, 3, 4}
    assert snap.students[4].last_name == "Durand"  # the used name first
    assert snap.students[1].cod_etu == "21000001"
    assert len(snap.admin_registrations) == 4
    assert len(snap.pedagogical_registrations) == 14
    assert snap.groups[11].parent == 10 and snap.groups[10].parent is None
    assert snap.groups[12].etape == INF and snap.groups[12].element is None
    assert {(m.cod_ind, m.group) for m in snap.memberships} == {(1, 10), (1, 11), (4, 12)}
    assert snap.exclusions == [] and snap.people_left_out == {}
    assert extract.notices == []
    assert extract.counts["ind_contrat_elp"] == 14
    assert extract.counts["element_pedagogi"] == 5


def test_administrative_registrations_follow_state_and_payment_policy(read: Any) -> None:
    apogee = small_university()
    for cod_ind, state, payment in ((20, "A", "P"), (21, "R", "P"), (22, "E", "A"), (23, "C", "P")):
        apogee.individu(cod_ind).iae(cod_ind, "SLMAT1", 140, state=state, payment=payment)
        apogee.ip(cod_ind, "SLMAT1", "SMA1U1", 140)
    # Two occurrences on one étape: a cancelled one and a valid one.
    apogee.individu(24).iae(24, "SLMAT1", 140, state="A").iae(24, "SLMAT1", 140, occurrence=2)
    extract = read(apogee)
    admin = _reasons(extract, "admin_registration")
    assert admin == {
        "20/SLMAT1-140": "cancelled",
        "21/SLMAT1-140": "resigned",
        "22/SLMAT1-140": "unpaid",
        "23/SLMAT1-140": "being_created",
    }
    assert 24 in extract.snapshot.students and 22 not in extract.snapshot.students
    # Explain can still find those left out, to say why.
    assert set(extract.snapshot.people_left_out) == {20, 21, 22, 23}
    ip = _reasons(extract, "pedagogical_registration")
    assert ip["22/SLMAT1-140/SMA1U1"] == "admin_registration_excluded"
    # Accepting payments awaited.
    relaxed = read(apogee, payment_states=["P", "A"])
    assert 22 in relaxed.snapshot.students
    assert "22/SLMAT1-140" not in _reasons(relaxed)


def test_pedagogical_registrations_need_a_valid_iae_and_no_prc(read: Any) -> None:
    apogee = small_university()
    apogee.ip(1, "SLMAT1", "SIN1U1", 140, acquired="O")  # acquired earlier
    apogee.individu(30).ip(30, "SLMAT1", "SMA1U1", 140)  # no IAE at all
    apogee.ip(4, "SLMAT1", "SMA1U1", 140)  # IAE on another étape only
    apogee.ip(1, "SLMAT1", "NOPE", 140)  # unknown element
    apogee.ip(1, "SLMAT1", "SMA1U1", 140, year="2025")  # another year: not read
    extract = read(apogee)
    ip = _reasons(extract, "pedagogical_registration")
    assert ip == {
        "1/SLMAT1-140/SIN1U1": "acquired_earlier",
        "30/SLMAT1-140/SMA1U1": "without_admin_registration",
        "4/SLMAT1-140/SMA1U1": "without_admin_registration",
        "1/SLMAT1-140/NOPE": "unknown_element",
    }
    assert 30 not in extract.snapshot.students
    assert extract.snapshot.people_left_out[30].cod_etu == "21000030"
    assert len(extract.snapshot.pedagogical_registrations) == 14
    anomaly = {n.key: n for n in extract.notices}
    assert anomaly["2026/without_admin_registration"].data["count"] == 2
    assert "2026/acquired_earlier" not in anomaly  # a normal filter, counted in stats
    assert extract.stats["excluded.acquired_earlier"] == 1


def test_closed_and_suspended_elements_cut_their_branch(read: Any) -> None:
    apogee = small_university()
    apogee.element("SMA1U3", state="F").element("SMA1U4", suspended="O")
    apogee.element("SMA1E1")
    apogee.liste("LMAT1S1B", "SMA1U3", "SMA1U4").under_element("SMA1S1", "LMAT1S1B")
    apogee.liste("LU3", "SMA1E1").under_element("SMA1U3", "LU3")  # under the closed one
    apogee.ip(1, "SLMAT1", "SMA1U3", 140).ip(1, "SLMAT1", "SMA1U4", 140)
    apogee.ip(1, "SLMAT1", "SMA1E1", 140)
    extract = read(apogee)
    assert {"SMA1U3", "SMA1U4", "SMA1E1"}.isdisjoint(extract.snapshot.elements)
    elements = _reasons(extract, "element")
    assert elements == {"SMA1U3": "element_closed", "SMA1U4": "element_suspended"}
    ip = _reasons(extract, "pedagogical_registration")
    assert ip == {
        "1/SLMAT1-140/SMA1U3": "element_closed",
        "1/SLMAT1-140/SMA1U4": "element_suspended",
        "1/SLMAT1-140/SMA1E1": "element_not_offered",
    }


def test_closed_lists_and_links_cut_branches_future_closing_dates_do_not(read: Any) -> None:
    apogee = small_university()
    apogee.elements("A1", "A2", "A3", "A4", "A5")
    apogee.liste("LCLOSED", "A1", state="F").under_element("SMA1S1", "LCLOSED")
    apogee.liste("LPAST", "A2").under_element("SMA1S1", "LPAST", closing=date(2026, 9, 1))
    apogee.liste("LTODAY", "A3").under_element("SMA1S1", "LTODAY", closing=TODAY)
    apogee.liste("LFUTURE", "A4").under_element("SMA1S1", "LFUTURE", closing=date(2027, 6, 30))
    apogee.liste("LVET", "A5").under_etape("SLMAT1", "LVET", 140, closing=date(2025, 1, 1))
    extract = read(apogee)
    assert _links(extract, MAT) >= {("A4", "SMA1S1")}
    assert {"A1", "A2", "A3", "A5"}.isdisjoint(extract.snapshot.elements)
    assert _reasons(extract) == {
        "LCLOSED": "list_closed",
        "SMA1S1>LPAST": "link_closed",
        "SMA1S1>LTODAY": "link_closed",
        "SLMAT1-140>LVET": "link_closed",
    }


def test_a_cycle_is_cut_and_reported(read: Any) -> None:
    apogee = small_university()
    apogee.elements("CA", "CB", "CC")
    apogee.liste("LCA", "CA").under_element("SMA1U1", "LCA")
    apogee.liste("LCB", "CB").under_element("CA", "LCB")
    apogee.liste("LCC", "CC", "CA").under_element("CB", "LCC")  # CB → CA closes the loop
    extract = read(apogee)
    links = _links(extract, MAT)
    assert {("CA", "SMA1U1"), ("CB", "CA"), ("CC", "CB")} <= links
    assert ("CA", "CB") not in links
    assert _reasons(extract, "cycle") == {"CB>LCC>CA": "cycle"}
    cycles = [n for n in extract.notices if n.kind == "apogee_cycle"]
    assert [n.key for n in cycles] == ["CB>LCC>CA"]


def test_a_self_loop_and_a_loop_between_lists_terminate(read: Any) -> None:
    apogee = small_university()
    apogee.element("SELF")
    apogee.liste("LSELF", "SELF").under_element("SMA1U2", "LSELF").under_element("SELF", "LSELF")
    extract = read(apogee)
    assert ("SELF", "SMA1U2") in _links(extract, MAT)
    assert _reasons(extract, "cycle") == {"SELF>LSELF>SELF": "cycle"}


def test_two_paths_in_one_etape_and_multiple_parents(read: Any) -> None:
    apogee = small_university()
    apogee.element("COMMON")
    # COMMON under both UEs (two parents) and twice under SMA1U1 through two lists.
    apogee.liste("LC1", "COMMON").under_element("SMA1U1", "LC1").under_element("SMA1U2", "LC1")
    apogee.liste("LC2", "COMMON").under_element("SMA1U1", "LC2")
    apogee.elements("DEEP")
    apogee.liste("LDEEP", "DEEP").under_element("COMMON", "LDEEP")
    extract = read(apogee)
    links = [link for link in extract.snapshot.links if link.etape == MAT]
    common = sorted((link.parent, link.list_code) for link in links if link.element == "COMMON")
    assert common == [("SMA1U1", "LC1"), ("SMA1U2", "LC1")]  # once per parent, first list
    assert [link.parent for link in links if link.element == "DEEP"] == ["COMMON"]
    keys = [(link.etape, link.element, link.parent) for link in extract.snapshot.links]
    assert len(keys) == len(set(keys))


def test_offer_years_and_composantes(read: Any) -> None:
    apogee = small_university()
    apogee.etape("OLD1", validity=("2010", "2015"), recruitment=("2010", "2015"))
    apogee.etape("REP1", validity=("2020", "2030"), recruitment=("2020", "2024"))
    apogee.etape("EXT1", cmp="EXT")
    apogee.composante("EXT", kind="EXT")
    apogee.etape("GONE1", cmp="GON")
    apogee.composante("GON", in_service="N")
    for etape in ("OLD1", "REP1", "EXT1", "GONE1"):
        apogee.individu(ord(etape[0])).iae(ord(etape[0]), etape)
    extract = read(apogee)
    keys = {key.code for key in extract.snapshot.etapes}
    assert keys == {"SLMAT1", "SLINF1", "REP1"}  # validity range by default
    assert _reasons(extract, "admin_registration") == {
        f"{ord('O')}/OLD1-1": "etape_not_offered",
        f"{ord('E')}/EXT1-1": "composante_excluded",
        f"{ord('G')}/GONE1-1": "composante_closed",
    }
    recruiting = read(apogee, offer_range="recruitment")
    assert "REP1" not in {key.code for key in recruiting.snapshot.etapes}


def test_fictitious_leaves_are_pruned(read: Any) -> None:
    apogee = small_university()
    apogee.element("TLEAF", nature="TECH").element("TNODE", nature="TECH").element("REAL")
    apogee.liste("LT", "TLEAF", "TNODE").under_element("SMA1U1", "LT")
    apogee.liste("LREAL", "REAL").under_element("TNODE", "LREAL")
    apogee.ip(1, "SLMAT1", "TLEAF", 140)
    extract = read(apogee)
    assert "TLEAF" not in extract.snapshot.elements
    assert {"TNODE", "REAL"} <= set(extract.snapshot.elements)
    assert _reasons(extract, "element") == {"TLEAF": "fictitious"}
    assert _reasons(extract, "pedagogical_registration") == {"1/SLMAT1-140/TLEAF": "fictitious"}
    # Natures can also be named in the configuration.
    configured = read(apogee, fictitious_natures=["UE"])
    assert "SMA1U2" not in configured.snapshot.elements


def test_students_without_number_are_kept_and_reported(read: Any) -> None:
    apogee = small_university()
    apogee.individu(40, cod_etu=None).iae(40, "SLMAT1", 140)
    extract = read(apogee)
    assert extract.snapshot.students[40].cod_etu is None
    assert _reasons(extract, "student") == {"40": "no_student_number"}
    notice = next(n for n in extract.notices if n.key == "2026/no_student_number")
    assert notice.severity == "info"


def test_groups_validity_labels_attachments_and_memberships(read: Any) -> None:
    apogee = small_university()
    apogee.group(13, "OLD", element="SMA1U1", valid=("2015", "2019"))
    apogee.group(14, "NOLAB", label=None, element="SMA1U1")
    apogee.group(15, "TWICE", element="SMA1U2", objects=2)
    apogee.group(16, "CLOSED", element="NOPE")
    apogee.member(1, 13).member(1, 14).member(2, 15).member(30, 15).member(1, 99)
    apogee.member(2, 10, year="2025")  # another year
    extract = read(apogee)
    groups = extract.snapshot.groups
    assert set(groups) == {10, 11, 12, 15}
    assert _reasons(extract, "group") == {"14": "group_without_label", "16": "unknown_element"}
    assert _reasons(extract, "group_attachment") == {"15/151": "extra_attachment"}
    assert _reasons(extract, "group_membership") == {
        "1/13": "group_not_valid",
        "1/14": "group_excluded",
        "30/15": "student_not_registered",
        "1/99": "unknown_group",
    }
    assert (2, 15) in {(m.cod_ind, m.group) for m in extract.snapshot.memberships}


def test_nested_group_loops_are_cut(read: Any) -> None:
    apogee = small_university()
    apogee.nest(11, 10)  # 10 holds 11 and 11 holds 10
    extract = read(apogee)
    parents = {code: group.parent for code, group in extract.snapshot.groups.items()}
    assert parents[10] is None or parents[11] is None
    assert "nesting_cycle" in _reasons(extract, "group_nesting").values()


def test_damaged_labels_are_repaired_unless_disabled(read: Any) -> None:
    apogee = small_university()
    damaged = "Économie et gestion".encode().decode("cp1252")
    apogee.element("LAB1", label="Management d¿activités", short=damaged)
    apogee.liste("LLAB", "LAB1").under_element("SMA1U1", "LLAB")
    extract = read(apogee)
    element = extract.snapshot.elements["LAB1"]
    assert element.label == "Management d’activités"
    assert element.short_label == "Économie et gestion"
    assert extract.stats["labels_repaired"] == 2
    raw = read(apogee, repair_encoding=False).snapshot.elements["LAB1"]
    assert raw.label == "Management d¿activités"


def test_long_labels_come_from_elp_libelle_in_french(read: Any) -> None:
    apogee = small_university()
    apogee.long_label("SMA1U1", "Analyse réelle et suites numériques, fondements")
    apogee.long_label("SMA1U2", "Linear algebra", language="ANG")
    elements = read(apogee).snapshot.elements
    assert elements["SMA1U1"].long_label == "Analyse réelle et suites numériques, fondements"
    assert elements["SMA1U2"].long_label == ""


def test_foad_from_configuration(read: Any) -> None:
    extract = read(small_university(), foad_diplomes=["SLMAT"])
    assert extract.snapshot.etapes[MAT].foad
    extract = read(small_university(), foad_etapes=["SLMAT1"])
    assert extract.snapshot.etapes[MAT].foad


def test_only_the_asked_year_is_read(read: Any) -> None:
    apogee = small_university("2027")
    apogee.individu(50).iae(50, "SLMAT1", 140, year="2026")
    extract = read(apogee)
    assert extract.snapshot.year == "2027"
    assert 50 not in extract.snapshot.students


def test_tables_in_a_schema_of_their_own(tmp_path: Path) -> None:
    """[apogee] schema_name prefixes every table (an Oracle schema; here an attached SQLite
    database)."""
    apogee_file = tmp_path / "apogee.db"
    small_university().write(f"sqlite:///{apogee_file}").dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")

    @event.listens_for(engine, "connect")
    def attach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"ATTACH DATABASE '{apogee_file}' AS apo")

    section = ApogeeSection(url="sqlite://", years=["2026"], schema_name="apo")
    reader = ApogeeReader(engine, section)
    try:
        extract = reader.read("2026", TODAY, silent_progress)
    finally:
        reader.close()
    assert len(extract.snapshot.pedagogical_registrations) == 14
    assert set(extract.snapshot.etapes) == {MAT, INF}


def test_the_sql_is_portable(tmp_path: Path) -> None:
    """Named columns, no join, no LIMIT, years bound as text; every statement compiles for
    Oracle."""
    url = f"sqlite:///{tmp_path / 'apogee.db'}"
    engine = small_university().write(url)
    texts: list[str] = []
    clauses: list[Any] = []
    years: list[Any] = []

    @event.listens_for(engine, "connect")
    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(texts.append)

    @event.listens_for(engine, "before_execute")
    def remember(_conn: Any, clause: Any, *_args: Any) -> None:
        clauses.append(clause)

    @event.listens_for(engine, "before_cursor_execute")
    def bound(_conn: Any, _cursor: Any, _statement: str, parameters: Any, *_args: Any) -> None:
        years.extend(value for value in parameters if value in ("2026", 2026))

    engine.dispose()  # new connections get the trace
    reader = ApogeeReader(engine, ApogeeSection(url=url, years=["2026"]))
    try:
        reader.read("2026", TODAY, silent_progress)
    finally:
        reader.close()
    selects = [t for t in texts if t.lstrip().upper().startswith("SELECT")]
    assert any("ind_contrat_elp" in t for t in selects)  # the streamed read is traced too
    for statement in selects:
        upper = statement.upper()
        assert " JOIN " not in upper and " LIMIT " not in upper
        assert not re.search(r"SELECT\s+\*|\.\*", statement)  # columns by name
    assert years and all(isinstance(year, str) for year in years)
    dialect = cast(Any, oracle).dialect()
    for clause in clauses:
        if hasattr(clause, "compile"):
            compiled = str(clause.compile(dialect=dialect))
            assert "LIMIT" not in compiled and "FETCH FIRST" not in compiled
