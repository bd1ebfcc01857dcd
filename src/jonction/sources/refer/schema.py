"""REFER's tables: what the `refer` step keeps of Apogée, one academic year per `year` value.

Every table carries the year in its key, so several years (an overlap at rollover) live side by
side. Names are prefixed with `refer_` so that REFER may share a database with the state
database. An étape is always its code and version; a parent link's `parent` is '' when the
element hangs directly under the étape (a key column cannot be NULL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

LABEL = 255


def _year() -> Column[str]:
    return Column("year", String(4), primary_key=True)


def _etape(prefix: str, *, key: bool = False, nullable: bool = False) -> list[Column[Any]]:
    return [
        Column(f"{prefix}_code", String(6), primary_key=key, nullable=nullable and not key),
        Column(f"{prefix}_version", Integer, primary_key=key, nullable=nullable and not key),
    ]


# The years REFER holds, and when their content last changed.
refer_year = Table(
    "refer_year",
    metadata,
    Column("year", String(4), primary_key=True),
    Column("changed_at", DateTime, nullable=False),
)

# Rows read from each source table at the last refresh that changed them: the base of the
# truncated-source check.
refer_source_count = Table(
    "refer_source_count",
    metadata,
    _year(),
    Column("source", String(60), primary_key=True),
    Column("rows", Integer, nullable=False),
)

refer_composante = Table(
    "refer_composante",
    metadata,
    _year(),
    Column("code", String(3), primary_key=True),
    Column("label", String(LABEL), nullable=False),
    Column("kind", String(3), nullable=False),
)

refer_diplome = Table(
    "refer_diplome",
    metadata,
    _year(),
    Column("code", String(7), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("label", String(LABEL), nullable=False),
    Column("composante", String(3), nullable=False),
)

refer_etape = Table(
    "refer_etape",
    metadata,
    _year(),
    *_etape("etape", key=True),
    Column("label", String(LABEL), nullable=False),
    Column("composante", String(3), nullable=False),
    Column("foad", Boolean, nullable=False),
)

refer_etape_diplome = Table(
    "refer_etape_diplome",
    metadata,
    _year(),
    *_etape("etape", key=True),
    Column("diplome_code", String(7), primary_key=True),
    Column("diplome_version", Integer, primary_key=True),
)

refer_element = Table(
    "refer_element",
    metadata,
    _year(),
    Column("code", String(8), primary_key=True),
    Column("label", String(LABEL), nullable=False),
    Column("short_label", String(LABEL), nullable=False),
    Column("long_label", Text, nullable=False),
    Column("nature", String(4), nullable=False),
    Column("composante", String(3), nullable=False),
    Column("period", String(2), nullable=False),
    Column("credits", Float),
)

refer_link = Table(
    "refer_link",
    metadata,
    _year(),
    *_etape("etape", key=True),
    Column("element", String(8), primary_key=True),
    Column("parent", String(8), primary_key=True),  # '' directly under the étape
    Column("list_code", String(8), nullable=False),
    Index("ix_refer_link_element", "year", "element"),
)

refer_charge = Table(
    "refer_charge",
    metadata,
    _year(),
    Column("element", String(8), primary_key=True),
    *_etape("etape"),
)

refer_student = Table(
    "refer_student",
    metadata,
    _year(),
    Column("cod_ind", Integer, primary_key=True, autoincrement=False),
    Column("cod_etu", String(20)),
    Column("last_name", String(LABEL), nullable=False),
    Column("first_name", String(LABEL), nullable=False),
    Index("ix_refer_student_cod_etu", "cod_etu"),
)

# Individuals registered in the year with no valid administrative registration (for explain).
refer_person_left_out = Table(
    "refer_person_left_out",
    metadata,
    _year(),
    Column("cod_ind", Integer, primary_key=True, autoincrement=False),
    Column("cod_etu", String(20)),
    Column("last_name", String(LABEL), nullable=False),
    Column("first_name", String(LABEL), nullable=False),
    Index("ix_refer_person_left_out_cod_etu", "cod_etu"),
)

refer_admin_registration = Table(
    "refer_admin_registration",
    metadata,
    _year(),
    Column("cod_ind", Integer, primary_key=True, autoincrement=False),
    *_etape("etape", key=True),
    Column("diplome_code", String(7), nullable=False),
    Column("diplome_version", Integer, nullable=False),
    Column("composante", String(3), nullable=False),
    Column("main", Boolean, nullable=False),
    Index("ix_refer_admin_registration_etape", "year", "etape_code", "etape_version"),
)

refer_pedagogical_registration = Table(
    "refer_pedagogical_registration",
    metadata,
    _year(),
    Column("cod_ind", Integer, primary_key=True, autoincrement=False),
    *_etape("etape", key=True),
    Column("element", String(8), primary_key=True),
    Index("ix_refer_pedagogical_registration_element", "year", "element"),
)

refer_group = Table(
    "refer_group",
    metadata,
    _year(),
    Column("code", Integer, primary_key=True, autoincrement=False),
    Column("ext_code", String(10), nullable=False),
    Column("label", String(LABEL), nullable=False),
    Column("kind", String(4), nullable=False),
    Column("element", String(8)),
    *_etape("etape", nullable=True),
    Column("parent", Integer),
)

refer_group_membership = Table(
    "refer_group_membership",
    metadata,
    _year(),
    Column("group_code", Integer, primary_key=True, autoincrement=False),
    Column("cod_ind", Integer, primary_key=True, autoincrement=False),
    Index("ix_refer_group_membership_cod_ind", "year", "cod_ind"),
)

refer_exclusion = Table(
    "refer_exclusion",
    metadata,
    _year(),
    Column("kind", String(40), primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("cod_ind", Integer),
    Column("element", String(8)),
    *_etape("etape", nullable=True),
    Index("ix_refer_exclusion_cod_ind", "year", "cod_ind"),
    Index("ix_refer_exclusion_element", "year", "element"),
)
