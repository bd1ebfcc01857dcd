"""What in Apogée prevents a clean Moodle, found in REFER: pure rules over a snapshot.

Each anomaly names a rule, the composante it belongs to (so that scolarité sees its own), the
codes and labels where it is, and a detail; the dashboard says why it matters and how to fix
it in Apogée, per rule. Registrations the refer step left out for ordinary reasons (unpaid,
cancelled) are not anomalies: explain shows them person by person.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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
)


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


def find_anomalies(snapshot: ReferSnapshot, course_natures: Iterable[str]) -> list[Anomaly]:
    """Every anomaly of the snapshot, by rule then code."""
    natures = frozenset(course_natures)
    found = [
        *_element_rules(snapshot, natures),
        *_structure_rules(snapshot),
        *_left_out(snapshot),
    ]
    order = {rule: index for index, rule in enumerate(RULES)}
    return sorted(found, key=lambda a: (order[a.rule], a.composante, a.code))
