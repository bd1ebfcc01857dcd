"""REFER's tables as keyed rows: a snapshot becomes, per table, a mapping key → values.

This is the shape the `refer` step diffs (by key, table by table) and writes. The year is not
part of the tuples: every row of a mapping belongs to the snapshot's year.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlalchemy import Table

from ...domain.refer_model import EtapeKey, ReferSnapshot
from . import schema

Key = tuple[Any, ...]
Values = tuple[Any, ...]
Rows = dict[Key, Values]


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str  # the short name used in plans and stats
    table: Table
    key: tuple[str, ...]  # key columns, the year excepted
    values: tuple[str, ...]  # the other columns
    # Large tables keyed by student first (cod_ind): compared with REFER slice by slice.
    by_student: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.values


_ETP = ("etape_code", "etape_version")

# In the order they are written.
SPECS: tuple[TableSpec, ...] = (
    TableSpec("composante", schema.refer_composante, ("code",), ("label", "kind")),
    TableSpec("diplome", schema.refer_diplome, ("code", "version"), ("label", "composante")),
    TableSpec("etape", schema.refer_etape, _ETP, ("label", "composante", "foad")),
    TableSpec(
        "etape_diplome", schema.refer_etape_diplome, (*_ETP, "diplome_code", "diplome_version"), ()
    ),
    TableSpec(
        "element",
        schema.refer_element,
        ("code",),
        ("label", "short_label", "long_label", "nature", "composante", "period", "credits"),
    ),
    TableSpec("link", schema.refer_link, (*_ETP, "element", "parent"), ("list_code",)),
    TableSpec("charge", schema.refer_charge, ("element",), _ETP),
    TableSpec(
        "student",
        schema.refer_student,
        ("cod_ind",),
        ("cod_etu", "last_name", "first_name"),
        by_student=True,
    ),
    TableSpec(
        "person_left_out",
        schema.refer_person_left_out,
        ("cod_ind",),
        ("cod_etu", "last_name", "first_name"),
        by_student=True,
    ),
    TableSpec(
        "admin_registration",
        schema.refer_admin_registration,
        ("cod_ind", *_ETP),
        ("diplome_code", "diplome_version", "composante", "main"),
        by_student=True,
    ),
    TableSpec(
        "pedagogical_registration",
        schema.refer_pedagogical_registration,
        ("cod_ind", *_ETP, "element"),
        (),
        by_student=True,
    ),
    TableSpec(
        "group",
        schema.refer_group,
        ("code",),
        ("ext_code", "label", "kind", "element", *_ETP, "parent"),
    ),
    TableSpec(
        "group_membership",
        schema.refer_group_membership,
        ("cod_ind", "group_code"),
        (),
        by_student=True,
    ),
    TableSpec(
        "exclusion",
        schema.refer_exclusion,
        ("kind", "key"),
        ("reason", "detail", "cod_ind", "element", *_ETP),
    ),
)

SPEC_BY_NAME: dict[str, TableSpec] = {spec.name: spec for spec in SPECS}


_by_student = attrgetter("cod_ind")


def _etape(key: EtapeKey | None) -> tuple[str | None, int | None]:
    return (key.code, key.version) if key is not None else (None, None)


def _rows(snapshot: ReferSnapshot, name: str) -> Iterator[tuple[Key, Values]]:
    s = snapshot
    if name == "composante":
        for c in s.composantes.values():
            yield (c.code,), (c.label, c.kind)
    elif name == "diplome":
        for d in s.diplomes.values():
            yield (d.key.code, d.key.version), (d.label, d.composante)
    elif name == "etape":
        for e in s.etapes.values():
            yield (e.key.code, e.key.version), (e.label, e.composante, e.foad)
    elif name == "etape_diplome":
        for e in s.etapes.values():
            for dip in e.diplomes:
                yield (e.key.code, e.key.version, dip.code, dip.version), ()
    elif name == "element":
        for el in s.elements.values():
            yield (
                (el.code,),
                (
                    el.label,
                    el.short_label,
                    el.long_label,
                    el.nature,
                    el.composante,
                    el.period,
                    el.credits,
                ),
            )
    elif name == "link":
        for link in s.links:
            key = (link.etape.code, link.etape.version, link.element, link.parent or "")
            yield key, (link.list_code,)
    elif name == "charge":
        for charge in s.charges:
            yield (charge.element,), (charge.etape.code, charge.etape.version)
    elif name == "student":
        for cod_ind in sorted(s.students):
            st = s.students[cod_ind]
            yield (st.cod_ind,), (st.cod_etu, st.last_name, st.first_name)
    elif name == "person_left_out":
        for cod_ind in sorted(s.people_left_out):
            st = s.people_left_out[cod_ind]
            yield (st.cod_ind,), (st.cod_etu, st.last_name, st.first_name)
    elif name == "admin_registration":
        s.admin_registrations.sort(key=_by_student)
        for a in s.admin_registrations:
            yield (
                (a.cod_ind, a.etape.code, a.etape.version),
                (
                    a.diplome.code,
                    a.diplome.version,
                    a.composante,
                    a.main,
                ),
            )
    elif name == "pedagogical_registration":
        s.pedagogical_registrations.sort(key=_by_student)
        for p in s.pedagogical_registrations:
            yield (p.cod_ind, p.etape.code, p.etape.version, p.element), ()
    elif name == "group":
        for g in s.groups.values():
            yield (g.code,), (g.ext_code, g.label, g.kind, g.element, *_etape(g.etape), g.parent)
    elif name == "group_membership":
        s.memberships.sort(key=_by_student)
        for m in s.memberships:
            yield (m.cod_ind, m.group), ()
    elif name == "exclusion":
        for x in s.exclusions:
            yield (x.kind, x.key), (x.reason, x.detail, x.cod_ind, x.element, *_etape(x.etape))
    else:  # pragma: no cover - SPECS and this function go together
        raise KeyError(name)


def student_rows(snapshot: ReferSnapshot, name: str) -> Iterator[tuple[Key, Values]]:
    """The rows of a `by_student` table in ascending order of student (the snapshot's lists
    are sorted in place on the way)."""
    return _rows(snapshot, name)


def table_rows(snapshot: ReferSnapshot, name: str) -> Rows:
    """The rows of table `name` for `snapshot`; a key met twice keeps its first values."""
    rows: Rows = {}
    for key, values in _rows(snapshot, name):
        rows.setdefault(key, values)
    return rows
