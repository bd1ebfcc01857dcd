"""The people of the synthetic university: students and their registrations, groups, teachers.

Students are assigned to étapes by weight (L1 and PASS attract many, DU and doctorates few, so
about half the étapes are small). Registration dirt is placed on chosen students rather than
drawn by chance, so that every case exists at any size: cancelled, resigned and half-created
IAE, unpaid ones, double registrations (often in étapes that share elements), pedagogical
registrations without IAE, repeaters with elements acquired earlier, students without COD_ETU,
students without a directory entry.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from . import labels
from .catalogue import Catalogue
from .dirt import COURSE_NATURES, count
from .graph import Graph
from .model import (
    MAIL_DOMAIN,
    Etape,
    Group,
    Registration,
    Student,
    Teacher,
    stream,
    year_date,
)

FIRST_COD_IND = 100001
FIRST_EMP_ID = 104001


@dataclass(slots=True)
class Population:
    year: str
    students: list[Student] = field(default_factory=list)
    teachers: list[Teacher] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    dirt: dict[str, int] = field(default_factory=dict)
    # Students assigned to each étape (main registrations), for the groups.
    headcount: dict[tuple[str, int], int] = field(default_factory=dict)


@dataclass(slots=True)
class StudentRows:
    """Everything one student adds to the registration tables."""

    iaa: list[dict[str, object]]
    iae: list[dict[str, object]]
    ip: list[dict[str, object]]
    memberships: list[dict[str, object]]


def _bump(dirt: dict[str, int], case: str, amount: int = 1) -> None:
    dirt[case] = dirt.get(case, 0) + amount


def ine(rng: random.Random, number: int) -> str:
    """An INE shaped value: 10 characters and a key letter."""
    return f"{number % 10**10:010d}"[:10] + rng.choice("ABCDEFGHJK")


def headcounts(
    catalogue: Catalogue, students: int, rng: random.Random
) -> dict[tuple[str, int], int]:
    """Main registrations per offered étape, summing to `students`, at least one each."""
    etapes = [e for e in catalogue.etapes if e.offered and e.weight > 0]
    total = sum(e.weight for e in etapes)
    counts = {
        e.key: max(1, round(students * e.weight / total * rng.uniform(0.85, 1.15))) for e in etapes
    }
    biggest = sorted(etapes, key=lambda e: (-e.weight, e.key))
    gap = students - sum(counts.values())
    index = 0
    while gap != 0 and biggest:
        key = biggest[index % min(len(biggest), 25)].key
        if gap > 0:
            counts[key] += 1
            gap -= 1
        elif counts[key] > 1:
            counts[key] -= 1
            gap += 1
        index += 1
        if index > 10 * students + 100:
            break
    return counts


def _next_rank(catalogue: Catalogue) -> dict[tuple[str, int], tuple[str, int]]:
    """The étape a student of each étape came from last year (rank − 1 in the same VDI)."""
    by_vdi: dict[tuple[str, int, int], tuple[str, int]] = {}
    for etape in catalogue.etapes:
        if etape.offered and not etape.foad:
            for dip, vrs, rank, *_ in etape.vdis:
                by_vdi.setdefault((dip, vrs, rank), etape.key)
    previous: dict[tuple[str, int], tuple[str, int]] = {}
    for etape in catalogue.etapes:
        for dip, vrs, rank, *_ in etape.vdis:
            before = by_vdi.get((dip, vrs, rank - 1))
            if before is not None:
                previous.setdefault(etape.key, before)
    return previous


def build_students(
    catalogue: Catalogue,
    graph: Graph,
    reach_etapes: dict[str, set[tuple[str, int]]],
    seed: int,
    students: int,
) -> Population:
    rng = stream(seed, "students")
    year = catalogue.year
    y = int(year)
    population = Population(year=year)
    counts = headcounts(catalogue, students, rng)
    population.headcount = dict(counts)
    etapes = {e.key: e for e in catalogue.etapes}
    previous = _next_rank(catalogue)
    serials: dict[int, int] = {}
    cod_ind = FIRST_COD_IND
    for key in sorted(counts):
        etape = etapes[key]
        dip, vrs = _vdi_for(etape, y)
        for _ in range(counts[key]):
            sex, given, surname = labels.person_names(rng)
            offset = {"M": 3, "D": 5}.get(etape.cursus or "", 0) + etape.rank - 1
            entry = y - (etape.rank - 1)
            serials[entry] = serials.get(entry, 0) + 1
            cod_etu = int(f"2{entry % 100:02d}{serials[entry]:05d}")
            student = Student(
                cod_ind=cod_ind,
                cod_etu=cod_etu,
                sex=sex,
                given=given,
                surname=surname,
                birth=date(y - 18 - offset, rng.randint(1, 12), rng.randint(1, 28)),
                ine=ine(rng, cod_ind * 7919),
            )
            student.registrations.append(
                Registration(year=year, etape=key, diplome=(dip, vrs), composante=etape.composante)
            )
            before = previous.get(key)
            if before is not None:
                past = etapes[before]
                student.past.append(
                    Registration(
                        year=str(y - 1),
                        etape=before,
                        diplome=_vdi_for(past, y - 1),
                        composante=past.composante,
                    )
                )
            population.students.append(student)
            cod_ind += 1
    _dirt(population, catalogue, reach_etapes, rng, students, etapes)
    return population


def _vdi_for(etape: Etape, year: int) -> tuple[str, int]:
    """The VDI a student registers under: the newest whose validity covers the year."""
    covering = [
        (dip, vrs) for dip, vrs, _r, first, _rct, last in etape.vdis if first <= year <= last
    ]
    if covering:
        return covering[-1]
    dip, vrs, *_ = etape.vdis[0]
    return dip, vrs


def _sharing_partners(
    reach_etapes: dict[str, set[tuple[str, int]]],
) -> dict[tuple[str, int], list[tuple[str, int]]]:
    partners: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for etapes in reach_etapes.values():
        if 1 < len(etapes) <= 6:
            for key in etapes:
                partners.setdefault(key, set()).update(etapes - {key})
    return {key: sorted(values) for key, values in partners.items()}


def _dirt(
    population: Population,
    catalogue: Catalogue,
    reach_etapes: dict[str, set[tuple[str, int]]],
    rng: random.Random,
    students: int,
    etapes: dict[tuple[str, int], Etape],
) -> None:
    dirt = population.dirt
    everyone = population.students
    order = list(range(len(everyone)))
    rng.shuffle(order)
    cursor = 0

    def take(base: float, keep: object = None) -> list[Student]:
        nonlocal cursor
        amount = min(count(base, students), max(0, len(order) - cursor))
        chosen = [everyone[index] for index in order[cursor : cursor + amount]]
        cursor += amount
        return chosen

    for student in take(300):
        student.registrations[0].state = "A"
        student.registrations[0].pedagogical = rng.random() < 0.5
        _bump(dirt, "iae_cancelled")
    for student in take(400):
        student.registrations[0].state = "R"
        _bump(dirt, "iae_resigned")
    for student in take(150):
        student.registrations[0].state = "C"
        student.registrations[0].pedagogical = False
        _bump(dirt, "iae_being_created")
    for student in take(700):
        student.registrations[0].payment = "A"
        _bump(dirt, "iae_unpaid")
    partners = _sharing_partners(reach_etapes)
    offered = sorted(key for key, etape in etapes.items() if etape.offered and etape.weight > 0)
    small = [key for key in offered if not etapes[key].big]
    for student in take(2400):
        main = student.registrations[0]
        choices = partners.get(main.etape, [])
        sharing = bool(choices) and rng.random() < 0.6
        second = rng.choice(choices) if sharing else rng.choice(small or offered)
        if second == main.etape:
            continue
        target = etapes[second]
        student.registrations.append(
            Registration(
                year=main.year,
                etape=second,
                diplome=_vdi_for(target, int(main.year)),
                composante=target.composante,
                main=False,
            )
        )
        _bump(dirt, "double_registrations")
        if sharing:
            _bump(dirt, "double_registrations_sharing_elements")
    for student in take(150):
        main = student.registrations[0]
        other = rng.choice([key for key in offered if key != main.etape])
        target = etapes[other]
        student.registrations.append(
            Registration(
                year=main.year,
                etape=other,
                diplome=_vdi_for(target, int(main.year)),
                composante=target.composante,
                main=False,
                administrative=False,
            )
        )
        _bump(dirt, "ip_without_iae")
    for student in take(1500):
        main = student.registrations[0]
        main.repeater = True
        main.profile = "AJ"
        student.past = [
            Registration(
                year=str(int(main.year) - 1),
                etape=main.etape,
                diplome=main.diplome,
                composante=main.composante,
            )
        ]
        _bump(dirt, "repeaters_with_acquired_elements")
    firsts = [s for s in everyone if etapes[s.registrations[0].etape].rank == 1]
    for student in rng.sample(firsts, min(len(firsts), count(60, students))):
        student.cod_etu = None
        student.in_directory = False
        _bump(dirt, "students_without_cod_etu")
    for student in take(120):
        if student.cod_etu is not None:
            student.in_directory = False
            _bump(dirt, "students_without_directory_entry")
    for student in take(20):
        student.registrations[0].profile = "FP"
        _bump(dirt, "continuing_education_students")


# ---- registrations, streamed student by student ----------------------------------------------


class RegistrationStream:
    """Turns students into rows of INS_ADM_ANU, INS_ADM_ETP, IND_CONTRAT_ELP and
    IND_AFFECTE_GPE, one student at a time, so the big tables never sit in memory."""

    def __init__(
        self,
        graph: Graph,
        groups: list[Group],
        seed: int,
        year: str,
        stream_name: str = "contracts",
    ) -> None:
        self.graph = graph
        self.rng = stream(seed, stream_name)
        self.year = year
        self.registered_on = year_date(year, 9, 1)
        self.element_groups: dict[str, list[Group]] = {}
        self.etape_groups: dict[tuple[str, int], list[Group]] = {}
        self.children: dict[int, list[Group]] = {}
        valid = [g for g in groups if g.last_year is None or g.last_year >= year]
        for group in valid:
            if group.element is not None and group.kind == "TD":
                self.element_groups.setdefault(group.element, []).append(group)
            elif group.element is not None and group.kind == "TP" and group.parent is None:
                self.element_groups.setdefault("TP:" + group.element, []).append(group)
            elif group.etape is not None:
                self.etape_groups.setdefault(group.etape, []).append(group)
            if group.parent is not None:
                self.children.setdefault(group.parent, []).append(group)
        self.stats = {"ip_prc": 0, "memberships": 0}

    def stamp(self, month: int, day: int) -> datetime:
        when = year_date(self.year, month, day)
        return datetime(when.year, when.month, when.day, 10, 0, 0)

    def rows(self, student: Student) -> StudentRows:
        rng = self.rng
        out = StudentRows([], [], [], [])
        member_of: set[int] = set()
        registered = [r for r in student.registrations if r.year == self.year]
        administrative = [r for r in registered if r.administrative]
        if administrative:
            out.iaa.append(self.iaa_row(student.cod_ind, self.year, administrative[0]))
        occurrences: dict[tuple[str, int], int] = {}
        for registration in administrative:
            occurrences[registration.etape] = occurrences.get(registration.etape, 0) + 1
            registration.occurrence = occurrences[registration.etape]
            out.iae.append(self.iae_row(student.cod_ind, registration))
        for registration in registered:
            if not registration.pedagogical:
                continue
            contract = self.graph.contract(registration.etape, rng, self.registered_on)
            acquired = self._acquired(contract, rng) if registration.repeater else set()
            created = self.stamp(rng.choice((7, 8, 9)), rng.randint(1, 28))
            etp, vrs = registration.etape
            for elp, lse, father in contract:
                prc = "O" if elp in acquired else "N"
                info = self.graph.elements[elp]
                out.ip.append(
                    {
                        "cod_anu": self.year,
                        "cod_ind": student.cod_ind,
                        "cod_etp": etp,
                        "cod_vrs_vet": vrs,
                        "cod_elp": elp,
                        "cod_lse": lse,
                        "cod_elp_sup": father,
                        "tem_prc_ice": prc,
                        "cod_cip": registration.composante,
                        "cod_pel": info.period,
                        "daa_uni_con": self.year,
                        "dat_cre_elp_con": created,
                        "dat_mod_ice": None,
                    }
                )
                if prc == "O":
                    self.stats["ip_prc"] += 1
                    continue
                if rng.random() < 0.03:
                    continue  # not yet placed in a group
                self._join(out, member_of, student.cod_ind, self.element_groups.get(elp), rng)
                self._join(
                    out, member_of, student.cod_ind, self.element_groups.get("TP:" + elp), rng
                )
            if registration.administrative:
                self._join(
                    out, member_of, student.cod_ind, self.etape_groups.get(registration.etape), rng
                )
        self.stats["memberships"] += len(out.memberships)
        return out

    def _join(
        self,
        out: StudentRows,
        member_of: set[int],
        cod_ind: int,
        groups: list[Group] | None,
        rng: random.Random,
    ) -> None:
        if not groups:
            return
        group = rng.choice(groups)
        chosen = [group]
        nested = self.children.get(group.code)
        if nested:
            chosen.append(rng.choice(nested))
        for item in chosen:
            if item.code not in member_of:
                member_of.add(item.code)
                out.memberships.append(
                    {"cod_anu": self.year, "cod_ind": cod_ind, "cod_gpe": item.code}
                )

    def _acquired(
        self, contract: list[tuple[str, str, str | None]], rng: random.Random
    ) -> set[str]:
        """Elements a repeater validated last year: some UE and everything under them."""
        roots = {elp for elp, _l, _f in contract if self.graph.elements[elp].nature == "UE"}
        chosen = {elp for elp in sorted(roots) if rng.random() < 0.35}
        acquired: set[str] = set()
        for elp, _lse, father in contract:
            if elp in chosen or (father is not None and father in acquired):
                acquired.add(elp)
        return acquired

    def iaa_row(self, cod_ind: int, year: str, registration: Registration) -> dict[str, object]:
        return {
            "cod_anu": year,
            "cod_ind": cod_ind,
            "eta_iaa": "A" if registration.state == "A" else "E",
            "cod_rgi": "2" if registration.profile == "FP" else "1",
            "cod_pru": registration.profile,
            "dat_cre_iaa": year_date(year, 7, 15),
            "dat_mod_iaa": None,
        }

    def iae_row(self, cod_ind: int, registration: Registration) -> dict[str, object]:
        etp, vrs = registration.etape
        dip, vdi = registration.diplome
        created = (
            self.stamp(7, 15 + cod_ind % 14)
            if registration.year == self.year
            else (datetime(int(registration.year), 7, 20, 10, 0, 0))
        )
        return {
            "cod_anu": registration.year,
            "cod_ind": cod_ind,
            "cod_etp": etp,
            "cod_vrs_vet": vrs,
            "num_occ_iae": registration.occurrence,
            "cod_dip": dip,
            "cod_vrs_vdi": vdi,
            "cod_cmp": registration.composante,
            "cod_cge": registration.composante,
            "eta_iae": registration.state,
            "eta_pmt_iae": registration.payment,
            "tem_iae_prm": "O" if registration.main else "N",
            "cod_pru": registration.profile,
            "dat_cre_iae": created,
            "dat_mod_iae": None,
        }

    def past_rows(self, student: Student) -> Iterator[tuple[str, dict[str, object]]]:
        """Last year's administrative rows (no contract: earlier years are not re-read)."""
        for registration in student.past:
            yield "iaa", self.iaa_row(student.cod_ind, registration.year, registration)
            yield "iae", self.iae_row(student.cod_ind, registration)


