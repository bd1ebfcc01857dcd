"""Explain: the pure rules, the reading of REFER and the state, the page and the command."""

from __future__ import annotations

from datetime import date
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
    Policy,
    Registration,
    SpaceInfo,
    StepState,
    explain,
    only_course,
)

from .conftest import Site, csrf_of, log_in
from .refer_data import CAMILLE, HUGO, INES, LOUIS

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
    member = MoodleObject(
        "group_member",
        "2026:ELP:SMA1U01|2026:GPE:501|cmartin",
        3,
        None,
        "add",
        "",
        {},
        {},
        "applied",
    )
    stale = MoodleObject("enrolment", "2026:ELP:OLD01|cmartin|student", 2, None)
    result = explain(
        _facts(
            groups=[
                GroupAssignment(501, "TD 1", "TD", "SMA1U01", None),
                GroupAssignment(502, "", "TP", None, None),
            ],
            moodle=[stale],
            memberships=[member],
        ),
        NATURES,
    )
    by_code = {entry.code: entry for entry in result.entries}
    assert by_code["501"].state == "in_moodle"
    assert by_code["502"].cause == "group_attached_to_nothing"
    assert result.unexplained == [stale]


def _row(key: str, run: int = 5, **data: object) -> MoodleObject:
    return MoodleObject("enrolment", key, run, None, "add", "why", data)


def test_causes_from_the_journal() -> None:
    guarded = StepState("enrolments", 9, "guarded", ("40 of 60 would be removed",))
    stopped = explain(_facts(elements=[_ip("SMA1U02")], steps={"enrolments": guarded}), NATURES)
    [entry] = stopped.entries
    assert (entry.state, entry.cause) == ("missing", "step_stopped:guarded")
    assert entry.detail == "enrolments #9: 40 of 60 would be removed"
    fine = StepState("enrolments", 9, "succeeded")
    waiting = explain(_facts(elements=[_ip("SMA1U02")], steps={"enrolments": fine}), NATURES)
    assert waiting.entries[0].cause == "not_yet_synced"
    row = _row("2026:ELP:SMA1U02|cmartin|student", run=9)
    unsynced = explain(_facts(elements=[_ip("SMA1U02")], moodle=[row], unsynced_from=9), NATURES)
    assert (unsynced.entries[0].state, unsynced.entries[0].cause) == (
        "waiting_sync",
        "awaiting_sync",
    )
    older = explain(_facts(elements=[_ip("SMA1U02")], moodle=[row], unsynced_from=10), NATURES)
    assert older.entries[0].state == "in_moodle"


def test_grace_period_of_a_row_nobody_wants() -> None:
    leaving = _row("2026:ELP:OLD01|cmartin|student", missing_since="2026-11-01T04:15:00")
    policy = Policy(frozenset(NATURES), student_grace_days=14)
    result = explain(_facts(moodle=[leaving]), policy)
    [entry] = result.entries
    assert (entry.code, entry.state, entry.cause, entry.detail) == (
        "2026:ELP:OLD01",
        "leaving",
        "grace",
        "2026-11-15",
    )
    assert result.unexplained == []


def test_teacher_from_ade_and_foad_by_hand() -> None:
    scheduling = {
        "element": "SMA1U01",
        "instructor": "42",
        "instructor_name": "DURAND Paul",
        "activities": [
            {"activity": 7, "name": "CM Analyse", "first": "2026-09-07", "last": "2026-12-14"}
        ],
    }
    row = MoodleObject(
        "enrolment",
        "2026:ELP:SMA1U01|pdurand|editingteacher",
        5,
        None,
        "add",
        "scheduled in ADE",
        {},
        {"origin": "teacher", "schedulings": [scheduling]},
    )
    facts = _facts(
        cod_ind=0,
        registrations=[],
        username="pdurand",
        moodle=[row],
        by_hand=frozenset({"2026:ELP:FOAD01"}),
    )
    result = explain(facts, NATURES)
    teaching, foad = result.entries
    assert (teaching.what, teaching.code, teaching.state) == (
        "teaching",
        "2026:ELP:SMA1U01",
        "in_moodle",
    )
    assert [link[0] for link in teaching.chain] == [
        "ade_activity",
        "ade_instructor",
        "element",
        "course",
    ]
    assert teaching.chain[0][1:] == ("7", "CM Analyse (2026-09-07 → 2026-12-14)")
    assert (foad.state, foad.cause) == ("by_hand", "foad_by_hand")
    only = only_course(result, "FOAD01")
    assert [e.cause for e in only.entries] == ["foad_by_hand"]
    nothing = only_course(result, "SMA9U99")
    assert [e.cause for e in nothing.entries] == ["not_registered"]


