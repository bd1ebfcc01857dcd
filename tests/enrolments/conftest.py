"""Shared fixtures of the enrolment tests: the ADE samples and a test ADE server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_dir

from .ade_server import AdeServer


@pytest.fixture
def ade_samples() -> Path:
    return shared_dir() / "ade"


@pytest.fixture
def ade_server(ade_samples: Path) -> AdeServer:
    return AdeServer(
        (ade_samples / "sample-getResources.xml").read_bytes(),
        (ade_samples / "sample-getEvents.xml").read_bytes(),
    )
