"""`evolve`: one realistic night of change on a generated university, or the opening of the next
academic year (`rollover`). Deterministic for (database state, seed).

A night: new students (one without COD_ETU), withdrawals (IAE resigned, or cancelled with their
contract removed), optional elements added to and dropped from contracts, students changing
étape, group moves, a new group, a vanished group, a renamed group, renamed elements and
étapes, an étape moved to another diplôme and one to another composante, an element gaining a
parent and another losing one; beside the database, the LDIF gains the new students and loses
the cancelled ones, and ADE loses a teacher's participations and gains a new teacher.
Every change is counted in `EvolutionSummary.counts` and listed in `details`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import Connection, delete, func, inspect, select, update
from sqlalchemy.engine import make_url

from ...db import make_engine
from ..apogee import schema as s
from . import labels, regroupe
from .census import offered_etapes
from .files_evolve import FileChanges, apply_to_files
from .generate import default_paths
from .graph import Graph
from .model import stream, year_date

EtapeKey = tuple[str, int]


class EvolveError(Exception):
    """The database cannot be evolved (not a generated university, no open year…)."""


@dataclass(slots=True)
class EvolutionSummary:
    url: str
    year: str  # the open year after the change
    seed: int
    rollover: bool
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    details: dict[str, list[Any]] = field(default_factory=dict)

    def record(self, kind: str, item: Any) -> None:
        self.details.setdefault(kind, []).append(item)
        self.counts[kind] = self.counts.get(kind, 0) + 1


def open_year(connection: Connection) -> str:
    years = [
        year
        for (year,) in connection.execute(
            select(s.annee_uni.c.cod_anu).where(s.annee_uni.c.eta_anu_iae == "O")
        )
    ]
    if not years:
        raise EvolveError("ANNEE_UNI has no open year (ETA_ANU_IAE = 'O')")
    return str(max(years))


def scaled(base: float, students: int, floor: int = 1) -> int:
    return max(floor, round(base * students / 30000))


class Night:
    """The state a night of change needs, read once, and the helpers that write rows."""

    def __init__(self, connection: Connection, year: str, rng: random.Random) -> None:
        self.c = connection
        self.year = year
        self.rng = rng
        self.graph = Graph.from_db(connection)
        self.offered = offered_etapes(connection, year)
        iae = s.ins_adm_etp
        self.iae = [
            tuple(row)
            for row in connection.execute(
                select(
                    iae.c.cod_ind,
                    iae.c.cod_etp,
                    iae.c.cod_vrs_vet,
                    iae.c.eta_iae,
                    iae.c.tem_iae_prm,
                    iae.c.cod_dip,
                    iae.c.cod_vrs_vdi,
                    iae.c.cod_cmp,
                )
                .where(iae.c.cod_anu == year)
                .order_by(iae.c.cod_ind, iae.c.cod_etp, iae.c.cod_vrs_vet, iae.c.num_occ_iae)
            )
        ]
        self.students = len({row[0] for row in self.iae})
        self.groups_of_element: dict[str, list[int]] = {}
        self.groups_of_etape: dict[EtapeKey, list[int]] = {}
        gpo, gpe = s.gpe_obj, s.groupe
        for code, kind, elp, etp, vrs in connection.execute(
            select(
                gpo.c.cod_gpe, gpo.c.typ_obj_gpo, gpo.c.cod_elp, gpo.c.cod_etp, gpo.c.cod_vrs_vet
            )
            .join(gpe, gpe.c.cod_gpe == gpo.c.cod_gpe)
            .where(func.coalesce(gpe.c.daa_fin_val_gpe, "9999") >= year)
            .order_by(gpo.c.cod_gpe)
        ):
            if kind == "ELP":
                self.groups_of_element.setdefault(elp, []).append(int(code))
            else:
                self.groups_of_etape.setdefault((etp, int(vrs)), []).append(int(code))
        self.vdis: dict[EtapeKey, list[tuple[str, int, str]]] = {}
        f = s.vdi_fractionner_vet
        for dip, vdi, etp, vrs, rank in connection.execute(
            select(f.c.cod_dip, f.c.cod_vrs_vdi, f.c.cod_etp, f.c.cod_vrs_vet, f.c.cod_sis_daa_min)
            .where(f.c.daa_deb_val_vet <= year, f.c.daa_fin_val_vet >= year)
            .order_by(f.c.cod_dip, f.c.cod_vrs_vdi, f.c.cod_etp, f.c.cod_vrs_vet)
        ):
            self.vdis.setdefault((etp, int(vrs)), []).append((dip, int(vdi), rank or "1"))
        vet = s.version_etape
        self.composante_of = {
            (etp, int(vrs)): cmp
            for etp, vrs, cmp in connection.execute(
                select(vet.c.cod_etp, vet.c.cod_vrs_vet, vet.c.cod_cmp)
            )
        }
        self.next_ind = (
            int(connection.execute(select(func.max(s.individu.c.cod_ind))).scalar_one() or 100000)
            + 1
        )

    # ---- row writers ---------------------------------------------------------------------------

    def next_cod_etu(self, year: str) -> int:
        prefix = int(f"2{int(year) % 100:02d}00000")
        ind = s.individu
        top = self.c.execute(
            select(func.max(ind.c.cod_etu)).where(
                ind.c.cod_etu > prefix, ind.c.cod_etu < prefix + 100000
            )
        ).scalar_one()
        return int(top or prefix) + 1

    def register(
        self, cod_ind: int, etape: EtapeKey, year: str, *, repeater: bool = False, main: bool = True
    ) -> int:
        """IAA (if missing), IAE, contract and group memberships; returns the IP row count."""
        etp, vrs = etape
        dip, vdi, _rank = self.vdis.get(etape, [("", 0, "1")])[-1]
        cmp = self.composante_of.get(etape, "")
        now = datetime(int(year), 10, 2, 9, 0, 0)
        iaa = s.ins_adm_anu
        if not self.c.execute(
            select(func.count())
            .select_from(iaa)
            .where(iaa.c.cod_anu == year, iaa.c.cod_ind == cod_ind)
        ).scalar_one():
            self.c.execute(
                iaa.insert(),
                [
                    {
                        "cod_anu": year,
                        "cod_ind": cod_ind,
                        "eta_iaa": "E",
                        "cod_rgi": "1",
                        "cod_pru": "AJ" if repeater else "NO",
                        "dat_cre_iaa": now.date(),
                        "dat_mod_iaa": None,
                    }
                ],
            )
        iae = s.ins_adm_etp
        occurrence = 1 + int(
            self.c.execute(
                select(func.count())
                .select_from(iae)
                .where(
                    iae.c.cod_anu == year,
                    iae.c.cod_ind == cod_ind,
                    iae.c.cod_etp == etp,
                    iae.c.cod_vrs_vet == vrs,
                )
            ).scalar_one()
        )
        self.c.execute(
            iae.insert(),
            [
                {
                    "cod_anu": year,
                    "cod_ind": cod_ind,
                    "cod_etp": etp,
                    "cod_vrs_vet": vrs,
                    "num_occ_iae": occurrence,
                    "cod_dip": dip,
                    "cod_vrs_vdi": vdi,
                    "cod_cmp": cmp,
                    "cod_cge": cmp,
                    "eta_iae": "E",
                    "eta_pmt_iae": "P",
                    "tem_iae_prm": "O" if main else "N",
                    "cod_pru": "AJ" if repeater else "NO",
                    "dat_cre_iae": now,
                    "dat_mod_iae": None,
                }
            ],
        )
        return self.contract(cod_ind, etape, year, now)

    def contract(self, cod_ind: int, etape: EtapeKey, year: str, now: datetime) -> int:
        rows = self.graph.contract(etape, self.rng, year_date(year, 9, 1))
        ip = s.ind_contrat_elp
        existing = {
            elp
            for (elp,) in self.c.execute(
                select(ip.c.cod_elp).where(
                    ip.c.cod_anu == year,
                    ip.c.cod_ind == cod_ind,
                    ip.c.cod_etp == etape[0],
                    ip.c.cod_vrs_vet == etape[1],
                )
            )
        }
        values = [
            {
                "cod_anu": year,
                "cod_ind": cod_ind,
                "cod_etp": etape[0],
                "cod_vrs_vet": etape[1],
                "cod_elp": elp,
                "cod_lse": lse,
                "cod_elp_sup": father,
                "tem_prc_ice": "N",
                "cod_cip": self.composante_of.get(etape, "")[:3],
                "cod_pel": self.graph.elements[elp].period,
                "daa_uni_con": year,
                "dat_cre_elp_con": now,
                "dat_mod_ice": None,
            }
            for elp, lse, father in rows
            if elp not in existing
        ]
        if values:
            self.c.execute(ip.insert(), values)
        member = self.memberships(cod_ind, year)
        joins = []
        for elp, _lse, _father in rows:
            groups = self.groups_of_element.get(elp)
            if groups and not member & set(groups):
                joins.append(self.rng.choice(groups))
        groups = self.groups_of_etape.get(etape)
        if groups and not member & set(groups):
            joins.append(self.rng.choice(groups))
        fresh = sorted(set(joins) - member)
        if fresh:
            self.c.execute(
                s.ind_affecte_gpe.insert(),
                [{"cod_anu": year, "cod_ind": cod_ind, "cod_gpe": code} for code in fresh],
            )
        return len(values)

    def memberships(self, cod_ind: int, year: str) -> set[int]:
        aff = s.ind_affecte_gpe
        return {
            int(code)
            for (code,) in self.c.execute(
                select(aff.c.cod_gpe).where(aff.c.cod_anu == year, aff.c.cod_ind == cod_ind)
            )
        }

    def drop_contract(self, cod_ind: int, etape: EtapeKey) -> int:
        ip = s.ind_contrat_elp
        elements = [
            elp
            for (elp,) in self.c.execute(
                select(ip.c.cod_elp).where(
                    ip.c.cod_anu == self.year,
                    ip.c.cod_ind == cod_ind,
                    ip.c.cod_etp == etape[0],
                    ip.c.cod_vrs_vet == etape[1],
                )
            )
        ]
        self.c.execute(
            delete(ip).where(
                ip.c.cod_anu == self.year,
                ip.c.cod_ind == cod_ind,
                ip.c.cod_etp == etape[0],
                ip.c.cod_vrs_vet == etape[1],
            )
        )
        groups = set(self.groups_of_etape.get(etape, []))
        for elp in elements:
            groups.update(self.groups_of_element.get(elp, []))
        if groups:
            aff = s.ind_affecte_gpe
            self.c.execute(
                delete(aff).where(
                    aff.c.cod_anu == self.year,
                    aff.c.cod_ind == cod_ind,
                    aff.c.cod_gpe.in_(sorted(groups)),
                )
            )
        return len(elements)


def evolve(
    url: str,
    seed: int,
    rollover: bool = False,
    ldif: Path | None = None,
    ade: Path | None = None,
) -> EvolutionSummary:
    """Applies one night of change (or, with `rollover`, opens the next year) to the database
    at `url` and to the LDIF and ADE files beside it when they exist."""
    started = perf_counter()
    ldif_path, ade_path = default_paths(url, ldif, ade)
    engine = make_engine(url)
    try:
        if "annee_uni" not in inspect(engine).get_table_names():
            raise EvolveError(f"{make_url(url).render_as_string()} holds no Apogée tables")
        with engine.begin() as connection:
            year = open_year(connection)
            summary = EvolutionSummary(
                url=make_url(url).render_as_string(hide_password=True),
                year=year,
                seed=seed,
                rollover=rollover,
            )
            rng = stream(seed, f"evolve/{year}/{'rollover' if rollover else 'night'}")
            files = FileChanges()
            if rollover:
                from .rollover import open_next_year

                open_next_year(connection, year, rng, summary, files)
            else:
                night(Night(connection, year, rng), summary, files)
            apply_to_files(connection, files, ldif_path, ade_path, summary, rng)
    finally:
        engine.dispose()
    summary.seconds = round(perf_counter() - started, 1)
    summary.counts = dict(sorted(summary.counts.items()))
    return summary


def night(n: Night, summary: EvolutionSummary, files: FileChanges) -> None:
    size = max(1, n.students)
    valid = [row for row in n.iae if row[3] == "E"]
    _new_students(n, summary, files, scaled(90, size, 2))
    _withdrawals(n, summary, files, valid, scaled(60, size, 2))
    _contract_changes(n, summary, valid, scaled(60, size, 1))
    _etape_changes(n, summary, files, valid, scaled(30, size, 1))
    _groups(n, summary, scaled(150, size, 2))
    _renames(n, summary, scaled(8, size, 2), scaled(3, size, 1))
    _moves(n, summary)
    _parents(n, summary)
    summary.counts["elp_regroupe_elp_rows"] = regroupe.refresh(n.c)
    files.teacher_changes = True


def _new_students(n: Night, summary: EvolutionSummary, files: FileChanges, amount: int) -> None:
    rng = n.rng
    weighted = [(row[1], int(row[2])) for row in n.iae if row[4] == "O"]
    for number in range(amount):
        etape = rng.choice(weighted)
        cod_ind = n.next_ind
        n.next_ind += 1
        cod_etu = None if number == 0 else n.next_cod_etu(n.year)
        sex, given, surname = labels.person_names(rng)
        n.c.execute(
            s.individu.insert(),
            [
                {
                    "cod_ind": cod_ind,
                    "cod_etu": cod_etu,
                    "cod_nne_ind": f"{cod_ind * 31:010d}"[:10],
                    "cod_cle_nne_ind": "K",
                    "lib_nom_pat_ind": labels.ascii_fold(surname).upper()[:30],
                    "lib_nom_usu_ind": None,
                    "lib_pr1_ind": labels.ascii_fold(given).upper()[:20],
                    "lib_pr2_ind": None,
                    "date_nai_ind": date(int(n.year) - 18, 5, 5),
                    "cod_sex_etu": sex,
                    "cod_anu_srt_ind": None,
                    "dat_cre_ind": datetime(int(n.year), 10, 2, 9, 0, 0),
                    "dat_mod_ind": None,
                }
            ],
        )
        rows = n.register(cod_ind, etape, n.year)
        summary.record("new_students", cod_ind)
        summary.counts["ip_added_for_new_students"] = (
            summary.counts.get("ip_added_for_new_students", 0) + rows
        )
        if cod_etu is not None:
            files.new_students.append((cod_ind, cod_etu, sex, given, surname, etape))
        else:
            summary.record("new_students_without_cod_etu", cod_ind)


def _withdrawals(
    n: Night,
    summary: EvolutionSummary,
    files: FileChanges,
    valid: list[tuple[Any, ...]],
    amount: int,
) -> None:
    rng = n.rng
    iae = s.ins_adm_etp
    for number, row in enumerate(rng.sample(valid, min(len(valid), amount))):
        cod_ind, etp, vrs = int(row[0]), row[1], int(row[2])
        state = "R" if number % 2 == 0 else "A"
        n.c.execute(
            update(iae)
            .where(
                iae.c.cod_anu == n.year,
                iae.c.cod_ind == cod_ind,
                iae.c.cod_etp == etp,
                iae.c.cod_vrs_vet == vrs,
                iae.c.eta_iae == "E",
            )
            .values(eta_iae=state, dat_mod_iae=datetime(int(n.year), 10, 2, 9, 0, 0))
        )
        if state == "A":
            removed = n.drop_contract(cod_ind, (etp, vrs))
            summary.record("iae_cancelled", [cod_ind, etp, vrs])
            summary.counts["ip_removed_with_cancellations"] = (
                summary.counts.get("ip_removed_with_cancellations", 0) + removed
            )
            files.departures.append(cod_ind)
        else:
            summary.record("iae_resigned", [cod_ind, etp, vrs])
    touched = {
        item[0]
        for kind in ("iae_cancelled", "iae_resigned")
        for item in summary.details.get(kind, [])
    }
    valid[:] = [row for row in valid if int(row[0]) not in touched]


def _contract_changes(
    n: Night, summary: EvolutionSummary, valid: list[tuple[Any, ...]], amount: int
) -> None:
    """Optional elements added to contracts, and dropped from others."""
    rng = n.rng
    ip = s.ind_contrat_elp
    graph = n.graph
    added = removed = 0
    for row in rng.sample(valid, min(len(valid), amount * 4)):
        cod_ind, etape = int(row[0]), (row[1], int(row[2]))
        taken = {
            elp: (lse, father)
            for elp, lse, father in n.c.execute(
                select(ip.c.cod_elp, ip.c.cod_lse, ip.c.cod_elp_sup).where(
                    ip.c.cod_anu == n.year,
                    ip.c.cod_ind == cod_ind,
                    ip.c.cod_etp == etape[0],
                    ip.c.cod_vrs_vet == etape[1],
                )
            )
        }
        if not taken:
            continue
        if added < amount:
            options: list[tuple[str, str, str | None]] = []
            for father in [None, *sorted(taken)]:
                edges = (
                    graph.vet_lists.get(etape, [])
                    if father is None
                    else (graph.elp_lists.get(father, []))
                )
                for edge in edges:
                    info = graph.lists.get(edge.lse)
                    if (
                        info is None
                        or info.kind == "O"
                        or not graph.open_edge(edge, year_date(n.year, 10, 1))
                    ):
                        continue
                    options.extend(
                        (elp, edge.lse, father)
                        for elp in info.elements
                        if elp not in taken and graph.open_element(elp)
                    )
            if options:
                elp, lse, father = rng.choice(options)
                n.c.execute(
                    ip.insert(),
                    [
                        {
                            "cod_anu": n.year,
                            "cod_ind": cod_ind,
                            "cod_etp": etape[0],
                            "cod_vrs_vet": etape[1],
                            "cod_elp": elp,
                            "cod_lse": lse,
                            "cod_elp_sup": father,
                            "tem_prc_ice": "N",
                            "cod_cip": n.composante_of.get(etape, "")[:3],
                            "cod_pel": graph.elements[elp].period,
                            "daa_uni_con": n.year,
                            "dat_cre_elp_con": datetime(int(n.year), 10, 2, 9, 0, 0),
                            "dat_mod_ice": None,
                        }
                    ],
                )
                summary.record("ip_added", [cod_ind, etape[0], etape[1], elp])
                added += 1
                continue
        if removed < amount:
            fathers = {father for _lse, father in taken.values()}
            leaves = sorted(
                elp
                for elp, (lse, _father) in taken.items()
                if elp not in fathers
                and graph.lists.get(lse) is not None
                and graph.lists[lse].kind in ("X", "F")
            )
            if leaves:
                elp = rng.choice(leaves)
                n.c.execute(
                    delete(ip).where(
                        ip.c.cod_anu == n.year,
                        ip.c.cod_ind == cod_ind,
                        ip.c.cod_etp == etape[0],
                        ip.c.cod_vrs_vet == etape[1],
                        ip.c.cod_elp == elp,
                    )
                )
                groups = n.groups_of_element.get(elp, [])
                if groups:
                    aff = s.ind_affecte_gpe
                    n.c.execute(
                        delete(aff).where(
                            aff.c.cod_anu == n.year,
                            aff.c.cod_ind == cod_ind,
                            aff.c.cod_gpe.in_(groups),
                        )
                    )
                summary.record("ip_removed", [cod_ind, etape[0], etape[1], elp])
                removed += 1
        if added >= amount and removed >= amount:
            break


def _etape_changes(
    n: Night,
    summary: EvolutionSummary,
    files: FileChanges,
    valid: list[tuple[Any, ...]],
    amount: int,
) -> None:
    rng = n.rng
    counts: dict[int, int] = {}
    for row in n.iae:
        counts[int(row[0])] = counts.get(int(row[0]), 0) + 1
    by_rank: dict[tuple[str, str], list[EtapeKey]] = {}
    for key in n.offered:
        if key in n.vdis:
            by_rank.setdefault((n.composante_of.get(key, ""), n.vdis[key][0][2]), []).append(key)
    iae = s.ins_adm_etp
    done = 0
    for row in rng.sample(valid, len(valid)):
        if done >= amount:
            break
        cod_ind, source = int(row[0]), (row[1], int(row[2]))
        if counts.get(cod_ind) != 1 or source not in n.vdis:
            continue
        siblings = [k for k in by_rank.get((row[7], n.vdis[source][0][2]), []) if k != source]
        if not siblings:
            continue
        target = rng.choice(siblings)
        n.c.execute(
            update(iae)
            .where(
                iae.c.cod_anu == n.year,
                iae.c.cod_ind == cod_ind,
                iae.c.cod_etp == source[0],
                iae.c.cod_vrs_vet == source[1],
            )
            .values(eta_iae="A", dat_mod_iae=datetime(int(n.year), 10, 2, 9, 0, 0))
        )
        n.drop_contract(cod_ind, source)
        n.register(cod_ind, target, n.year)
        summary.record("etape_changes", [cod_ind, source[0], source[1], target[0], target[1]])
        files.etape_changes.append((cod_ind, source, target))
        done += 1


def _groups(n: Night, summary: EvolutionSummary, moves: int) -> None:
    rng = n.rng
    aff, gpe, gpo = s.ind_affecte_gpe, s.groupe, s.gpe_obj
    families = [groups for groups in n.groups_of_element.values() if len(groups) >= 3]
    families += [groups for groups in n.groups_of_etape.values() if len(groups) >= 2]
    families.sort()
    if not families:
        return
    renamed_family, new_family, vanished_family = (families + families + families)[:3]
    if len(families) >= 3:
        renamed_family, new_family, vanished_family = rng.sample(families, 3)
    code = renamed_family[0]
    old = n.c.execute(select(gpe.c.lib_gpe).where(gpe.c.cod_gpe == code)).scalar_one()
    new_label = f"{(old or 'Groupe')[:30]} (modifié)"
    n.c.execute(update(gpe).where(gpe.c.cod_gpe == code).values(lib_gpe=new_label))
    summary.record("renamed_groups", [code, old, new_label])
    top = int(n.c.execute(select(func.max(gpe.c.cod_gpe))).scalar_one()) + 1
    first = n.c.execute(select(gpe).where(gpe.c.cod_gpe == new_family[0])).mappings().one()
    obj = n.c.execute(select(gpo).where(gpo.c.cod_gpe == new_family[0])).mappings().one()
    n.c.execute(
        gpe.insert(),
        [
            {
                **dict(first),
                "cod_gpe": top,
                "cod_ext_gpe": f"{first['cod_ext_gpe'][:7]}N",
                "lib_gpe": f"{(first['lib_gpe'] or 'Groupe')[:30]} bis",
                "daa_deb_val_gpe": n.year,
            }
        ],
    )
    n.c.execute(gpo.insert(), [{**dict(obj), "cod_gpo": top, "cod_gpe": top}])
    summary.record("new_groups", top)
    members = _members(n, new_family)
    for cod_ind, source in members[: max(1, len(members) // (len(new_family) + 1))]:
        _move(n, cod_ind, source, top)
        summary.record("group_moves", [cod_ind, source, top])
    gone = vanished_family[-1]
    rest = [g for g in vanished_family if g != gone]
    for cod_ind, source in _members(n, [gone]):
        target = rng.choice(rest)
        _move(n, cod_ind, source, target)
        summary.record("group_moves", [cod_ind, source, target])
    n.c.execute(delete(aff).where(aff.c.cod_gpe == gone))
    n.c.execute(
        delete(s.gpe_inclus_gpe).where(
            (s.gpe_inclus_gpe.c.cod_gpe_1 == gone) | (s.gpe_inclus_gpe.c.cod_gpe_2 == gone)
        )
    )
    n.c.execute(delete(gpo).where(gpo.c.cod_gpe == gone))
    n.c.execute(delete(gpe).where(gpe.c.cod_gpe == gone))
    summary.record("vanished_groups", gone)
    candidates = [f for f in families if f not in (new_family, vanished_family)] or families
    for _ in range(moves):
        family = rng.choice(candidates)
        members = _members(n, family)
        if not members:
            continue
        cod_ind, source = rng.choice(members)
        target = rng.choice([g for g in family if g != source and g != gone] or [source])
        if target == source or target in n.memberships(cod_ind, n.year):
            continue
        _move(n, cod_ind, source, target)
        summary.record("group_moves", [cod_ind, source, target])


def _members(n: Night, groups: list[int]) -> list[tuple[int, int]]:
    aff = s.ind_affecte_gpe
    return [
        (int(ind), int(code))
        for ind, code in n.c.execute(
            select(aff.c.cod_ind, aff.c.cod_gpe)
            .where(aff.c.cod_anu == n.year, aff.c.cod_gpe.in_(groups))
            .order_by(aff.c.cod_ind, aff.c.cod_gpe)
        )
    ]


def _move(n: Night, cod_ind: int, source: int, target: int) -> None:
    aff = s.ind_affecte_gpe
    n.c.execute(
        delete(aff).where(
            aff.c.cod_anu == n.year, aff.c.cod_ind == cod_ind, aff.c.cod_gpe == source
        )
    )
    if target not in n.memberships(cod_ind, n.year):
        n.c.execute(aff.insert(), [{"cod_anu": n.year, "cod_ind": cod_ind, "cod_gpe": target}])


RENAMES = ("Fondamentaux de", "Approfondissement :", "Atelier", "Introduction à")


def _renames(n: Night, summary: EvolutionSummary, elements: int, etapes: int) -> None:
    rng = n.rng
    elp = s.element_pedagogi
    courses = sorted(
        code
        for code, info in n.graph.elements.items()
        if info.nature in ("UE", "EC", "MATI") and info.state == "O"
    )
    for code in rng.sample(courses, min(len(courses), elements)):
        old = n.c.execute(select(elp.c.lib_elp).where(elp.c.cod_elp == code)).scalar_one()
        new = labels.cut(f"{rng.choice(RENAMES)} {old}", labels.LIB_MAX)
        n.c.execute(
            update(elp)
            .where(elp.c.cod_elp == code)
            .values(
                lib_elp=new, lic_elp=labels.short_label(new), dat_mod_elp=date(int(n.year), 10, 2)
            )
        )
        summary.record("renamed_elements", [code, old, new])
    etp, vet = s.etape, s.version_etape
    for code, version in rng.sample(n.offered, min(len(n.offered), etapes)):
        old = n.c.execute(select(etp.c.lib_etp).where(etp.c.cod_etp == code)).scalar_one()
        new = labels.cut(f"{old} – nouvelle maquette", labels.LIB_MAX)
        n.c.execute(
            update(etp)
            .where(etp.c.cod_etp == code)
            .values(lib_etp=new, lic_etp=labels.short_label(new))
        )
        n.c.execute(
            update(vet)
            .where(vet.c.cod_etp == code, vet.c.cod_vrs_vet == version)
            .values(lib_web_vet=new)
        )
        summary.record("renamed_etapes", [code, version, old, new])


def _moves(n: Night, summary: EvolutionSummary) -> None:
    rng = n.rng
    f, vet = s.vdi_fractionner_vet, s.version_etape
    single = sorted(key for key in n.offered if len(n.vdis.get(key, [])) == 1)
    diplomas_of: dict[str, list[tuple[str, int]]] = {}
    for key, items in sorted(n.vdis.items()):
        for dip, vdi, _rank in items:
            pair = (dip, vdi)
            bucket = diplomas_of.setdefault(n.composante_of.get(key, ""), [])
            if pair not in bucket:
                bucket.append(pair)
    for key in rng.sample(single, len(single)):
        dip, vdi, _rank = n.vdis[key][0]
        others = [p for p in diplomas_of.get(n.composante_of.get(key, ""), []) if p != (dip, vdi)]
        if not others:
            continue
        target = rng.choice(others)
        row = (
            n.c.execute(
                select(f).where(
                    f.c.cod_dip == dip,
                    f.c.cod_vrs_vdi == vdi,
                    f.c.cod_etp == key[0],
                    f.c.cod_vrs_vet == key[1],
                )
            )
            .mappings()
            .one()
        )
        n.c.execute(
            delete(f).where(
                f.c.cod_dip == dip,
                f.c.cod_vrs_vdi == vdi,
                f.c.cod_etp == key[0],
                f.c.cod_vrs_vet == key[1],
            )
        )
        n.c.execute(f.insert(), [{**dict(row), "cod_dip": target[0], "cod_vrs_vdi": target[1]}])
        summary.record("etape_moved_to_other_diplome", [key[0], key[1], dip, vdi, *target])
        moved = key
        break
    else:
        moved = None
    composantes = sorted({cmp for cmp in n.composante_of.values()})
    for key in rng.sample(n.offered, len(n.offered)):
        if key == moved:
            continue
        old = n.composante_of.get(key)
        target_cmp = rng.choice([c for c in composantes if c != old])
        n.c.execute(
            update(vet)
            .where(vet.c.cod_etp == key[0], vet.c.cod_vrs_vet == key[1])
            .values(cod_cmp=target_cmp)
        )
        summary.record("etape_moved_to_other_composante", [key[0], key[1], old, target_cmp])
        break


def _parents(n: Night, summary: EvolutionSummary) -> None:
    """A leaf element joins another open choice list; a multi-parent one leaves a list."""
    rng = n.rng
    graph = n.graph
    lre = s.lse_regroupe_elp
    parents_of: dict[str, list[str]] = {}
    for lse, info in sorted(graph.lists.items()):
        for elp in info.elements:
            parents_of.setdefault(elp, []).append(lse)
    leaves = sorted(
        code
        for code, info in graph.elements.items()
        if code not in graph.elp_lists
        and info.nature in ("UE", "EC", "MATI")
        and info.state == "O"
        and code in parents_of
    )
    choice_lists = sorted(
        lse for lse, info in graph.lists.items() if info.kind in ("X", "F") and info.state == "O"
    )
    for code in rng.sample(leaves, min(len(leaves), 50)):
        targets = [lse for lse in choice_lists if code not in graph.lists[lse].elements]
        if targets:
            lse = rng.choice(targets)
            n.c.execute(lre.insert(), [{"cod_lse": lse, "cod_elp": code}])
            summary.record("element_gained_parent", [code, lse])
            break
    ip = s.ind_contrat_elp
    multi = sorted(code for code, lists in parents_of.items() if len(lists) >= 2)
    used: set[tuple[str, str]] = set()
    for start in range(0, len(multi), 500):
        chunk = multi[start : start + 500]
        used.update(
            (str(lse), str(elp))
            for lse, elp in n.c.execute(
                select(ip.c.cod_lse, ip.c.cod_elp).where(ip.c.cod_elp.in_(chunk)).distinct()
            )
        )
    for code in rng.sample(multi, len(multi)):
        for lse in parents_of[code]:
            if (lse, code) not in used:
                n.c.execute(delete(lre).where(lre.c.cod_lse == lse, lre.c.cod_elp == code))
                summary.record("element_lost_parent", [code, lse])
                return
