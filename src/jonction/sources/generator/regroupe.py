"""ELP_REGROUPE_ELP, derived from the normalized tables exactly as Apogée's projection is:
one row (NULL, L, C) for each list L under an étape and child C, one row (P, L, C) for each list
L under element P and child C, with the states of the list and of both elements copied in.

The row of a list under several étapes appears once; its DATE_FERMETURE_LIEN is NULL when any
of those étape links is open, else the latest closing date. Father flags are NULL at étape level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from ..apogee import schema as s


def derive(
    lists: Mapping[str, tuple[str, str, Sequence[str]]],  # lse → (type, state, children)
    vet_links: Iterable[tuple[str, date | None]],  # (lse, closing date)
    elp_links: Iterable[tuple[str, str, date | None]],  # (father, lse, closing date)
    elements: Mapping[str, tuple[str, str]],  # elp → (ETA_ELP, TEM_SUS_ELP)
) -> list[dict[str, Any]]:
    rows: dict[tuple[str | None, str, str], dict[str, Any]] = {}
    closing_at_root: dict[str, list[date | None]] = {}
    for lse, closed in vet_links:
        closing_at_root.setdefault(lse, []).append(closed)
    for lse in sorted(closing_at_root):
        dates = closing_at_root[lse]
        closed = None if any(d is None for d in dates) else max(d for d in dates if d)
        _add(rows, lists, elements, None, lse, closed)
    for father, lse, closed in sorted(elp_links, key=lambda item: (item[0], item[1])):
        _add(rows, lists, elements, father, lse, closed)
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0] or "", k[1], k[2]))]


def _add(
    rows: dict[tuple[str | None, str, str], dict[str, Any]],
    lists: Mapping[str, tuple[str, str, Sequence[str]]],
    elements: Mapping[str, tuple[str, str]],
    father: str | None,
    lse: str,
    closed: date | None,
) -> None:
    kind, state, children = lists[lse]
    father_state = elements.get(father) if father is not None else None
    for child in children:
        child_state = elements.get(child, ("O", "N"))
        rows[(father, lse, child)] = {
            "cod_elp_pere": father,
            "cod_lse": lse,
            "cod_elp_fils": child,
            "cod_typ_lse": kind,
            "eta_lse": state,
            "eta_elp_pere": father_state[0] if father_state else None,
            "eta_elp_fils": child_state[0],
            "tem_sus_elp_pere": father_state[1] if father_state else None,
            "tem_sus_elp_fils": child_state[1],
            "date_fermeture_lien": closed,
        }


def derive_from_db(connection: Connection) -> list[dict[str, Any]]:
    """The rows ELP_REGROUPE_ELP should hold, computed from the normalized tables."""
    children: dict[str, list[str]] = {}
    for lse, elp in connection.execute(
        select(s.lse_regroupe_elp.c.cod_lse, s.lse_regroupe_elp.c.cod_elp)
    ):
        children.setdefault(lse, []).append(elp)
    lists = {
        lse: (kind, state, sorted(children.get(lse, [])))
        for lse, kind, state in connection.execute(
            select(s.liste_elp.c.cod_lse, s.liste_elp.c.cod_typ_lse, s.liste_elp.c.eta_lse)
        )
    }
    elements = {
        elp: (state, suspended)
        for elp, state, suspended in connection.execute(
            select(
                s.element_pedagogi.c.cod_elp,
                s.element_pedagogi.c.eta_elp,
                s.element_pedagogi.c.tem_sus_elp,
            )
        )
    }
    vet_links = [
        (lse, closed)
        for lse, closed in connection.execute(
            select(s.vet_regroupe_lse.c.cod_lse, s.vet_regroupe_lse.c.dat_frm_rel_lse_vet)
        )
    ]
    elp_links = [
        (elp, lse, closed)
        for elp, lse, closed in connection.execute(
            select(
                s.elp_regroupe_lse.c.cod_elp,
                s.elp_regroupe_lse.c.cod_lse,
                s.elp_regroupe_lse.c.dat_frm_rel_lse_elp,
            )
        )
    ]
    return derive(lists, vet_links, elp_links, elements)


def refresh(connection: Connection) -> int:
    """Rewrites ELP_REGROUPE_ELP from the normalized tables; returns the row count."""
    rows = derive_from_db(connection)
    connection.execute(s.elp_regroupe_elp.delete())
    if rows:
        connection.execute(s.elp_regroupe_elp.insert(), rows)
    return len(rows)
