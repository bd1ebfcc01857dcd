"""The users step reading a real directory (private slapd), night after night."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE
from pydantic import SecretStr

from jonction.config import Settings
from jonction.domain.accounts import USER, MoodleAccount
from jonction.domain.plan import Plan
from jonction.steps import registry
from jonction.steps.base import Step
from jonction.steps.runner import StepReport, open_journal, run_steps
from jonction.steps.users import UsersStep

from .fake_moodle import FakeMoodle
from .slapd import READER_DN, READER_PASSWORD, PrivateSlapd, free_port

pytestmark = pytest.mark.slapd


def _person(
    base: str, uid: str, sn: str, dn: str | None = None, **extra: object
) -> tuple[str, dict[str, object]]:
    return (
        dn or f"uid={uid},{base}",
        {
            "objectClass": ["inetOrgPerson", "eduPerson", "supannPerson"],
            "uid": uid,
            "cn": f"{uid} {sn}",
            "sn": sn,
            "givenName": "Camille",
            "mail": f"{uid.lower()}@univ-exemple.fr",
            "eduPersonAffiliation": ["student", "member"],
            **extra,
        },
    )


@pytest.fixture
def people(slapd: PrivateSlapd, ldap_tree: str) -> str:
    entries = [
        _person(ldap_tree, f"etu{i:02}", f"Nom{i}", supannEtuId=f"2260{i:04}") for i in range(10)
    ]
    entries.append(_person(ldap_tree, "HMartin", "Martin", supannEmpId="104999"))
    # No uid at all, and two entries claiming the same username.
    entries.append(
        (
            f"cn=Compte Technique,{ldap_tree}",
            {
                "objectClass": ["inetOrgPerson", "eduPerson"],
                "cn": "Compte Technique",
                "sn": "T",
                "eduPersonAffiliation": ["staff"],
            },
        )
    )
    entries.append(_person(ldap_tree, "dup", "Premier"))
    entries.append(_person(ldap_tree, "DUP", "Second", dn=f"cn=Dup Second,{ldap_tree}"))
    slapd.add(entries)
    return ldap_tree


@pytest.fixture
def moodle() -> FakeMoodle:
    return FakeMoodle()


@pytest.fixture
def settings(tmp_path: Path, slapd: PrivateSlapd, people: str) -> Settings:
    settings = Settings()
    settings.state.url = f"sqlite:///{tmp_path / 'state.db'}"
    settings.refer.url = f"sqlite:///{tmp_path / 'refer.db'}"
    settings.pipeline.lock_file = tmp_path / "lock"
    settings.ldap.url = slapd.url
    settings.ldap.base = people
    # This reader gets 5 entries a search: the 14 entries come through pages of 4.
    settings.ldap.bind_dn = READER_DN
    settings.ldap.password = SecretStr(READER_PASSWORD)
    settings.ldap.page_size = 4
    settings.guards.min_items_for_share = 100
    return settings


@pytest.fixture(autouse=True)
def steps(monkeypatch: pytest.MonkeyPatch, moodle: FakeMoodle) -> Iterator[None]:
    step = type("TestUsers", (UsersStep,), {"gateway_factory": staticmethod(moodle.factory)})
    table: dict[str, type[Step]] = {"users": step}
    monkeypatch.setattr(registry, "all_steps", lambda: table)
    yield


def night(settings: Settings) -> StepReport:
    return asyncio.run(run_steps(settings, ["users"])).steps[0]


def _user(moodle: FakeMoodle, username: str) -> MoodleAccount:
    found = moodle.by_username(username)
    assert found is not None
    return found


def plan_of(report: StepReport) -> Plan:
    assert report.plan is not None, report.error
    return report.plan


def actions(report: StepReport) -> set[tuple[str, str]]:
    return {(op.key, str(op.action)) for op in plan_of(report).operations}


def test_nights_against_a_real_directory(
    settings: Settings, slapd: PrivateSlapd, people: str, moodle: FakeMoodle
) -> None:
    first = night(settings)
    assert first.status == "succeeded", first.error
    assert actions(first) == {(f"etu{i:02}", "create") for i in range(10)} | {("hmartin", "create")}
    notices = {(n.kind, n.key) for n in plan_of(first).notices}
    assert ("directory_missing_username", f"cn=Compte Technique,{people}") in notices
    assert ("directory_duplicate_username", "dup") in notices
    assert plan_of(first).stats["directory_entries"] == 14
    created = moodle.by_username("etu03")
    assert created is not None and created.idnumber == "22600003"

    # Update, and a person gone from the directory.
    slapd.modify(f"uid=etu01,{people}", {"sn": [(MODIFY_REPLACE, ["Nouveau-Nom"])]})
    slapd.delete(f"uid=etu02,{people}")
    second = night(settings)
    assert second.status == "succeeded", second.error
    assert actions(second) == {("etu01", "update"), ("etu02", "suspend")}
    assert _user(moodle, "etu01").lastname == "Nouveau-Nom"
    assert _user(moodle, "etu02").suspended

    # Back in the directory: reactivated.
    slapd.add([_person(people, "etu02", "Nom2", supannEtuId="22600002")])
    third = night(settings)
    assert actions(third) == {("etu02", "reactivate")}
    assert not _user(moodle, "etu02").suspended
    assert actions(night(settings)) == set()

    # The directory server is down: the step fails, nobody is suspended.
    writes = moodle.writes
    settings.ldap.url = f"ldap://127.0.0.1:{free_port()}"
    down = night(settings)
    assert down.status == "failed"
    assert "cannot reach the directory" in down.error
    assert moodle.writes == writes
    assert not any(stored.account.suspended for stored in moodle.users.values())
    assert len(open_journal(settings).managed(USER)) == 11
