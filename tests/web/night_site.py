"""A generated university synchronised with the simulator, night after night, for the tests
that read what real steps journaled (explain, the screens of the guide)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from jonction.config import Settings
from jonction.sources.generator.evolve import evolve
from jonction.steps import registry
from jonction.steps.runner import RunReport, run_steps
from moodlesim.testing import RunningSimulator

from ..generated_university import generated_university


def run_night(settings: Settings) -> RunReport:
    report = asyncio.run(run_steps(settings, list(registry.all_steps()), command="nightly"))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.status} {step.error}"
    return report


@contextmanager
def generated_nights(
    folder: Path,
    students: int,
    nights: int = 1,
    seed: int = 3,
    before_last: Callable[[Settings, RunningSimulator], None] | None = None,
) -> Iterator[Settings]:
    """`nights` nights of a generated university (Apogée, the directory and ADE evolving
    between two nights; `before_last` called before the last one); the simulator keeps
    running while the caller reads."""
    with generated_university(folder, students, seed) as university:
        settings = university.settings
        settings.web.plan_file = folder / "plan.json"
        settings.web.secret_key = SecretStr("test-secret-key-for-sessions")
        for night in range(nights):
            if night:
                made = university.made
                evolve(settings.apogee.url, seed + night, ldif=made.ldif, ade=made.ade)
            if night == nights - 1 and before_last is not None:
                before_last(settings, university.moodle)
            run_night(settings)
        yield settings
