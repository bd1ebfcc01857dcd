"""The subset of Apogée's tables that jonction reads, with Apogée's own names, types and widths.

Names are declared in lower case so that SQLAlchemy treats them as case-insensitive: the same
unquoted SQL (`SELECT COD_ELP FROM ELEMENT_PEDAGOGI`) then works on Oracle (upper-case
identifiers), PostgreSQL (folded to lower case) and SQLite. Years (COD_ANU, DAA_*) are text,
versions (COD_VRS_VET, COD_VRS_VDI) and COD_IND are numbers, as in a real Apogée.
Keys follow the schema-derived mappings cited in shared/apogee/README.md; tables whose key is
not published get the natural key the README infers.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
)

metadata = MetaData()


def _v(name: str, width: int, *, nullable: bool = True, primary_key: bool = False) -> Column[str]:
    return Column(
        name, String(width), nullable=nullable and not primary_key, primary_key=primary_key
    )


def _version(name: str, *, nullable: bool = False, primary_key: bool = False) -> Column[int]:
    # NUMBER(3): 1, 2, 140, 900…
    return Column(name, Integer, nullable=nullable and not primary_key, primary_key=primary_key)


annee_uni = Table(
    "annee_uni",
    metadata,
    _v("cod_anu", 4, primary_key=True),
    _v("eta_anu_iae", 1, nullable=False),
    _v("lib_anu", 40, nullable=False),
    _v("lic_anu", 10, nullable=False),
    _v("eta_anu_ipe", 1, nullable=False),
    _v("eta_anu_res", 1, nullable=False),
)

typ_composante = Table(
    "typ_composante",
    metadata,
    _v("cod_tpc", 3, primary_key=True),
    _v("lib_tpc", 40, nullable=False),
    _v("tem_en_sve_tpc", 1, nullable=False),
)

composante = Table(
    "composante",
    metadata,
    _v("cod_cmp", 3, primary_key=True),
    _v("lib_cmp", 80, nullable=False),
    _v("lic_cmp", 10, nullable=False),
    _v("tem_en_sve_cmp", 1, nullable=False),
    _v("cod_tpc", 3, nullable=False),
    _v("lib_web_cmp", 120),
)

diplome = Table(
    "diplome",
    metadata,
    _v("cod_dip", 7, primary_key=True),
    _v("lib_dip", 60, nullable=False),
    _v("lic_dip", 25, nullable=False),
    _v("cod_tpd_etb", 2, nullable=False),
    _v("cod_cyc", 1, nullable=False),
)

version_diplome = Table(
    "version_diplome",
    metadata,
    _v("cod_dip", 7, primary_key=True),
    _version("cod_vrs_vdi", primary_key=True),
    _v("lic_vdi", 25, nullable=False),
    _v("lib_web_vdi", 120),
    _v("cod_cmp", 3),
    _v("daa_deb_rct_vdi", 4, nullable=False),
    _v("daa_fin_rct_vdi", 4, nullable=False),
    _v("daa_deb_val_vdi", 4, nullable=False),
    _v("daa_fin_val_vdi", 4, nullable=False),
    Column("dur_ann_vdi", Integer),
)

etape = Table(
    "etape",
    metadata,
    _v("cod_etp", 6, primary_key=True),
    _v("lib_etp", 60, nullable=False),
    _v("lic_etp", 25, nullable=False),
    _v("cod_cyc", 1, nullable=False),
    _v("cod_cur", 1),
)

version_etape = Table(
    "version_etape",
    metadata,
    _v("cod_etp", 6, primary_key=True),
    _version("cod_vrs_vet", primary_key=True),
    _v("lib_web_vet", 120),
    _v("cod_cmp", 3, nullable=False),
    _v("cod_due", 2, nullable=False),
    # Télé-enseignement: jonction reads it as the FOAD (distance learning) flag.
    _v("tem_tls_vet", 1, nullable=False),
)

vdi_fractionner_vet = Table(
    "vdi_fractionner_vet",
    metadata,
    _v("cod_dip", 7, primary_key=True),
    _version("cod_vrs_vdi", primary_key=True),
    _v("cod_etp", 6, primary_key=True),
    _version("cod_vrs_vet", primary_key=True),
    _v("daa_deb_rct_vet", 4, nullable=False),
    _v("daa_fin_rct_vet", 4, nullable=False),
    _v("daa_deb_val_vet", 4, nullable=False),
    _v("daa_fin_val_vet", 4, nullable=False),
    _v("cod_sis_daa_min", 2),
)

nature_elp = Table(
    "nature_elp",
    metadata,
    _v("cod_nel", 4, primary_key=True),
    _v("lib_nel", 40, nullable=False),
    _v("lic_nel", 10, nullable=False),
    _v("tem_en_sve_nel", 1, nullable=False),
    _v("tem_fictif", 1),
)

periode_elp = Table(
    "periode_elp",
    metadata,
    _v("cod_pel", 2, primary_key=True),
    _v("lib_pel", 40, nullable=False),
    _v("lic_pel", 10, nullable=False),
    _v("tem_en_sve_pel", 1, nullable=False),
)

element_pedagogi = Table(
    "element_pedagogi",
    metadata,
    _v("cod_elp", 8, primary_key=True),
    _v("lib_elp", 60, nullable=False),
    _v("lic_elp", 25, nullable=False),
    _v("cod_nel", 4, nullable=False),
    _v("cod_pel", 2),
    _v("cod_cmp", 3, nullable=False),
    _v("eta_elp", 1, nullable=False),
    _v("tem_sus_elp", 1, nullable=False),
    _v("lib_sus_elp", 40),
    Column("nbr_crd_elp", Numeric(5, 2)),
    Column("dat_cre_elp", Date, nullable=False),
    Column("dat_mod_elp", Date),
    _v("tem_a_dis_elp", 1),
)

elp_libelle = Table(
    "elp_libelle",
    metadata,
    _v("cod_elp", 8, primary_key=True),
    _v("cod_lng", 4, primary_key=True),
    _v("lib_elp_lng", 4000),
)

liste_elp = Table(
    "liste_elp",
    metadata,
    _v("cod_lse", 8, primary_key=True),
    _v("cod_typ_lse", 1, nullable=False),
    _v("eta_lse", 1, nullable=False),
    _v("lic_lse", 25, nullable=False),
    _v("lib_lse", 60, nullable=False),
)

vet_regroupe_lse = Table(
    "vet_regroupe_lse",
    metadata,
    _v("cod_etp", 6, primary_key=True),
    _version("cod_vrs_vet", primary_key=True),
    _v("cod_lse", 8, primary_key=True),
    Column("nbr_min_elp_obl_chx_vet", Integer),
    Column("nbr_max_elp_obl_chx_vet", Integer),
    Column("dat_cre_rel_lse_vet", Date),
    Column("dat_frm_rel_lse_vet", Date),
)

lse_regroupe_elp = Table(
    "lse_regroupe_elp",
    metadata,
    _v("cod_lse", 8, primary_key=True),
    _v("cod_elp", 8, primary_key=True),
)

elp_regroupe_lse = Table(
    "elp_regroupe_lse",
    metadata,
    _v("cod_elp", 8, primary_key=True),
    _v("cod_lse", 8, primary_key=True),
    Column("dat_cre_rel_lse_elp", Date, nullable=False),
    Column("dat_frm_rel_lse_elp", Date),
    Column("nbr_min_elp_obl_chx", Integer),
    Column("nbr_max_elp_obl_chx", Integer),
    Column("num_ord_erl", Integer),
)

# The flattened father → list → child relation; COD_ELP_PERE is NULL under an étape, so the
# table has no primary key (a NULL cannot be part of one) but a natural unique triple.
elp_regroupe_elp = Table(
    "elp_regroupe_elp",
    metadata,
    _v("cod_elp_pere", 8),
    _v("cod_lse", 8, nullable=False),
    _v("cod_elp_fils", 8, nullable=False),
    _v("cod_typ_lse", 1),
    _v("eta_lse", 1),
    _v("eta_elp_pere", 1),
    _v("eta_elp_fils", 1),
    _v("tem_sus_elp_pere", 1),
    _v("tem_sus_elp_fils", 1),
    Column("date_fermeture_lien", Date),
)

elp_charge_ens = Table(
    "elp_charge_ens",
    metadata,
    _v("cod_elp", 8, primary_key=True),
    _v("cod_anu", 4, primary_key=True),
    _v("cod_etp_porteuse", 6),
    _version("cod_vrs_vet_porteuse", nullable=True),
    _v("cod_scc", 4),
    Column("nbr_heu_cm_elp", Numeric(6, 2)),
    Column("nbr_heu_td_elp", Numeric(6, 2)),
    Column("nbr_heu_tp_elp", Numeric(6, 2)),
    _v("tem_cal_chg", 1),
)

# Mutualised teaching for a year: the carried element is taught through the carrier.
elp_porteur_porte = Table(
    "elp_porteur_porte",
    metadata,
    _v("cod_anu", 4, primary_key=True),
    _v("cod_elp_porte", 8, primary_key=True),
    _v("cod_elp_porteur", 8, nullable=False),
)

individu = Table(
    "individu",
    metadata,
    Column("cod_ind", Integer, primary_key=True),
    Column("cod_etu", Integer, nullable=True),
    _v("cod_nne_ind", 10),
    _v("cod_cle_nne_ind", 1),
    _v("lib_nom_pat_ind", 30, nullable=False),
    _v("lib_nom_usu_ind", 30),
    _v("lib_pr1_ind", 20, nullable=False),
    _v("lib_pr2_ind", 20),
    Column("date_nai_ind", Date),
    _v("cod_sex_etu", 1),
    _v("cod_anu_srt_ind", 4),
    Column("dat_cre_ind", DateTime),
    Column("dat_mod_ind", DateTime),
)

# The yearly administrative file; every INS_ADM_ETP row belongs to one.
ins_adm_anu = Table(
    "ins_adm_anu",
    metadata,
    _v("cod_anu", 4, primary_key=True),
    Column("cod_ind", Integer, primary_key=True),
    _v("eta_iaa", 1),
    _v("cod_rgi", 1),
    _v("cod_pru", 2),
    Column("dat_cre_iaa", Date),
    Column("dat_mod_iaa", Date),
)

ins_adm_etp = Table(
    "ins_adm_etp",
    metadata,
    _v("cod_anu", 4, primary_key=True),
    Column("cod_ind", Integer, primary_key=True),
    _v("cod_etp", 6, primary_key=True),
    _version("cod_vrs_vet", primary_key=True),
    Column("num_occ_iae", Integer, primary_key=True),
    _v("cod_dip", 7, nullable=False),
    _version("cod_vrs_vdi"),
    _v("cod_cmp", 3, nullable=False),
    _v("cod_cge", 3),
    _v("eta_iae", 1, nullable=False),
    _v("eta_pmt_iae", 1, nullable=False),
    _v("tem_iae_prm", 1, nullable=False),
    _v("cod_pru", 2, nullable=False),
    Column("dat_cre_iae", DateTime),
    Column("dat_mod_iae", DateTime),
)

ind_contrat_elp = Table(
    "ind_contrat_elp",
    metadata,
    _v("cod_anu", 4, primary_key=True),
    Column("cod_ind", Integer, primary_key=True),
    _v("cod_etp", 6, primary_key=True),
    _version("cod_vrs_vet", primary_key=True),
    _v("cod_elp", 8, primary_key=True),
    _v("cod_lse", 8, nullable=False),
    _v("cod_elp_sup", 8),
    _v("tem_prc_ice", 1, nullable=False),
    _v("cod_cip", 3, nullable=False),
    _v("cod_pel", 2),
    _v("daa_uni_con", 4, nullable=False),
    Column("dat_cre_elp_con", DateTime, nullable=False),
    Column("dat_mod_ice", DateTime),
)

groupe = Table(
    "groupe",
    metadata,
    Column("cod_gpe", Integer, primary_key=True),
    _v("cod_ext_gpe", 10, nullable=False),
    _v("lib_gpe", 40),
    _v("cod_tgr", 4),
    _v("daa_deb_val_gpe", 4),
    _v("daa_fin_val_gpe", 4),
)

gpe_obj = Table(
    "gpe_obj",
    metadata,
    Column("cod_gpo", Integer, primary_key=True),
    Column("cod_gpe", Integer, nullable=False),
    _v("typ_obj_gpo", 3, nullable=False),
    _v("cod_elp", 8),
    _v("cod_etp", 6),
    _version("cod_vrs_vet", nullable=True),
)

ind_affecte_gpe = Table(
    "ind_affecte_gpe",
    metadata,
    _v("cod_anu", 4),
    Column("cod_ind", Integer),
    Column("cod_gpe", Integer),
    PrimaryKeyConstraint("cod_anu", "cod_ind", "cod_gpe"),
)

gpe_inclus_gpe = Table(
    "gpe_inclus_gpe",
    metadata,
    Column("cod_gpe_1", Integer, primary_key=True),
    Column("cod_gpe_2", Integer, primary_key=True),
)

# The tables a sync reads, in the order a generator fills them.
TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)
