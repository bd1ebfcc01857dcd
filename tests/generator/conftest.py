"""A small university generated once per session and copied for each test that changes it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jonction.sources.generator import GenerationSummary, generate

STUDENTS = 300
SEED = 7
YEAR = "2026"


@dataclass(frozen=True)
class Generated:
    folder: Path
    summary: GenerationSummary

    @property
    def db(self) -> Path:
        return self.folder / "apogee.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    @property
    def ldif(self) -> Path:
        return self.folder / "apogee.ldif"

    @property
    def ade(self) -> Path:
        return self.folder / "apogee-ade"


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    folder = tmp_path_factory.mktemp("small-university")
    summary = generate(f"sqlite:///{folder / 'apogee.db'}", STUDENTS, SEED, YEAR)
    return Generated(folder, summary)


@pytest.fixture
def small_copy(small: Generated, tmp_path: Path) -> Iterator[Generated]:
    """A private copy of the small university, for tests that change it."""
    folder = tmp_path / "copy"
    shutil.copytree(small.folder, folder)
    yield Generated(folder, small.summary)
