"""The least any sync must spend on its sources each night: every row of the Apogée tables
jonction reads, fetched through the bare DB-API cursor with nothing done to them, and the
bytes of the directory (LDIF) and of the timetable (ADE answers). No incremental feed exists
in Apogée, so a night cannot know what changed without this much."""

from __future__ import annotations

import time
from pathlib import Path

from jonction.db import make_engine
from jonction.sources.apogee import schema

from .simulator import sqlite_url
from .university import ADE, DATABASE, LDIF

# Which step reads which source: its floor belongs to that step's bound.
SOURCE_STEPS = {"apogee": "refer", "directory": "users", "timetable": "enrolments"}
_FETCH = 10_000


def _read_bytes(path: Path) -> None:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        with file.open("rb") as handle:
            while handle.read(1 << 20):
                pass


def _scan_apogee(url: str) -> None:
    engine = make_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            for table in schema.metadata.sorted_tables:
                cursor.execute(f"SELECT * FROM {table.name}")
                while cursor.fetchmany(_FETCH):
                    pass
            cursor.close()
        finally:
            connection.close()
    finally:
        engine.dispose()


def measure(workspace: Path) -> dict[str, float]:
    """Seconds to read each source of the night installed in `workspace`."""
    floor = {}
    started = time.perf_counter()
    _scan_apogee(sqlite_url(workspace / DATABASE))
    floor["apogee"] = time.perf_counter() - started
    for name, path in (("directory", workspace / LDIF), ("timetable", workspace / ADE)):
        started = time.perf_counter()
        _read_bytes(path)
        floor[name] = time.perf_counter() - started
    return floor
