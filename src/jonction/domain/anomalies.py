"""What in Apogée prevents a clean Moodle, found in REFER: pure rules over a snapshot.

Each anomaly names a rule, the composante it belongs to (so that scolarité sees its own), the
codes and labels where it is, and a detail; the dashboard says why it matters and how to fix
it in Apogée, per rule. Registrations the refer step left out for ordinary reasons (unpaid,
cancelled) are not anomalies: explain shows them person by person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .refer_model import ReferSnapshot

# Moodle's limit on a course's full name (course.fullname is 254 characters).
MAX_LABEL = 254
# Exclusions about the catalogue's structure: modelling problems, not a student's situation.
STRUCTURE_KINDS = frozenset({"element", "link", "list", "cycle", "group", "etape"})

RULES = (
    "element_without_label",
    "label_too_long",
    "course_element_without_students",
    "etape_without_composante",
    "group_attached_to_nothing",
    "catalogue_cycle",
    "left_out_of_catalogue",
    "primary_parent_changed",
    "ade_code_without_element",
    "teacher_without_account",
    "student_without_account",
    "space_collision",
)
# Notices of the night's steps that are anomalies for scolarité, by rule.
NOTICE_RULES = {
    "ade_code_without_element": "ade_code_without_element",
    "instructor_without_account": "teacher_without_account",
    "instructor_without_key": "teacher_without_account",
    "student_without_account": "student_without_account",
    "student_without_directory_entry": "student_without_account",
    "student_without_number": "student_without_account",
    "space_conflict": "space_collision",
    "space_duplicates_course": "space_collision",
    "space_is_catalogue_course": "space_collision",
    "space_cohort_collision": "space_collision",
}
_CODE = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True, slots=True)
class Anomaly:
    rule: str
    composante: str  # "" when unknown
    code: str  # the object's codes
    label: str
    detail: str = ""


def _element_rules(snapshot: ReferSnapshot, natures: frozenset[str]) -> Iterator[Anomaly]:
    registered = {ip.element for ip in snapshot.pedagogical_registrations}
    for code, element in sorted(snapshot.elements.items()):
        label = element.label.strip()
        if not label or label == code:
            yield Anomaly("element_without_label", element.composante, code, label, element.nature)
        elif len(label) > MAX_LABEL:
            yield Anomaly(
                "label_too_long", element.composante, code, label[:80] + "…", str(len(label))
            )
        if element.nature in natures and code not in registered:
            yield Anomaly(
                "course_element_without_students",
                element.composante,
                code,
                label,
                element.nature,
            )


def _structure_rules(snapshot: ReferSnapshot) -> Iterator[Anomaly]:
    for key, etape in sorted(snapshot.etapes.items()):
        if not etape.composante or etape.composante not in snapshot.composantes:
            yield Anomaly("etape_without_composante", "", str(key), etape.label, etape.composante)
    for code, group in sorted(snapshot.groups.items()):
        attached_element = group.element is not None and group.element in snapshot.elements
        attached_etape = group.etape is not None and group.etape in snapshot.etapes
        if not (attached_element or attached_etape):
            target = group.element or (str(group.etape) if group.etape else "")
            composante = ""
            if group.element in snapshot.elements:
                composante = snapshot.elements[group.element].composante
            yield Anomaly(
                "group_attached_to_nothing",
                composante,
                f"{code} ({group.ext_code})",
                group.label,
                target,
            )


def _left_out(snapshot: ReferSnapshot) -> Iterator[Anomaly]:
    for item in snapshot.exclusions:
        if item.kind not in STRUCTURE_KINDS and "cycle" not in item.reason:
            continue
        composante = ""
        if item.element and item.element in snapshot.elements:
            composante = snapshot.elements[item.element].composante
        elif item.etape and item.etape in snapshot.etapes:
            composante = snapshot.etapes[item.etape].composante
        label = snapshot.elements[item.element].label if item.element in snapshot.elements else ""
        rule = "catalogue_cycle" if "cycle" in item.reason else "left_out_of_catalogue"
        yield Anomaly(rule, composante, item.key, label, item.detail or item.reason)


def _element_composante(snapshot: ReferSnapshot, codes: Iterable[str]) -> str:
    """The composante of the first element named in `codes` (course idnumbers or codes)."""
    for code in codes:
        for token in _CODE.findall(code):
            element = snapshot.elements.get(token)
            if element is not None:
                return element.composante
    return ""


def _notice_anomaly(snapshot: ReferSnapshot, notice: Mapping[str, Any]) -> Anomaly:
    """An anomaly from a notice of the last night (`kind`, `key`, `message`, `data`)."""
    rule = NOTICE_RULES[notice["kind"]]
    data = notice.get("data") or {}
    composante = str(data.get("composante") or "")
    label = ""
    if rule == "student_without_account":
        cod_ind = data.get("cod_ind")
        student = snapshot.students.get(cod_ind) if isinstance(cod_ind, int) else None
        if student is not None:
            label = f"{student.last_name} {student.first_name}"
        composante = composante or next(
            (r.composante for r in snapshot.admin_registrations if r.cod_ind == cod_ind), ""
        )
    if not composante and data.get("etapes"):
        by_name = {str(key): etape.composante for key, etape in snapshot.etapes.items()}
        composante = next((by_name[e] for e in data["etapes"] if e in by_name), "")
    if not composante:
        codes = [str(c) for c in data.get("courses") or ()] + [str(data.get("code") or "")]
        composante = _element_composante(snapshot, codes)
    return Anomaly(rule, composante, str(notice["key"]), label, str(notice["message"]))


def _identity(anomaly: Anomaly) -> object:
    """What names the object of an anomaly whatever the step that reported it: a student
    without a number is named by the users step and numbered (COD_IND) by the enrolments step;
    both give the name, in either order."""
    if anomaly.rule != "student_without_account" or anomaly.code.isdigit():
        return anomaly.code
    name = anomaly.label or anomaly.code
    return frozenset(word.casefold() for word in name.split())


def _parent_change(snapshot: ReferSnapshot, op: Mapping[str, Any]) -> Anomaly | None:
    """A shared course moved (or re-attached) to another primary parent by the last offer."""
    before, after = op.get("before") or {}, op.get("after") or {}
    if not before.get("etape") or before.get("etape") == after.get("etape"):
        return None
    source = op.get("source") or {}
    element = str(source.get("element") or "")
    known = snapshot.elements.get(element)
    return Anomaly(
        "primary_parent_changed",
        known.composante if known is not None else "",
        element or str(op["key"]),
        known.label if known is not None else str(op.get("label") or ""),
        f"{before.get('etape')} → {after.get('etape')}: {op.get('reason') or ''}",
    )


def journal_anomalies(
    snapshot: ReferSnapshot,
    notices: Iterable[Mapping[str, Any]],
    course_changes: Iterable[Mapping[str, Any]],
) -> list[Anomaly]:
    """Anomalies the last night's steps met: its notices (ADE codes, accounts, spaces) and the
    courses the offer step moved to another primary parent (operations with before/after)."""
    found: list[Anomaly] = []
    seen: set[tuple[str, object]] = set()
    for notice in notices:  # a student without account is reported by two steps: once
        if notice["kind"] in NOTICE_RULES:
            anomaly = _notice_anomaly(snapshot, notice)
            identity = (anomaly.rule, _identity(anomaly))
            if identity not in seen:
                seen.add(identity)
                found.append(anomaly)
    for op in course_changes:
        change = _parent_change(snapshot, op)
        if change is not None:
            found.append(change)
    return found


def find_anomalies(
    snapshot: ReferSnapshot,
    course_natures: Iterable[str],
    night: Iterable[Anomaly] = (),
) -> list[Anomaly]:
    """Every anomaly of the snapshot, and those of the last night, by rule then code."""
    natures = frozenset(course_natures)
    found = [
        *_element_rules(snapshot, natures),
        *_structure_rules(snapshot),
        *_left_out(snapshot),
        *night,
    ]
    order = {rule: index for index, rule in enumerate(RULES)}
    return sorted(found, key=lambda a: (order[a.rule], a.composante, a.code))
