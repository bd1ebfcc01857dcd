"""Access control of the dashboard over HTTP: the login wall, roles, composantes, CSRF,
sessions, the login limit and the reverse-proxy header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from jonction.web.accounts import AccountStore
from jonction.web.app import create_app
from jonction.web.roles import Permission

from .conftest import PASSWORD, Site, csrf_of, log_in, make_site
from .journal_data import STUDENT_LETTRES, STUDENT_SCIENCES


def _concrete(path: str) -> str:
    """A path of the route with its parameters filled (run 1)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _routes(client: TestClient) -> list[tuple[str, str, object]]:
    found = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    found.append((method, route.path, route.endpoint))
    return found


def test_the_app_has_the_pages_this_test_expects(client: TestClient) -> None:
    paths = {path for _, path, _ in _routes(client)}
    assert {"/nights", "/runs/{run_id:int}/operations", "/plan", "/login"} <= paths


def test_every_page_refuses_anonymous_visitors(client: TestClient) -> None:
    for method, path, endpoint in _routes(client):
        if getattr(endpoint, "public", False):
            continue
        url = _concrete(path)
        if method == "GET":
            answer = client.get(url)
            assert answer.status_code == 303, url
            assert answer.headers["location"].startswith("/login?next="), url
        else:
            # Even with a valid CSRF token, an anonymous POST is refused.
            answer = client.request(method, url, data={"csrf_token": csrf_of(client)})
            assert answer.status_code == 401, (method, url)


def test_every_page_declares_who_may_open_it(client: TestClient) -> None:
    for method, path, endpoint in _routes(client):
        marks = [
            getattr(endpoint, "public", False),
            getattr(endpoint, "signed_in", False),
            isinstance(getattr(endpoint, "permission", None), Permission),
        ]
        assert sum(marks) == 1, f"{method} {path} must be public, signed_in or requires(...)"
    public = {path for _, path, endpoint in _routes(client) if getattr(endpoint, "public", 0)}
    assert public == {"/login", "/lang"}


def test_static_files_are_the_only_other_mount(client: TestClient) -> None:
    mounts = [route.path for route in client.app.routes if isinstance(route, Mount)]  # type: ignore[attr-defined]
    assert mounts == ["/static"]
    assert client.get("/static/htmx.min.js").status_code == 200


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        ("admin", ["/nights", "/runs/1", "/runs/1/operations", "/runs/1/notices", "/plan"], []),
        ("scol-sci", ["/nights", "/runs/1", "/runs/1/operations", "/plan"], []),
        ("helpdesk", [], ["/nights", "/runs/1", "/runs/1/operations", "/plan"]),
    ],
)
def test_roles(client: TestClient, username: str, allowed: list[str], refused: list[str]) -> None:
    log_in(client, username)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        assert client.get(path).status_code == 403, path


def test_only_admin_may_compute_a_fresh_plan(client: TestClient) -> None:
    log_in(client, "scol-sci")
    token = csrf_of(client, "/plan")
    assert client.post("/plan/refresh", data={"csrf_token": token}).status_code == 403


def test_scolarite_sees_only_its_composante(client: TestClient, site: Site) -> None:
    first, _ = site.runs
    log_in(client, "scol-sci")
    page = client.get(f"/runs/{first}/operations").text
    assert STUDENT_SCIENCES in page
    assert STUDENT_LETTRES not in page
    # Asking for the other's student by name finds nothing either.
    page = client.get(f"/runs/{first}/operations", params={"text": "Lettres"}).text
    assert STUDENT_LETTRES not in page
    notices = client.get(f"/runs/{first}/notices").text
    assert "student 3003" in notices and "student 4004" not in notices


def test_admin_sees_every_composante(client: TestClient, site: Site) -> None:
    first, _ = site.runs
    log_in(client, "admin")
    page = client.get(f"/runs/{first}/operations", params={"kind": "enrolment"}).text
    assert STUDENT_SCIENCES in page and STUDENT_LETTRES in page


def test_operations_filter(client: TestClient, site: Site) -> None:
    first, second = site.runs
    log_in(client, "admin")
    page = client.get(f"/runs/{first}/operations", params={"text": "Analyse 17"}).text
    assert "2026:ELP:SCI017" in page and "2026:ELP:SCI018" not in page
    page = client.get(f"/runs/{second}/operations", params={"outcome": "failed"}).text
    assert "Moodle refused: invalid name" in page
    page = client.get(f"/runs/{second}/operations", params={"outcome": "applied"}).text
    assert "SCI002" not in page
    # htmx asks for the table alone.
    partial = client.get(
        f"/runs/{first}/operations", params={"kind": "course"}, headers={"HX-Request": "true"}
    ).text
    assert "<html" not in partial and "2026:ELP:SCI000" in partial


