"""The offer's course maps as the enrolments step looks courses up (REFER's sample)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine

from jonction.config import Settings
from jonction.domain.course_map import CourseMap
from jonction.domain.refer_model import ReferSnapshot
from jonction.journal.store import Journal
from jonction.steps import course_maps as shared
from jonction.steps.base import StepContext
from jonction.steps.course_maps import course_maps
from jonction.steps.enrolments import catalogue_index
from tests.refer.samples import L1, L1B, sample_snapshot


def test_shared_courses() -> None:
    courses = catalogue_index(Settings(), [sample_snapshot("2026")])
    assert courses.course_of("2026", "SMA1U01", L1) == "2026:ELP:SMA1U01"
    assert courses.course_of("2026", "SMA1S01", L1) is None  # a semester has no course
    assert courses.course_of("2025", "SMA1U01", L1) is None  # not a managed year
    # LANG01 is taught in L1 and in the FOAD L1B: one course, teachers by hand.
    assert courses.course_of("2026", "LANG01", L1B) == "2026:ELP:LANG01"
    assert courses.courses_of_element("LANG01") == ["2026:ELP:LANG01"]
    assert courses.teachers_by_hand("2026:ELP:LANG01")
    assert not courses.teachers_by_hand("2026:ELP:SMA1U01")


def test_split_courses_by_modality() -> None:
    settings = Settings()
    settings.policy.foad_policy = "split"
    courses = catalogue_index(settings, [sample_snapshot("2026")])
    onsite = courses.course_of("2026", "LANG01", L1)
    distance = courses.course_of("2026", "LANG01", L1B)
    assert onsite == "2026:ELP:LANG01" and distance is not None and distance != onsite
    assert sorted(courses.courses_of_element("LANG01")) == sorted([onsite, distance])
    assert courses.teachers_by_hand(distance) and not courses.teachers_by_hand(onsite)


def test_teachers_look_in_the_last_year() -> None:
    courses = catalogue_index(Settings(), [sample_snapshot("2025"), sample_snapshot("2026")])
    assert courses.courses_of_element("SMA1U01") == ["2026:ELP:SMA1U01"]
    assert courses.course_of("2025", "SMA1U01", L1) == "2025:ELP:SMA1U01"


def test_the_steps_of_a_run_share_one_computation(monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[int] = []

    def counted(settings: Settings, snapshots: list[ReferSnapshot]) -> dict[str, CourseMap]:
        computed.append(1)
        return course_maps(settings, snapshots)

    monkeypatch.setattr(shared, "course_maps", counted)
    ctx = StepContext(Settings(), Journal(create_engine("sqlite://")), datetime.now(UTC))
    snapshots = [sample_snapshot("2026")]

    async def two_steps() -> tuple[dict[str, CourseMap], dict[str, CourseMap]]:
        return (
            await shared.shared_course_maps(ctx, snapshots),
            await shared.shared_course_maps(ctx, snapshots),
        )

    first, second = asyncio.run(two_steps())
    assert first is second and computed == [1]
    assert first["2026"].course_for("SMA1U01", L1) is not None
