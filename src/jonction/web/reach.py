"""What a scolarité account reaches: its composantes, and the Moodle objects that belong to
them although the steps did not write a composante in their operations (the courses of the
composante's elements, the cohorts of its étapes). Operations, notices and planned changes are
shown when they name one of those; anything else is hidden from restricted accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from ..journal import reading
from ..journal.schema import managed
from ..sources.refer import schema
from .accounts import Account


@dataclass(frozen=True, slots=True)
class Reach:
    restricted: bool
    composantes: frozenset[str]
    # Course and cohort idnumbers of the composantes (operations name them in `scope`).
    scopes: frozenset[str] = frozenset()

    @classmethod
    def everything(cls) -> Reach:
        return cls(False, frozenset())

    def sees(self, composante: object, scope: str = "") -> bool:
        if not self.restricted:
            return True
        return (isinstance(composante, str) and composante in self.composantes) or (
            bool(scope) and (scope in self.scopes or scope in self.composantes)
        )


def scopes_by_composante(
    elements: Mapping[str, str],
    etapes: Mapping[str, str],
    records: Iterable[tuple[str, str, Mapping[str, Any]]],
) -> dict[str, set[str]]:
    """Managed courses and cohorts (kind, key, data) by the composante they belong to: a
    course by its element's, a cohort of an étape (`CODE-VERSION`) by the étape's, a
    composante's by its own. `elements` and `etapes` give each one's composante."""
    found: dict[str, set[str]] = {}
    for kind, key, data in records:
        composante = ""
        if kind == "course":
            composante = elements.get(str(data.get("element") or ""), "")
        elif kind == "cohort":
            level, code = data.get("level"), str(data.get("code") or "")
            composante = code if level == "composante" else etapes.get(code, "")
        if composante:
            found.setdefault(composante, set()).add(key)
    return found


def _composantes(refer: Engine, year: str) -> tuple[dict[str, str], dict[str, str]]:
    element, etape = schema.refer_element, schema.refer_etape
    with refer.connect() as connection:
        elements = {
            row.code: row.composante
            for row in connection.execute(
                select(element.c.code, element.c.composante).where(element.c.year == year)
            )
        }
        etapes = {
            f"{row.etape_code}-{row.etape_version}": row.composante
            for row in connection.execute(
                select(etape.c.etape_code, etape.c.etape_version, etape.c.composante).where(
                    etape.c.year == year
                )
            )
        }
    return elements, etapes


def _records(state: Engine) -> list[tuple[str, str, Mapping[str, Any]]]:
    with state.connect() as connection:
        return [
            (row.kind, row.key, row.data or {})
            for row in connection.execute(
                select(managed.c.kind, managed.c.key, managed.c.data).where(
                    managed.c.kind.in_(("course", "cohort"))
                )
            )
        ]


def reach_of(account: Account, state: Engine, refer: Engine | None, cache: dict[str, Any]) -> Reach:
    """The reach of `account`; the map of scopes is computed again only when REFER's year or
    the journal's latest run changed."""
    if not account.restricted:
        return Reach.everything()
    composantes = frozenset(account.composantes)
    if refer is None:
        return Reach(True, composantes)
    from ..explain.reading import latest_year

    year = latest_year(refer)
    stamp = (year, reading.latest_run_id(state))
    cached = cache.get("scopes")
    if cached is None or cached[0] != stamp:
        by_composante = (
            scopes_by_composante(*_composantes(refer, year), _records(state)) if year else {}
        )
        cached = (stamp, by_composante)
        cache["scopes"] = cached
    scopes = frozenset(key for c in composantes for key in cached[1].get(c, ()))
    return Reach(True, composantes, scopes)
