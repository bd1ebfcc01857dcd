"""Explain: the pure rules, the reading of REFER and the state, the page and the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from jonction.cli import app
from jonction.explain.model import (
    ElementRegistration,
    GroupAssignment,
    Left,
    MoodleObject,
    PersonFacts,
    Registration,
    explain,
)

from .conftest import Site, log_in
from .refer_data import CAMILLE, INES, LOUIS

NATURES = ["UE", "EC"]


def _facts(**values: object) -> PersonFacts:
    base: dict[str, object] = {
        "year": "2026",
        "cod_ind": 1,
        "cod_etu": "1",
        "last_name": "Martin",
        "first_name": "Camille",
        "username": "cmartin",
        "registrations": [Registration("SL1-101", "Licence 1", "SCI", "L-1", False)],
    }
    base.update(values)
    return PersonFacts(**base)  # type: ignore[arg-type]


def _ip(element: str, nature: str = "UE") -> ElementRegistration:
    return ElementRegistration("SL1-101", element, f"label {element}", nature, "SCI")


def test_enrolled_course_with_its_chain_and_last_run() -> None:
    enrolment = MoodleObject("enrolment", "2026:ELP:SMA1U01|cmartin|student", 7, None, "add", "r")
    result = explain(_facts(elements=[_ip("SMA1U01")], moodle=[enrolment]), NATURES)
    [entry] = result.entries
    assert entry.state == "in_moodle" and entry.moodle == (enrolment,)
    assert [step for step, _, _ in entry.chain] == [
        "admin_registration",
        "pedagogical_registration",
        "element_nature",
    ]
    assert entry.chain[0][1:] == ("SL1-101", "Licence 1")
    assert result.unexplained == []


def test_a_code_inside_another_code_does_not_match() -> None:
    other = MoodleObject("enrolment", "2026:ELP:SMA1U011|cmartin|student", 7, None)
    [entry] = explain(_facts(elements=[_ip("SMA1U01")], moodle=[other]), NATURES).entries
    assert entry.state == "missing" and entry.cause == "not_yet_synced"


def test_causes_of_a_missing_course() -> None:
    no_account = explain(_facts(username=None, elements=[_ip("SMA1U01")]), NATURES)
    assert no_account.entries[0].cause == "no_account"
    semester = explain(_facts(elements=[_ip("SMA1S01", "SEM")]), NATURES).entries[0]
    assert (semester.state, semester.cause, semester.detail) == (
        "no_course",
        "not_course_nature",
        "SEM",
    )
    unpaid = Left("pedagogical_registration", "k", "unpaid", "not paid", "LHI1U03", "SL1-101")
    [left] = explain(_facts(left_out=[unpaid]), NATURES).entries
    assert (left.code, left.state, left.cause) == ("LHI1U03", "missing", "left_out:unpaid")


def test_groups_and_objects_nothing_explains() -> None:
    member = MoodleObject("group_member", "2026:GRP:501|cmartin", 3, None)
    stale = MoodleObject("enrolment", "2026:ELP:OLD01|cmartin|student", 2, None)
    result = explain(
        _facts(
            groups=[
                GroupAssignment(501, "TD 1", "TD", "SMA1U01", None),
                GroupAssignment(502, "", "TP", None, None),
            ],
            moodle=[member, stale],
        ),
        NATURES,
    )
    by_code = {entry.code: entry for entry in result.entries}
    assert by_code["501"].state == "in_moodle"
    assert by_code["502"].cause == "group_attached_to_nothing"
    assert result.unexplained == [stale]


def _explain_page(client: TestClient, who: str) -> str:
    return client.get("/explain", params={"who": who}).text


@pytest.mark.parametrize("username", ["admin", "helpdesk", "scol-sci"])
def test_explain_page(client: TestClient, username: str) -> None:
    log_in(client, username)
    page = _explain_page(client, CAMILLE)
    assert "Camille" in page and "cmartin" in page
    assert "SMA1U01" in page and "dans Moodle" in page
    assert "SMA1U02" in page and "la prochaine nuit l&#39;ajoute" in page
    assert "ne donne pas de cours" in page  # the semester
    ines = _explain_page(client, INES)
    assert "LHI1U03" in ines and "administrative registration not paid" in ines


def test_several_matches_are_listed(client: TestClient) -> None:
    log_in(client, "admin")
    page = _explain_page(client, "martin")
    assert "2 personnes correspondent" in page and "Paul" in page


def test_scolarite_cannot_explain_another_composante(client: TestClient) -> None:
    log_in(client, "scol-let")
    assert "Camille" not in _explain_page(client, CAMILLE)
    assert "Martin" not in _explain_page(client, "martin")
    page = _explain_page(client, LOUIS)
    assert "Louis" in page and "Aucun compte" in page


def test_explain_command(site: Site, tmp_path: Path) -> None:
    config = tmp_path / "explain.toml"
    config.write_text(
        f'[state]\nurl = "{site.settings.state.url}"\n[refer]\nurl = "{site.settings.refer.url}"\n'
    )
    runner = CliRunner()
    done = runner.invoke(app, ["explain", "--user", "cmartin", "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "Camille" in done.output and "in_moodle course SMA1U01" in done.output
    assert "not yet in Moodle" in done.output
    only = runner.invoke(
        app,
        ["explain", "--user", CAMILLE, "--course", "SMA1U02", "--json", "--config", str(config)],
    )
    assert only.exit_code == 0 and '"SMA1U02"' in only.output and '"SMA1U01"' not in only.output
    many = runner.invoke(app, ["explain", "--user", "Martin", "--config", str(config)])
    assert many.exit_code == 1 and "2 people match" in many.output
