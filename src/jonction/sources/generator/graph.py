"""The catalogue as a graph to walk: étape → list → element → list → element…

Built either from the in-memory catalogue (generation) or from the Apogée tables (evolve,
census), so registrations and figures are computed the same way in both cases.
Two walks: `contract` is what a student registers to (every list of the structure, choices made
in X/F lists, one path per element), `reach` is the current catalogue as a sync sees it (open
elements, lists and links only).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from ..apogee import schema as s
from .catalogue import Catalogue

EtapeKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Edge:
    lse: str
    minimum: int | None
    maximum: int | None
    closed: date | None


@dataclass(slots=True)
class ListInfo:
    kind: str
    state: str
    elements: tuple[str, ...]


@dataclass(slots=True)
class ElementInfo:
    state: str
    suspended: str
    nature: str
    period: str | None


@dataclass(slots=True)
class Reach:
    """What the current catalogue holds: for every element, the étapes reaching it and, per
    étape, the (father, list) pairs it is reached through."""

    etapes: dict[str, set[EtapeKey]] = field(default_factory=dict)
    paths: dict[tuple[str, EtapeKey], set[tuple[str | None, str]]] = field(default_factory=dict)
    max_depth: int = 0
    cycles: int = 0


@dataclass(slots=True)
class Graph:
    vet_lists: dict[EtapeKey, list[Edge]] = field(default_factory=dict)
    elp_lists: dict[str, list[Edge]] = field(default_factory=dict)
    lists: dict[str, ListInfo] = field(default_factory=dict)
    elements: dict[str, ElementInfo] = field(default_factory=dict)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> Graph:
        graph = cls()
        for code, liste in catalogue.lists.items():
            graph.lists[code] = ListInfo(liste.kind, liste.state, tuple(liste.elements))
        for code, element in catalogue.elements.items():
            graph.elements[code] = ElementInfo(
                element.state, element.suspended, element.nature, element.period
            )
        for link in sorted(catalogue.links, key=lambda item: item.order):
            edge = Edge(link.lse, link.minimum, link.maximum, link.closed)
            if link.etape is not None:
                graph.vet_lists.setdefault(link.etape, []).append(edge)
            elif link.element is not None:
                graph.elp_lists.setdefault(link.element, []).append(edge)
        return graph

    @classmethod
    def from_db(cls, connection: Connection) -> Graph:
        graph = cls()
        members: dict[str, list[str]] = {}
        for lse, elp in connection.execute(
            select(s.lse_regroupe_elp.c.cod_lse, s.lse_regroupe_elp.c.cod_elp).order_by(
                s.lse_regroupe_elp.c.cod_lse, s.lse_regroupe_elp.c.cod_elp
            )
        ):
            members.setdefault(lse, []).append(elp)
        for lse, kind, state in connection.execute(
            select(s.liste_elp.c.cod_lse, s.liste_elp.c.cod_typ_lse, s.liste_elp.c.eta_lse)
        ):
            graph.lists[lse] = ListInfo(kind, state, tuple(members.get(lse, ())))
        table = s.element_pedagogi
        for code, state, suspended, nature, period in connection.execute(
            select(
                table.c.cod_elp,
                table.c.eta_elp,
                table.c.tem_sus_elp,
                table.c.cod_nel,
                table.c.cod_pel,
            )
        ):
            graph.elements[code] = ElementInfo(state, suspended, nature, period)
        vrl = s.vet_regroupe_lse
        for etp, vrs, lse, low, high, closed in connection.execute(
            select(
                vrl.c.cod_etp,
                vrl.c.cod_vrs_vet,
                vrl.c.cod_lse,
                vrl.c.nbr_min_elp_obl_chx_vet,
                vrl.c.nbr_max_elp_obl_chx_vet,
                vrl.c.dat_frm_rel_lse_vet,
            ).order_by(vrl.c.cod_etp, vrl.c.cod_vrs_vet, vrl.c.cod_lse)
        ):
            graph.vet_lists.setdefault((etp, int(vrs)), []).append(
                Edge(lse, _int(low), _int(high), closed)
            )
        erl = s.elp_regroupe_lse
        for elp, lse, low, high, closed in connection.execute(
            select(
                erl.c.cod_elp,
                erl.c.cod_lse,
                erl.c.nbr_min_elp_obl_chx,
                erl.c.nbr_max_elp_obl_chx,
                erl.c.dat_frm_rel_lse_elp,
            ).order_by(erl.c.cod_elp, erl.c.num_ord_erl, erl.c.cod_lse)
        ):
            graph.elp_lists.setdefault(elp, []).append(Edge(lse, _int(low), _int(high), closed))
        return graph

    # ---- walks -------------------------------------------------------------------------------

    def contract(
        self, etape: EtapeKey, rng: random.Random, registered_on: date
    ) -> list[tuple[str, str, str | None]]:
        """A student's pedagogical contract in `etape`: (element, list, father) rows, one path
        per element; links closed before `registered_on` are not followed, closed lists and
        elements are (registrations outlive closures)."""
        rows: list[tuple[str, str, str | None]] = []
        taken: set[str] = set()
        stack: list[tuple[str | None, Edge]] = [
            (None, edge) for edge in reversed(self.vet_lists.get(etape, []))
        ]
        while stack:
            father, edge = stack.pop()
            if edge.closed is not None and edge.closed < registered_on:
                continue
            info = self.lists.get(edge.lse)
            if info is None:
                continue
            for child in self.choose(info, edge, rng):
                if child in taken or child not in self.elements:
                    continue
                taken.add(child)
                rows.append((child, edge.lse, father))
                for below in reversed(self.elp_lists.get(child, [])):
                    stack.append((child, below))
        return rows

    @staticmethod
    def choose(info: ListInfo, edge: Edge, rng: random.Random) -> Iterable[str]:
        if info.kind == "O" or not info.elements:
            return info.elements
        size = len(info.elements)
        if info.kind == "X":
            low = min(size, edge.minimum if edge.minimum is not None else 1)
            high = min(size, max(low, edge.maximum if edge.maximum is not None else low))
        else:
            low = 0
            high = min(size, edge.maximum if edge.maximum is not None else 1)
        count = rng.randint(low, high)
        picked = set(rng.sample(info.elements, count))
        return [code for code in info.elements if code in picked]

    def open_edge(self, edge: Edge, today: date) -> bool:
        info = self.lists.get(edge.lse)
        return (
            info is not None and info.state == "O" and (edge.closed is None or edge.closed > today)
        )

    def open_element(self, code: str) -> bool:
        info = self.elements.get(code)
        return info is not None and info.state == "O" and info.suspended == "N"

    def reach(self, etapes: Iterable[EtapeKey], today: date) -> Reach:
        """The current catalogue under `etapes`: open lists, links and elements only; a cycle is
        cut where it closes, and counted."""
        result = Reach()
        for etape in etapes:
            expanded: set[str] = set()
            # (element, father, list, depth, path of ancestors)
            stack: list[tuple[str, str | None, str, int, frozenset[str]]] = []
            for edge in self.vet_lists.get(etape, []):
                if self.open_edge(edge, today):
                    for child in self.lists[edge.lse].elements:
                        stack.append((child, None, edge.lse, 1, frozenset()))
            while stack:
                code, father, lse, depth, ancestors = stack.pop()
                if not self.open_element(code):
                    continue
                if code in ancestors:
                    result.cycles += 1
                    continue
                result.etapes.setdefault(code, set()).add(etape)
                result.paths.setdefault((code, etape), set()).add((father, lse))
                result.max_depth = max(result.max_depth, depth)
                if code in expanded:
                    continue
                expanded.add(code)
                below = ancestors | {code}
                for edge in self.elp_lists.get(code, []):
                    if self.open_edge(edge, today):
                        for child in self.lists[edge.lse].elements:
                            stack.append((child, code, edge.lse, depth + 1, below))
        return result


def _int(value: object) -> int | None:
    """A NUMBER column as int (SQLite hands Numeric back as Decimal)."""
    if value is None:
        return None
    return int(str(value).split(".")[0]) if not isinstance(value, int) else value
