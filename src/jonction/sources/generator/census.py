"""Figures of an Apogée-shaped database, counted from its tables (not from what the generator
meant to write): sizes, the current catalogue as a sync sees it, and every dirt case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
    union,
)

from ...config.policy import PolicySection
from ..apogee import schema as s
from .graph import Graph
from .model import year_date


@dataclass(slots=True)
class Census:
    year: str
    counts: dict[str, int] = field(default_factory=dict)
    dirt: dict[str, int] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)


def _scalar(connection: Connection, query: Select[Any]) -> int:
    return int(connection.execute(query).scalar_one() or 0)


def _count(connection: Connection, table: Any, *where: Any) -> int:
    query = select(func.count()).select_from(table)
    if where:
        query = query.where(*where)
    return _scalar(connection, query)


def offered_etapes(connection: Connection, year: str) -> list[tuple[str, int]]:
    """Étapes whose validity range covers the year (VDI_FRACTIONNER_VET)."""
    f = s.vdi_fractionner_vet
    rows = connection.execute(
        select(f.c.cod_etp, f.c.cod_vrs_vet)
        .where(f.c.daa_deb_val_vet <= year, f.c.daa_fin_val_vet >= year)
        .distinct()
    )
    return sorted((etp, int(vrs)) for etp, vrs in rows)


def take_census(connection: Connection, year: str) -> Census:
    census = Census(year=year)
    counts = census.counts
    dirt = census.dirt
    iae, ip, ind = s.ins_adm_etp, s.ind_contrat_elp, s.individu
    counts["individuals"] = _count(connection, ind)
    registered = union(
        select(iae.c.cod_ind).where(iae.c.cod_anu == year),
        select(ip.c.cod_ind).where(ip.c.cod_anu == year),
    ).subquery()
    counts["students"] = _scalar(connection, select(func.count()).select_from(registered))
    counts["iae"] = _count(connection, iae, iae.c.cod_anu == year)
    counts["iae_other_years"] = _count(connection, iae, iae.c.cod_anu != year)
    counts["ip_rows"] = _count(connection, ip, ip.c.cod_anu == year)
    for state, case in (("A", "iae_cancelled"), ("R", "iae_resigned"), ("C", "iae_being_created")):
        dirt[case] = _count(connection, iae, iae.c.cod_anu == year, iae.c.eta_iae == state)
    dirt["iae_unpaid"] = _count(connection, iae, iae.c.cod_anu == year, iae.c.eta_pmt_iae == "A")
    doubles = (
        select(iae.c.cod_ind)
        .where(iae.c.cod_anu == year)
        .group_by(iae.c.cod_ind)
        .having(func.count() > 1)
        .subquery()
    )
    dirt["students_with_two_iae"] = _scalar(connection, select(func.count()).select_from(doubles))
    dirt["ip_acquired_earlier"] = _count(
        connection, ip, ip.c.cod_anu == year, ip.c.tem_prc_ice == "O"
    )
    lonely = (
        select(ip.c.cod_ind, ip.c.cod_etp, ip.c.cod_vrs_vet)
        .where(
            ip.c.cod_anu == year,
            ~exists().where(
                iae.c.cod_anu == ip.c.cod_anu,
                iae.c.cod_ind == ip.c.cod_ind,
                iae.c.cod_etp == ip.c.cod_etp,
                iae.c.cod_vrs_vet == ip.c.cod_vrs_vet,
            ),
        )
        .distinct()
        .subquery()
    )
    dirt["contracts_without_iae"] = _scalar(connection, select(func.count()).select_from(lonely))
    dirt["individuals_without_cod_etu"] = _count(connection, ind, ind.c.cod_etu.is_(None))
    elp = s.element_pedagogi
    for column, value, case in (
        (elp.c.eta_elp, "F", "ip_on_closed_elements"),
        (elp.c.tem_sus_elp, "O", "ip_on_suspended_elements"),
    ):
        dirt[case] = _scalar(
            connection,
            select(func.count())
            .select_from(ip.join(elp, elp.c.cod_elp == ip.c.cod_elp))
            .where(ip.c.cod_anu == year, column == value),
        )
    lse = s.liste_elp
    dirt["ip_through_closed_lists"] = _scalar(
        connection,
        select(func.count())
        .select_from(ip.join(lse, lse.c.cod_lse == ip.c.cod_lse))
        .where(ip.c.cod_anu == year, lse.c.eta_lse == "F"),
    )
    start = year_date(year, 9, 1)
    vrl, erl = s.vet_regroupe_lse, s.elp_regroupe_lse
    dirt["vet_links_closed"] = _count(connection, vrl, vrl.c.dat_frm_rel_lse_vet < start)
    dirt["vet_links_closing_later"] = _count(connection, vrl, vrl.c.dat_frm_rel_lse_vet >= start)
    dirt["element_links_closed"] = _count(connection, erl, erl.c.dat_frm_rel_lse_elp < start)
    dirt["element_links_closing_later"] = _count(
        connection, erl, erl.c.dat_frm_rel_lse_elp >= start
    )
    dirt["closed_lists"] = _count(connection, lse, lse.c.eta_lse == "F")
    vet = s.version_etape
    dirt["etapes_without_web_label"] = _count(
        connection, vet, or_(vet.c.lib_web_vet.is_(None), vet.c.lib_web_vet == "")
    )
    gpe = s.groupe
    dirt["groups_without_label"] = _count(
        connection, gpe, or_(gpe.c.lib_gpe.is_(None), gpe.c.lib_gpe == "")
    )
    lib = s.elp_libelle
    dirt["labels_at_cap_with_long_label"] = _scalar(
        connection,
        select(func.count())
        .select_from(elp.join(lib, and_(lib.c.cod_elp == elp.c.cod_elp, lib.c.cod_lng == "FRAN")))
        .where(func.length(elp.c.lib_elp) == 60, func.length(lib.c.lib_elp_lng) > 60),
    )
    dirt["damaged_labels"] = _count(
        connection, elp, or_(elp.c.lib_elp.like("%¿%"), elp.c.lib_elp.like("%Ã%"))
    )
    french = lib.alias("fr")
    dirt["elements_with_english_label_only"] = _scalar(
        connection,
        select(func.count(func.distinct(lib.c.cod_elp))).where(
            lib.c.cod_lng == "ANGL",
            ~exists().where(french.c.cod_elp == lib.c.cod_elp, french.c.cod_lng == "FRAN"),
        ),
    )
    f = s.vdi_fractionner_vet
    several = (
        select(f.c.cod_etp, f.c.cod_vrs_vet)
        .group_by(f.c.cod_etp, f.c.cod_vrs_vet)
        .having(func.count() > 1)
        .subquery()
    )
    dirt["etapes_in_several_vdis"] = _scalar(connection, select(func.count()).select_from(several))
    cmp = s.composante
    dirt["composantes_out_of_service"] = _count(connection, cmp, cmp.c.tem_en_sve_cmp == "N")
    dirt["external_composantes"] = _count(connection, cmp, cmp.c.cod_tpc == "EXT")
    counts["composantes"] = _count(connection, cmp)
    counts["diplomes"] = _count(connection, s.diplome)
    counts["vdis"] = _count(connection, s.version_diplome)
    counts["etapes_total"] = _count(connection, vet)
    counts["lists"] = _count(connection, lse)
    counts["elements_total"] = _count(connection, elp)
    counts["elements_open"] = _count(
        connection, elp, elp.c.eta_elp == "O", elp.c.tem_sus_elp == "N"
    )
    gpo = s.gpe_obj
    counts["groups_element"] = _count(connection, gpo, gpo.c.typ_obj_gpo == "ELP")
    counts["groups_etape"] = _count(connection, gpo, gpo.c.typ_obj_gpo == "VET")
    counts["nested_groups"] = _count(connection, s.gpe_inclus_gpe)
    aff = s.ind_affecte_gpe
    counts["memberships"] = _count(connection, aff, aff.c.cod_anu == year)
    counts["elp_regroupe_elp_rows"] = _count(connection, s.elp_regroupe_elp)
    ece = s.elp_charge_ens
    counts["teaching_loads"] = _count(connection, ece, ece.c.cod_anu == year)
    counts["carried_elements"] = _count(
        connection, s.elp_porteur_porte, s.elp_porteur_porte.c.cod_anu == year
    )
    _catalogue(connection, census)
    students = max(1, counts["students"])
    census.ratios["iae_per_student"] = round(counts["iae"] / students, 3)
    census.ratios["ip_per_student"] = round(counts["ip_rows"] / students, 1)
    return census


def _catalogue(connection: Connection, census: Census) -> None:
    """The current catalogue, walked like a sync does: open years' étapes, open lists, links
    and elements, course natures of the default policy."""
    year = census.year
    counts, dirt = census.counts, census.dirt
    offered = offered_etapes(connection, year)
    vet = s.version_etape
    foad = {
        (etp, int(vrs))
        for etp, vrs in connection.execute(
            select(vet.c.cod_etp, vet.c.cod_vrs_vet).where(vet.c.tem_tls_vet == "O")
        )
    }
    counts["etapes"] = len(offered)
    counts["foad_etapes"] = sum(1 for key in offered if key in foad)
    graph = Graph.from_db(connection)
    reach = graph.reach(offered, year_date(year, 10, 1))
    natures = set(PolicySection().course_natures)
    fictitious = {
        code
        for (code,) in connection.execute(
            select(s.nature_elp.c.cod_nel).where(s.nature_elp.c.tem_fictif == "O")
        )
    }
    courses = [
        code
        for code in reach.etapes
        if graph.elements[code].nature in natures and graph.elements[code].nature not in fictitious
    ]
    counts["course_elements_open"] = len(courses)
    counts["multi_parent_course_elements"] = sum(1 for c in courses if len(reach.etapes[c]) > 1)
    counts["elements_in_current_catalogue"] = len(reach.etapes)
    counts["max_depth"] = reach.max_depth
    dirt["cycles_cut_in_walk"] = reach.cycles
    dirt["elements_reached_by_two_paths_in_one_etape"] = len(
        {code for (code, _etape), paths in reach.paths.items() if len(paths) > 1}
    )
    cmp_of_vet = {
        (etp, int(vrs)): cmp
        for etp, vrs, cmp in connection.execute(
            select(vet.c.cod_etp, vet.c.cod_vrs_vet, vet.c.cod_cmp)
        )
    }
    cmp_of_elp = {
        code: cmp
        for code, cmp in connection.execute(
            select(s.element_pedagogi.c.cod_elp, s.element_pedagogi.c.cod_cmp)
        )
    }
    dirt["elements_of_another_composante"] = sum(
        1
        for code in courses
        if all(cmp_of_elp[code] != cmp_of_vet.get(key) for key in reach.etapes[code])
    )
    fict_elements = sum(1 for code in reach.etapes if graph.elements[code].nature in fictitious)
    dirt["fictitious_elements_in_catalogue"] = fict_elements
    ece = s.elp_charge_ens
    porteuse = {
        code: etp
        for code, etp in connection.execute(
            select(ece.c.cod_elp, ece.c.cod_etp_porteuse).where(ece.c.cod_anu == year)
        )
    }
    shared = [c for c in courses if len(reach.etapes[c]) > 1]
    dirt["shared_elements_without_porteuse"] = sum(1 for c in shared if not porteuse.get(c))
    counts["shared_elements_with_porteuse"] = len(shared) - dirt["shared_elements_without_porteuse"]
