"""A Moodle simulator, REFER and the state database wired for the groups step, with the work
of the steps before it done by hand: the offer's courses and the users' accounts created in
Moodle and recorded as theirs, and the students enrolled."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jonction.config import Settings
from jonction.domain.groups import GROUP
from jonction.moodle import Enrolment, MoodleClient, NewCategory, NewCourse, NewUser, Unenrolment
from jonction.sources.refer.store import open_refer
from jonction.sources.refer.sync import save_snapshot
from jonction.steps.runner import RunReport, StepReport, open_journal, run_steps
from moodlesim.testing import RunningSimulator, running_simulator

from .builders import Campus

STUDENT_ROLE = 5


@dataclass
class Site:
    moodle: RunningSimulator
    settings: Settings
    courses: dict[str, int] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)  # COD_IND → Moodle id

    def client(self) -> MoodleClient:
        return MoodleClient.from_settings(self.settings.moodle)

    def call(self, work: Any) -> Any:
        """Runs `work(client)` (a coroutine function) with a fresh client."""

        async def go() -> Any:
            async with self.client() as client:
                return await work(client)

        return asyncio.run(go())

    def publish(self, campus: Campus) -> None:
        """Makes REFER hold the campus's snapshot (what the refer step would do)."""
        engine = open_refer(self.settings)
        try:
            save_snapshot(engine, campus.snapshot)
        finally:
            engine.dispose()

    def provision(self, campus: Campus, *, enrol: bool = True) -> None:
        """Creates the campus's courses and students' accounts in Moodle, records them as the
        offer and users steps do, and enrols every student in the courses of their
        registrations (what the enrolment sync would do)."""
        course_map = campus.course_maps()[campus.snapshot.year]

        async def work(client: MoodleClient) -> None:
            if not self.courses:
                category = (await client.create_categories([NewCategory("2026", 0, "2026")])).ids()
                self.category = category[0]
            new = [i for i in sorted(course_map.courses) if i not in self.courses]
            report = await client.create_courses(
                [
                    NewCourse(f"Cours {i}", i.replace(":", "-"), self.category, idnumber=i)
                    for i in new
                ]
            )
            self.courses.update(zip(new, report.ids(), strict=True))
            people = [s for c, s in sorted(campus.snapshot.students.items()) if c not in self.users]
            created = await client.create_users(
                [
                    NewUser(f"e{s.cod_ind}", s.first_name, s.last_name, f"e{s.cod_ind}@u.fr")
                    for s in people
                ]
            )
            self.users.update(zip((s.cod_ind for s in people), created.ids(), strict=True))
            if enrol:
                await self.enrol(client, campus)

        self.call(work)
        journal = open_journal(self.settings)
        journal.save_managed(
            "course",
            [(i, cid, {"element": i.split(":")[-1]}) for i, cid in self.courses.items()],
            None,
        )
        journal.save_managed(
            "user",
            [
                (f"e{c}", uid, {"student_id": campus.snapshot.students[c].cod_etu})
                for c, uid in self.users.items()
            ],
            None,
        )

    async def enrol(self, client: MoodleClient, campus: Campus) -> None:
        course_map = campus.course_maps()[campus.snapshot.year]
        pairs = set()
        for ip in campus.snapshot.pedagogical_registrations:
            ref = course_map.course_for(ip.element, ip.etape)
            if ref is not None and ip.cod_ind in self.users:
                pairs.add((self.courses[ref.idnumber], self.users[ip.cod_ind]))
        report = await client.enrol([Enrolment(c, u, STUDENT_ROLE) for c, u in sorted(pairs)])
        assert report.ok, report.failed

    def unenrol(self, course: str, cod_ind: int) -> None:
        async def work(client: MoodleClient) -> None:
            await client.unenrol([Unenrolment(self.courses[course], self.users[cod_ind])])

        self.call(work)

    def run(self, *, apply: bool = True, force: tuple[str, ...] = ()) -> StepReport:
        report: RunReport = asyncio.run(
            run_steps(self.settings, ["groups"], apply=apply, force=force)
        )
        (step,) = report.steps
        assert step.status in ("succeeded", "planned", "guarded"), step.error
        return step

    def groups(self, course: str) -> dict[str, tuple[int, str]]:
        """The groups of a course in Moodle: idnumber (or name) → (id, name)."""

        async def work(client: MoodleClient) -> Any:
            return await client.groups_of_courses([self.courses[course]])

        found = self.call(work)[self.courses[course]]
        return {g.idnumber or g.name: (g.id, g.name) for g in found}

    def members(self, course: str, idnumber: str) -> set[int]:
        """COD_IND of the members of a group, in Moodle."""
        group_id = self.groups(course)[idnumber][0]

        async def work(client: MoodleClient) -> Any:
            return await client.group_members([group_id])

        by_user = {uid: c for c, uid in self.users.items()}
        return {by_user.get(u, -u) for u in self.call(work).members[group_id]}

    def records(self) -> dict[str, Any]:
        return open_journal(self.settings).managed(GROUP)


@contextmanager
def moodle_site(
    tmp_path: Path, *, without: tuple[str, ...] | list[str] = (), **groups: Any
) -> Iterator[Site]:
    """A simulated Moodle (functions in `without` left out of the token's service) and the
    settings of a site using it, with `groups` as the [groups] section."""
    with running_simulator(latency_ms=0, cost_scale=0, without_functions=list(without)) as moodle:
        settings = Settings(
            apogee={"years": ["2026"]},
            refer={"url": f"sqlite:///{tmp_path / 'refer.db'}"},
            state={"url": f"sqlite:///{tmp_path / 'state.db'}"},
            moodle={"url": moodle.base_url, "token": moodle.token, "backoff_s": 0},
            pipeline={"lock_file": str(tmp_path / "jonction.lock")},
            groups=groups,
        )
        yield Site(moodle, settings)
