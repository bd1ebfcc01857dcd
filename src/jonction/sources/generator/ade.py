"""The ADE timetable of the synthetic university, as saved ADE web API answers.

Files (shapes of shared/ade): `getResources.xml` (flat `tree=false`, detail 11: trainee
folders per composante and étape with group leaves, instructor folders per composante,
classrooms, `category5` courses carrying the ELP code in `code`, or only in the name as
`CODE : label`) and `getEvents.xml` (detail 8) covering a window of weeks, plus
`project.json` and `README.md` stating the project id, week 0 and the slot layout.

Project layout: week 0 is the Monday of the week of 17 August of the academic year, 7 days a
week, 68 slots of 15 minutes from 07:00; `absoluteSlot = (week × 7 + day) × 68 + slot`.
Dirt, counted: co-teaching, events without teacher, the placeholder `ENSEIGNANT À AFFECTER`,
instructors known only by e-mail, with two e-mails (`a;b`) or a personal address, activities
whose course code matches no element, FOAD course activities, empty lastUpdate/creation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree

from . import labels
from .catalogue import Catalogue
from .dirt import COURSE_NATURES
from .model import Group, stream
from .population import Population

DAYS_PER_WEEK = 7
SLOTS_PER_DAY = 68
SLOT_MINUTES = 15
FIRST_HOUR = 7
DEFAULT_WEEKS = (3, 18)  # first semester: early September to mid December
PLACEHOLDER = "ENSEIGNANT À AFFECTER"
RESOURCE_ATTRIBUTES = (
    "id",
    "name",
    "path",
    "category",
    "isGroup",
    "type",
    "email",
    "url",
    "consumer",
    "size",
    "lastUpdate",
    "creation",
    "lastSlot",
    "lastDay",
    "lastWeek",
    "firstSlot",
    "firstDay",
    "firstWeek",
    "durationInMinutes",
    "nbEventsPlaced",
    "availableQuantity",
    "number",
    "fatherName",
    "fatherId",
    "info",
    "codeZ",
    "codeY",
    "codeX",
    "manager",
    "jobCategory",
    "timezone",
    "fax",
    "telephone",
    "country",
    "city",
    "state",
    "zipCode",
    "address2",
    "address1",
    "code",
    "color",
)
STARTS = (4, 10, 16, 24, 30, 36, 42)  # 08:00, 09:30, 11:00, 13:00, 14:30, 16:00, 17:30
COLORS = ("102,153,255", "153,204,255", "0,217,108", "0,128,255", "255,223,0", "255,140,102")

Attributes = dict[str, str]


@dataclass(slots=True)
class Event:
    attributes: Attributes
    resources: list[Attributes]


@dataclass(slots=True)
class Timetable:
    resources: list[Attributes] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    project: dict[str, object] = field(default_factory=dict)
    dirt: dict[str, int] = field(default_factory=dict)

    def bump(self, case: str, amount: int = 1) -> None:
        self.dirt[case] = self.dirt.get(case, 0) + amount


def week_zero(year: str) -> date:
    anchor = date(int(year), 8, 17)
    return anchor - timedelta(days=anchor.weekday())


def project_id(year: str) -> int:
    return int(year) - 2000  # one ADE project per academic year


def us_stamp(day: date, hour: int, minute: int) -> str:
    """lastUpdate/creation: month first, MM/DD/YYYY HH:MM."""
    return f"{day.month:02d}/{day.day:02d}/{day.year} {hour:02d}:{minute:02d}"


def resource(
    rid: int, name: str, category: str, folder: bool, father: Attributes | None, **extra: str
) -> Attributes:
    values = dict.fromkeys(RESOURCE_ATTRIBUTES, "")
    path = "" if father is None else f"{father['path']}{father['name']}."
    values.update(
        id=str(rid),
        name=name,
        path=path,
        category=category,
        isGroup="true" if folder else "false",
        consumer="false",
        size="0" if category == "classroom" and folder else "1",
        lastSlot="-1",
        lastDay="-1",
        lastWeek="-1",
        firstSlot="-1",
        firstDay="-1",
        firstWeek="-1",
        durationInMinutes="0",
        nbEventsPlaced="0",
        availableQuantity="1",
        number="1",
        fatherName="" if father is None else father["name"],
        fatherId="-1" if father is None else father["id"],
        color="255,255,255",
    )
    values.update(extra)
    return values


class TimetableBuilder:
    def __init__(
        self,
        catalogue: Catalogue,
        population: Population,
        seed: int,
        reach_etapes: dict[str, set[tuple[str, int]]],
        weeks: tuple[int, int] = DEFAULT_WEEKS,
    ) -> None:
        self.catalogue = catalogue
        self.population = population
        self.rng = stream(seed, "ade")
        self.reach = reach_etapes
        self.weeks = weeks
        self.year = catalogue.year
        self.week0 = week_zero(self.year)
        self.table = Timetable()
        self.next_node = 900001
        self.next_event = 300001
        self.next_activity = 60001
        created = date(int(self.year), 6, 12)
        self.stamp_created = us_stamp(created, 9, 30)
        self.stamp_updated = us_stamp(created + timedelta(days=30), 14, 5)

    def build(self) -> Timetable:
        table = self.table
        trainees, vet_folders, group_leaves = self._trainees()
        instructors, placeholders = self._instructors()
        rooms = self._rooms()
        courses = self._courses()
        table.resources = trainees + instructors + rooms + courses[0]
        self._events(vet_folders, group_leaves, instructors, placeholders, rooms, courses[1])
        self._statistics()
        table.project = {
            "project_id": project_id(self.year),
            "name": f"{self.year}-{int(self.year) + 1}",
            "academic_year": self.year,
            "week0": self.week0.isoformat(),
            "days_per_week": DAYS_PER_WEEK,
            "slots_per_day": SLOTS_PER_DAY,
            "slot_minutes": SLOT_MINUTES,
            "first_slot": f"{FIRST_HOUR:02d}:00",
            "weeks": list(self.weeks),
            "course_category": "category5",
            "course_code": "code of category5 resources (or 'CODE : label' in the name)",
            "teacher_code": "code of instructor resources = supannEmpId",
            "files": {"resources": "getResources.xml", "events": "getEvents.xml"},
        }
        return table

    def _trainees(
        self,
    ) -> tuple[
        list[Attributes], dict[tuple[str, int], Attributes], dict[tuple[str, int], list[Attributes]]
    ]:
        rows: list[Attributes] = []
        folders: dict[tuple[str, int], Attributes] = {}
        leaves: dict[tuple[str, int], list[Attributes]] = {}
        rid = 10001
        groups_of: dict[tuple[str, int], list[Group]] = {}
        for group in self.population.groups:
            if group.etape is not None:
                groups_of.setdefault(group.etape, []).append(group)
        for composante in self.catalogue.composantes:
            etapes = [
                e for e in self.catalogue.etapes if e.composante == composante.code and e.offered
            ]
            if not etapes:
                continue
            top = resource(rid, composante.label, "trainee", True, None)
            rows.append(top)
            rid += 1
            for etape in etapes:
                folder = resource(rid, etape.label, "trainee", True, top, code=etape.code)
                rows.append(folder)
                folders[etape.key] = folder
                rid += 1
                for group in groups_of.get(etape.key, []):
                    leaf = resource(
                        rid,
                        f"{etape.short} {group.external}"[:60],
                        "trainee",
                        False,
                        folder,
                        code=f"{etape.code}-{group.external}",
                    )
                    rows.append(leaf)
                    leaves.setdefault(etape.key, []).append(leaf)
                    rid += 1
        return rows, folders, leaves

    def _instructors(self) -> tuple[list[Attributes], list[Attributes]]:
        rows: list[Attributes] = []
        placeholders: list[Attributes] = []
        rid = 20001
        folders: dict[str, Attributes] = {}
        for composante in self.catalogue.composantes:
            if composante.in_service:
                folder = resource(rid, composante.short, "instructor", True, None)
                folders[composante.code] = folder
                rows.append(folder)
                rid += 1
        folders["EXT"] = resource(rid, "Vacataires", "instructor", True, None)
        rows.append(folders["EXT"])
        rid += 1
        for number, teacher in enumerate(self.population.teachers):
            if number % 33 == 32:
                self.table.bump("directory_teachers_not_in_ade")
                continue
            father = folders["EXT"] if teacher.emp_id is None else folders[teacher.composante]
            name = f"{teacher.surname.upper()} {teacher.given}"
            row = resource(
                rid,
                name,
                "instructor",
                False,
                father,
                email=";".join(teacher.ade_mails),
                code=teacher.emp_id if teacher.ade_code and teacher.emp_id else "",
            )
            rows.append(row)
            rid += 1
        for number, folder in enumerate(list(folders.values())[:: max(1, len(folders) // 3)]):
            row = resource(rid + number, PLACEHOLDER, "instructor", False, folder)
            rows.append(row)
            placeholders.append(row)
        self.table.bump("placeholder_instructors", len(placeholders))
        return rows, placeholders

    def _rooms(self) -> list[Attributes]:
        rng = self.rng
        rows: list[Attributes] = []
        campus = resource(40001, "Campus Exemple", "classroom", True, None)
        rows.append(campus)
        rid = 40002
        buildings = ("Bât. Pasteur", "Bât. Curie", "Bât. Montesquieu", "Bât. Hugo", "Bât. Darwin")
        amount = max(6, len(self.population.students) // 80)
        folders = []
        for name in buildings:
            folder = resource(
                rid,
                name,
                "classroom",
                True,
                campus,
                country="France",
                city="Exempleville",
                zipCode="99000",
                address1="1 rue de l'Exemple",
                code=f"BAT-{name[5:8].upper()}",
            )
            rows.append(folder)
            folders.append(folder)
            rid += 1
        for number in range(amount):
            father = folders[number % len(folders)]
            kind, size = rng.choice(
                (("Amphithéâtre", 250), ("Salle TD", 40), ("Salle TD", 36), ("Salle TP", 24))
            )
            prefix = father["name"][5]
            name = (
                f"Amphi {prefix}{number}"
                if kind == "Amphithéâtre"
                else (
                    f"{prefix}{100 + number}" if kind == "Salle TD" else f"{prefix}{number}.04 Info"
                )
            )
            rows.append(
                resource(
                    rid,
                    name,
                    "classroom",
                    False,
                    father,
                    type=kind,
                    size=str(size),
                    country="France",
                    city="Exempleville",
                    zipCode="99000",
                    address1="1 rue de l'Exemple",
                )
            )
            rid += 1
        return rows

    def _courses(self) -> tuple[list[Attributes], dict[str, Attributes]]:
        """category5 resources, one per scheduled course element, under its diplôme folder."""
        rng = self.rng
        rows: list[Attributes] = []
        leaves: dict[str, Attributes] = {}
        rid = 50001
        etapes = {e.key: e for e in self.catalogue.etapes}
        dip_of = {e.key: e.vdis[0][0] for e in self.catalogue.etapes if e.vdis}
        labels_of = {d.code: d.label for d in self.catalogue.diplomes}
        folders: dict[str, Attributes] = {}
        for code in sorted(self.reach):
            element = self.catalogue.elements[code]
            if element.nature not in COURSE_NATURES or rng.random() < 0.15:
                continue
            main = min(self.reach[code])
            dip = dip_of.get(main, "TRANSV")
            if element.composante == "LCE":
                dip = "TRANSV"
            folder = folders.get(dip)
            if folder is None:
                folder = resource(rid, labels_of.get(dip, "Transversal"), "category5", True, None)
                folders[dip] = folder
                rows.append(folder)
                rid += 1
            label = labels.ascii_fold(element.label) if "¿" in element.label else element.label
            if rng.random() < 0.03:
                leaf = resource(rid, f"{code} : {label}", "category5", False, folder)
                self.table.bump("course_code_only_in_name")
            else:
                leaf = resource(rid, label, "category5", False, folder, code=code)
            if any(etapes[key].foad for key in self.reach[code]) and all(
                etapes[key].foad for key in self.reach[code]
            ):
                leaf["info"] = "FOAD"
            rows.append(leaf)
            leaves[code] = leaf
            rid += 1
        unknown = resource(rid, "Conférences de méthode", "category5", True, None)
        rows.append(unknown)
        for number in range(max(1, len(self.population.students) // 3000)):
            leaf = resource(
                rid + 1 + number,
                f"Conférence de méthode {number + 1}",
                "category5",
                False,
                unknown,
                code=f"ZZCONF{number + 1:02d}",
            )
            rows.append(leaf)
            leaves[f"ZZCONF{number + 1:02d}"] = leaf
        return rows, leaves

    # ---- events ------------------------------------------------------------------------------

    def _participant(self, row: Attributes, node_or: int = -1) -> Attributes:
        node = self.next_node
        self.next_node += 1
        return {
            "fromWorkflow": "false",
            "nodeId": str(node),
            "nodeOrId": str(node_or),
            "quantity": "1",
            "category": row["category"],
            "name": row["name"],
            "id": row["id"],
        }

    def _event(
        self,
        activity: int,
        repetition: int,
        name: str,
        duration: int,
        participants: Sequence[Attributes],
        color: str,
    ) -> None:
        rng = self.rng
        week = rng.randint(self.weeks[0], self.weeks[1])
        day = rng.randint(0, 4)
        slot = rng.choice([s for s in STARTS if s + duration <= 56])
        start = FIRST_HOUR * 60 + slot * SLOT_MINUTES
        end = start + duration * SLOT_MINUTES
        when = self.week0 + timedelta(days=week * 7 + day)
        empty = rng.random() < 0.02
        if empty:
            self.table.bump("events_with_empty_last_update")
        moved = rng.random() < 0.2
        attributes = {
            "id": str(self.next_event),
            "activityId": str(activity),
            "session": "0",
            "repetition": str(repetition),
            "name": name,
            "endHour": f"{end // 60:02d}:{end % 60:02d}",
            "startHour": f"{start // 60:02d}:{start % 60:02d}",
            "date": f"{when.day:02d}/{when.month:02d}/{when.year}",
            "absoluteSlot": str((week * DAYS_PER_WEEK + day) * SLOTS_PER_DAY + slot),
            "slot": str(slot),
            "day": str(day),
            "week": str(week),
            "additionalResources": "0",
            "duration": str(duration),
            "info": "",
            "note": "",
            "color": color,
            "isLockPosition": "false",
            "oldDuration": str(duration) if moved else "-1",
            "oldSlot": str(slot) if moved else "-1",
            "oldDay": str(day) if moved else "-1",
            "oldWeek": str(week) if moved else "-1",
            "lastUpdate": "" if empty else self.stamp_updated,
            "creation": "" if empty else self.stamp_created,
            "isLockResources": "false",
            "isSoftKeepResources": "false",
            "isNoteLock": "false",
            "isStrongLock": "false",
        }
        self.next_event += 1
        resources = []
        for row in participants:
            chosen_room = row["category"] == "classroom" and rng.random() < 0.5
            if chosen_room:
                self.next_node += 1  # the "one of" request node
            resources.append(self._participant(row, self.next_node - 1 if chosen_room else -1))
        self.table.events.append(Event(attributes, resources))

    def _events(
        self,
        vet_folders: dict[tuple[str, int], Attributes],
        group_leaves: dict[tuple[str, int], list[Attributes]],
        instructors: list[Attributes],
        placeholders: list[Attributes],
        rooms: list[Attributes],
        courses: dict[str, Attributes],
    ) -> None:
        rng = self.rng
        table = self.table
        teachers = [
            row for row in instructors if row["isGroup"] == "false" and row["name"] != PLACEHOLDER
        ]
        by_folder: dict[str, list[Attributes]] = {}
        for row in teachers:
            by_folder.setdefault(row["fatherId"], []).append(row)
        folder_of_cmp = {row["name"]: row["id"] for row in instructors if row["isGroup"] == "true"}
        short_of = {c.code: c.short for c in self.catalogue.composantes}
        halls = [row for row in rooms if row["isGroup"] == "false"]
        etapes = {e.key: e for e in self.catalogue.etapes}
        idle = {row["id"] for row in teachers[7::40]}  # known to ADE, nothing scheduled
        busy = [row for row in teachers if row["id"] not in idle]
        table.bump("instructors_without_events", len(idle))
        for code in sorted(courses):
            course = courses[code]
            activity = self.next_activity
            self.next_activity += 1
            color = rng.choice(COLORS)
            element = self.catalogue.elements.get(code)
            if element is None:
                table.bump("activities_with_unknown_course_code")
                keys: list[tuple[str, int]] = []
                label = course["name"]
                pool = busy
            else:
                keys = sorted(self.reach.get(code, ()))
                label = element.label
                folder_id = folder_of_cmp.get(short_of.get(element.composante, ""), "")
                pool = [r for r in by_folder.get(folder_id, []) if r["id"] not in idle] or busy
            if keys and all(etapes[key].foad for key in keys):
                table.bump("foad_course_activities")
            trainees = [vet_folders[key] for key in keys[:2] if key in vet_folders]
            roll = rng.random()
            if roll < 0.02:
                staff: list[Attributes] = []
                table.bump("events_without_teacher")
            elif roll < 0.03:
                staff = [rng.choice(placeholders)]
                table.bump("events_with_placeholder_teacher")
            elif roll < 0.13:
                staff = rng.sample(pool, min(2, len(pool)))
                table.bump("co_taught_events")
            else:
                staff = [rng.choice(pool)]
            room = [rng.choice(halls)] if halls and rng.random() < 0.9 else []
            for repetition in range(rng.choice((1, 1, 2))):
                self._event(
                    activity,
                    repetition,
                    f"{label} - CM",
                    rng.choice((6, 8)),
                    [*trainees, *staff, course, *room],
                    color,
                )
            if keys and rng.random() < 0.4 and pool:
                activity = self.next_activity
                self.next_activity += 1
                groups = group_leaves.get(keys[0], [])
                who = [rng.choice(groups)] if groups else trainees[:1]
                self._event(
                    activity, 0, f"{label} - TD", 8, [*who, rng.choice(pool), course, *room], color
                )
        for key in sorted(vet_folders)[:: max(1, len(vet_folders) // 5)]:
            activity = self.next_activity
            self.next_activity += 1
            self._event(
                activity,
                0,
                f"Réunion de rentrée {etapes[key].label}",
                4,
                [vet_folders[key]],
                "230,230,230",
            )
            table.bump("activities_without_course")

    def _statistics(self) -> None:
        """Per resource: events placed, minutes and first/last placement, as ADE reports."""
        placed: dict[str, list[tuple[int, int, int, int]]] = {}
        for event in self.table.events:
            a = event.attributes
            item = (int(a["week"]), int(a["day"]), int(a["slot"]), int(a["duration"]))
            for participant in event.resources:
                placed.setdefault(participant["id"], []).append(item)
        for row in self.table.resources:
            items = placed.get(row["id"])
            if not items:
                continue
            first = min(items)
            last = max(items)
            row.update(
                nbEventsPlaced=str(len(items)),
                durationInMinutes=str(sum(i[3] for i in items) * SLOT_MINUTES),
                firstWeek=str(first[0]),
                firstDay=str(first[1]),
                firstSlot=str(first[2]),
                lastWeek=str(last[0]),
                lastDay=str(last[1]),
                lastSlot=str(last[2]),
                lastUpdate=self.stamp_updated,
                creation=self.stamp_created,
            )


def build_timetable(
    catalogue: Catalogue,
    population: Population,
    seed: int,
    reach_etapes: dict[str, set[tuple[str, int]]],
    weeks: tuple[int, int] = DEFAULT_WEEKS,
) -> Timetable:
    return TimetableBuilder(catalogue, population, seed, reach_etapes, weeks).build()


# ---- files -----------------------------------------------------------------------------------


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
        .replace("\n", "&#10;")
    )


def _tag(name: str, attributes: Attributes, close: bool = True) -> str:
    body = " ".join(f'{key}="{_attr(value)}"' for key, value in attributes.items())
    return f"<{name} {body}{'/' if close else ''}>"


def resources_xml(resources: Iterable[Attributes]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<resources>\n'
    for row in resources:
        yield f"\t{_tag('resource', row)}\n"
    yield "</resources>\n"


def events_xml(events: Iterable[Event]) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<events>\n'
    for event in events:
        lines = [f"\t{_tag('event', event.attributes, close=False)}", "\t\t<resources>"]
        lines.extend(f"\t\t\t{_tag('resource', row)}" for row in event.resources)
        lines.extend(("\t\t</resources>", "\t\t<additional/>", "\t</event>"))
        yield "\n".join(lines) + "\n"
    yield "</events>\n"


README = """# ADE answers of the jonction test university (synthetic)

