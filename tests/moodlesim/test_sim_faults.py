"""Seeded faults: 503 answers and hangs, some after the writes were applied."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from moodlesim.db import schema
from moodlesim.faults import Fault, FaultInjector
from moodlesim.testing import running_simulator

from .sim_support import TOKEN, SimClient


def test_faults_are_seeded() -> None:
    a, b, c = FaultInjector(0.3, 42), FaultInjector(0.3, 42), FaultInjector(0.3, 43)
    runs = [[injector.draw() for _ in range(200)] for injector in (a, b, c)]
    assert runs[0] == runs[1] != runs[2]
    sample = FaultInjector(0.3, 3)
    kinds = [sample.draw() for _ in range(2000)]
    assert 0.25 < sum(k is not Fault.NONE for k in kinds) / 2000 < 0.35
    assert {k for k in kinds} == set(Fault)
    never = FaultInjector(0.0, 3)
    assert all(never.draw() is Fault.NONE for _ in range(100))


def categories(sim: SimClient) -> int:
    with sim.simulator.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(schema.course_categories)).scalar_one()
        )


def test_each_fault_kind(make_sim: Callable[..., SimClient]) -> None:
    sim = make_sim(fault_rate=1.0, seed=11, fault_hang_s=0.2)
    predicted = FaultInjector(1.0, 11)
    seen: set[Fault] = set()
    for index in range(12):
        kind = predicted.draw()
        before = categories(sim)
        fields = [
            ("wstoken", TOKEN),
            ("wsfunction", "core_course_create_categories"),
            ("moodlewsrestformat", "json"),
            ("categories[0][name]", f"C{index}"),
        ]
        response = sim.post(fields)
        applied = categories(sim) - before
        if kind in (Fault.UNAVAILABLE_BEFORE, Fault.UNAVAILABLE_AFTER):
            assert response.status_code == 503
        elif kind is Fault.HANG_BEFORE:
            assert response.status_code == 504
        else:
            assert response.status_code == 200 and response.json()[0]["name"] == f"C{index}"
        assert applied == (1 if kind in (Fault.UNAVAILABLE_AFTER, Fault.HANG_AFTER) else 0), kind
        seen.add(kind)
    assert seen == set(Fault) - {Fault.NONE}
    report = sim.get("/admin/stats", wstoken=TOKEN).json()
    assert sum(report["faults"].values()) == 12


def test_faults_spare_the_admin_endpoints(make_sim: Callable[..., SimClient]) -> None:
    sim = make_sim(fault_rate=1.0, seed=1, fault_hang_s=0.01)
    for _ in range(5):
        assert sim.get("/admin/stats", wstoken=TOKEN).status_code == 200
    assert sim.admin("settings", fault_rate="0").json()["fault_rate"] == 0.0
    assert sim.call("core_course_get_categories")[0]["id"] == 1


def test_a_hang_outlasts_the_client_timeout_over_http() -> None:
    seed = next(s for s in range(100) if FaultInjector(1.0, s).draw() is Fault.HANG_AFTER)
    with running_simulator(latency_ms=0, fault_rate=1.0, seed=seed, fault_hang_s=30.0) as moodle:
        fields = {
            "wstoken": moodle.token,
            "wsfunction": "core_course_create_categories",
            "moodlewsrestformat": "json",
            "categories[0][name]": "Late",
        }
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(moodle.rest_url, data=fields, timeout=0.5)
        moodle.settings(fault_rate="0")
        read = httpx.post(
            moodle.rest_url,
            data={
                "wstoken": moodle.token,
                "moodlewsrestformat": "json",
                "wsfunction": "core_course_get_categories",
            },
        ).json()
        assert [c["name"] for c in read] == ["Category 1", "Late"]  # applied before the hang
