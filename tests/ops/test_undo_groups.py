"""Undoing a night of the groups step against the simulator: a renamed group gets its name
back, moved students go back to their groups, a created group is kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jonction.commands.undo import apply_undo, build_undo
from jonction.domain.plan import Action
from jonction.steps.runner import open_journal, run_steps

from ..groups.builders import course, standard_campus
from ..groups.site import moodle_site

MAT101 = course("MAT101")


def test_undo_of_a_groups_night(tmp_path: Path) -> None:
    campus = standard_campus()
    with moodle_site(tmp_path) as site:
        site.publish(campus)
        site.provision(campus)
        site.run()
        before = {key: site.members(MAT101, key) for key in ("2026:GPE:100", "2026:GPE:101")}
        td1 = site.groups(MAT101)["2026:GPE:100"]
        campus.move(2, 100, 101)
        campus.rename(100, "TD 1 (mardi)")
        campus.group(102, "TD3", "TD 3", element="MAT101")
        campus.move(4, 101, 102)
        site.publish(campus)
        report = asyncio.run(run_steps(site.settings, ["groups"]))
        assert report.run_id is not None and report.steps[0].status == "succeeded"
        assert site.groups(MAT101)["2026:GPE:100"][1] == "TD 1 (mardi)"

        undoing = build_undo(open_journal(site.settings), report.run_id)
        plan = undoing.plans["groups"]
        assert sorted((op.kind, op.action) for op in plan.operations) == [
            ("group", Action.RENAME),
            ("group_member", Action.MOVE),
            ("group_member", Action.MOVE),
        ]
        assert [n.data["action"] for n in undoing.kept] == ["create"]
        undone = asyncio.run(apply_undo(site.settings, undoing))
        assert undone.steps[0].status == "succeeded", undone.steps[0].error
        assert site.groups(MAT101)["2026:GPE:100"] == td1
        assert {key: site.members(MAT101, key) for key in before} == before
        assert site.members(MAT101, "2026:GPE:102") == set()  # created, kept, emptied