# ---- groups ------------------------------------------------------------------------------------


def expected_sizes(
    catalogue: Catalogue, graph: Graph, headcount: dict[tuple[str, int], int]
) -> dict[str, int]:
    """Students every element of an obligatory branch will have (through 'O' lists only)."""
    sizes: dict[str, int] = {}
    for key, students in headcount.items():
        stack = [edge.lse for edge in graph.vet_lists.get(key, []) if edge.closed is None]
        seen: set[str] = set()
        while stack:
            lse = stack.pop()
            info = graph.lists[lse]
            if info.kind != "O" or lse in seen:
                continue
            seen.add(lse)
            for child in info.elements:
                sizes[child] = sizes.get(child, 0) + students
                stack.extend(e.lse for e in graph.elp_lists.get(child, []) if e.closed is None)
    return sizes


def build_groups(catalogue: Catalogue, graph: Graph, population: Population, seed: int) -> None:
    rng = stream(seed, "groups")
    year = catalogue.year
    y = int(year)
    sizes = expected_sizes(catalogue, graph, population.headcount)
    big_ranks = {e.key for e in catalogue.etapes if e.big and e.rank <= 2}
    eligible_elements: set[str] = set()
    for key in sorted(big_ranks):
        for edge in graph.vet_lists.get(key, []):
            stack = [edge.lse]
            while stack:
                info = graph.lists[stack.pop()]
                for child in info.elements:
                    if child not in eligible_elements:
                        eligible_elements.add(child)
                        stack.extend(e.lse for e in graph.elp_lists.get(child, []))
    code = 1
    groups = population.groups
    dirt = population.dirt
    nested_left = max(1, len(population.students) // 3000)
    expired_left = max(1, len(population.students) // 5000)
    for elp in sorted(eligible_elements):
        element = catalogue.elements[elp]
        size = sizes.get(elp, 0)
        if element.nature not in COURSE_NATURES or size < 60 or element.nature == "STAG":
            continue
        td_count = min(15, max(2, round(size / 35)))
        tds = []
        for number in range(1, td_count + 1):
            td_label = f"{element.label[:28]} TD{number}"
            group = Group(
                code, f"TD{number}", td_label, "TD", str(y - rng.randint(0, 3)), None, elp, None
            )
            groups.append(group)
            tds.append(group)
            code += 1
        if rng.random() < 0.25:
            nested = nested_left > 0
            tp_count = min(15, td_count * 2)
            for number in range(1, tp_count + 1):
                parent = tds[(number - 1) // 2].code if nested else None
                groups.append(
                    Group(
                        code,
                        f"TP{number}",
                        f"{element.label[:28]} TP{number}",
                        "TP",
                        str(y - 1),
                        None,
                        elp,
                        None,
                        parent,
                    )
                )
                code += 1
            if nested:
                nested_left -= 1
                _bump(dirt, "nested_group_sets")
        if expired_left > 0:
            groups.append(
                Group(
                    code,
                    "TDX",
                    f"{element.label[:28]} TD ancien",
                    "TD",
                    str(y - 4),
                    str(y - 1),
                    elp,
                    None,
                )
            )
            code += 1
            expired_left -= 1
            _bump(dirt, "expired_groups")
    unlabelled = 0
    largest = sorted(population.headcount, key=lambda k: (-population.headcount[k], k))[:2]
    for etape in catalogue.etapes:
        students = population.headcount.get(etape.key, 0)
        if students < 40 and etape.key not in largest:
            continue
        for number in range(min(4, max(2, students // 60))):
            letter = "ABCD"[number]
            label: str | None = f"Groupe {letter} {etape.short}"[:40]
            if unlabelled < max(1, len(population.students) // 10000) and number == 1:
                label = None
                unlabelled += 1
            groups.append(
                Group(code, f"GR{letter}", label, "GRP", str(y - 2), None, None, etape.key)
            )
            code += 1
    _bump(dirt, "groups_without_label", unlabelled)


# ---- teachers ----------------------------------------------------------------------------------


def build_teachers(catalogue: Catalogue, population: Population, seed: int, students: int) -> None:
    rng = stream(seed, "teachers")
    amount = max(15, round(students / 20))
    composantes = [c.code for c in catalogue.composantes if c.in_service]
    dirt = population.dirt
    mails: set[str] = set()
    for number in range(amount):
        sex, given, surname = labels.person_names(rng)
        local = labels.mail_local(given, surname)
        mail = f"{local}@{MAIL_DOMAIN}"
        suffix = 2
        while mail in mails:
            mail = f"{local}{suffix}@{MAIL_DOMAIN}"
            suffix += 1
        mails.add(mail)
        teacher = Teacher(
            emp_id=str(FIRST_EMP_ID + number),
            sex=sex,
            given=given,
            surname=surname,
            composante=composantes[number % len(composantes)],
            uid="",
            mail=mail,
            ade_mails=(mail,),
        )
        roll = number % 25
        if roll in (3, 13, 21):  # contract teachers: ADE knows the e-mail
            teacher.affiliations = ("teacher", "faculty", "employee", "member")
            teacher.primary = "teacher"
            teacher.ade_code = False
            teacher.ade_mails = (mail[0].upper() + mail[1:],)
            _bump(dirt, "teachers_known_by_email_only")
        elif roll in (5, 17):  # external lecturers, a personal address in ADE
            teacher.emp_id = None
            teacher.affiliations = ("affiliate", "teacher")
            teacher.primary = "affiliate"
            teacher.other_mail = f"{local}@exemple-conseil.fr"
            teacher.ade_code = False
            teacher.ade_mails = (teacher.other_mail,)
            _bump(dirt, "external_teachers_personal_mail")
        elif roll == 7:
            teacher.ade_mails = (mail, f"{local[0]}.{local.split('.')[-1]}@labo-exemple.fr")
            _bump(dirt, "teachers_with_two_ade_mails")
        elif roll == 9:
            teacher.in_directory = False
            _bump(dirt, "teachers_missing_from_directory")
        elif roll == 11 and number % 50 == 11:
            teacher.ade_mails = ()
            _bump(dirt, "teachers_with_code_only")
        if roll in (0, 10, 20):
            teacher.affiliations = ("faculty", "researcher", "employee", "member")
        population.teachers.append(teacher)
