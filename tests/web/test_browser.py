"""The dashboard in a real headless Chromium: log in, nights, a run's operations, the plan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from jonction.domain.plan import Action, Operation, Plan
from jonction.steps.saved_plans import write_plans
from jonction.web.app import create_app

from .browser import browser_page, screenshot, serve
from .conftest import PASSWORD, Site, make_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site]]:
    site = make_site(tmp_path_factory.mktemp("dashboard"))
    write_plans(
        site.settings.web.plan_file,
        [
            Plan(
                "offer",
                operations=[
                    Operation(
                        "course",
                        Action.CREATE,
                        "2026:ELP:SCI100",
                        label="Topologie",
                        reason="new element SCI100 of nature UE under étape SL1-101",
                        source={"composante": "SCI"},
                    ),
                    Operation(
                        "course",
                        Action.HIDE,
                        "2026:ELP:LET009",
                        label="Latin",
                        reason="element LET009 left the catalogue",
                        source={"composante": "LET"},
                    ),
                ],
            )
        ],
    )
    with serve(create_app(site.settings, site.journal)) as url:
        yield url, site


def _log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/nights")
    assert "/login" in page.url
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{url}/nights")


def test_log_in_and_read_the_nights(dashboard: tuple[str, Site]) -> None:
    url, site = dashboard
    with browser_page() as page:
        page.goto(f"{url}/login")  # type: ignore[attr-defined]
        screenshot(page, "login")
        _log_in(page, url, "admin")
        heading = page.get_by_role("heading", level=1)  # type: ignore[attr-defined]
        assert heading.inner_text() == "Nuits"
        assert page.locator("svg.chart").count() == 2  # type: ignore[attr-defined]
        screenshot(page, "nights")
        _, second = site.runs
        page.get_by_role("link", name=f"#{second}", exact=True).click()  # type: ignore[attr-defined]
        assert "garde-fou" in page.content()  # type: ignore[attr-defined]
        screenshot(page, "run")


def test_filter_a_run_operations(dashboard: tuple[str, Site]) -> None:
    url, site = dashboard
    first, _ = site.runs
    with browser_page() as page:
        _log_in(page, url, "admin")
        page.goto(f"{url}/runs/{first}/operations")  # type: ignore[attr-defined]
        caption = page.locator("table.operations caption")  # type: ignore[attr-defined]
        assert caption.inner_text() == "32 opérations"
        # htmx replaces the table as one types, and keeps the filter in the address.
        page.get_by_label("Texte").fill("Analyse 17")  # type: ignore[attr-defined]
        expect(caption).to_have_text("1 opération")
        assert "text=Analyse" in page.url  # type: ignore[attr-defined]
        page.get_by_label("Type").select_option("enrolment")  # type: ignore[attr-defined]
        expect(caption).to_have_text("0 opération")
        assert "kind=enrolment" in page.url  # type: ignore[attr-defined]
        page.get_by_label("Texte").fill("")  # type: ignore[attr-defined]
        page.get_by_label("Texte").press("Enter")  # type: ignore[attr-defined]
        expect(caption).to_have_text("2 opérations")
        screenshot(page, "operations")


def test_tonight_plan_for_a_scolarite_account(dashboard: tuple[str, Site]) -> None:
    url, _ = dashboard
    with browser_page() as page:
        _log_in(page, url, "scol-sci")
        page.get_by_role("link", name="Plan de la nuit").click()  # type: ignore[attr-defined]
        body = page.content()  # type: ignore[attr-defined]
        assert "Topologie" in body and "Latin" not in body
        assert page.get_by_role("button", name="Calculer un nouveau plan").count() == 0  # type: ignore[attr-defined]
        screenshot(page, "plan")


def test_explain_a_student(dashboard: tuple[str, Site]) -> None:
    url, _ = dashboard
    with browser_page() as page:
        page.goto(f"{url}/login")  # type: ignore[attr-defined]
        page.get_by_label("Identifiant").fill("helpdesk")  # type: ignore[attr-defined]
        page.get_by_label("Mot de passe").fill(PASSWORD)  # type: ignore[attr-defined]
        page.get_by_role("button", name="Se connecter").click()  # type: ignore[attr-defined]
        page.wait_for_url(f"{url}/explain")  # type: ignore[attr-defined]
        page.get_by_label("Numéro d'étudiant, identifiant ou nom").fill("martin")  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        page.get_by_role("link", name="Camille Martin").click()  # type: ignore[attr-defined]
        table = page.locator("table.explain")  # type: ignore[attr-defined]
        expect(table).to_contain_text("Analyse 1")
        expect(table).to_contain_text("manquant")
        screenshot(page, "explain")


def test_filter_anomalies(dashboard: tuple[str, Site]) -> None:
    url, _ = dashboard
    with browser_page() as page:
        _log_in(page, url, "admin")
        page.get_by_role("link", name="Anomalies", exact=True).click()  # type: ignore[attr-defined]
        caption = page.locator("table.anomalies caption")  # type: ignore[attr-defined]
        expect(caption).to_have_text("5 anomalies")
        page.get_by_label("Composante").select_option("LET")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Filtrer").click()  # type: ignore[attr-defined]
        expect(caption).to_have_text("3 anomalies")
        assert "Topologie" not in page.content()  # type: ignore[attr-defined]
        screenshot(page, "anomalies")


def test_keyboard_reaches_the_content_first(dashboard: tuple[str, Site]) -> None:
    url, _ = dashboard
    with browser_page() as page:
        _log_in(page, url, "admin")
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        focused = page.evaluate("document.activeElement.textContent")  # type: ignore[attr-defined]
        assert focused == "Aller au contenu"
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
        assert page.evaluate("document.activeElement.id") == "content"  # type: ignore[attr-defined]


def test_language_switch(dashboard: tuple[str, Site]) -> None:
    url, _ = dashboard
    with browser_page() as page:
        _log_in(page, url, "admin")
        page.get_by_role("button", name="English").click()  # type: ignore[attr-defined]
        page.wait_for_load_state()  # type: ignore[attr-defined]
        assert page.get_by_role("heading", level=1).inner_text() == "Nights"  # type: ignore[attr-defined]
        assert json.loads(json.dumps(page.evaluate("document.documentElement.lang"))) == "en"  # type: ignore[attr-defined]


def test_screens_of_demo_nights(tmp_path: Path) -> None:
    """Screens of a week of nights, as in the guide for scolarité (docs/images)."""
    site = make_site(tmp_path, demo=True)
    write_plans(
        site.settings.web.plan_file,
        [
            Plan(
                "enrolments",
                operations=[
                    Operation(
                        "enrolment",
                        Action.ADD,
                        "2026:ELP:SMA1U02|e21001371|student",
                        label="Nathan Moreau",
                        reason="inscrit à SMA1U02 (Algèbre linéaire) par l'étape SL1-101",
                        source={"composante": "SCI"},
                    ),
                    Operation(
                        "enrolment",
                        Action.SUSPEND,
                        "2026:ELP:LHI1U03|e21000912|student",
                        label="Inès Haddad",
                        reason="inscription pédagogique à LHI1U03 annulée dans Apogée",
                        source={"composante": "LET"},
                    ),
                ],
            )
        ],
    )
    last = site.runs[1]
    with serve(create_app(site.settings, site.journal)) as url, browser_page() as page:
        _log_in(page, url, "admin")
        screenshot(page, "demo-nights")
        page.goto(f"{url}/runs/{last - 1}")  # type: ignore[attr-defined]
        screenshot(page, "demo-run-guarded")
        page.goto(f"{url}/runs/{site.runs[0]}/operations?kind=enrolment&text=Camille")  # type: ignore[attr-defined]
        expect(page.locator("table.operations caption")).to_have_text("8 opérations")  # type: ignore[attr-defined]
        screenshot(page, "demo-operations")
        page.goto(f"{url}/plan")  # type: ignore[attr-defined]
        screenshot(page, "demo-plan")


def test_artifacts_folder_is_ignored_by_git() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text()
    assert "test-artifacts/" in ignored
