"""The real-world dirt of a catalogue, injected on purpose and counted (`Catalogue.dirt`).

Every case has at least one instance whatever the size, so the small preset exercises them all:
closed and suspended elements that still carry registrations, closed lists, links closed in the
past (the branch below is cut) and links closing in the future (still open), an element reached
by two paths in one étape, elements of another composante than their étapes, damaged and
at-the-cap labels, old elements no list holds, one cycle in the list links (unless disabled),
and the teaching-load and carrier tables.
"""

from __future__ import annotations

import random
from datetime import date

from . import labels
from .catalogue import Catalogue, CatalogueBuilder
from .graph import Graph
from .model import Element, Etape, Link

COURSE_NATURES = frozenset(("UE", "EC", "MATI", "MATC", "MODU", "STAG", "PRJ"))


def count(base: float, students: int) -> int:
    """`base` instances at 30,000 students, scaled, never fewer than one."""
    return max(1, round(base * students / 30000))


def _count(catalogue: Catalogue, case: str, amount: int = 1) -> None:
    catalogue.dirt[case] = catalogue.dirt.get(case, 0) + amount


def _mandatory_courses(catalogue: Catalogue, graph: Graph) -> list[str]:
    """Course elements every student of a big étape takes (reached through 'O' lists only)."""
    found: dict[str, None] = {}
    for etape in catalogue.etapes:
        if not (etape.big and etape.offered):
            continue
        stack = [edge.lse for edge in graph.vet_lists.get(etape.key, [])]
        seen: set[str] = set()
        while stack:
            lse = stack.pop()
            info = graph.lists[lse]
            if info.kind != "O" or lse in seen:
                continue
            seen.add(lse)
            for child in info.elements:
                if graph.elements[child].nature == "UE":
                    found[child] = None
                stack.extend(edge.lse for edge in graph.elp_lists.get(child, []))
    return sorted(found)


def inject(builder: CatalogueBuilder, *, cycle: bool) -> None:
    catalogue = builder.cat
    rng = random.Random(builder.rng.random())
    students = builder.students
    y = builder.y
    past = date(y, 6, 30)  # before the year started: the branch is cut
    future = date(y + 1, 8, 31)  # closes at the end of the year: still open
    graph = Graph.from_catalogue(catalogue)
    mandatory = _mandatory_courses(catalogue, graph)
    rng.shuffle(mandatory)
    used: set[str] = set()

    def pick(amount: int) -> list[str]:
        chosen = [code for code in mandatory if code not in used][:amount]
        used.update(chosen)
        return chosen

    for code in pick(count(40, students)):
        catalogue.elements[code].state = "F"
        _count(catalogue, "closed_elements_with_registrations")
    for code in pick(count(25, students)):
        catalogue.elements[code].suspended = "O"
        catalogue.elements[code].label = labels.cut(catalogue.elements[code].label, 60)
        _count(catalogue, "suspended_elements_with_registrations")

    option_lists = sorted(
        code
        for code, liste in catalogue.lists.items()
        if liste.kind == "X" and liste.label.startswith("UE à choix")
    )
    rng.shuffle(option_lists)
    for code in option_lists[: count(20, students)]:
        catalogue.lists[code].state = "F"
        _count(catalogue, "closed_lists_with_registrations")

    offered_big = [etape for etape in catalogue.etapes if etape.big and etape.offered]
    for etape in rng.sample(offered_big, min(len(offered_big), count(15, students))):
        old = [builder._ue(etape, 1) for _ in range(2)]
        lse = builder.liste("O", f"Ancien tronc {etape.short}", etape.code, old)
        catalogue.links.append(Link(lse, etape.key, None, None, None, date(y - 3, 5, 1), past))
        _count(catalogue, "vet_links_closed_past")
    vet_links = [link for link in catalogue.links if link.etape is not None and not link.closed]
    for link in rng.sample(vet_links, min(len(vet_links), count(15, students))):
        link.closed = future
        _count(catalogue, "vet_links_closing_future")
    for code in pick(count(20, students)):
        element = catalogue.elements[code]
        parts = [
            builder.element(
                (element.composante[0], "OL", "1"),
                "EC",
                f"Ancien {element.label}",
                element.composante,
                element.discipline,
            )
        ]
        lse = builder.liste("O", f"Ancienne composition {code}", code, parts)
        catalogue.links.append(Link(lse, None, code, None, None, date(y - 4, 5, 1), past, 9))
        _count(catalogue, "element_links_closed_past")
    elp_links = [link for link in catalogue.links if link.element is not None and not link.closed]
    for link in rng.sample(elp_links, min(len(elp_links), count(30, students))):
        link.closed = date(y + 2, 8, 31)
        _count(catalogue, "element_links_closing_future")

    _two_paths(builder, rng, offered_big, count(20, students))
    _other_composante(catalogue, rng, pick(count(60, students)))
    _labels(catalogue, rng, count(60, students))
    _historical(builder, rng, count(6000, students))
    if cycle:
        _cycle(builder, rng, [code for code in mandatory if code not in used])


def _two_paths(
    builder: CatalogueBuilder, rng: random.Random, etapes: list[Etape], amount: int
) -> None:
    """A bonus list in the second semester repeats an element of the first."""
    catalogue = builder.cat
    graph = Graph.from_catalogue(catalogue)
    done = 0
    for etape in etapes:
        if done >= amount:
            break
        key = etape.key
        first = builder.share.first_semesters.get(key)
        semesters = [
            child
            for edge in graph.vet_lists.get(key, [])
            for child in _descend(graph, edge.lse)
            if graph.elements[child].nature == "SEM"
        ]
        if first is None or len(semesters) < 2:
            continue
        lists = graph.elp_lists.get(first, [])
        ues = [
            code
            for edge in lists
            if graph.lists[edge.lse].kind == "O"
            for code in graph.lists[edge.lse].elements
        ]
        if not ues:
            continue
        second = next(code for code in semesters if code != first)
        bonus = builder.liste("F", "Bonus et rattrapage", second, [rng.choice(ues)])
        builder.under_element(second, bonus, 8)
        _count(catalogue, "two_paths_in_one_etape")
        done += 1


