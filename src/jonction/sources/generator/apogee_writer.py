"""Writes Apogée-shaped tables through any SQLAlchemy engine, in chunks of executemany."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, inspect, select

from ..apogee import schema as s

CHUNK = 10_000


class DatabaseNotEmpty(Exception):
    """The target database already holds Apogée rows and replacing them was not asked for."""


def prepare(engine: Engine, *, replace: bool) -> None:
    """Creates the tables; refuses a database that already holds rows unless `replace`."""
    existing = set(inspect(engine).get_table_names())
    ours = [table for table in s.metadata.sorted_tables if table.name in existing]
    if ours and not replace:
        with engine.connect() as connection:
            filled = [
                table.name
                for table in ours
                if connection.execute(select(func.count()).select_from(table)).scalar_one()
            ]
        if filled:
            shown = ", ".join(filled[:5]) + ("…" if len(filled) > 5 else "")
            raise DatabaseNotEmpty(
                f"{engine.url.render_as_string(hide_password=True)} already holds Apogée rows "
                f"({shown}); use --replace to overwrite it"
            )
    if ours and replace:
        s.metadata.drop_all(engine, tables=ours)
    s.metadata.create_all(engine)


class Inserter:
    """Buffers rows per table and inserts them `CHUNK` at a time (executemany)."""

    def __init__(self, connection: Connection, chunk: int = CHUNK) -> None:
        self.connection = connection
        self.chunk = chunk
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.tables: dict[str, Table] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: Table, row: dict[str, Any]) -> None:
        buffer = self.buffers.setdefault(table.name, [])
        self.tables[table.name] = table
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self._flush(table.name)

    def extend(self, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    def _flush(self, name: str) -> None:
        buffer = self.buffers.get(name)
        if buffer:
            self.connection.execute(self.tables[name].insert(), buffer)
            self.counts[name] = self.counts.get(name, 0) + len(buffer)
            self.buffers[name] = []

    def flush(self) -> None:
        for name in list(self.buffers):
            self._flush(name)
