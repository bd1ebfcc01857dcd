"""Fixtures of the accounts and cohorts tests: one private slapd per test session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from .factories import sample_ldif
from .slapd import PrivateSlapd, SlapdError

_subtrees = itertools.count(1)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateSlapd]:
    """A private slapd holding the shared sample directory under ou=people."""
    server = PrivateSlapd(tmp_path_factory.mktemp("slapd"))
    try:
        server.start([sample_ldif()])
    except SlapdError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ldap_tree(slapd: PrivateSlapd) -> Iterator[str]:
    """An empty branch of the private directory for one test (its search base)."""
    base = f"ou=t{next(_subtrees)},dc=univ-exemple,dc=fr"
    slapd.add([(base, {"objectClass": ["organizationalUnit"], "ou": base[3:].split(",")[0]})])
    yield base
