"""evolve: exactly the changes it reports, and the rollover to the next year."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from jonction.sources.generator.directory import read_ldif
from jonction.sources.generator.evolve import evolve
from jonction.sources.generator.regroupe import derive_from_db

from .conftest import Generated


def _rows(db: Path, sql: str) -> set[tuple[object, ...]]:
    connection = sqlite3.connect(db)
    try:
        return set(connection.execute(sql).fetchall())
    finally:
        connection.close()


def test_a_night_changes_exactly_what_it_reports(small_copy: Generated) -> None:
    db = small_copy.db
    individus = "SELECT cod_ind FROM individu"
    iae = "SELECT cod_ind, cod_etp, cod_vrs_vet, eta_iae FROM ins_adm_etp WHERE cod_anu='2026'"
    groups = "SELECT cod_gpe, lib_gpe FROM groupe"
    elements = "SELECT cod_elp, lib_elp FROM element_pedagogi"
    links = "SELECT cod_lse, cod_elp FROM lse_regroupe_elp"
    vdi = "SELECT cod_dip, cod_vrs_vdi, cod_etp, cod_vrs_vet FROM vdi_fractionner_vet"
    vet_cmp = "SELECT cod_etp, cod_vrs_vet, cod_cmp FROM version_etape"
    before = {q: _rows(db, q) for q in (individus, iae, groups, elements, links, vdi, vet_cmp)}
    summary = evolve(small_copy.url, seed=3)
    after = {q: _rows(db, q) for q in before}
    d = summary.details

    new = {row[0] for row in after[individus] - before[individus]}
    assert new == set(d["new_students"]) and len(new) >= 2
    changed_state = {
        (row[0], row[1], row[2], row[3]) for row in after[iae] - before[iae] if row[3] in ("A", "R")
    }
    expected = {(i, e, v, "A") for i, e, v in map(tuple, d["iae_cancelled"])}
    expected |= {(i, e, v, "R") for i, e, v in map(tuple, d["iae_resigned"])}
    expected |= {(c[0], c[1], c[2], "A") for c in d["etape_changes"]}
    assert changed_state == expected

    renamed = {row[0] for row in after[elements] - before[elements]}
    assert renamed == {item[0] for item in d["renamed_elements"]}
    assert {row[0] for row in before[groups] - after[groups]} == {
        *d["vanished_groups"],
        *(item[0] for item in d["renamed_groups"]),
    }
    assert {row[0] for row in after[groups] - before[groups]} == {
        *d["new_groups"],
        *(item[0] for item in d["renamed_groups"]),
    }
    gained_element, gained_list = d["element_gained_parent"][0]
    lost_element, lost_list = d["element_lost_parent"][0]
    assert after[links] - before[links] == {(gained_list, gained_element)}
    assert before[links] - after[links] == {(lost_list, lost_element)}
    moved = d["etape_moved_to_other_diplome"][0]
    assert (moved[4], moved[5], moved[0], moved[1]) in after[vdi] - before[vdi]
    cmp_move = d["etape_moved_to_other_composante"][0]
    assert (cmp_move[0], cmp_move[1], cmp_move[3]) in after[vet_cmp]
    assert summary.counts["group_moves"] == len(d["group_moves"]) >= 1
    for kind in ("renamed_etapes", "ip_added", "ip_removed", "ade_teacher_added"):
        assert summary.counts[kind] >= 1, kind


def test_a_night_keeps_elp_regroupe_elp_consistent(small_copy: Generated) -> None:
    from sqlalchemy import create_engine, select

    from jonction.sources.apogee import schema as s

    evolve(small_copy.url, seed=4)
    engine = create_engine(small_copy.url)
    with engine.connect() as connection:
        stored = len(connection.execute(select(s.elp_regroupe_elp)).all())
        assert stored == len(derive_from_db(connection))
    engine.dispose()


def test_a_night_is_deterministic(small: Generated, tmp_path: Path) -> None:
    import shutil

    results = []
    for name in ("a", "b"):
        folder = tmp_path / name
        shutil.copytree(small.folder, folder)
        summary = evolve(f"sqlite:///{folder / 'apogee.db'}", seed=11)
        results.append((summary.counts, summary.details, (folder / "apogee.ldif").read_bytes()))
    assert results[0] == results[1]


def test_a_night_changes_the_directory_and_timetable(small_copy: Generated) -> None:
    before = {dn for dn, _e in read_ldif(small_copy.ldif)}
    summary = evolve(small_copy.url, seed=5)
    after = {dn for dn, _e in read_ldif(small_copy.ldif)}
    assert len(after - before) == summary.counts["ldap_new_entries"] >= 2
    assert len(before - after) == summary.counts.get("ldap_departures", 0)
    events = (small_copy.ade / "getEvents.xml").read_text()
    unscheduled = summary.details["ade_teacher_unscheduled"][0][0]
    assert f'id="{unscheduled}"/>' not in events
    added = summary.details["ade_teacher_added"][0][0]
    assert f'id="{added}"/>' in events


def test_rollover_opens_the_next_year(small_copy: Generated) -> None:
    db = small_copy.db
    summary = evolve(small_copy.url, seed=9, rollover=True)
    assert summary.year == "2027"
    states = {str(k): str(v) for k, v in _rows(db, "SELECT cod_anu, eta_anu_iae FROM annee_uni")}
    assert states["2026"] == "F" and states["2027"] == "O" and states["2028"] == "I"
    iae = _rows(db, "SELECT cod_ind FROM ins_adm_etp WHERE cod_anu='2027'")
    assert len(iae) == summary.counts["iae_rows"]
    expected = set(summary.details["continuing"]) | set(summary.details["repeating"])
    expected |= set(summary.details["new_students"])
    assert {row[0] for row in iae} == expected
    gone = set(summary.details["graduates"]) | set(summary.details.get("leavers", []))
    assert not gone & {row[0] for row in iae}
    ip = _rows(db, "SELECT count(*) FROM ind_contrat_elp WHERE cod_anu='2027'")
    assert ip == {(summary.counts["ip_rows"],)}
    members = _rows(db, "SELECT count(*) FROM ind_affecte_gpe WHERE cod_anu='2027'")
    assert members == {(summary.counts["memberships"],)}
    assert summary.counts["vdi_ranges_extended"] >= 1
    project = (small_copy.ade / "project.json").read_text()
    assert '"academic_year": "2027"' in project
    composites = [
        v for _dn, e in read_ldif(small_copy.ldif) for v in e.get("supannEtuInscription", [])
    ]
    assert any("[anneeinsc=2027]" in v for v in composites)
