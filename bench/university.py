"""The generated university of a benchmark, cached under var/bench/ by size, seed and year.

Two states are kept: `base` (what `generate-apogee` writes) and `evolved` (the same after one
`evolve-apogee` night). Each night of a benchmark copies one of them into its workspace, so
that the batched and the per-item runs read exactly the same files.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jonction.config import current_academic_year
from jonction.sources.generator import generate
from jonction.sources.generator.evolve import evolve

CACHE_ROOT = Path("var/bench/university")
STATES = ("base", "evolved")
DATABASE = "apogee.db"
LDIF = "apogee.ldif"
ADE = "apogee-ade"


@dataclass(frozen=True)
class University:
    students: int
    seed: int
    year: str
    folder: Path
    # Figures of the generated university and of the night of change, for the report.
    generated: dict[str, Any]
    evolved: dict[str, Any]
    generation_s: float
    evolution_s: float
    cached: bool

    def state(self, name: str) -> Path:
        if name not in STATES:
            raise ValueError(f"unknown state {name!r}")
        return self.folder / name

    def install(self, name: str, workspace: Path) -> None:
        """Puts the sources of state `name` in `workspace` (replacing those already there)."""
        source = self.state(name)
        workspace.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / DATABASE, workspace / DATABASE)
        shutil.copyfile(source / LDIF, workspace / LDIF)
        shutil.rmtree(workspace / ADE, ignore_errors=True)
        shutil.copytree(source / ADE, workspace / ADE)

    def summary(self) -> dict[str, Any]:
        figures = {
            key: self.generated.get(key)
            for key in (
                "students",
                "iae",
                "ip_rows",
                "etapes",
                "course_elements_open",
                "groups_element",
                "groups_etape",
                "memberships",
                "teachers",
                "ldap_entries",
                "ade_events",
            )
        }
        return {
            "students": self.students,
            "seed": self.seed,
            "year": self.year,
            "folder": str(self.folder),
            "cached": self.cached,
            "generation_s": round(self.generation_s, 1),
            "evolution_s": round(self.evolution_s, 1),
            "figures": figures,
            "night_of_change": self.evolved.get("counts", {}),
        }


def _url(folder: Path) -> str:
    return f"sqlite:///{(folder / DATABASE).resolve()}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def prepare(
    students: int, seed: int, year: str | None = None, root: Path = CACHE_ROOT
) -> University:
    """The university of `students` students for `seed`, generated once and then reused."""
    year = year or current_academic_year()
    folder = root / f"n{students}-seed{seed}-{year}"
    marker = folder / "university.json"
    if marker.exists():
        data = json.loads(marker.read_text())
        return University(
            students,
            seed,
            year,
            folder,
            data["generated"],
            data["evolved"],
            data["generation_s"],
            data["evolution_s"],
            cached=True,
        )
    scratch = folder.with_name(folder.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    base, evolved = scratch / "base", scratch / "evolved"
    base.mkdir(parents=True)
    started = time.perf_counter()
    generation = generate(_url(base), students, seed, year)
    generation_s = time.perf_counter() - started
    shutil.copytree(base, evolved)
    started = time.perf_counter()
    # The night of change has its own seed, derived from the university's.
    evolution = evolve(_url(evolved), seed + 1000)
    evolution_s = time.perf_counter() - started
    generated = _jsonable(asdict(generation))
    changes = {"counts": dict(evolution.counts), "seconds": evolution.seconds}
    (scratch / "university.json").write_text(
        json.dumps(
            {
                "generated": generated,
                "evolved": changes,
                "generation_s": generation_s,
                "evolution_s": evolution_s,
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    shutil.rmtree(folder, ignore_errors=True)
    scratch.rename(folder)
    return University(
        students, seed, year, folder, generated, changes, generation_s, evolution_s, cached=False
    )