def _descend(graph: Graph, lse: str) -> list[str]:
    """Elements at most two lists below `lse` (the year element, then its semesters)."""
    found = list(graph.lists[lse].elements)
    for child in list(found):
        for edge in graph.elp_lists.get(child, []):
            found.extend(graph.lists[edge.lse].elements)
    return found


def _other_composante(catalogue: Catalogue, rng: random.Random, codes: list[str]) -> None:
    others = [c.code for c in catalogue.composantes if c.in_service and c.kind != "EXT"]
    for code in codes:
        element = catalogue.elements[code]
        element.composante = rng.choice([c for c in others if c != element.composante])
        _count(catalogue, "elements_of_another_composante")


def _labels(catalogue: Catalogue, rng: random.Random, amount: int) -> None:
    elements = [e for e in catalogue.elements.values() if e.nature in COURSE_NATURES]
    with_apostrophe = [e for e in elements if "'" in e.label or "’" in e.label]
    for element in rng.sample(with_apostrophe, min(len(with_apostrophe), amount)):
        element.label = labels.damage_apostrophe(element.label)
        _count(catalogue, "damaged_labels")
    accented = [e for e in elements if "é" in e.label and "¿" not in e.label]
    for element in rng.sample(accented, min(len(accented), max(1, amount // 3))):
        element.label = labels.cut(labels.damage_utf8_as_latin1(element.label), 60)
        _count(catalogue, "damaged_labels")
    plain = [e for e in elements if e.long_label is None and len(e.label) < 40]
    for element in rng.sample(plain, min(len(plain), amount)):
        full = labels.at_cap(element.label) + " : intitulé officiel complet de l'élément"
        element.label = full[:60]
        element.long_label = full
    catalogue.dirt["labels_at_cap_with_long_label"] = sum(
        1 for e in catalogue.elements.values() if e.long_label and len(e.label[:60]) == 60
    )
    # Labels over the cap only exist in ELP_LIBELLE; LIB_ELP never exceeds 60.
    for element in catalogue.elements.values():
        element.label = element.label[:60]
        element.short = element.short[:25]


def _historical(builder: CatalogueBuilder, rng: random.Random, amount: int) -> None:
    """Elements of past maquettes, kept for their marks: closed, in no list."""
    catalogue = builder.cat
    disciplines = sorted(builder.subject_cursor) or ["Mathématiques"]
    for number in range(amount):
        discipline = disciplines[number % len(disciplines)]
        composante = catalogue.composantes[number % len(catalogue.composantes)]
        code = builder.element(
            (composante.letter, "H" + str(number % 10), str(rng.randint(1, 9))),
            rng.choice(("UE97", "UE", "EC", "MATI")),
            f"{builder.subject(discipline)} (ancienne maquette)",
            composante.code,
            discipline,
        )
        element: Element = catalogue.elements[code]
        element.state = "F"
        element.historical = True
    _count(catalogue, "historical_elements", amount)


def _cycle(builder: CatalogueBuilder, rng: random.Random, open_ues: list[str]) -> None:
    """One list under an element that holds one of the element's ancestors."""
    catalogue = builder.cat
    fathers: dict[str, str] = {}
    for link in catalogue.links:
        if link.element in open_ues and link.closed is None:
            for child in catalogue.lists[link.lse].elements:
                fathers.setdefault(child, link.element)
    candidates = sorted(
        code for code in fathers if catalogue.elements[code].nature in ("EC", "MATI", "MATC")
    )
    if not candidates:
        return
    child = rng.choice(candidates)
    ancestor = fathers[child]
    lse = builder.liste("F", "Renvoi (boucle)", child, [ancestor])
    catalogue.links.append(Link(lse, None, child, 0, 1, builder.created, order=5))
    _count(catalogue, "list_cycles")


def teaching_load(
    catalogue: Catalogue, rng: random.Random, reach_etapes: dict[str, set[tuple[str, int]]]
) -> None:
    """ELP_CHARGE_ENS: a VET porteuse for most shared elements (not all), and for about half of
    the others; ELP_PORTEUR_PORTE: a few carried/carrier pairs."""
    shared_without = 0
    for code in sorted(reach_etapes):
        element = catalogue.elements[code]
        if element.nature not in COURSE_NATURES:
            continue
        etapes = sorted(reach_etapes[code])
        if len(etapes) > 1:
            if rng.random() < 0.85:
                catalogue.porteuse[code] = rng.choice(etapes)
            else:
                catalogue.porteuse[code] = None
                shared_without += 1
        elif rng.random() < 0.5:
            catalogue.porteuse[code] = etapes[0]
    if shared_without == 0:
        for code in sorted(reach_etapes):
            if len(reach_etapes[code]) > 1 and code in catalogue.porteuse:
                catalogue.porteuse[code] = None
                shared_without = 1
                break
    _count(catalogue, "shared_elements_without_porteuse", shared_without)
    singles = sorted(
        code
        for code, etapes in reach_etapes.items()
        if len(etapes) == 1 and catalogue.elements[code].nature == "UE"
    )
    rng.shuffle(singles)
    amount = max(1, len(singles) // 400)
    for carried, carrier in zip(singles[:amount], singles[amount : 2 * amount], strict=True):
        catalogue.carriers.append((carried, carrier))
    _count(catalogue, "carried_elements", len(catalogue.carriers))
