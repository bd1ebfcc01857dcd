"""The generated university: determinism, Apogée types, dirt cases, derived tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from jonction.sources.apogee import schema as s
from jonction.sources.generator import DatabaseNotEmpty, default_paths, generate
from jonction.sources.generator.regroupe import derive_from_db

from .conftest import SEED, STUDENTS, YEAR, Generated


def _dump(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_same_seed_gives_identical_rows_and_files(small: Generated, tmp_path: Path) -> None:
    again = generate(f"sqlite:///{tmp_path / 'apogee.db'}", STUDENTS, SEED, YEAR)
    assert _dump(tmp_path / "apogee.db") == _dump(small.db)
    assert (tmp_path / "apogee.ldif").read_bytes() == small.ldif.read_bytes()
    for name in ("getResources.xml", "getEvents.xml", "project.json", "README.md"):
        assert (tmp_path / "apogee-ade" / name).read_bytes() == (small.ade / name).read_bytes()
    assert again.dirt == small.summary.dirt


def test_another_seed_gives_another_university(small: Generated, tmp_path: Path) -> None:
    generate(f"sqlite:///{tmp_path / 'other.db'}", STUDENTS, SEED + 1, YEAR)
    assert (tmp_path / "other.ldif").read_bytes() != small.ldif.read_bytes()


def test_refuses_a_filled_database_unless_replace(small_copy: Generated) -> None:
    with pytest.raises(DatabaseNotEmpty, match="--replace"):
        generate(small_copy.url, 50, 1, YEAR)
    summary = generate(small_copy.url, 50, 1, YEAR, replace=True)
    assert summary.students == 50


def test_default_paths_sit_beside_the_database() -> None:
    assert default_paths("sqlite:///var/x.db", None, None) == (
        Path("var/x.ldif"),
        Path("var/x-ade"),
    )
    assert default_paths("postgresql+psycopg://h/apo", None, None) == (
        Path("var/apo.ldif"),
        Path("var/apo-ade"),
    )


def test_years_are_text_and_versions_numbers(small: Generated) -> None:
    connection = sqlite3.connect(small.db)
    try:
        types = {
            (table, column): kind
            for table, column in (
                ("ins_adm_etp", "cod_anu"),
                ("ins_adm_etp", "cod_vrs_vet"),
                ("ins_adm_etp", "cod_ind"),
                ("vdi_fractionner_vet", "daa_fin_val_vet"),
                ("vdi_fractionner_vet", "cod_vrs_vdi"),
                ("individu", "cod_etu"),
            )
            for (kind,) in connection.execute(
                f"SELECT DISTINCT typeof({column}) FROM {table} WHERE {column} IS NOT NULL"
            )
        }
        versions = {
            v for (v,) in connection.execute("SELECT DISTINCT cod_vrs_vet FROM version_etape")
        }
        widths = {
            n
            for (n,) in connection.execute("SELECT DISTINCT length(cod_elp) FROM element_pedagogi")
        }
    finally:
        connection.close()
    assert types[("ins_adm_etp", "cod_anu")] == "text"
    assert types[("vdi_fractionner_vet", "daa_fin_val_vet")] == "text"
    assert types[("ins_adm_etp", "cod_vrs_vet")] == "integer"
    assert types[("vdi_fractionner_vet", "cod_vrs_vdi")] == "integer"
    assert types[("ins_adm_etp", "cod_ind")] == "integer"
    assert types[("individu", "cod_etu")] == "integer"
    assert {1, 101, 900} <= versions  # real Apogée versions are not just 1, 2, 3
    assert widths <= {6, 7, 8} and 8 in widths


EVERY_DIRT_CASE = (
    "closed_elements_with_registrations",
    "suspended_elements_with_registrations",
    "closed_lists_with_registrations",
    "ip_on_closed_elements",
    "ip_on_suspended_elements",
    "ip_through_closed_lists",
    "vet_links_closed",
    "vet_links_closing_later",
    "element_links_closed",
    "element_links_closing_later",
    "ip_acquired_earlier",
    "iae_unpaid",
    "iae_cancelled",
    "iae_resigned",
    "iae_being_created",
    "students_with_two_iae",
    "double_registrations_sharing_elements",
    "contracts_without_iae",
    "individuals_without_cod_etu",
    "students_without_directory_entry",
    "duplicated_supann_etu_id",
    "entries_without_uid",
    "entries_without_mail",
    "mixed_case_uids",
    "staff_who_are_students",
    "alumni_entries",
    "external_teachers_personal_mail",
    "list_cycles",
    "cycles_cut_in_walk",
    "damaged_labels",
    "labels_at_cap_with_long_label",
    "elements_with_english_label_only",
    "etapes_without_web_label",
    "groups_without_label",
    "elements_of_another_composante",
    "elements_reached_by_two_paths_in_one_etape",
    "etapes_in_several_vdis",
    "shared_elements_without_porteuse",
    "composantes_out_of_service",
    "external_composantes",
    "fictitious_elements_in_catalogue",
    "nested_group_sets",
    "expired_groups",
    "historical_elements",
    "carried_elements",
    "events_without_teacher",
    "events_with_placeholder_teacher",
    "co_taught_events",
    "teachers_known_by_email_only",
    "teachers_with_two_ade_mails",
    "course_code_only_in_name",
    "activities_with_unknown_course_code",
    "foad_course_activities",
)


@pytest.mark.parametrize("case", EVERY_DIRT_CASE)
def test_every_dirt_case_is_present_at_the_small_preset(small: Generated, case: str) -> None:
    assert small.summary.dirt.get(case, 0) >= 1, case


def test_the_dirt_counted_is_in_the_database(small: Generated) -> None:
    connection = sqlite3.connect(small.db)
    try:

        def one(sql: str) -> int:
            return int(connection.execute(sql).fetchone()[0])

        dirt = small.summary.dirt
        assert (
            one("SELECT count(*) FROM ins_adm_etp WHERE cod_anu='2026' AND eta_iae='A'")
            == (dirt["iae_cancelled"])
        )
        assert (
            one("SELECT count(*) FROM individu WHERE cod_etu IS NULL")
            == (dirt["individuals_without_cod_etu"])
        )
        assert (
            one(
                "SELECT count(*) FROM ind_contrat_elp i JOIN element_pedagogi e USING (cod_elp) "
                "WHERE i.cod_anu='2026' AND e.eta_elp='F'"
            )
            == dirt["ip_on_closed_elements"]
        )
        assert one("SELECT count(*) FROM version_etape WHERE tem_tls_vet='O'") >= 2
        assert one("SELECT count(*) FROM annee_uni WHERE eta_anu_iae='O'") == 1
        assert one("SELECT count(*) FROM annee_uni WHERE eta_anu_iae='I' AND cod_anu='2027'") == 1
        assert one("SELECT count(*) FROM nature_elp WHERE tem_fictif='O'") >= 1
        assert one("SELECT max(length(lib_elp)) FROM element_pedagogi") == 60
    finally:
        connection.close()


def test_summary_figures(small: Generated) -> None:
    summary = small.summary
    assert summary.students == STUDENTS
    assert 1.05 <= summary.iae_per_student <= 1.1
    assert summary.ip_per_student >= 15
    assert summary.foad_etapes >= 2
    assert summary.course_elements_open > 0
    assert summary.multi_parent_course_elements > 0
    assert summary.groups_element > 0 and summary.groups_etape > 0
    assert summary.memberships > 0
    assert summary.figures["max_depth"] in (3, 4, 5)


def test_elp_regroupe_elp_is_the_projection_of_the_normalized_tables(small: Generated) -> None:
    engine = create_engine(small.url)
    with engine.connect() as connection:
        expected = derive_from_db(connection)
        stored = [dict(row) for row in connection.execute(select(s.elp_regroupe_elp)).mappings()]
        roots = connection.execute(
            text(
                "SELECT count(*) FROM elp_regroupe_elp WHERE cod_elp_pere IS NULL "
                "AND (eta_elp_pere IS NOT NULL OR tem_sus_elp_pere IS NOT NULL)"
            )
        ).scalar_one()
    engine.dispose()

    def key(row: dict[str, object]) -> tuple[str, str, str]:
        return (str(row["cod_elp_pere"] or ""), str(row["cod_lse"]), str(row["cod_elp_fils"]))

    assert sorted(stored, key=key) == sorted(expected, key=key)
    assert roots == 0
    assert any(row["cod_elp_pere"] is None for row in stored)


def test_contracts_follow_one_path_per_element(small: Generated) -> None:
    connection = sqlite3.connect(small.db)
    try:
        # Every IP's (father, list) pair is a link of the normalized tables.
        orphans = connection.execute(
            "SELECT count(*) FROM ind_contrat_elp i WHERE NOT EXISTS ("
            " SELECT 1 FROM lse_regroupe_elp l WHERE l.cod_lse=i.cod_lse AND l.cod_elp=i.cod_elp)"
            " OR (i.cod_elp_sup IS NOT NULL AND NOT EXISTS (SELECT 1 FROM elp_regroupe_lse r"
            "  WHERE r.cod_elp=i.cod_elp_sup AND r.cod_lse=i.cod_lse))"
            " OR (i.cod_elp_sup IS NULL AND NOT EXISTS (SELECT 1 FROM vet_regroupe_lse v"
            "  WHERE v.cod_etp=i.cod_etp AND v.cod_vrs_vet=i.cod_vrs_vet AND v.cod_lse=i.cod_lse))"
        ).fetchone()[0]
        # A father is itself in the same contract.
        fatherless = connection.execute(
            "SELECT count(*) FROM ind_contrat_elp i WHERE i.cod_elp_sup IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM ind_contrat_elp f WHERE f.cod_anu=i.cod_anu AND f.cod_ind=i.cod_ind"
            "  AND f.cod_etp=i.cod_etp AND f.cod_vrs_vet=i.cod_vrs_vet AND f.cod_elp=i.cod_elp_sup)"
        ).fetchone()[0]
    finally:
        connection.close()
    assert orphans == 0
    assert fatherless == 0
