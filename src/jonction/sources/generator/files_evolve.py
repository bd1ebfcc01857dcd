"""What a night (or a rollover) changes in the LDIF and the ADE files beside the database.

The files are read back, changed and rewritten whole (atomically). Registration composites of
new registrations copy the shape of an existing student of the same étape when there is one.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from ..apogee import schema as s
from . import ade, labels
from .directory import Entry, dn_of, person_entry, read_ldif, write_ldif
from .model import MAIL_DOMAIN, STUDENT_MAIL_DOMAIN, UAI

if TYPE_CHECKING:
    from .evolve import EvolutionSummary

EtapeKey = tuple[str, int]
PAIR = re.compile(r"\[([^=\]]+)=([^\]]*)\]")
FLAT = {
    "anneeinsc": "supannEtuAnneeInscription",
    "regimeinsc": "supannEtuRegimeInscription",
    "sectdisc": "supannEtuSecteurDisciplinaire",
    "typedip": "supannEtuTypeDiplome",
    "cursusann": "supannEtuCursusAnnee",
    "diplome": "supannEtuDiplome",
    "etape": "supannEtuEtape",
}


@dataclass(slots=True)
class FileChanges:
    # (cod_ind, cod_etu, sex, given, surname, étape, year)
    new_students: list[tuple[int, int, str, str, str, EtapeKey]] = field(default_factory=list)
    departures: list[int] = field(default_factory=list)
    etape_changes: list[tuple[int, EtapeKey, EtapeKey]] = field(default_factory=list)
    teacher_changes: bool = False
    next_year: str | None = None
    continuing: list[tuple[int, EtapeKey]] = field(default_factory=list)
    leavers: list[int] = field(default_factory=list)


def _pairs(value: str) -> dict[str, str]:
    return dict(PAIR.findall(value))


def _etape_code(value: str) -> str:
    return _pairs(value).get("etape", "").split("}", 1)[-1]


def flatten(entry: Entry) -> None:
    """Recomputes the flat supannEtu* unions from the composites."""
    for name in FLAT.values():
        entry.pop(name, None)
    for value in entry.get("supannEtuInscription", []):
        for key, item in _pairs(value).items():
            flat = FLAT.get(key)
            if flat is not None and item not in entry.setdefault(flat, []):
                entry[flat].append(item)


class Composites:
    """Registration composites for (étape, year): copied from a student of the étape, else
    built from the database (etab, year, structure, diplôme, étape)."""

    def __init__(self, connection: Connection, entries: list[tuple[str, Entry]]) -> None:
        self.templates: dict[str, str] = {}
        for _dn, entry in entries:
            for value in entry.get("supannEtuInscription", []):
                self.templates.setdefault(_etape_code(value), value)
        self.c = connection
        self.kinds = {
            code: kind
            for code, kind in connection.execute(
                select(s.composante.c.cod_cmp, s.composante.c.cod_tpc)
            )
        }

    def value(self, etape: EtapeKey, year: str) -> str:
        key = f"{etape[0]}-{etape[1]}"
        template = self.templates.get(key)
        if template is not None:
            return re.sub(r"\[anneeinsc=[^\]]*\]", f"[anneeinsc={year}]", template)
        vet, f = s.version_etape, s.vdi_fractionner_vet
        cmp = (
            self.c.execute(
                select(vet.c.cod_cmp).where(
                    vet.c.cod_etp == etape[0], vet.c.cod_vrs_vet == etape[1]
                )
            ).scalar_one_or_none()
            or ""
        )
        vdi = self.c.execute(
            select(f.c.cod_dip, f.c.cod_vrs_vdi)
            .where(f.c.cod_etp == etape[0], f.c.cod_vrs_vet == etape[1])
            .order_by(f.c.cod_dip)
        ).first()
        diplome = f"[diplome={{UAI:{UAI}}}{vdi[0]}-{vdi[1]}]" if vdi else ""
        value = (
            f"[etab={{UAI}}{UAI}][anneeinsc={year}][affect={self.kinds.get(cmp, '')}{cmp}]"
            f"{diplome}[etape={{UAI:{UAI}}}{key}]"
        )
        self.templates[key] = value
        return value


def apply_to_files(
    connection: Connection,
    files: FileChanges,
    ldif_path: Path,
    ade_path: Path,
    summary: EvolutionSummary,
    rng: random.Random,
) -> None:
    teacher_entry: tuple[str, Entry] | None = None
    if (ade_path / "getEvents.xml").exists():
        teacher_entry = _ade(files, ade_path, summary, rng)
    if ldif_path.exists():
        _ldif(connection, files, ldif_path, summary, teacher_entry)


def _ldif(
    connection: Connection,
    files: FileChanges,
    path: Path,
    summary: EvolutionSummary,
    teacher_entry: tuple[str, Entry] | None,
) -> None:
    entries = read_ldif(path)
    composites = Composites(connection, entries)
    ind = s.individu
    etu_of = {
        int(code): str(etu)
        for code, etu in connection.execute(
            select(ind.c.cod_ind, ind.c.cod_etu).where(ind.c.cod_etu.is_not(None))
        )
    }
    by_etu: dict[str, int] = {}
    for position, (_dn, entry) in enumerate(entries):
        for etu in entry.get("supannEtuId", []):
            if "student" in entry.get("eduPersonAffiliation", []):
                by_etu.setdefault(etu, position)
    uids = {v.lower() for _dn, e in entries for v in e.get("uid", [])}
    mails = {v.lower() for _dn, e in entries for v in e.get("mail", [])}
    year = summary.year
    gone: set[int] = set()
    for cod_ind in files.departures:
        index = by_etu.get(etu_of.get(cod_ind, ""))
        if index is not None:
            gone.add(index)
            summary.record("ldap_departures", entries[index][0])
    for cod_ind, source, target in files.etape_changes:
        index = by_etu.get(etu_of.get(cod_ind, ""))
        if index is None:
            continue
        entry = entries[index][1]
        kept = [
            v
            for v in entry.get("supannEtuInscription", [])
            if not (
                _pairs(v).get("anneeinsc") == year and _etape_code(v) == f"{source[0]}-{source[1]}"
            )
        ]
        entry["supannEtuInscription"] = [composites.value(target, year), *kept]
        flatten(entry)
        summary.record("ldap_updated", entries[index][0])
    if files.next_year is not None:
        for cod_ind, target in files.continuing:
            index = by_etu.get(etu_of.get(cod_ind, ""))
            if index is None:
                continue
            entry = entries[index][1]
            entry["supannEtuInscription"] = [
                composites.value(target, files.next_year),
                *entry.get("supannEtuInscription", []),
            ]
            flatten(entry)
            summary.counts["ldap_reregistered"] = summary.counts.get("ldap_reregistered", 0) + 1
        for cod_ind in files.leavers:
            index = by_etu.get(etu_of.get(cod_ind, ""))
            if index is None:
                continue
            entry = entries[index][1]
            entry["eduPersonAffiliation"] = ["alum"]
            entry["eduPersonPrimaryAffiliation"] = ["alum"]
            summary.counts["ldap_became_alumni"] = summary.counts.get("ldap_became_alumni", 0) + 1
    for cod_ind, cod_etu, sex, given, surname, etape in files.new_students:
        base = labels.login_base(given, surname) or "user"
        uid, number = base, 1
        while uid.lower() in uids:
            number += 1
            uid = f"{base}{number}"
        uids.add(uid.lower())
        local = labels.mail_local(given, surname)
        mail, number = f"{local}@{STUDENT_MAIL_DOMAIN}", 1
        while mail.lower() in mails:
            number += 1
            mail = f"{local}{number}@{STUDENT_MAIL_DOMAIN}"
        mails.add(mail.lower())
        entry = person_entry(uid, given, surname, sex, mail, ["student", "member"], "student")
        entry["supannEtuId"] = [str(cod_etu)]
        entry["supannEtablissement"] = [f"{{UAI}}{UAI}"]
        entry["supannEtuInscription"] = [composites.value(etape, files.next_year or year)]
        flatten(entry)
        entries.append((dn_of(uid, entry), entry))
        summary.record("ldap_new_entries", uid)
        del cod_ind
    if teacher_entry is not None:
        entries.append(teacher_entry)
        summary.record("ldap_new_entries", teacher_entry[0])
    write_ldif([item for position, item in enumerate(entries) if position not in gone], path)


def _ade(
    files: FileChanges, folder: Path, summary: EvolutionSummary, rng: random.Random
) -> tuple[str, Entry] | None:
    table = ade.read_timetable(folder)
    new_entry: tuple[str, Entry] | None = None
    if files.next_year is not None:
        _new_project(table, files.next_year)
        summary.record("ade_new_project", table.project["project_id"])
    elif files.teacher_changes:
        new_entry = _teachers(table, summary, rng)
    ade.write_timetable(table, folder)
    return new_entry


def _teachers(
    table: ade.Timetable, summary: EvolutionSummary, rng: random.Random
) -> tuple[str, Entry] | None:
    scheduled = sorted(
        {
            participant["id"]
            for event in table.events
            for participant in event.resources
            if participant["category"] == "instructor"
        }
    )
    coded = {
        row["id"]: row
        for row in table.resources
        if row["category"] == "instructor" and row.get("code")
    }
    candidates = [rid for rid in scheduled if rid in coded]
    if candidates:
        gone = rng.choice(candidates)
        for event in table.events:
            event.resources = [p for p in event.resources if p["id"] != gone]
        summary.record("ade_teacher_unscheduled", [gone, coded[gone]["code"]])
    instructors = [row for row in table.resources if row["category"] == "instructor"]
    folders = [row for row in instructors if row["isGroup"] == "true"]
    codes = [int(row["code"]) for row in instructors if row.get("code", "").isdigit()]
    if not folders or not table.events:
        return None
    code = str(max(codes, default=104000) + 1)
    sex, given, surname = labels.person_names(rng)
    new_id = max(int(row["id"]) for row in table.resources) + 1
    mail = f"{labels.mail_local(given, surname)}.{code}@{MAIL_DOMAIN}"
    row = ade.resource(
        new_id,
        f"{surname.upper()} {given}",
        "instructor",
        False,
        rng.choice(folders),
        email=mail,
        code=code,
    )
    table.resources.append(row)
    courses = [e for e in table.events if any(p["category"] == "category5" for p in e.resources)]
    activity = rng.choice(courses).attributes["activityId"]
    node = max(int(p["nodeId"]) for e in table.events for p in e.resources) + 1
    for event in table.events:
        if event.attributes["activityId"] == activity:
            event.resources.append(
                {
                    "fromWorkflow": "false",
                    "nodeId": str(node),
                    "nodeOrId": "-1",
                    "quantity": "1",
                    "category": "instructor",
                    "name": row["name"],
                    "id": row["id"],
                }
            )
            node += 1
    summary.record("ade_teacher_added", [row["id"], code, activity])
    uid = f"{labels.login_base(given, surname)}{code[-3:]}"
    entry = person_entry(
        uid, given, surname, sex, mail, ["faculty", "employee", "member"], "faculty"
    )
    entry["supannEmpId"] = [code]
    entry["supannEtablissement"] = [f"{{UAI}}{UAI}"]
    return dn_of(uid, entry), entry


def _shift(stamp: str) -> str:
    if not stamp:
        return stamp
    month, day, rest = stamp.split("/", 2)
    year, time = rest.split(" ", 1)
    return f"{month}/{day}/{int(year) + 1} {time}"


def _new_project(table: ade.Timetable, year: str) -> None:
    """The next year's project: same activities and placements, dates of the new year."""
    week0 = ade.week_zero(year)
    table.project.update(
        project_id=ade.project_id(year),
        name=f"{year}-{int(year) + 1}",
        academic_year=year,
        week0=week0.isoformat(),
    )
    for event in table.events:
        a = event.attributes
        when: date = week0 + timedelta(days=int(a["week"]) * 7 + int(a["day"]))
        a["date"] = f"{when.day:02d}/{when.month:02d}/{when.year}"
        a["lastUpdate"] = _shift(a.get("lastUpdate", ""))
        a["creation"] = _shift(a.get("creation", ""))
    for row in table.resources:
        row["lastUpdate"] = _shift(row.get("lastUpdate", ""))
        row["creation"] = _shift(row.get("creation", ""))
