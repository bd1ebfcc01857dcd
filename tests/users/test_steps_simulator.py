"""users then cohorts, end to end: a private slapd, REFER, and the Moodle simulator over HTTP
through jonction's Moodle client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ldap3 import MODIFY_REPLACE
from pydantic import SecretStr

from jonction.config import Settings
from jonction.domain.plan import Plan
from jonction.sources.ldap.ldif_file import read_ldif
from jonction.steps import registry
from jonction.steps.base import Step
from jonction.steps.cohorts import CohortsStep
from jonction.steps.moodle_gateways import accounts_gateway, cohorts_gateway
from jonction.steps.runner import StepReport, run_steps
from jonction.steps.users import UsersStep
from moodlesim.testing import RunningSimulator, running_simulator

from .factories import BASE, sample_ldif
from .slapd import PrivateSlapd
from .test_cohorts_step import store, university

pytestmark = pytest.mark.slapd
WRITES = {
    "core_user_create_users",
    "core_user_update_users",
    "core_cohort_create_cohorts",
    "core_cohort_update_cohorts",
    "core_cohort_add_cohort_members",
    "core_cohort_delete_cohort_members",
}


@pytest.fixture(scope="module")
def moodle() -> Iterator[RunningSimulator]:
    with running_simulator(latency_ms=0, per_item_ms=0) as running:
        yield running


@pytest.fixture
def people(slapd: PrivateSlapd, ldap_tree: str) -> str:
    """The sample's ten people, copied under this test's own branch."""
    entries = []
    for dn, values in read_ldif(sample_ldif()):
        if dn.lower().endswith(BASE) and dn.lower() != BASE:
            entries.append((dn[: -len(BASE)] + ldap_tree, values))
    slapd.add(entries)
    return ldap_tree


@pytest.fixture
def settings(
    tmp_path: Path, slapd: PrivateSlapd, people: str, moodle: RunningSimulator
) -> Settings:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.ldap.url = slapd.url
    settings.ldap.base = people
    settings.ldap.page_size = 3
    settings.apogee.years = ["2026"]
    settings.moodle.url = moodle.base_url
    settings.moodle.token = SecretStr(moodle.token)
    settings.guards.min_items_for_share = 100
    return settings


@pytest.fixture(autouse=True)
def steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    table: dict[str, type[Step]] = {
        "users": type(
            "SimUsers", (UsersStep,), {"gateway_factory": staticmethod(accounts_gateway)}
        ),
        "cohorts": type(
            "SimCohorts", (CohortsStep,), {"gateway_factory": staticmethod(cohorts_gateway)}
        ),
    }
    monkeypatch.setattr(registry, "all_steps", lambda: table)
    yield


def night(settings: Settings) -> list[StepReport]:
    report = asyncio.run(run_steps(settings, ["users", "cohorts"]))
    for step in report.steps:
        assert step.status == "succeeded", f"{step.step}: {step.error}"
    return report.steps


def plan_of(report: StepReport) -> Plan:
    assert report.plan is not None
    return report.plan


def writes(report: StepReport) -> int:
    return int(sum(v["calls"] for name, v in report.calls.items() if name in WRITES))


def call(moodle: RunningSimulator, function: str, **params: str) -> object:
    answer = httpx.post(
        moodle.rest_url,
        data={
            "wstoken": moodle.token,
            "wsfunction": function,
            "moodlewsrestformat": "json",
            **params,
        },
    )
    return answer.json()


def user(moodle: RunningSimulator, username: str) -> dict[str, object]:
    found = call(
        moodle, "core_user_get_users_by_field", field="username", **{"values[0]": username}
    )
    assert isinstance(found, list) and len(found) == 1, found
    return dict(found[0])


def test_users_and_cohorts_against_the_simulator(
    settings: Settings, slapd: PrivateSlapd, people: str, moodle: RunningSimulator
) -> None:
    store(settings, university())
    users, cohorts = night(settings)
    assert users.outcome_counts() == {"applied": 9}
    hoconnor = user(moodle, "hoconnor")
    assert (hoconnor["auth"], hoconnor["firstname"]) == ("cas", "Hélène")
    assert user(moodle, "sroux")["idnumber"] == "22600233"
    assert cohorts.outcome_counts() == {"applied": 5 + 8}  # cohorts, then members
    found = call(moodle, "core_cohort_get_cohorts")
    assert isinstance(found, list)
    names = {c["idnumber"]: c["name"] for c in found}
    assert names["2026:VET:SLMAT1-101"] == "Licence 1 Mathématiques (SLMAT1-101) 2026-2027"
    assert users.calls and cohorts.calls

    # Nothing changed: reads only.
    quiet_users, quiet_cohorts = night(settings)
    assert plan_of(quiet_users).operations == [] and plan_of(quiet_cohorts).operations == []
    assert writes(quiet_users) == writes(quiet_cohorts) == 0

    # One person renamed, one gone: update and suspension, then the cohort loses her.
    slapd.modify(f"uid=adubois,{people}", {"sn": [(MODIFY_REPLACE, ["Dubois-Martin"])]})
    slapd.delete(f"uid=lmoreau,{people}")
    changed_users, _ = night(settings)
    assert {(op.key, str(op.action)) for op in plan_of(changed_users).operations} == {
        ("adubois", "update"),
        ("lmoreau", "suspend"),
    }
    assert user(moodle, "adubois")["lastname"] == "Dubois-Martin"
    assert user(moodle, "lmoreau")["suspended"] is True
