"""A generated university wired to a simulated Moodle, for whole-night tests of operations:
configuration files, nights in-process or as `jonction` processes, and Moodle's end state
named by keys (Moodle ids differ between two Moodles)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jonction.config import Settings, load_settings
from jonction.db import make_engine
from jonction.journal.store import Journal
from jonction.moodle import MoodleClient
from jonction.steps.runner import RunReport, run_steps
from moodlesim.testing import RunningSimulator

JONCTION = [sys.executable, "-m", "jonction"]
RECORD_IDS = {"category_id", "moodle_id"}


@dataclass
class Site:
    """One jonction installation (its own REFER and state database) facing one Moodle."""

    folder: Path
    moodle: RunningSimulator
    apogee: str
    ldif: Path

    @property
    def config(self) -> Path:
        return self.folder / "jonction.toml"

    def write_config(self, year: str, extra: str = "", moodle: str = "") -> Path:
        """jonction.toml; `moodle` adds keys to [moodle], `extra` adds sections."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "token").write_text(self.moodle.token)
        (self.folder / "token").chmod(0o600)
        self.config.write_text(
            f"""
[apogee]
url = "{self.apogee}"
years = ["{year}"]

[refer]
url = "sqlite:///{self.folder / "refer.db"}"

[state]
url = "sqlite:///{self.folder / "state.db"}"

[moodle]
url = "{self.moodle.base_url}"
token_file = "{self.folder / "token"}"
{moodle}

[ldap]
ldif = "{self.ldif}"

[enrol_database]
url = "sqlite:///{self.folder / "enrolments.db"}"

[pipeline]
lock_file = "{self.folder / "lock"}"
{extra}
""",
            encoding="utf-8",
        )
        return self.config

    def settings(self) -> Settings:
        return load_settings(self.config)

    def journal(self) -> Journal:
        journal = Journal(make_engine(self.settings().state.url))
        journal.ensure_schema()
        return journal

    def night(self, *steps: str, **options: Any) -> RunReport:
        settings = self.settings()
        names = list(steps) or ["refer", "users", "cohorts", "offer"]
        report = asyncio.run(run_steps(settings, names, **options))
        for step in report.steps:
            assert step.status == "succeeded", f"{step.step}: {step.status} {step.error}"
        return report

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*JONCTION, *args, "--config", str(self.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def records(self, *kinds: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The records of `kinds`, without Moodle's ids: they differ from site to site (accounts
        are created by concurrent calls), so the members of cohorts and groups go by username."""
        journal = self.journal()
        usernames = {item.moodle_id: key for key, item in journal.managed("user").items()}

        def data(values: Mapping[str, Any]) -> dict[str, Any]:
            kept = {k: v for k, v in values.items() if k not in RECORD_IDS}
            if isinstance(kept.get("members"), list):
                kept["members"] = sorted(usernames.get(m, f"#{m}") for m in kept["members"])
            return kept

        return {
            (kind, key): data(item.data)
            for kind in kinds
            for key, item in journal.managed(kind).items()
        }


def moodle_state(moodle: RunningSimulator, usernames: Iterable[str] = ()) -> dict[str, Any]:
    """Categories, courses, cohorts with members, accounts of `usernames`: by their keys."""

    async def read() -> dict[str, Any]:
        async with MoodleClient(moodle.base_url, moodle.token) as client:
            categories = await client.categories()
            courses = await client.courses()
            cohorts = await client.cohorts()
            members = await client.cohort_members(c.id for c in cohorts)
            user_ids = {u for ids in members.members.values() for u in ids}
            users = await client.users_by_id(user_ids)
            accounts = await client.users_by_username(usernames)
            groups = await client.groups_of_courses(c.id for c in courses)
        by_id = {c.id: c.idnumber or c.name for c in categories}
        course_keys = {c.id: c.idnumber or c.shortname for c in courses}
        return {
            "categories": sorted((c.idnumber, c.name, by_id.get(c.parent, "")) for c in categories),
            "courses": sorted(
                (c.idnumber, c.shortname, c.fullname, by_id[c.categoryid], c.visible, c.summary)
                for c in courses
            ),
            "cohorts": sorted(
                (
                    c.idnumber,
                    c.name,
                    tuple(sorted(users[u].username for u in members.members.get(c.id, ()))),
                )
                for c in cohorts
            ),
            "groups": sorted(
                (course_keys[course], g.idnumber, g.name)
                for course, found in groups.items()
                for g in found
            ),
            "accounts": sorted(
                (a.username, a.auth, a.suspended, a.firstname, a.lastname, a.email, a.idnumber)
                for a in accounts.values()
            ),
        }

    return asyncio.run(read())
