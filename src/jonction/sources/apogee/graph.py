"""Walking the catalogue graph: étape → list → element → list → element …

The normalized link tables (VET_REGROUPE_LSE, LSE_REGROUPE_ELP, ELP_REGROUPE_LSE) are the
source of truth. A closed list, a closed link (closing date today or past) or a closed,
suspended or unknown element cuts the branch under it. The graph is a DAG in principle but not
in fact, so the walk is a depth-first search that cuts any edge leading back to an element on
the current path (a cycle) and reports it, and that expands each element once per étape: an
element reachable by several paths appears once per (étape, parent), under the first list in
code order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from ...domain.refer_model import EtapeKey, Exclusion, ParentLink
from .filters import link_open

# (list code, closing date of the link)
ListLink = tuple[str, date | None]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The link tables of Apogée, indexed for the walk."""

    etape_lists: Mapping[EtapeKey, Sequence[ListLink]]  # VET_REGROUPE_LSE
    list_elements: Mapping[str, Sequence[str]]  # LSE_REGROUPE_ELP
    element_lists: Mapping[str, Sequence[ListLink]]  # ELP_REGROUPE_LSE
    list_open: Mapping[str, bool]  # LISTE_ELP.ETA_LSE = 'O'; a missing list is unknown
    # Why an element cannot be taught (closed, suspended, unknown); absent = open.
    element_blocked: Mapping[str, str]
    fictitious: frozenset[str] = frozenset()  # elements of a fictitious nature


@dataclass(slots=True)
class Walk:
    links: list[ParentLink] = field(default_factory=list)
    exclusions: dict[tuple[str, str], Exclusion] = field(default_factory=dict)
    cycles: list[tuple[str, str, str]] = field(default_factory=list)  # (parent, list, child)
    pruned: set[str] = field(default_factory=set)  # fictitious leaves dropped somewhere

    def exclude(self, exclusion: Exclusion) -> None:
        self.exclusions.setdefault((exclusion.kind, exclusion.key), exclusion)

    @property
    def elements(self) -> set[str]:
        return {link.element for link in self.links}


_BLOCKED_DETAIL = {
    "element_closed": "the element is closed in Apogée (ETA_ELP)",
    "element_suspended": "the element is suspended in Apogée (TEM_SUS_ELP)",
    "unknown_element": "a list names an element that ELEMENT_PEDAGOGI does not hold",
}


def _open_lists(
    walk: Walk, owner: str, links: Sequence[ListLink], catalogue: Catalogue, today: date
) -> Iterator[str]:
    """The lists under `owner` (an étape or an element) whose link and list are open."""
    for list_code, closing in sorted(links, key=lambda item: item[0]):
        if not link_open(closing, today):
            walk.exclude(
                Exclusion(
                    "link",
                    f"{owner}>{list_code}",
                    "link_closed",
                    f"the link from {owner} to list {list_code} closed on {closing}",
                )
            )
            continue
        state = catalogue.list_open.get(list_code)
        if state is None:
            walk.exclude(
                Exclusion(
                    "list",
                    list_code,
                    "unknown_list",
                    f"{owner} names list {list_code}, which LISTE_ELP does not hold",
                )
            )
        elif not state:
            walk.exclude(
                Exclusion("list", list_code, "list_closed", "the list is closed (ETA_LSE)")
            )
        else:
            yield list_code


def _walk_etape(walk: Walk, etape: EtapeKey, catalogue: Catalogue, today: date) -> list[ParentLink]:
    links: dict[tuple[str, str], ParentLink] = {}
    expanded: set[str] = set()
    on_path: list[str] = []
    on_path_set: set[str] = set()

    def edges(owner: str, lists: Sequence[ListLink]) -> Iterator[tuple[str, str]]:
        for list_code in _open_lists(walk, owner, lists, catalogue, today):
            for element in sorted(catalogue.list_elements.get(list_code, ())):
                yield list_code, element

    # Each frame: the element being expanded (None for the étape) and its pending edges.
    stack: list[tuple[str | None, Iterator[tuple[str, str]]]] = [
        (None, edges(str(etape), catalogue.etape_lists.get(etape, ())))
    ]
    while stack:
        parent, pending = stack[-1]
        edge = next(pending, None)
        if edge is None:
            stack.pop()
            if parent is not None:
                on_path.pop()
                on_path_set.discard(parent)
            continue
        list_code, element = edge
        blocked = catalogue.element_blocked.get(element)
        if blocked is not None:
            walk.exclude(
                Exclusion("element", element, blocked, _BLOCKED_DETAIL[blocked], element=element)
            )
            continue
        if element in on_path_set:
            start = on_path.index(element)
            path = " > ".join([*on_path[start:], element])
            walk.cycles.append((parent or "", list_code, element))
            walk.exclude(
                Exclusion(
                    "cycle",
                    f"{parent}>{list_code}>{element}",
                    "cycle",
                    f"the lists loop ({path}); the link from {parent} through list "
                    f"{list_code} back to {element} was cut",
                    element=element,
                    etape=etape,
                )
            )
            continue
        key = (element, parent or "")
        if key not in links:
            links[key] = ParentLink(etape, element, parent, list_code)
        if element not in expanded:
            expanded.add(element)
            on_path.append(element)
            on_path_set.add(element)
            stack.append((element, edges(element, catalogue.element_lists.get(element, ()))))
    kept, pruned = _prune_fictitious(list(links.values()), catalogue.fictitious)
    walk.pruned.update(pruned)
    return kept


def _prune_fictitious(
    links: list[ParentLink], fictitious: frozenset[str]
) -> tuple[list[ParentLink], set[str]]:
    """Drops fictitious leaves, repeatedly: technical elements are not taught."""
    pruned: set[str] = set()
    if not fictitious:
        return links, pruned
    while True:
        parents = {link.parent for link in links}
        leaves = {
            link.element
            for link in links
            if link.element in fictitious and link.element not in parents
        }
        if not leaves:
            return links, pruned
        pruned |= leaves
        links = [link for link in links if link.element not in leaves]


def walk_catalogue(etapes: Sequence[EtapeKey], catalogue: Catalogue, today: date) -> Walk:
    """Every open parent link of the offered `etapes`, with what was cut and why."""
    walk = Walk()
    for etape in sorted(etapes):
        walk.links.extend(_walk_etape(walk, etape, catalogue, today))
    # A fictitious element kept under one étape (it has children there) is not excluded.
    for element in sorted(walk.pruned - walk.elements):
        walk.exclude(
            Exclusion(
                "element",
                element,
                "fictitious",
                "a technical element (fictitious nature) with nothing under it",
                element=element,
            )
        )
    return walk
