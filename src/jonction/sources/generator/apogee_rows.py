"""The catalogue and the people as Apogée rows (column names of `jonction.sources.apogee.schema`).

Years are text, versions and COD_IND are numbers, dates derive from the academic year only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Table

from ..apogee import schema as s
from . import labels, regroupe
from .catalogue import NATURES, PERIODS, Catalogue
from .model import Group, Student, year_date
from .population import Population

Row = dict[str, Any]

TYPES = (
    ("UFR", "Unité de formation et de recherche"),
    ("INS", "Institut ou école interne"),
    ("DPT", "Département ou service"),
    ("EXT", "Établissement partenaire (extérieur)"),
)


def annee_uni(year: str) -> list[Row]:
    y = int(year)
    rows = []
    for value in range(y - 5, y + 2):
        state = "F" if value < y else ("O" if value == y else "I")
        rows.append(
            {
                "cod_anu": str(value),
                "eta_anu_iae": state,
                "lib_anu": f"Année universitaire {value}/{value + 1}",
                "lic_anu": f"{value}/{str(value + 1)[2:]}",
                "eta_anu_ipe": state,
                "eta_anu_res": state,
            }
        )
    return rows


def catalogue_rows(catalogue: Catalogue) -> Iterator[tuple[Table, list[Row]]]:
    """Every structure table, in insertion order."""
    year = catalogue.year
    yield s.annee_uni, annee_uni(year)
    yield (
        s.typ_composante,
        [{"cod_tpc": code, "lib_tpc": label, "tem_en_sve_tpc": "O"} for code, label in TYPES],
    )
    yield (
        s.composante,
        [
            {
                "cod_cmp": c.code,
                "lib_cmp": c.label,
                "lic_cmp": c.short[:10],
                "tem_en_sve_cmp": "O" if c.in_service else "N",
                "cod_tpc": c.kind,
                "lib_web_cmp": c.label,
            }
            for c in catalogue.composantes
        ],
    )
    yield (
        s.diplome,
        [
            {
                "cod_dip": d.code,
                "lib_dip": d.label,
                "lic_dip": d.short,
                "cod_tpd_etb": d.tpd,
                "cod_cyc": d.cycle,
            }
            for d in catalogue.diplomes
        ],
    )
    yield (
        s.version_diplome,
        [
            {
                "cod_dip": v.diplome,
                "cod_vrs_vdi": v.version,
                "lic_vdi": v.short,
                "lib_web_vdi": v.web_label,
                "cod_cmp": v.composante,
                "daa_deb_rct_vdi": str(v.first_year),
                "daa_fin_rct_vdi": str(v.last_recruitment),
                "daa_deb_val_vdi": str(v.first_year),
                "daa_fin_val_vdi": str(v.last_validity),
                "dur_ann_vdi": v.duration,
            }
            for v in catalogue.vdis
        ],
    )
    seen: set[str] = set()
    etapes = []
    for e in catalogue.etapes:
        if e.code not in seen:
            seen.add(e.code)
            etapes.append(
                {
                    "cod_etp": e.code,
                    "lib_etp": e.label,
                    "lic_etp": e.short,
                    "cod_cyc": e.cycle,
                    "cod_cur": e.cursus,
                }
            )
    yield s.etape, etapes
    yield (
        s.version_etape,
        [
            {
                "cod_etp": e.code,
                "cod_vrs_vet": e.version,
                "lib_web_vet": e.web_label,
                "cod_cmp": e.composante,
                "cod_due": str(max(1, e.rank))[:2],
                "tem_tls_vet": "O" if e.foad else "N",
            }
            for e in catalogue.etapes
        ],
    )
    yield (
        s.vdi_fractionner_vet,
        [
            {
                "cod_dip": dip,
                "cod_vrs_vdi": vrs,
                "cod_etp": e.code,
                "cod_vrs_vet": e.version,
                "daa_deb_rct_vet": str(first),
                "daa_fin_rct_vet": str(rct),
                "daa_deb_val_vet": str(first),
                "daa_fin_val_vet": str(val),
                "cod_sis_daa_min": str(rank),
            }
            for e in catalogue.etapes
            for dip, vrs, rank, first, rct, val in e.vdis
        ],
    )
    yield (
        s.nature_elp,
        [
            {
                "cod_nel": code,
                "lib_nel": label,
                "lic_nel": short,
                "tem_en_sve_nel": in_use,
                "tem_fictif": fictitious,
            }
            for code, label, short, _course, fictitious, in_use in NATURES
        ],
    )
    yield (
        s.periode_elp,
        [
            {"cod_pel": code, "lib_pel": label, "lic_pel": short, "tem_en_sve_pel": "O"}
            for code, label, short in PERIODS
        ],
    )
    created = year_date(year, 5, 15)
    old = date(int(year) - 8, 6, 1)
    yield (
        s.element_pedagogi,
        [
            {
                "cod_elp": e.code,
                "lib_elp": e.label[: labels.LIB_MAX],
                "lic_elp": e.short[: labels.LIC_MAX],
                "cod_nel": e.nature,
                "cod_pel": e.period,
                "cod_cmp": e.composante,
                "eta_elp": e.state,
                "tem_sus_elp": e.suspended,
                "lib_sus_elp": "Suspendu par la commission pédagogique"
                if e.suspended == "O"
                else None,
                "nbr_crd_elp": e.credits,
                "dat_cre_elp": old if e.historical else created,
                "dat_mod_elp": None,
                "tem_a_dis_elp": "N",
            }
            for e in catalogue.elements.values()
        ],
    )
    libelles = []
    for item in catalogue.elements.values():
        if item.long_label:
            libelles.append(
                {"cod_elp": item.code, "cod_lng": "FRAN", "lib_elp_lng": item.long_label}
            )
        if item.english_label:
            libelles.append(
                {"cod_elp": item.code, "cod_lng": "ANGL", "lib_elp_lng": item.english_label}
            )
    yield s.elp_libelle, libelles
    yield (
        s.liste_elp,
        [
            {
                "cod_lse": li.code,
                "cod_typ_lse": li.kind,
                "eta_lse": li.state,
                "lic_lse": li.short[:25],
                "lib_lse": li.label[:60],
            }
            for li in catalogue.lists.values()
        ],
    )
    yield (
        s.vet_regroupe_lse,
        [
            {
                "cod_etp": link.etape[0],
                "cod_vrs_vet": link.etape[1],
                "cod_lse": link.lse,
                "nbr_min_elp_obl_chx_vet": link.minimum,
                "nbr_max_elp_obl_chx_vet": link.maximum,
                "dat_cre_rel_lse_vet": link.created,
                "dat_frm_rel_lse_vet": link.closed,
            }
            for link in catalogue.links
            if link.etape is not None
        ],
    )
    yield (
        s.lse_regroupe_elp,
        [
            {"cod_lse": li.code, "cod_elp": elp}
            for li in catalogue.lists.values()
            for elp in li.elements
        ],
    )
    yield (
        s.elp_regroupe_lse,
        [
            {
                "cod_elp": link.element,
                "cod_lse": link.lse,
                "dat_cre_rel_lse_elp": link.created,
                "dat_frm_rel_lse_elp": link.closed,
                "nbr_min_elp_obl_chx": link.minimum,
                "nbr_max_elp_obl_chx": link.maximum,
                "num_ord_erl": link.order,
            }
            for link in catalogue.links
            if link.element is not None
        ],
    )
    yield (
        s.elp_regroupe_elp,
        regroupe.derive(
            {li.code: (li.kind, li.state, li.elements) for li in catalogue.lists.values()},
            [(link.lse, link.closed) for link in catalogue.links if link.etape is not None],
            [
                (link.element, link.lse, link.closed)
                for link in catalogue.links
                if link.element is not None
            ],
            {e.code: (e.state, e.suspended) for e in catalogue.elements.values()},
        ),
    )
    yield (
        s.elp_charge_ens,
        [
            {
                "cod_elp": code,
                "cod_anu": year,
                "cod_etp_porteuse": porteuse[0] if porteuse else None,
                "cod_vrs_vet_porteuse": porteuse[1] if porteuse else None,
                "cod_scc": None,
                "nbr_heu_cm_elp": catalogue.elements[code].hours[0],
                "nbr_heu_td_elp": catalogue.elements[code].hours[1],
                "nbr_heu_tp_elp": catalogue.elements[code].hours[2],
                "tem_cal_chg": "O",
            }
            for code, porteuse in sorted(catalogue.porteuse.items())
        ],
    )
    yield (
        s.elp_porteur_porte,
        [
            {"cod_anu": year, "cod_elp_porte": carried, "cod_elp_porteur": carrier}
            for carried, carrier in catalogue.carriers
        ],
    )


def individu_row(student: Student, year: str) -> Row:
    surname = labels.ascii_fold(student.surname).upper()
    return {
        "cod_ind": student.cod_ind,
        "cod_etu": student.cod_etu,
        "cod_nne_ind": student.ine[:10],
        "cod_cle_nne_ind": student.ine[10:],
        "lib_nom_pat_ind": surname[:30],
        "lib_nom_usu_ind": None,
        "lib_pr1_ind": labels.ascii_fold(student.given).upper()[:20],
        "lib_pr2_ind": None,
        "date_nai_ind": student.birth,
        "cod_sex_etu": student.sex,
        "cod_anu_srt_ind": None,
        "dat_cre_ind": year_date(year, 7, 1),
        "dat_mod_ind": None,
    }


def group_rows(population: Population) -> Iterator[tuple[Table, list[Row]]]:
    groups: list[Group] = population.groups
    yield (
        s.groupe,
        [
            {
                "cod_gpe": g.code,
                "cod_ext_gpe": g.external,
                "lib_gpe": g.label,
                "cod_tgr": g.kind,
                "daa_deb_val_gpe": g.first_year,
                "daa_fin_val_gpe": g.last_year,
            }
            for g in groups
        ],
    )
    yield (
        s.gpe_obj,
        [
            {
                "cod_gpo": g.code,
                "cod_gpe": g.code,
                "typ_obj_gpo": "ELP" if g.element is not None else "VET",
                "cod_elp": g.element,
                "cod_etp": g.etape[0] if g.etape else None,
                "cod_vrs_vet": g.etape[1] if g.etape else None,
            }
            for g in groups
        ],
    )
    yield (
        s.gpe_inclus_gpe,
        [{"cod_gpe_1": g.parent, "cod_gpe_2": g.code} for g in groups if g.parent is not None],
    )
