"""The cost model, the worker bound, and the admin statistics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from moodlesim import CostModel

from .sim_support import FORM, TOKEN, SimClient, flatten

SCALE = 0.01  # keeps the sleeps short; costs are reported after scaling


def stats(sim: SimClient) -> dict[str, Any]:
    return dict(sim.get("/admin/stats", wstoken=TOKEN).json())


def function_cost(sim: SimClient, function: str) -> float:
    return float(stats(sim)["functions"][function]["cost_ms"])


def approx(value: float) -> object:
    return pytest.approx(value, abs=2e-3)  # the statistics are rounded to the microsecond


@pytest.fixture
def costly(make_sim: Callable[..., SimClient]) -> SimClient:
    return make_sim(cost=CostModel(latency_ms=20, scale=SCALE))


def test_call_cost_is_latency_plus_items(costly: SimClient) -> None:
    costly.call("core_group_get_course_groups", courseid=1)
    assert function_cost(costly, "core_group_get_course_groups") == approx(20 * SCALE)
    costly.call(
        "core_user_create_users",
        users=[
            {
                "username": f"u{i}",
                "firstname": "F",
                "lastname": "L",
                "email": f"u{i}@x.org",
                "auth": "cas",
            }
            for i in range(4)
        ],
    )
    assert function_cost(costly, "core_user_create_users") == approx((20 + 4 * 2.8) * SCALE)
    costly.call(
        "core_user_create_users",
        users=[
            {
                "username": "m",
                "firstname": "F",
                "lastname": "L",
                "email": "m@x.org",
                "password": "Secret-123",
            }
        ],
    )
    # Hashing a password of a manual account is what makes those creations slow.
    assert function_cost(costly, "core_user_create_users") == approx(
        (20 + 4 * 2.8 + 20 + 2.8 + 57) * SCALE
    )


def test_reads_cost_per_record(costly: SimClient) -> None:
    costly.call(
        "core_course_create_courses",
        courses=[{"fullname": f"C{i}", "shortname": f"C{i}", "categoryid": 1} for i in range(5)],
    )
    costly.call("core_course_get_courses")
    assert function_cost(costly, "core_course_get_courses") == approx((20 + 6 * 3.3) * SCALE)


def test_course_creation_grows_with_the_category(costly: SimClient) -> None:
    model = CostModel()
    costly.call(
        "core_course_create_courses",
        courses=[{"fullname": f"C{i}", "shortname": f"C{i}", "categoryid": 1} for i in range(100)],
    )
    batch = function_cost(costly, "core_course_create_courses")
    growth = sum(model.course_in_category(n) for n in range(100))
    assert batch == approx((20 + 100 * 20 + growth) * SCALE)
    costly.call(
        "core_course_create_courses", courses=[{"fullname": "X", "shortname": "X", "categoryid": 1}]
    )
    one = function_cost(costly, "core_course_create_courses") - batch
    assert one == approx((20 + 20 + model.course_in_category(100)) * SCALE)
    # Measured on the real site: ~750 ms a course once a category holds ~1,000 courses.
    assert 600 <= 20 + model.course_in_category(1000) <= 900


def test_failed_calls_cost_what_they_did(costly: SimClient) -> None:
    answer = costly.call(
        "core_course_create_courses",
        courses=[
            {"fullname": "A", "shortname": "A", "categoryid": 1},
            {"fullname": "B", "shortname": "A", "categoryid": 1},
        ],
    )
    assert answer["errorcode"] == "shortnametaken"
    entry = stats(costly)["functions"]["core_course_create_courses"]
    assert (entry["calls"], entry["errors"], entry["items"]) == (1, 1, 2)


def test_per_item_override(make_sim: Callable[..., SimClient]) -> None:
    sim = make_sim(cost=CostModel(latency_ms=0, per_item_override_ms=1.0, scale=SCALE))
    sim.call(
        "core_user_create_users",
        users=[
            {
                "username": "m",
                "firstname": "F",
                "lastname": "L",
                "email": "m@x.org",
                "password": "Secret-123",
            }
        ],
    )
    assert function_cost(sim, "core_user_create_users") == approx((1 + 1) * SCALE)


def test_concurrency_pays_only_up_to_the_workers(make_sim: Callable[..., SimClient]) -> None:
    latency_ms = 150
    sim = make_sim(cost=CostModel(latency_ms=latency_ms), workers=2)
    body = urlencode(
        [
            ("wstoken", TOKEN),
            ("wsfunction", "core_webservice_get_site_info"),
            ("moodlewsrestformat", "json"),
            *flatten({}),
        ]
    )

    async def burst(count: int) -> float:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                sim.client.post("/webservice/rest/server.php", content=body, headers=FORM)
                for _ in range(count)
            )
        )
        return time.perf_counter() - started

    # W+1 calls need at least two rounds of the latency: the sleeps cannot overlap more.
    assert sim.run(burst(3)) >= 2 * latency_ms / 1000
    assert stats(sim)["calls"] == 3


def test_stats_need_the_token_and_can_be_reset(costly: SimClient) -> None:
    costly.call("core_webservice_get_site_info")
    assert costly.get("/admin/stats").status_code == 403
    assert costly.get("/admin/stats", wstoken="nope").status_code == 403
    report = stats(costly)
    assert report["calls"] == 1 and report["workers"] == 6
    assert report["lower_bound_s"] == pytest.approx(report["cost_ms"] / 6 / 1000, abs=1e-3)
    assert costly.admin("reset_stats").json() == {"reset": True}
    assert stats(costly)["calls"] == 0


def test_time_beyond_the_cost_model_is_counted_apart(make_sim: Callable[..., SimClient]) -> None:
    # At no cost at all, whatever the call takes is the simulator's own time, not Moodle's.
    free = make_sim(cost=CostModel(latency_ms=20, scale=0.0))
    free.call("core_webservice_get_site_info")
    report = stats(free)
    entry = report["functions"]["core_webservice_get_site_info"]
    assert entry["cost_ms"] == 0 and entry["overrun_ms"] > 0
    assert report["overrun_ms"] == entry["overrun_ms"]
    # At the measured cost, a call as light as this one stays within it.
    costly = make_sim(cost=CostModel(latency_ms=20, scale=1.0))
    costly.call("core_webservice_get_site_info")
    assert stats(costly)["functions"]["core_webservice_get_site_info"]["overrun_ms"] == 0
