"""Fixtures shared by every test: databases on the machine's servers, the shared references."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
# Tests replace sources and adapters in this process, where a source read ahead in another
# process would not see them: runs read each source in their own process unless a test asks.
os.environ.setdefault("JONCTION_PIPELINE__READ_AHEAD", "false")
POSTGRES_ADMIN_URL = os.environ.get(
    "JONCTION_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get(
    "JONCTION_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/mysql"
)


def shared_dir() -> Path:
    """The project's shared references (Moodle recordings, source formats): the folder named
    by JONCTION_SHARED_DIR, else a `shared/` folder beside the repository or one of its
    parents (a clone anywhere under the workspace finds it)."""
    if os.environ.get("JONCTION_SHARED_DIR"):
        candidates = [Path(os.environ["JONCTION_SHARED_DIR"])]
    else:
        candidates = [folder / "shared" for folder in REPO.parents] + [Path("/work/shared")]
    for path in candidates:
        if (path / "moodle").is_dir():
            return path
    pytest.fail(
        "the shared references are missing: no shared/moodle beside the repository or its "
        f"parents ({candidates[0]}…); set JONCTION_SHARED_DIR"
    )


def _fresh_database(admin_url: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        admin.dispose()
        pytest.fail(f"cannot create a test database on {admin_url}: {exc}")
    url = make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            if admin.dialect.name == "postgresql":
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped after the test."""
    yield from _fresh_database(POSTGRES_ADMIN_URL, "jonction_test")


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A new, empty MariaDB database, dropped after the test."""
    yield from _fresh_database(MARIADB_ADMIN_URL, "jonction_test")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"
