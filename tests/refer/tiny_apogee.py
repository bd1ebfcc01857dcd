"""A tiny hand-made Apogée: rows with sensible defaults, written through Apogée's schema."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert

from jonction.db import make_engine
from jonction.sources.apogee import schema

CREATED = date(2020, 1, 1)


class TinyApogee:
    def __init__(self, year: str = "2026") -> None:
        self.year = year
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._composantes: set[str] = set()
        self._diplomes: set[tuple[str, int]] = set()

    def _add(self, table: str, **values: Any) -> None:
        self.rows[table].append(values)

    # Structure -------------------------------------------------------------------------------

    def composante(
        self, code: str, *, in_service: str = "O", kind: str = "UFR", label: str | None = None
    ) -> TinyApogee:
        self._composantes.add(code)
        # Declaring a composante again replaces it.
        self.rows["composante"] = [r for r in self.rows["composante"] if r["cod_cmp"] != code]
        self._add(
            "composante",
            cod_cmp=code,
            lib_cmp=label or f"Composante {code}",
            lic_cmp=code,
            tem_en_sve_cmp=in_service,
            cod_tpc=kind,
        )
        return self

    def diplome(
        self, code: str, version: int = 1, *, cmp: str = "SCI", label: str | None = None
    ) -> TinyApogee:
        if (code, version) in self._diplomes:
            return self
        self._diplomes.add((code, version))
        if not any(row["cod_dip"] == code for row in self.rows["diplome"]):
            self._add(
                "diplome",
                cod_dip=code,
                lib_dip=label or f"Diplôme {code}",
                lic_dip=code,
                cod_tpd_etb="LI",
                cod_cyc="1",
            )
        self._add(
            "version_diplome",
            cod_dip=code,
            cod_vrs_vdi=version,
            lic_vdi=code,
            lib_web_vdi=None,
            cod_cmp=cmp,
            daa_deb_rct_vdi="2000",
            daa_fin_rct_vdi="2099",
            daa_deb_val_vdi="2000",
            daa_fin_val_vdi="2099",
        )
        return self

    def etape(
        self,
        code: str,
        version: int = 1,
        *,
        diplome: tuple[str, int] = ("DIP", 1),
        cmp: str = "SCI",
        foad: str = "N",
        label: str | None = None,
        web_label: str | None = None,
        validity: tuple[str, str] = ("2020", "2030"),
        recruitment: tuple[str, str] = ("2020", "2030"),
    ) -> TinyApogee:
        if cmp not in self._composantes:
            self.composante(cmp)
        self.diplome(*diplome, cmp=cmp)
        if not any(row["cod_etp"] == code for row in self.rows["etape"]):
            self._add(
                "etape",
                cod_etp=code,
                lib_etp=label or f"Étape {code}",
                lic_etp=code,
                cod_cyc="1",
            )
        self._add(
            "version_etape",
            cod_etp=code,
            cod_vrs_vet=version,
            lib_web_vet=web_label,
            cod_cmp=cmp,
            cod_due="1",
            tem_tls_vet=foad,
        )
        self.offer(code, version, diplome, validity=validity, recruitment=recruitment)
        return self

    def offer(
        self,
        code: str,
        version: int,
        diplome: tuple[str, int],
        *,
        validity: tuple[str, str] = ("2020", "2030"),
        recruitment: tuple[str, str] = ("2020", "2030"),
    ) -> TinyApogee:
        self.diplome(*diplome)
        self._add(
            "vdi_fractionner_vet",
            cod_dip=diplome[0],
            cod_vrs_vdi=diplome[1],
            cod_etp=code,
            cod_vrs_vet=version,
            daa_deb_rct_vet=recruitment[0],
            daa_fin_rct_vet=recruitment[1],
            daa_deb_val_vet=validity[0],
            daa_fin_val_vet=validity[1],
        )
        return self

    def nature(self, code: str, *, fictitious: str | None = "N") -> TinyApogee:
        self._add(
            "nature_elp",
            cod_nel=code,
            lib_nel=code,
            lic_nel=code,
            tem_en_sve_nel="O",
            tem_fictif=fictitious,
        )
        return self

    def element(
        self,
        code: str,
        *,
        nature: str = "UE",
        state: str = "O",
        suspended: str = "N",
        label: str | None = None,
        short: str | None = None,
        cmp: str = "SCI",
        credits: float | None = None,
        period: str | None = None,
    ) -> TinyApogee:
        self._add(
            "element_pedagogi",
            cod_elp=code,
            lib_elp=label or f"Élément {code}",
            lic_elp=short or code,
            cod_nel=nature,
            cod_pel=period,
            cod_cmp=cmp,
            eta_elp=state,
            tem_sus_elp=suspended,
            nbr_crd_elp=credits,
            dat_cre_elp=CREATED,
        )
        return self

    def elements(self, *codes: str, **options: Any) -> TinyApogee:
        for code in codes:
            self.element(code, **options)
        return self

    def long_label(self, code: str, text: str, language: str = "FRAN") -> TinyApogee:
        self._add("elp_libelle", cod_elp=code, cod_lng=language, lib_elp_lng=text)
        return self

    def liste(self, code: str, *elements: str, state: str = "O", kind: str = "O") -> TinyApogee:
        self._add(
            "liste_elp", cod_lse=code, cod_typ_lse=kind, eta_lse=state, lic_lse=code, lib_lse=code
        )
        for element in elements:
            self._add("lse_regroupe_elp", cod_lse=code, cod_elp=element)
        return self

    def under_etape(
        self, etape: str, liste: str, version: int = 1, *, closing: date | None = None
    ) -> TinyApogee:
        self._add(
            "vet_regroupe_lse",
            cod_etp=etape,
            cod_vrs_vet=version,
            cod_lse=liste,
            dat_cre_rel_lse_vet=CREATED,
            dat_frm_rel_lse_vet=closing,
        )
        return self

    def under_element(self, element: str, liste: str, *, closing: date | None = None) -> TinyApogee:
        self._add(
            "elp_regroupe_lse",
            cod_elp=element,
            cod_lse=liste,
            dat_cre_rel_lse_elp=CREATED,
            dat_frm_rel_lse_elp=closing,
        )
        return self

    def charge(self, element: str, etape: str, version: int = 1) -> TinyApogee:
        self._add(
            "elp_charge_ens",
            cod_elp=element,
            cod_anu=self.year,
            cod_etp_porteuse=etape,
            cod_vrs_vet_porteuse=version,
        )
        return self

    # People ------------------------------------------------------------------------------------

    def individu(
        self,
        cod_ind: int,
        cod_etu: int | None = -1,
        *,
        last: str = "Martin",
        used: str | None = None,
        first: str = "Léa",
    ) -> TinyApogee:
        self._add(
            "individu",
            cod_ind=cod_ind,
            cod_etu=21_000_000 + cod_ind if cod_etu == -1 else cod_etu,
            lib_nom_pat_ind=last,
            lib_nom_usu_ind=used,
            lib_pr1_ind=first,
        )
        return self

    def iae(
        self,
        cod_ind: int,
        etape: str,
        version: int = 1,
        *,
        state: str = "E",
        payment: str = "P",
        occurrence: int = 1,
        diplome: tuple[str, int] = ("DIP", 1),
        cmp: str = "SCI",
        main: str = "O",
        year: str | None = None,
    ) -> TinyApogee:
        self._add(
            "ins_adm_etp",
            cod_anu=year or self.year,
            cod_ind=cod_ind,
            cod_etp=etape,
            cod_vrs_vet=version,
            num_occ_iae=occurrence,
            cod_dip=diplome[0],
            cod_vrs_vdi=diplome[1],
            cod_cmp=cmp,
            eta_iae=state,
            eta_pmt_iae=payment,
            tem_iae_prm=main,
            cod_pru="NO",
        )
        return self

    def ip(
        self,
        cod_ind: int,
        etape: str,
        element: str,
        version: int = 1,
        *,
        acquired: str = "N",
        liste: str = "L",
        year: str | None = None,
    ) -> TinyApogee:
        self._add(
            "ind_contrat_elp",
            cod_anu=year or self.year,
            cod_ind=cod_ind,
            cod_etp=etape,
            cod_vrs_vet=version,
            cod_elp=element,
            cod_lse=liste,
            cod_elp_sup=None,
            tem_prc_ice=acquired,
            cod_cip="C1",
            daa_uni_con=year or self.year,
            dat_cre_elp_con=datetime(2026, 9, 1),
        )
        return self

    def group(
        self,
        code: int,
        ext: str,
        *,
        label: str | None = "Groupe",
        element: str | None = None,
        etape: tuple[str, int] | None = None,
        kind: str = "TD",
        valid: tuple[str | None, str | None] = (None, None),
        objects: int = 1,
    ) -> TinyApogee:
        self._add(
            "groupe",
            cod_gpe=code,
            cod_ext_gpe=ext,
            lib_gpe=label,
            cod_tgr=kind,
            daa_deb_val_gpe=valid[0],
            daa_fin_val_gpe=valid[1],
        )
        for index in range(objects):
            self._add(
                "gpe_obj",
                cod_gpo=code * 10 + index,
                cod_gpe=code,
                typ_obj_gpo="ELP" if element else "VET",
                cod_elp=element,
                cod_etp=etape[0] if etape else None,
                cod_vrs_vet=etape[1] if etape else None,
            )
        return self

    def nest(self, outer: int, inner: int) -> TinyApogee:
        self._add("gpe_inclus_gpe", cod_gpe_1=outer, cod_gpe_2=inner)
        return self

    def member(self, cod_ind: int, group: int, *, year: str | None = None) -> TinyApogee:
        self._add("ind_affecte_gpe", cod_anu=year or self.year, cod_ind=cod_ind, cod_gpe=group)
        return self

    # Writing -----------------------------------------------------------------------------------

    def write(self, url: str) -> Engine:
        """Creates Apogée's tables at `url` (if needed) and replaces their rows by these."""
        engine = make_engine(url)
        schema.metadata.create_all(engine)
        with engine.begin() as connection:
            for table in reversed(schema.TABLES):
                connection.execute(delete(table))
            for table in schema.TABLES:
                rows = self.rows.get(table.name)
                if rows:
                    connection.execute(insert(table), rows)
        return engine


