"""The LDAP directory of the synthetic university, as an LDIF file (SupAnn 2021 + eduPerson).

Shapes follow shared/ldap/sample.ldif: base `dc=univ-exemple,dc=fr`, people under `ou=people`,
non-ASCII values in base64, long lines folded, no `version:` line (slapadd refuses it), one
`supannEtuInscription` composite per registration with the flat `supannEtu*` unions beside.
Directory dirt, each counted: students with no entry, a duplicated supannEtuId, an entry with
no uid (its RDN is its cn), entries with no mail, mixed-case uids, staff who are also students,
alumni who keep their supannEtuId, external teachers known only by a personal e-mail.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ldif import LDIFParser, LDIFWriter

from . import labels
from .catalogue import Catalogue
from .model import (
    LDAP_BASE,
    MAIL_DOMAIN,
    PEOPLE_BASE,
    STUDENT_MAIL_DOMAIN,
    UAI,
    Etape,
    Registration,
    Student,
    Teacher,
    stream,
)
from .population import Population

Entry = dict[str, list[str]]
PERSON_CLASSES = [
    "top",
    "person",
    "organizationalPerson",
    "inetOrgPerson",
    "eduPerson",
    "supannPerson",
]
HEADER = (
    "# Synthetic directory of the jonction test university (invented people), "
    "SupAnn 2021 + eduPerson.\n"
)
FIRST_STAFF_ID = 103001


@dataclass(slots=True)
class Directory:
    """Entries in file order, with the dirt counted while building them."""

    entries: list[tuple[str, Entry]] = field(default_factory=list)
    dirt: dict[str, int] = field(default_factory=dict)
    uids: set[str] = field(default_factory=set)
    mails: set[str] = field(default_factory=set)

    def bump(self, case: str, amount: int = 1) -> None:
        self.dirt[case] = self.dirt.get(case, 0) + amount

    def fresh_uid(self, given: str, surname: str) -> str:
        base = labels.login_base(given, surname) or "user"
        uid, number = base, 1
        while uid.lower() in self.uids:
            number += 1
            uid = f"{base}{number}"
        self.uids.add(uid.lower())
        return uid

    def fresh_mail(self, given: str, surname: str, domain: str) -> str:
        local = labels.mail_local(given, surname)
        mail, number = f"{local}@{domain}", 1
        while mail.lower() in self.mails:
            number += 1
            mail = f"{local}{number}@{domain}"
        self.mails.add(mail.lower())
        return mail


def structure_code(composante: str, kind: str) -> str:
    """supannEntiteAffectation of a composante: `UFRSCI`, `INSIUT`, `DPTDFC`…"""
    return f"{kind}{composante}"


class Inscriptions:
    """Registration composites and flat unions, from the catalogue's étapes and diplômes."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.etapes: dict[tuple[str, int], Etape] = {e.key: e for e in catalogue.etapes}
        self.diplomes = {d.code: d for d in catalogue.diplomes}
        self.kinds = {c.code: c.kind for c in catalogue.composantes}

    def cursus(self, etape: Etape) -> str:
        if etape.level[0] in ("L", "M", "D", "X") and etape.level[1:].isdigit():
            return etape.level
        return f"L{min(etape.rank, 3)}"

    def composite(self, registration: Registration) -> tuple[str, dict[str, str]]:
        etape = self.etapes[registration.etape]
        diplome = self.diplomes[registration.diplome[0]]
        flat = {
            "supannEtuAnneeInscription": registration.year,
            "supannEtuRegimeInscription": "{SISE}21"
            if registration.profile == "FP"
            else "{SISE}10",
            "supannEtuSecteurDisciplinaire": f"{{SISE}}{diplome.sise_sector}",
            "supannEtuTypeDiplome": f"{{SISE}}{diplome.sise_type}",
            "supannEtuCursusAnnee": f"{{SUPANN}}{self.cursus(etape)}",
            "supannEtuDiplome": f"{{UAI:{UAI}}}{diplome.code}-{registration.diplome[1]}",
            "supannEtuEtape": f"{{UAI:{UAI}}}{etape.code}-{etape.version}",
        }
        affect = structure_code(registration.composante, self.kinds[registration.composante])
        value = (
            f"[etab={{UAI}}{UAI}][anneeinsc={registration.year}]"
            f"[regimeinsc={flat['supannEtuRegimeInscription']}]"
            f"[sectdisc={flat['supannEtuSecteurDisciplinaire']}]"
            f"[typedip={flat['supannEtuTypeDiplome']}]"
            f"[cursusann={flat['supannEtuCursusAnnee']}][affect={affect}]"
            f"[diplome={flat['supannEtuDiplome']}][etape={flat['supannEtuEtape']}]"
        )
        return value, flat

    def add_to(self, entry: Entry, registrations: Iterable[Registration]) -> None:
        """Sets supannEtuInscription and the flat supannEtu* unions from `registrations`."""
        composites: list[str] = []
        unions: dict[str, list[str]] = {}
        affects: list[str] = []
        for registration in registrations:
            value, flat = self.composite(registration)
            composites.append(value)
            for key, item in flat.items():
                values = unions.setdefault(key, [])
                if item not in values:
                    values.append(item)
            affect = structure_code(registration.composante, self.kinds[registration.composante])
            if affect not in affects:
                affects.append(affect)
        for key in list(entry):
            if key.startswith("supannEtu") and key != "supannEtuId":
                del entry[key]
        if composites:
            entry["supannEtuInscription"] = composites
            entry.update(unions)
        current = entry.get("supannEntiteAffectation", [])
        entry["supannEntiteAffectation"] = current + [a for a in affects if a not in current]
        if entry["supannEntiteAffectation"]:
            entry.setdefault(
                "supannEntiteAffectationPrincipale", [affects[0] if affects else current[0]]
            )
        else:
            del entry["supannEntiteAffectation"]