Saved answers of ADE's web API for project {project_id} ({name}), written by
`jonction generate-apogee` and changed by `jonction evolve-apogee`:

- `getResources.xml`: `function=getResources&tree=false&detail=11` (every category, flat).
  Courses are `category5` resources whose `code` is the Apogée COD_ELP (a few carry the code
  only in their name, `CODE : label`); instructors carry `code` = supannEmpId and `email`
  (some only an e-mail, some two separated by `;`, externals a personal address).
- `getEvents.xml`: `function=getEvents&detail=8` over weeks {first}-{last}.

Project layout: week 0 = Monday {week0}, {days} days a week, {slots} slots of {minutes} minutes
from {start}; `absoluteSlot = (week x {days} + day) x {slots} + slot`. Event `date` is
DD/MM/YYYY, `lastUpdate`/`creation` are MM/DD/YYYY HH:MM.
"""


def write_timetable(table: Timetable, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    project = table.project
    weeks = project["weeks"]
    assert isinstance(weeks, list)
    files: dict[str, Iterable[str]] = {
        "getResources.xml": resources_xml(table.resources),
        "getEvents.xml": events_xml(table.events),
        "project.json": [json.dumps(project, indent=2, ensure_ascii=False) + "\n"],
        "README.md": [
            README.format(
                project_id=project["project_id"],
                name=project["name"],
                first=weeks[0],
                last=weeks[1],
                week0=project["week0"],
                days=DAYS_PER_WEEK,
                slots=SLOTS_PER_DAY,
                minutes=SLOT_MINUTES,
                start=project["first_slot"],
            )
        ],
    }
    for name, parts in files.items():
        temporary = folder / f".{name}.tmp"
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(parts)
        temporary.replace(folder / name)


def read_timetable(folder: Path) -> Timetable:
    """The files of `write_timetable`, back as values (for evolve)."""
    table = Timetable()
    table.project = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    for node in ElementTree.parse(folder / "getResources.xml").getroot():
        table.resources.append(dict(node.attrib))
    for node in ElementTree.parse(folder / "getEvents.xml").getroot().iter("event"):
        participants = [dict(r.attrib) for r in node.iter("resource")]
        table.events.append(Event(dict(node.attrib), participants))
    return table
