"""`jonction nightly` killed with SIGKILL in the middle of a step, then started again, leaves
Moodle and jonction's records exactly as an uninterrupted night does: the objects the killed
run had created are recognised, nothing is created twice, no collision is reported."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from jonction.journal.schema import notices, runs
from jonction.sources.generator.generate import generate
from jonction.steps import registry
from moodlesim.testing import RunningSimulator, running_simulator

from .night import Site, moodle_state

pytestmark = pytest.mark.slow
YEAR = "2026"
KINDS = ("user", "cohort", "category", "course", "group")
NIGHT = tuple(registry.all_steps())
# Small batches and a few milliseconds a call: the night lasts long enough to be killed
# between a creation and its record.
SLOW = """
concurrency = 2

[moodle.batch_sizes]
core_course_create_courses = 3
core_course_create_categories = 3
core_cohort_create_cohorts = 3
core_user_create_users = 20
core_group_create_groups = 3
"""


@pytest.fixture(scope="module")
def university(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("university")
    apogee = f"sqlite:///{folder / 'apogee.db'}"
    generate(apogee, 120, 5, YEAR, folder / "directory.ldif")
    return apogee, folder / "directory.ldif"


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, university: tuple[str, Path]
) -> Iterator[tuple[dict[str, object], dict[tuple[str, str], dict[str, object]]]]:
    """The end state of an uninterrupted night."""
    with running_simulator(latency_ms=0, per_item_ms=0) as moodle:
        site = Site(tmp_path_factory.mktemp("reference"), moodle, *university)
        site.write_config(YEAR, moodle=SLOW)
        site.night(*NIGHT)
        records = site.records(*KINDS)
        users = [key for kind, key in records if kind == "user"]
        yield moodle_state(moodle, users), records


def creations(moodle: RunningSimulator, function: str) -> int:
    stats = moodle.stats()["functions"].get(function, {})
    return int(stats.get("calls", 0))


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the night never reached the point to kill"
        time.sleep(0.01)


def quiet(moodle: RunningSimulator) -> None:
    """Waits for the simulator to finish the calls the killed process left in flight."""
    before = -1
    while (now := moodle.stats()["calls"]) != before:
        before = now
        time.sleep(0.3)


@pytest.mark.parametrize(
    "function",
    [
        "core_course_create_categories",
        "core_course_create_courses",
        "core_cohort_create_cohorts",
        "core_group_create_groups",
    ],
)
def test_killed_night_restarted_ends_as_an_uninterrupted_one(
    tmp_path: Path,
    university: tuple[str, Path],
    reference: tuple[dict[str, object], dict[tuple[str, str], dict[str, object]]],
    function: str,
) -> None:
    with running_simulator(latency_ms=8, per_item_ms=0) as moodle:
        site = Site(tmp_path, moodle, *university)
        site.write_config(YEAR, moodle=SLOW)
        night = site.start("nightly")
        wait_until(lambda: creations(moodle, function) >= 3, night)
        os.kill(night.pid, signal.SIGKILL)
        night.wait()
        quiet(moodle)
        state_after_kill = moodle_state(moodle)
        assert state_after_kill != reference[0]  # killed half-way indeed

        again = site.start("nightly")
        output, _ = again.communicate(timeout=300)
        assert again.returncode == 0, output

        expected_moodle, expected_records = reference
        records = site.records(*KINDS)
        users = [key for kind, key in records if kind == "user"]
        assert moodle_state(moodle, users) == expected_moodle
        assert records == expected_records
        journal = site.journal()
        with journal.engine.connect() as connection:
            statuses = [row.status for row in connection.execute(select(runs).order_by(runs.c.id))]
            kinds = set(connection.execute(select(notices.c.kind)).scalars())
        assert statuses == ["interrupted", "succeeded"]
        assert not {kind for kind in kinds if "collision" in kind}
        # And a third night writes nothing (group members stay deferred: no enrolment step).
        third = site.night(*NIGHT)
        written = {
            name
            for step in third.steps
            for name in step.calls
            if "_get_" not in name
            and any(word in name for word in ("create", "update", "delete", "add_", "enrol"))
        }
        assert written == set()
