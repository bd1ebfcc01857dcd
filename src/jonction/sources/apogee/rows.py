"""The Apogée columns jonction reads, table by table, as named tuples.

Each tuple's field names are column names of `schema.py`: the reader selects exactly these
columns, by name (installations differ in their other columns), and the extraction works on
the tuples.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

Day = date | datetime | None
Number = int | float | Decimal | None


class ComposanteRow(NamedTuple):
    cod_cmp: str
    lib_cmp: str
    tem_en_sve_cmp: str
    cod_tpc: str | None


class DiplomeRow(NamedTuple):
    cod_dip: str
    lib_dip: str


class VersionDiplomeRow(NamedTuple):
    cod_dip: str
    cod_vrs_vdi: int
    lib_web_vdi: str | None
    cod_cmp: str | None


class EtapeRow(NamedTuple):
    cod_etp: str
    lib_etp: str


class VersionEtapeRow(NamedTuple):
    cod_etp: str
    cod_vrs_vet: int
    lib_web_vet: str | None
    cod_cmp: str
    tem_tls_vet: str | None


class FractionRow(NamedTuple):
    """VDI_FRACTIONNER_VET."""

    cod_dip: str
    cod_vrs_vdi: int
    cod_etp: str
    cod_vrs_vet: int
    daa_deb_rct_vet: str | None
    daa_fin_rct_vet: str | None
    daa_deb_val_vet: str | None
    daa_fin_val_vet: str | None


class NatureRow(NamedTuple):
    cod_nel: str


class ElementRow(NamedTuple):
    cod_elp: str
    lib_elp: str
    lic_elp: str
    cod_nel: str
    cod_pel: str | None
    cod_cmp: str
    eta_elp: str
    tem_sus_elp: str
    nbr_crd_elp: Number


class ElementLabelRow(NamedTuple):
    """ELP_LIBELLE in French."""

    cod_elp: str
    lib_elp_lng: str | None


class ListRow(NamedTuple):
    cod_lse: str
    eta_lse: str


class EtapeListRow(NamedTuple):
    """VET_REGROUPE_LSE."""

    cod_etp: str
    cod_vrs_vet: int
    cod_lse: str
    dat_frm_rel_lse_vet: Day


class ListElementRow(NamedTuple):
    """LSE_REGROUPE_ELP."""

    cod_lse: str
    cod_elp: str


class ElementListRow(NamedTuple):
    """ELP_REGROUPE_LSE."""

    cod_elp: str
    cod_lse: str
    dat_frm_rel_lse_elp: Day


class ChargeRow(NamedTuple):
    """ELP_CHARGE_ENS for the year."""

    cod_elp: str
    cod_etp_porteuse: str | None
    cod_vrs_vet_porteuse: int | None


class IndividuRow(NamedTuple):
    cod_ind: int
    cod_etu: Number | str
    lib_nom_pat_ind: str
    lib_nom_usu_ind: str | None
    lib_pr1_ind: str


class AdminRow(NamedTuple):
    """INS_ADM_ETP for the year."""

    cod_ind: int
    cod_etp: str
    cod_vrs_vet: int
    num_occ_iae: int
    cod_dip: str
    cod_vrs_vdi: int
    cod_cmp: str
    eta_iae: str
    eta_pmt_iae: str
    tem_iae_prm: str | None


class ContractRow(NamedTuple):
    """IND_CONTRAT_ELP for the year (read as plain tuples: there are millions)."""

    cod_ind: int
    cod_etp: str
    cod_vrs_vet: int
    cod_elp: str
    tem_prc_ice: str


class GroupRow(NamedTuple):
    cod_gpe: int
    cod_ext_gpe: str
    lib_gpe: str | None
    cod_tgr: str | None
    daa_deb_val_gpe: str | None
    daa_fin_val_gpe: str | None


class GroupObjectRow(NamedTuple):
    """GPE_OBJ: what a group hangs from."""

    cod_gpo: int
    cod_gpe: int
    typ_obj_gpo: str
    cod_elp: str | None
    cod_etp: str | None
    cod_vrs_vet: int | None


class GroupNestingRow(NamedTuple):
    """GPE_INCLUS_GPE: group 2 is inside group 1."""

    cod_gpe_1: int
    cod_gpe_2: int


class MembershipRow(NamedTuple):
    """IND_AFFECTE_GPE for the year."""

    cod_ind: int
    cod_gpe: int
