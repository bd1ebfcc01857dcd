"""Database engines for REFER, the state database, the enrolment table and Apogée's stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dashboard read while a step writes; NORMAL is safe with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, password: SecretStr | None = None, **options: Any) -> Engine:
    """An engine for `url`; creates the folder of an SQLite file, adds a separate password."""
    parsed = make_url(url)
    if password is not None and parsed.password is None:
        parsed = parsed.set(password=password.get_secret_value())
    file = _sqlite_file(parsed)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() != "sqlite":
        options.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and reports."""
    return make_url(url).render_as_string(hide_password=True)
