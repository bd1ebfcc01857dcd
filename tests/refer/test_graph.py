"""The catalogue walk as a pure function: cycles, shared lists, multiple parents, termination."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from jonction.domain.refer_model import EtapeKey
from jonction.sources.apogee.graph import Catalogue, ListLink, walk_catalogue

TODAY = date(2026, 10, 1)
E1 = EtapeKey("ETP1", 1)
E2 = EtapeKey("ETP2", 1)


def _catalogue(
    etape_lists: dict[EtapeKey, list[str]],
    lists: dict[str, list[str]],
    element_lists: dict[str, list[str]],
    **extra: object,
) -> Catalogue:
    def links(codes: list[str]) -> list[ListLink]:
        return [(code, None) for code in codes]

    return Catalogue(
        etape_lists={key: links(codes) for key, codes in etape_lists.items()},
        list_elements=lists,
        element_lists={key: links(codes) for key, codes in element_lists.items()},
        list_open=dict.fromkeys(lists, True),
        element_blocked={},
        **extra,  # type: ignore[arg-type]
    )


def test_a_list_shared_by_two_etapes_and_two_parents() -> None:
    catalogue = _catalogue(
        {E1: ["L1"], E2: ["L2"]},
        {"L1": ["A", "B"], "L2": ["B"], "LS": ["S"]},
        {"A": ["LS"], "B": ["LS"]},
    )
    walk = walk_catalogue([E1, E2], catalogue, TODAY)
    links = {(link.etape, link.element, link.parent) for link in walk.links}
    assert links == {
        (E1, "A", None),
        (E1, "B", None),
        (E1, "S", "A"),
        (E1, "S", "B"),
        (E2, "B", None),
        (E2, "S", "B"),
    }
    assert walk.exclusions == {}


def test_a_long_cycle_is_cut_once_per_etape_and_reported_once() -> None:
    catalogue = _catalogue(
        {E1: ["L0"], E2: ["L0"]},
        {"L0": ["A"], "LA": ["B"], "LB": ["C"], "LC": ["A"]},
        {"A": ["LA"], "B": ["LB"], "C": ["LC"]},
    )
    walk = walk_catalogue([E1, E2], catalogue, TODAY)
    assert {(link.element, link.parent) for link in walk.links if link.etape == E1} == {
        ("A", None),
        ("B", "A"),
        ("C", "B"),
    }
    assert list(walk.exclusions) == [("cycle", "C>LC>A")]
    assert "A > B > C > A" in walk.exclusions[("cycle", "C>LC>A")].detail
    assert sorted(set(walk.cycles)) == [("C", "LC", "A")]


def test_a_deep_chain_does_not_exhaust_the_stack() -> None:
    depth = 5000
    lists = {f"L{i}": [f"E{i}"] for i in range(depth)}
    element_lists = {f"E{i}": [f"L{i + 1}"] for i in range(depth - 1)}
    walk = walk_catalogue([E1], _catalogue({E1: ["L0"]}, lists, element_lists), TODAY)
    assert len(walk.links) == depth


graphs = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        # Each list holds some elements; each element has some lists under it.
        st.lists(st.lists(st.integers(0, n - 1), max_size=4), min_size=n, max_size=n),
        st.lists(st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=3),
    )
)


@settings(max_examples=200, deadline=None)
@given(graphs)
def test_any_graph_gives_an_acyclic_deduplicated_tree_of_reachable_links(
    graph: tuple[int, list[list[int]], list[list[int]], list[int]],
) -> None:
    _n, list_members, element_lists, roots = graph
    lists = {f"L{i}": [f"E{j}" for j in members] for i, members in enumerate(list_members)}
    under = {f"E{i}": [f"L{j}" for j in codes] for i, codes in enumerate(element_lists)}
    catalogue = _catalogue({E1: [f"L{i}" for i in roots]}, lists, under)
    walk = walk_catalogue([E1], catalogue, TODAY)
    keys = [(link.element, link.parent) for link in walk.links]
    assert len(keys) == len(set(keys))
    # The kept links have no cycle: a topological order exists.
    children: dict[str | None, set[str]] = defaultdict(set)
    for element, parent in keys:
        children[parent].add(element)
    state: dict[str, int] = {}

    def acyclic(node: str) -> bool:
        if state.get(node) == 1:
            return False
        if state.get(node) == 2:
            return True
        state[node] = 1
        ok = all(acyclic(child) for child in children.get(node, ()))
        state[node] = 2
        return ok

    assert all(acyclic(node) for node in {e for e, _ in keys})
    # Every element reachable from the étape is kept (a cut edge never hides a node).
    reachable: set[str] = set()
    frontier = [element for i in roots for element in lists[f"L{i}"]]
    while frontier:
        element = frontier.pop()
        if element not in reachable:
            reachable.add(element)
            frontier.extend(e for code in under[element] for e in lists[code])
    assert walk.elements == reachable

    # A cut edge really closed a loop: its parent lies below its child in the kept links.
    def below(node: str) -> set[str]:
        found: set[str] = set()
        stack = [node]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    for parent, list_code, element in walk.cycles:
        assert list_code in under[parent] and element in lists[list_code]
        assert parent == element or parent in below(element)
