"""The opening of the next academic year (`evolve --rollover`).

ANNEE_UNI: the open year closes (F), the next one opens (O), one more is announced (I).
Accreditations whose recruitment ends this year are renewed (VDI ranges extended). Students
validly registered go on to the next étape of their diplôme (or repeat it, with elements
acquired earlier); those in the last étape graduate and leave, some others drop out; new
students enter the first étapes. Their registrations, contracts and group memberships of the
new year are written in bulk, like the generator's; teaching loads and carriers are carried
over; the LDIF and ADE files follow.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from ..apogee import schema as s
from . import labels
from .apogee_writer import Inserter
from .files_evolve import FileChanges

if TYPE_CHECKING:
    from .evolve import EvolutionSummary

EtapeKey = tuple[str, int]


def _years(c: Connection, year: str, summary: EvolutionSummary) -> str:
    y = int(year)
    a = s.annee_uni
    c.execute(
        update(a)
        .where(a.c.cod_anu == year)
        .values(eta_anu_iae="F", eta_anu_ipe="F", eta_anu_res="F")
    )
    known = {row for (row,) in c.execute(select(a.c.cod_anu))}
    for value, state in ((y + 1, "O"), (y + 2, "I")):
        text = str(value)
        if text in known:
            c.execute(
                update(a)
                .where(a.c.cod_anu == text)
                .values(eta_anu_iae=state, eta_anu_ipe=state, eta_anu_res=state)
            )
        else:
            c.execute(
                a.insert(),
                [
                    {
                        "cod_anu": text,
                        "eta_anu_iae": state,
                        "lib_anu": f"Année universitaire {value}/{value + 1}",
                        "lic_anu": f"{value}/{str(value + 1)[2:]}",
                        "eta_anu_ipe": state,
                        "eta_anu_res": state,
                    }
                ],
            )
    summary.record("years_closed", year)
    summary.record("years_opened", str(y + 1))
    return str(y + 1)


def _renew(c: Connection, year: str, summary: EvolutionSummary) -> None:
    y = int(year)
    f, v = s.vdi_fractionner_vet, s.version_diplome
    result = c.execute(
        update(f)
        .where(f.c.daa_fin_rct_vet == year)
        .values(daa_fin_rct_vet=str(y + 5), daa_fin_val_vet=str(y + 6))
    )
    summary.counts["vdi_ranges_extended"] = int(result.rowcount or 0)
    c.execute(
        update(v)
        .where(v.c.daa_fin_rct_vdi == year)
        .values(daa_fin_rct_vdi=str(y + 5), daa_fin_val_vdi=str(y + 6))
    )


def open_next_year(
    c: Connection,
    year: str,
    rng: random.Random,
    summary: EvolutionSummary,
    files: FileChanges,
) -> None:
    from .evolve import Night

    nxt = _years(c, year, summary)
    _renew(c, year, summary)
    current = Night(c, year, rng)
    coming = Night(c, nxt, rng)
    by_rank: dict[tuple[str, int, int], EtapeKey] = {}
    for key, items in sorted(coming.vdis.items()):
        for dip, vdi, position in items:
            by_rank.setdefault((dip, vdi, int(position)), key)
    offered_next = set(coming.offered)
    mains = [row for row in current.iae if row[4] == "O"]
    decided: set[int] = set()
    plan: list[tuple[int, EtapeKey, bool]] = []
    firsts: list[EtapeKey] = []
    for row in mains:
        cod_ind, key = int(row[0]), (row[1], int(row[2]))
        if cod_ind in decided:
            continue
        decided.add(cod_ind)
        dip, vdi = row[5], int(row[6])
        rank = int(
            next((r for d, v, r in current.vdis.get(key, []) if (d, v) == (dip, vdi)), "1") or 1
        )
        if rank == 1 and key in offered_next:
            firsts.append(key)
        if row[3] != "E":
            summary.record("leavers", cod_ind)
            files.leavers.append(cod_ind)
            continue
        roll = rng.random()
        after = by_rank.get((dip, vdi, rank + 1))
        if roll < 0.75 and after is not None and after in offered_next:
            plan.append((cod_ind, after, False))
            summary.record("continuing", cod_ind)
        elif roll < 0.75:
            summary.record("graduates", cod_ind)
            files.leavers.append(cod_ind)
        elif roll < 0.87 and key in offered_next:
            plan.append((cod_ind, key, True))
            summary.record("repeating", cod_ind)
        else:
            summary.record("leavers", cod_ind)
            files.leavers.append(cod_ind)
    leaving = summary.counts.get("leavers", 0) + summary.counts.get("graduates", 0)
    inserter = Inserter(c)
    next_etu = coming.next_cod_etu(nxt)
    for number in range(leaving if firsts else 0):
        key = rng.choice(firsts)
        cod_ind = coming.next_ind
        coming.next_ind += 1
        cod_etu: int | None = None if number % 500 == 0 else next_etu
        if cod_etu is not None:
            next_etu += 1
        sex, given, surname = labels.person_names(rng)
        inserter.add(
            s.individu,
            {
                "cod_ind": cod_ind,
                "cod_etu": cod_etu,
                "cod_nne_ind": f"{cod_ind * 37:010d}"[:10],
                "cod_cle_nne_ind": "B",
                "lib_nom_pat_ind": labels.ascii_fold(surname).upper()[:30],
                "lib_nom_usu_ind": None,
                "lib_pr1_ind": labels.ascii_fold(given).upper()[:20],
                "lib_pr2_ind": None,
                "date_nai_ind": date(int(nxt) - 18, 3, 3),
                "cod_sex_etu": sex,
                "cod_anu_srt_ind": None,
                "dat_cre_ind": datetime(int(nxt), 7, 1),
                "dat_mod_ind": None,
            },
        )
        plan.append((cod_ind, key, False))
        summary.record("new_students", cod_ind)
        if cod_etu is not None:
            files.new_students.append((cod_ind, cod_etu, sex, given, surname, key))
    newcomers = set(summary.details.get("new_students", []))
    for cod_ind, key, repeater in plan:
        _register(inserter, coming, cod_ind, key, nxt, repeater)
        if cod_ind not in newcomers:
            files.continuing.append((cod_ind, key))
    _carry(c, inserter, year, nxt, summary)
    inserter.flush()
    summary.counts["iae_rows"] = inserter.counts.get("ins_adm_etp", 0)
    summary.counts["ip_rows"] = inserter.counts.get("ind_contrat_elp", 0)
    summary.counts["memberships"] = inserter.counts.get("ind_affecte_gpe", 0)
    files.next_year = nxt
    summary.year = nxt


def _register(
    inserter: Inserter, coming: Any, cod_ind: int, key: EtapeKey, year: str, repeater: bool
) -> None:
    rng = coming.rng
    dip, vdi, _rank = coming.vdis.get(key, [("", 0, "1")])[-1]
    cmp = coming.composante_of.get(key, "")
    now = datetime(int(year), 7, 20, 10, 0, 0)
    profile = "AJ" if repeater else "NO"
    inserter.add(
        s.ins_adm_anu,
        {
            "cod_anu": year,
            "cod_ind": cod_ind,
            "eta_iaa": "E",
            "cod_rgi": "1",
            "cod_pru": profile,
            "dat_cre_iaa": now.date(),
            "dat_mod_iaa": None,
        },
    )
    inserter.add(
        s.ins_adm_etp,
        {
            "cod_anu": year,
            "cod_ind": cod_ind,
            "cod_etp": key[0],
            "cod_vrs_vet": key[1],
            "num_occ_iae": 1,
            "cod_dip": dip,
            "cod_vrs_vdi": vdi,
            "cod_cmp": cmp,
            "cod_cge": cmp,
            "eta_iae": "E",
            "eta_pmt_iae": "P",
            "tem_iae_prm": "O",
            "cod_pru": profile,
            "dat_cre_iae": now,
            "dat_mod_iae": None,
        },
    )
    graph = coming.graph
    contract = graph.contract(key, rng, date(int(year), 9, 1))
    acquired: set[str] = set()
    if repeater:
        for elp, _lse, father in contract:
            if (graph.elements[elp].nature == "UE" and rng.random() < 0.35) or (
                father is not None and father in acquired
            ):
                acquired.add(elp)
    groups: set[int] = set()
    for elp, lse, father in contract:
        prc = "O" if elp in acquired else "N"
        inserter.add(
            s.ind_contrat_elp,
            {
                "cod_anu": year,
                "cod_ind": cod_ind,
                "cod_etp": key[0],
                "cod_vrs_vet": key[1],
                "cod_elp": elp,
                "cod_lse": lse,
                "cod_elp_sup": father,
                "tem_prc_ice": prc,
                "cod_cip": cmp[:3],
                "cod_pel": graph.elements[elp].period,
                "daa_uni_con": year,
                "dat_cre_elp_con": now,
                "dat_mod_ice": None,
            },
        )
        choices = coming.groups_of_element.get(elp)
        if prc == "N" and choices:
            groups.add(rng.choice(choices))
    choices = coming.groups_of_etape.get(key)
    if choices:
        groups.add(rng.choice(choices))
    for code in sorted(groups):
        inserter.add(s.ind_affecte_gpe, {"cod_anu": year, "cod_ind": cod_ind, "cod_gpe": code})


def _carry(
    c: Connection, inserter: Inserter, year: str, nxt: str, summary: EvolutionSummary
) -> None:
    """Teaching loads and carried/carrier pairs of the year, renewed for the next."""
    for table, key in (
        (s.elp_charge_ens, "teaching_loads_renewed"),
        (s.elp_porteur_porte, "carriers_renewed"),
    ):
        existing = int(
            c.execute(
                select(func.count()).select_from(table).where(table.c.cod_anu == nxt)
            ).scalar_one()
        )
        if existing:
            continue
        rows = [
            dict(row) for row in c.execute(select(table).where(table.c.cod_anu == year)).mappings()
        ]
        for row in rows:
            row["cod_anu"] = nxt
            inserter.add(table, row)
        summary.counts[key] = len(rows)