def person_entry(
    uid: str | None,
    given: str,
    surname: str,
    sex: str,
    mail: str | None,
    affiliations: Iterable[str],
    primary: str | None,
) -> Entry:
    entry: Entry = {"objectClass": list(PERSON_CLASSES)}
    if uid is not None:
        entry["uid"] = [uid]
    entry["cn"] = [labels.ascii_fold(f"{surname} {given}")]
    entry["sn"] = [surname]
    entry["givenName"] = [given]
    entry["displayName"] = [f"{given} {surname}"]
    if mail is not None:
        entry["mail"] = [mail]
    if uid is not None:
        entry["eduPersonPrincipalName"] = [f"{uid.lower()}@{MAIL_DOMAIN}"]
    entry["eduPersonAffiliation"] = list(affiliations)
    if primary:
        entry["eduPersonPrimaryAffiliation"] = [primary]
    entry["supannCivilite"] = ["Mme" if sex == "F" else "M."]
    return entry


def dn_of(uid: str | None, entry: Entry) -> str:
    if uid is not None:
        return f"uid={uid},{PEOPLE_BASE}"
    return f"cn={entry['cn'][0]},{PEOPLE_BASE}"


def build_directory(catalogue: Catalogue, population: Population, seed: int) -> Directory:
    rng = stream(seed, "directory")
    directory = Directory()
    inscriptions = Inscriptions(catalogue)
    directory.entries.append(
        (
            LDAP_BASE,
            {
                "objectClass": ["top", "dcObject", "organization", "supannOrg"],
                "dc": ["univ-exemple"],
                "o": ["Université Exemple"],
                "supannEtablissement": [f"{{UAI}}{UAI}"],
            },
        )
    )
    directory.entries.append(
        (PEOPLE_BASE, {"objectClass": ["top", "organizationalUnit"], "ou": ["people"]})
    )
    size = len(population.students)
    no_uid_left = max(1, size // 10000)
    no_mail_left = max(1, size // 3000)
    students = [s for s in population.students if s.in_directory]
    duplicates = rng.sample(students, min(len(students), max(1, size // 10000)))
    for student in students:
        _student(directory, inscriptions, student, rng)
        _dn, entry = directory.entries[-1]
        if no_uid_left and rng.random() < 0.01 and "supannEmpId" not in entry:
            del entry["uid"]
            del entry["eduPersonPrincipalName"]
            directory.entries[-1] = (dn_of(None, entry), entry)
            directory.uids.discard(student.uid.lower())
            student.uid = ""
            no_uid_left -= 1
            directory.bump("entries_without_uid")
        elif no_mail_left and rng.random() < 0.01:
            entry.pop("mail", None)
            no_mail_left -= 1
            directory.bump("entries_without_mail")
    for teacher in population.teachers:
        if teacher.in_directory:
            _teacher(directory, teacher, rng)
    _staff(directory, population, rng)
    _alumni(directory, inscriptions, catalogue, population, rng)
    for student in duplicates:
        _duplicate(directory, student)
    return directory


def _student(
    directory: Directory, inscriptions: Inscriptions, student: Student, rng: random.Random
) -> None:
    uid = directory.fresh_uid(student.given, student.surname)
    if rng.random() < 0.01:
        uid = uid[0].upper() + uid[1].upper() + uid[2:]
        directory.bump("mixed_case_uids")
    student.uid = uid
    mail = directory.fresh_mail(student.given, student.surname, STUDENT_MAIL_DOMAIN)
    staff = student.registrations[0].profile == "FP"
    affiliations = ["staff", "employee", "student", "member"] if staff else ["student", "member"]
    entry = person_entry(
        uid,
        student.given,
        student.surname,
        student.sex,
        mail,
        affiliations,
        "staff" if staff else "student",
    )
    if rng.random() < 0.3:
        entry["supannAliasLogin"] = [labels.mail_local(student.given, student.surname)]
    if staff:
        entry["supannEmpId"] = [str(108001 + directory.dirt.get("staff_who_are_students", 0))]
        entry["supannEntiteAffectation"] = ["DPTDSCOL"]
        directory.bump("staff_who_are_students")
    entry["supannEtuId"] = [str(student.cod_etu)]
    entry["supannCodeINE"] = [student.ine]
    if rng.random() < 0.02:
        entry["supannListeRouge"] = ["TRUE"]
    entry["supannEtablissement"] = [f"{{UAI}}{UAI}"]
    valid = [r for r in student.registrations if r.administrative and r.state in ("E", "R")]
    inscriptions.add_to(entry, [*valid, *student.past])
    directory.entries.append((dn_of(uid, entry), entry))


def _teacher(directory: Directory, teacher: Teacher, rng: random.Random) -> None:
    uid = directory.fresh_uid(teacher.given, teacher.surname)
    if teacher.emp_id is None:
        uid = uid[0].upper() + uid[1].upper() + uid[2:]  # externals: hand-made accounts
        directory.bump("mixed_case_uids")
    teacher.uid = uid
    if teacher.mail:
        directory.mails.add(teacher.mail.lower())
    entry = person_entry(
        uid,
        teacher.given,
        teacher.surname,
        teacher.sex,
        teacher.mail,
        teacher.affiliations,
        teacher.primary,
    )
    if teacher.other_mail:
        entry["supannAutreMail"] = [teacher.other_mail]
    if teacher.emp_id is not None:
        entry["supannEmpId"] = [teacher.emp_id]
    entry["supannEtablissement"] = [f"{{UAI}}{UAI}"]
    kind = {
        "SCI": "UFR",
        "DEG": "UFR",
        "LSH": "UFR",
        "MED": "UFR",
        "PSE": "UFR",
        "STA": "UFR",
        "IUT": "INS",
        "IAE": "INS",
        "ESP": "INS",
        "IFS": "EXT",
    }.get(teacher.composante, "DPT")
    entry["supannEntiteAffectation"] = [structure_code(teacher.composante, kind)]
    if teacher.emp_id is not None:
        entry["supannEntiteAffectationPrincipale"] = entry["supannEntiteAffectation"]
    directory.entries.append((dn_of(uid, entry), entry))
    directory.bump("teacher_entries")


def _staff(directory: Directory, population: Population, rng: random.Random) -> None:
    for number in range(max(3, len(population.students) // 60)):
        sex, given, surname = labels.person_names(rng)
        uid = directory.fresh_uid(given, surname)
        mail = directory.fresh_mail(given, surname, MAIL_DOMAIN)
        entry = person_entry(
            uid, given, surname, sex, mail, ["staff", "employee", "member"], "staff"
        )
        entry["supannEmpId"] = [str(FIRST_STAFF_ID + number)]
        entry["supannEtablissement"] = [f"{{UAI}}{UAI}"]
        entry["supannEntiteAffectation"] = ["DPTDSCOL" if number % 3 == 0 else "DPTDSI"]
        directory.entries.append((dn_of(uid, entry), entry))
        directory.bump("staff_entries")


def _alumni(
    directory: Directory,
    inscriptions: Inscriptions,
    catalogue: Catalogue,
    population: Population,
    rng: random.Random,
) -> None:
    y = int(catalogue.year)
    finals = (
        sorted(
            (e for e in catalogue.etapes if e.offered and e.rank == 3 and e.kind == "LIC"),
            key=lambda e: e.key,
        )
        or [e for e in catalogue.etapes if e.offered][:1]
    )
    for number in range(max(2, len(population.students) // 30)):
        sex, given, surname = labels.person_names(rng)
        uid = directory.fresh_uid(given, surname)
        mail = directory.fresh_mail(given, surname, STUDENT_MAIL_DOMAIN)
        entry = person_entry(uid, given, surname, sex, mail, ["alum"], "alum")
        entry["supannEtuId"] = [f"2{(y - 5) % 100:02d}{90000 + number:05d}"]
        entry["supannEtablissement"] = [f"{{UAI}}{UAI}"]
        etape = finals[number % len(finals)]
        dip, vrs, *_ = etape.vdis[0]
        inscriptions.add_to(
            entry,
            [Registration(str(y - 2), etape.key, (dip, vrs), etape.composante)],
        )
        directory.entries.append((dn_of(uid, entry), entry))
        directory.bump("alumni_entries")


def _duplicate(directory: Directory, student: Student) -> None:
    """An old account of the same person, left behind with the same supannEtuId."""
    uid = directory.fresh_uid(student.given, student.surname + "x")
    entry = person_entry(uid, student.given, student.surname, student.sex, None, ["member"], None)
    entry["supannEtuId"] = [str(student.cod_etu)]
    directory.entries.append((dn_of(uid, entry), entry))
    directory.bump("duplicated_supann_etu_id")


def write_ldif(entries: Iterable[tuple[str, Entry]], path: Path) -> int:
    """Writes the entries (to a temporary file renamed at the end); returns how many.
    Byte-identical for identical entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(HEADER.encode("utf-8"))
        writer = LDIFWriter(handle, cols=76)
        for dn, entry in entries:
            writer.unparse(dn, entry)
    temporary.replace(path)
    return int(writer.records_written)


def read_ldif(path: Path) -> list[tuple[str, Entry]]:
    """Entries of an LDIF file (strict parser), in file order."""
    with path.open("rb") as handle:
        parser = LDIFParser(handle, strict=True)
        return [
            (str(dn), {k: [str(v) for v in vs] for k, vs in entry.items()})
            for dn, entry in parser.parse()
        ]
