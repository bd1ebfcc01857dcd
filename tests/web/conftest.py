"""The dashboard on a fresh state database with four accounts and two journaled nights."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from jonction.config import Settings
from jonction.db import make_engine
from jonction.journal.store import Journal
from jonction.web.accounts import AccountStore
from jonction.web.app import create_app
from jonction.web.roles import Role

from .journal_data import LETTRES, SCIENCES, fill, fill_demo
from .refer_data import fill_managed, fill_refer

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "admin": (Role.ADMIN, ()),
    "scol-sci": (Role.SCOLARITE, (SCIENCES,)),
    "scol-let": (Role.SCOLARITE, (LETTRES,)),
    "helpdesk": (Role.SUPPORT, ()),
}


@dataclass
class Site:
    settings: Settings
    journal: Journal
    runs: tuple[int, int]


def make_settings(tmp_path: Path, **web: object) -> Settings:
    return Settings(
        state={"url": f"sqlite:///{tmp_path / 'state.db'}"},
        refer={"url": f"sqlite:///{tmp_path / 'refer.db'}"},
        web={
            "secret_key": "test-secret-key-for-sessions",
            "plan_file": str(tmp_path / "plan.json"),
            **web,
        },
        pipeline={"lock_file": str(tmp_path / "jonction.lock")},
    )


def make_site(tmp_path: Path, demo: bool = False, **web: object) -> Site:
    settings = make_settings(tmp_path, **web)
    journal = Journal(make_engine(settings.state.url))
    journal.ensure_schema()
    store = AccountStore(journal.engine)
    for name, (role, composantes) in ACCOUNTS.items():
        store.add(name, role, composantes, display_name=name.title(), password=PASSWORD)
    fill_refer(make_engine(settings.refer.url))
    fill_managed(journal)
    if demo:
        made = fill_demo(journal)
        return Site(settings, journal, (made[0], made[-1]))
    return Site(settings, journal, fill(journal))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.settings, site.journal), follow_redirects=False) as test:
        yield test


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    page = client.get(path)
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client)
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