def test_cohorts_and_spaces() -> None:
    cohort = MoodleObject(
        "cohort_member",
        "2026:VET:SL1:101|cmartin",
        4,
        None,
        "add",
        "cohort of étape SL1",
        {},
        {},
        "applied",
    )
    space = SpaceInfo(3, "TUTORAT-L1", "Tutorat L1", "jdupont", date(2027, 6, 30), ("SL1-101",))
    result = explain(_facts(cohorts=[cohort], spaces=[space]), NATURES)
    by_what = {entry.what: entry for entry in result.entries}
    assert by_what["cohort"].state == "in_moodle" and by_what["cohort"].code == "2026:VET:SL1:101"
    assert by_what["space"].code == "TUTORAT-L1" and by_what["space"].detail == "2027-06-30"


def _explain_page(client: TestClient, who: str) -> str:
    return client.get("/explain", params={"who": who}).text


@pytest.mark.parametrize("username", ["admin", "helpdesk", "scol-sci"])
def test_explain_page(client: TestClient, username: str) -> None:
    log_in(client, username)
    page = _explain_page(client, CAMILLE)
    assert "Camille" in page and "cmartin" in page
    assert "SMA1U01" in page and "dans Moodle" in page
    # Not yet in Moodle: the last enrolments run was stopped by a guard, which is named.
    assert "SMA1U02" in page and "40 of 60 enrolment objects would be removed" in page
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
    assert "did not apply its changes at its last run: enrolments #" in " ".join(
        done.output.split()
    )
    only = runner.invoke(
        app,
        ["explain", "--user", CAMILLE, "--course", "SMA1U02", "--json", "--config", str(config)],
    )
    assert only.exit_code == 0 and '"SMA1U02"' in only.output and '"SMA1U01"' not in only.output
    many = runner.invoke(app, ["explain", "--user", "Martin", "--config", str(config)])
    assert many.exit_code == 1 and "2 people match" in many.output


def test_an_instructor_without_account(client: TestClient, site: Site) -> None:
    from jonction.domain.plan import Notice

    journal = site.journal
    run = journal.start_run("nightly", ["enrolments"])
    step = journal.start_step(run, "enrolments", "apply")
    journal.record_notices(
        step,
        [
            Notice(
                "instructor_without_account",
                "ADE:77",
                "ADE instructor LEFEVRE Anne (E0077, anne.lefevre@univ.fr) matches no account: "
                "3 courses not given",
            )
        ],
    )
    journal.finish_step(step, "succeeded")
    journal.finish_run(run, "succeeded", {})
    log_in(client, "helpdesk")
    page = _explain_page(client, "lefevre")
    assert "Personne ne correspond" in page and "LEFEVRE Anne (E0077" in page
    assert "aucun compte de l&#39;annuaire" in page
    # Scolarité sees only the students of its composantes: not the timetable's instructors.
    client.post("/logout", data={"csrf_token": csrf_of(client, "/explain")})
    log_in(client, "scol-sci")
    assert "LEFEVRE" not in _explain_page(client, "lefevre")


def test_a_student_left_out_of_refer_is_explained(client: TestClient) -> None:
    """Only an unpaid administrative registration: not among REFER's students, yet found."""
    log_in(client, "helpdesk")
    page = _explain_page(client, HUGO)
    assert "Hugo" in page and "LL1-101" in page and "LLA1U01" in page
    assert "is not paid (ETA_PMT_IAE)" in page and "inscription administrative" in page
    client.post("/logout", data={"csrf_token": csrf_of(client, "/explain")})
    log_in(client, "scol-let")
    assert "Hugo" in _explain_page(client, "petit")
    client.post("/logout", data={"csrf_token": csrf_of(client, "/explain")})
    log_in(client, "scol-sci")
    assert "Hugo" not in _explain_page(client, "petit")


def test_a_course_whose_element_left_the_catalogue() -> None:
    row = _row("2026:ELP:OLD01|cmartin|student", missing_since="2026-11-01T04:15:00")
    record = {"obsolete_since": "2026-10-31", "hidden_on": "2026-10-31"}
    result = explain(_facts(moodle=[row], courses={"2026:ELP:OLD01": record}), NATURES)
    [entry] = result.entries
    assert entry.state == "leaving"
    assert [link[:2] for link in entry.chain[1:]] == [
        ("course_obsolete", "2026-10-31"),
        ("course_hidden", "2026-10-31"),
    ]
