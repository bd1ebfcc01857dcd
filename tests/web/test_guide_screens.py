"""The screens of the guide for scolarité and of docs/dashboard.md, taken in Chromium from
three real nights of a generated university (docs/images are copies of these artifacts)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from jonction.config import Settings
from jonction.db import make_engine
from jonction.domain.refer_model import ReferSnapshot
from jonction.domain.spaces import Space
from jonction.journal.schema import managed
from jonction.journal.spaces import add_space
from jonction.journal.store import Journal
from jonction.sources.refer.store import load_snapshot, open_refer
from jonction.steps import registry
from jonction.steps.runner import run_steps
from jonction.steps.saved_plans import write_plans
from jonction.web.accounts import AccountStore
from jonction.web.app import create_app
from jonction.web.roles import Role
from moodlesim.testing import RunningSimulator

from ..generated_university import YEAR
from .browser import browser_page, screenshot, serve
from .conftest import PASSWORD
from .night_site import generated_nights

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _largest(snapshot: ReferSnapshot) -> str:
    """The composante with the most students: the one the screens show."""
    counts = Counter(r.composante for r in snapshot.admin_registrations)
    return counts.most_common(1)[0][0]


def _hand_made_space(settings: Settings, moodle: RunningSimulator) -> None:
    """A course made by hand in Moodle, registered as a complementary space for the students
    of an étape, named like one of the étape's elements: the spaces step reports the
    collision."""
    snapshot = load_snapshot(open_refer(settings), YEAR)
    registration = next(
        ip
        for ip in snapshot.pedagogical_registrations
        if snapshot.etapes[ip.etape].composante == _largest(snapshot)
    )
    element = snapshot.elements[registration.element]
    etape = snapshot.etapes[registration.etape]
    answer = httpx.post(
        moodle.rest_url,
        data={
            "wstoken": moodle.token,
            "wsfunction": "core_course_create_courses",
            "moodlewsrestformat": "json",
            "courses[0][fullname]": element.label,
            "courses[0][shortname]": f"SOUTIEN-{element.code}",
            "courses[0][categoryid]": "1",
        },
        timeout=60,
    ).json()
    journal = Journal(make_engine(settings.state.url))
    add_space(
        journal,
        Space(
            0,
            int(answer[0]["id"]),
            f"SOUTIEN-{element.code}",
            "",
            element.label,
            "jdupont",
            "séances de soutien",
            etape.composante,
            (str(registration.etape),),
            (),
            date.today() + timedelta(days=120),
        ),
        "admin",
    )


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp("guide")
    with generated_nights(folder, 300, nights=3, before_last=_hand_made_space) as settings:
        evolve_then_plan(settings)
        yield settings


def evolve_then_plan(settings: Settings) -> None:
    """Tonight's plan after a day of change, as `jonction plan --save` writes it once the
    refer step has read Apogée."""
    from jonction.sources.generator.evolve import evolve

    evolve(settings.apogee.url, 99, ldif=settings.ldap.ldif, ade=settings.ade.path)
    asyncio.run(run_steps(settings, ["refer"], command="run"))
    steps = [name for name in registry.all_steps() if name != "refer"]
    report = asyncio.run(run_steps(settings, steps, apply=False, command="plan"))
    write_plans(settings.web.plan_file, [s.plan for s in report.steps if s.plan is not None])


def _nights(journal: Journal) -> list[int]:
    """The runs of the nightly command (not the registry's or the refer step's own)."""
    from jonction.journal.reading import recent_runs

    return [run.id for run in recent_runs(journal.engine, 20) if run.command == "nightly"]


def _log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_screens_of_three_nights(nights: Settings) -> None:
    journal = Journal(make_engine(nights.state.url))
    snapshot = load_snapshot(open_refer(nights), YEAR)
    # A student with an account and several courses, and the composante of their étape.
    registration = next(
        r
        for r in snapshot.admin_registrations
        if (snapshot.students[r.cod_ind].cod_etu or "")
        and r.composante == _largest(snapshot)
        and sum(1 for ip in snapshot.pedagogical_registrations if ip.cod_ind == r.cod_ind) > 3
    )
    student, composante = snapshot.students[registration.cod_ind], registration.composante
    store = AccountStore(journal.engine)
    store.add("marie", Role.ADMIN, display_name="Marie", password=PASSWORD)
    store.add("paul", Role.SCOLARITE, (composante,), display_name="Paul", password=PASSWORD)
    with journal.engine.connect() as connection:
        teacher_row = connection.execute(
            select(managed.c.key).where(
                managed.c.kind == "enrolment", managed.c.key.like("%|editingteacher")
            )
        ).scalar()
    with serve(create_app(nights, journal)) as url, browser_page() as page:
        page.goto(f"{url}/login")  # type: ignore[attr-defined]
        screenshot(page, "guide-login")
        _log_in(page, url, "marie")
        expect(page.locator("svg.chart")).to_have_count(2)  # type: ignore[attr-defined]
        screenshot(page, "guide-nights")
        page.locator("table.runs a").first.click()  # type: ignore[attr-defined]
        screenshot(page, "guide-run")
        page.get_by_role("link", name="Plan de la nuit").click()  # type: ignore[attr-defined]
        expect(page.locator("table.operations caption")).not_to_have_text("0 opération")  # type: ignore[attr-defined]
        screenshot(page, "guide-plan", full_page=False)
        page.get_by_role("link", name="Espaces complémentaires").click()  # type: ignore[attr-defined]
        expect(page.locator("table.spaces")).to_contain_text("SOUTIEN-")  # type: ignore[attr-defined]
        expect(page.locator("table.spaces p.cause")).not_to_have_count(0)  # type: ignore[attr-defined]
        screenshot(page, "guide-spaces")
        page.get_by_role("link", name="Expliquer").click()  # type: ignore[attr-defined]
        page.get_by_label("Numéro d'étudiant, identifiant ou nom").fill(teacher_row.split("|")[1])  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        expect(page.locator("table.explain")).to_contain_text("activité ADE")  # type: ignore[attr-defined]
        screenshot(page, "guide-explain-teacher", full_page=False)
        page.get_by_role("button", name="Se déconnecter").click()  # type: ignore[attr-defined]

        _log_in(page, url, "paul")
        page.get_by_role("link", name="Anomalies", exact=True).click()  # type: ignore[attr-defined]
        caption = page.locator("table.anomalies caption")  # type: ignore[attr-defined]
        expect(caption).not_to_have_text("0 anomalie")
        page.get_by_label("Anomalie", exact=True).select_option("student_without_account")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Filtrer").click()  # type: ignore[attr-defined]
        expect(page.locator("table.anomalies tbody")).to_contain_text("Étudiant sans compte")  # type: ignore[attr-defined]
        screenshot(page, "guide-anomalies")
        night = max(run for run in _nights(journal))
        page.goto(f"{url}/runs/{night}/operations?kind=enrolment&text=registered")  # type: ignore[attr-defined]
        expect(page.locator("table.operations tbody")).to_contain_text("registered to")  # type: ignore[attr-defined]
        expect(page.locator("table.operations tbody")).not_to_contain_text("cohort_member")  # type: ignore[attr-defined]
        screenshot(page, "guide-operations", full_page=False)
        page.get_by_role("link", name="Expliquer").click()  # type: ignore[attr-defined]
        page.get_by_label("Numéro d'étudiant, identifiant ou nom").fill(str(student.cod_etu))  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        expect(page.locator("table.explain")).to_contain_text("dans Moodle")  # type: ignore[attr-defined]
        screenshot(page, "guide-explain", full_page=False)