def small_university(year: str = "2026") -> TinyApogee:
    """Two étapes sharing a language element, a semester level, a few students and groups."""
    apogee = TinyApogee(year)
    apogee.composante("SCI", label="UFR des Sciences").composante("LET")
    apogee.etape("SLMAT1", 140, diplome=("SLMAT", 140), web_label="Licence 1 Mathématiques")
    apogee.etape("SLINF1", 900, diplome=("SLINF", 900), foad="O", label="L1 Informatique")
    apogee.nature("UE").nature("SEM").nature("TECH", fictitious="O")
    apogee.element("SMA1S1", nature="SEM", label="Semestre 1")
    apogee.elements("SMA1U1", "SMA1U2", credits=6.0)
    apogee.element("LANG1", cmp="LET", label="Anglais")
    apogee.element("SIN1U1", label="Algorithmique")
    apogee.liste("LMAT1", "SMA1S1").under_etape("SLMAT1", "LMAT1", 140)
    apogee.liste("LMAT1S1", "SMA1U1", "SMA1U2").under_element("SMA1S1", "LMAT1S1")
    apogee.liste("LLANG", "LANG1").under_element("SMA1S1", "LLANG")
    apogee.liste("LINF1", "SIN1U1", "LANG1").under_etape("SLINF1", "LINF1", 900)
    apogee.charge("LANG1", "SLMAT1", 140)
    for cod_ind in (1, 2, 3):
        apogee.individu(cod_ind)
        apogee.iae(cod_ind, "SLMAT1", 140, diplome=("SLMAT", 140))
        for element in ("SMA1S1", "SMA1U1", "SMA1U2", "LANG1"):
            apogee.ip(cod_ind, "SLMAT1", element, 140)
    apogee.individu(4, last="Dupont", used="Durand", first="Zoé")
    apogee.iae(4, "SLINF1", 900, diplome=("SLINF", 900))
    apogee.ip(4, "SLINF1", "SIN1U1", 900).ip(4, "SLINF1", "LANG1", 900)
    apogee.group(10, "TD1", label="TD 1", element="SMA1U1").group(11, "TP1", element="SMA1U1")
    apogee.nest(10, 11)
    apogee.group(12, "GINF", label="Groupe L1 info", etape=("SLINF1", 900))
    apogee.member(1, 10).member(1, 11).member(4, 12)
    return apogee