def test_post_without_csrf_token_is_refused(client: TestClient) -> None:
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert answer.status_code == 403
    log_in(client, "admin")
    for _method, path, _ in [r for r in _routes(client) if r[0] == "POST"]:
        assert client.post(_concrete(path), data={}).status_code == 403, path
        assert client.post(_concrete(path), data={"csrf_token": "forged"}).status_code == 403
    # Still logged in: the refused logout did nothing.
    assert client.get("/nights").status_code == 200


def test_wrong_password_and_login_limit(site: Site) -> None:
    with TestClient(create_app(site.settings, site.journal), follow_redirects=False) as client:
        token = csrf_of(client)
        for _ in range(site.settings.web.login_attempts):
            answer = client.post(
                "/login", data={"username": "admin", "password": "wrong", "csrf_token": token}
            )
            assert answer.status_code == 401
            assert PASSWORD not in answer.text
        # Even the right password is refused while the limit holds.
        answer = client.post(
            "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 429
        # Another user name from the same address is not locked out by it.
        log_in(client, "helpdesk")


def test_session_cookie_flags(client: TestClient) -> None:
    token = csrf_of(client)
    answer = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # loopback without TLS
    assert answer.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_secure_cookie_behind_a_proxy(tmp_path: Path) -> None:
    site = make_site(tmp_path, proxy_addresses=["127.0.0.1"])
    with TestClient(create_app(site.settings, site.journal), follow_redirects=False) as client:
        token = csrf_of(client)
        answer = client.post(
            "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
        )
        assert "secure" in answer.headers["set-cookie"].lower()


def test_password_change_ends_open_sessions(client: TestClient, site: Site) -> None:
    log_in(client, "scol-sci")
    assert client.get("/nights").status_code == 200
    AccountStore(site.journal.engine).set_password("scol-sci", "another long password")
    assert client.get("/nights").status_code == 303


def test_removed_account_is_logged_out(client: TestClient, site: Site) -> None:
    log_in(client, "helpdesk")
    AccountStore(site.journal.engine).remove("helpdesk")
    assert client.get("/").status_code == 303


def test_logout(client: TestClient) -> None:
    log_in(client, "admin")
    token = csrf_of(client, "/nights")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/nights").status_code == 303


def test_login_does_not_redirect_elsewhere(client: TestClient) -> None:
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert answer.headers["location"] == "/"


def test_proxy_header_accepted_only_from_allowed_addresses(tmp_path: Path) -> None:
    # The test client connects from "testclient"; 127.0.0.1 is trusted in the first case.
    site = make_site(tmp_path, proxy_header="X-Remote-User", proxy_addresses=["10.1.2.3"])
    app = create_app(site.settings, site.journal)
    with TestClient(app, follow_redirects=False, client=("192.0.2.7", 5000)) as outsider:
        answer = outsider.get("/nights", headers={"X-Remote-User": "admin"})
        assert answer.status_code == 403
    with TestClient(app, follow_redirects=False, client=("10.1.2.3", 5000)) as proxy:
        assert proxy.get("/nights", headers={"X-Remote-User": "admin"}).status_code == 200
        # A user the proxy vouches for still needs an account here, and keeps its role.
        assert proxy.get("/nights", headers={"X-Remote-User": "nobody"}).status_code == 403
        assert proxy.get("/nights", headers={"X-Remote-User": "helpdesk"}).status_code == 403
        # Without the header, the proxy's visitors go through the login form.
        assert proxy.get("/nights").status_code == 303


def test_proxy_header_is_ignored_when_not_configured(client: TestClient) -> None:
    answer = client.get("/nights", headers={"X-Remote-User": "admin"})
    assert answer.status_code == 303


def test_no_secret_in_pages(client: TestClient, site: Site) -> None:
    log_in(client, "admin")
    for path in ("/nights", "/runs/1", "/runs/1/operations", "/plan"):
        text = client.get(path).text
        assert "test-secret-key-for-sessions" not in text
        assert "argon2" not in text


def test_plan_page_reads_what_plan_save_writes(client: TestClient, site: Site) -> None:
    from jonction.domain.plan import Action, Operation, Plan
    from jonction.steps.saved_plans import write_plans

    plan = Plan(
        "offer",
        operations=[
            Operation("course", Action.CREATE, "2026:ELP:X1", "Optique", reason="new element")
        ],
    )
    write_plans(site.settings.web.plan_file, [plan])
    log_in(client, "admin")
    assert "Optique" in client.get("/plan").text
    site.settings.web.plan_file.write_text("{not json")
    assert "not a saved plan" in client.get("/plan").text


@pytest.mark.parametrize("username", ["admin", "scol-sci", "helpdesk"])
def test_every_page_opens_only_for_the_roles_it_names(client: TestClient, username: str) -> None:
    """Every GET page of the app, for each role: 200 when the role has the page's permission,
    403 otherwise (support: the explain page only)."""
    log_in(client, username)
    account = AccountStore(client.app.state.web.engine).get(username)  # type: ignore[attr-defined]
    assert account is not None
    opened = []
    for method, path, endpoint in _routes(client):
        permission = getattr(endpoint, "permission", None)
        if method != "GET" or permission is None:
            continue
        status = client.get(_concrete(path)).status_code
        if account.can(permission):
            assert status in (200, 404), (username, path, status)  # 404: no run 1 to show
            opened.append(path)
        else:
            assert status == 403, (username, path, status)
    if username == "helpdesk":
        assert opened == ["/explain"]


def test_spaces_page_by_composante(client: TestClient, site: Site) -> None:
    from datetime import date, timedelta

    from jonction.domain.spaces import Space
    from jonction.journal.spaces import add_space

    for number, composante in ((1, "SCI"), (2, "LET")):
        add_space(
            site.journal,
            Space(
                0,
                100 + number,
                f"TUTORAT-{composante}",
                "",
                f"Tutorat {composante}",
                "jdupont",
                "soutien",
                composante,
                ("SL1-101",),
                (),
                date.today() + timedelta(days=90),
            ),
            "admin",
        )
    log_in(client, "scol-sci")
    page = client.get("/spaces").text
    assert "TUTORAT-SCI" in page and "TUTORAT-LET" not in page
    client.post("/logout", data={"csrf_token": csrf_of(client, "/nights")})
    log_in(client, "admin")
    page = client.get("/spaces").text
    assert "TUTORAT-SCI" in page and "TUTORAT-LET" in page


def test_scopes_of_a_composante() -> None:
    from jonction.web.reach import Reach, scopes_by_composante

    found = scopes_by_composante(
        {"SMA1U01": "SCI", "LLA1U01": "LET"},
        {"SL1-101": "SCI"},
        [
            ("course", "2026:ELP:SMA1U01", {"element": "SMA1U01"}),
            ("course", "2026:ELP:LLA1U01", {"element": "LLA1U01"}),
            ("course", "2026:ELP:GONE", {"element": "GONE"}),
            ("cohort", "2026:VET:SL1-101", {"level": "etape", "code": "SL1-101"}),
            ("cohort", "2026:CMP:LET", {"level": "composante", "code": "LET"}),
        ],
    )
    assert found == {
        "SCI": {"2026:ELP:SMA1U01", "2026:VET:SL1-101"},
        "LET": {"2026:ELP:LLA1U01", "2026:CMP:LET"},
    }
    reach = Reach(True, frozenset({"SCI"}), frozenset(found["SCI"]))
    assert reach.sees("SCI") and reach.sees(None, "2026:ELP:SMA1U01") and reach.sees(None, "SCI")
    assert not reach.sees("LET") and not reach.sees(None, "2026:ELP:LLA1U01")
    assert not reach.sees(None) and Reach.everything().sees(None)


def test_scolarite_sees_the_operations_on_its_courses(client: TestClient, site: Site) -> None:
    """Steps that write no composante in their operations: the course (scope) decides."""
    from jonction.domain.plan import Action, Operation
    from jonction.journal.store import Outcome

    journal = site.journal
    run = journal.start_run("nightly", ["enrolments"])
    journal.save_managed(
        "course",
        [
            ("2026:ELP:SMA1U02", 41, {"element": "SMA1U02"}),
            ("2026:ELP:LLA1U01", 42, {"element": "LLA1U01"}),
        ],
        run,
    )
    step = journal.start_step(run, "enrolments", "apply")
    journal.record_outcomes(
        step,
        [
            Outcome(
                Operation(
                    "enrolment",
                    Action.ADD,
                    f"{course}|{user}|student",
                    reason=f"registered to {course} for {user}",
                    scope=course,
                ),
                "applied",
            )
            for course, user in (("2026:ELP:SMA1U02", "cmartin"), ("2026:ELP:LLA1U01", "lbernard"))
        ],
    )
    journal.finish_step(step, "succeeded")
    journal.finish_run(run, "succeeded", {})
    log_in(client, "scol-sci")
    page = client.get(f"/runs/{run}/operations").text
    assert "2026:ELP:SMA1U02|cmartin" in page and "lbernard" not in page
    client.post("/logout", data={"csrf_token": csrf_of(client, "/nights")})
    log_in(client, "scol-let")
    page = client.get(f"/runs/{run}/operations").text
    assert "lbernard" in page and "cmartin" not in page
