"""The groups step end to end: REFER and the state database on SQLite, Moodle simulated over
HTTP, the step run through the runner like `jonction run groups`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from jonction.moodle import MoodleClient, NewGroup

from .builders import L1MATH, course, standard_campus
from .site import moodle_site

MAT101, MAT102, SHARED1 = course("MAT101"), course("MAT102"), course("SHARED1")
WRITES = {
    "core_group_create_groups",
    "core_group_update_groups",
    "core_group_add_group_members",
    "core_group_delete_group_members",
    "core_group_delete_groups",
}


def _outcomes(step: object) -> Counter[tuple[str, str, str]]:
    result = step.result  # type: ignore[attr-defined]
    return Counter((o.operation.kind, str(o.operation.action), o.outcome) for o in result.outcomes)


def _writes(step: object) -> dict[str, float]:
    calls = step.calls  # type: ignore[attr-defined]
    return {name: entry["calls"] for name, entry in calls.items() if name in WRITES}


def test_first_run_evolution_and_quiet_rerun(tmp_path: Path) -> None:
    campus = standard_campus()
    with moodle_site(tmp_path) as site:
        site.publish(campus)
        site.provision(campus)
        first = site.run()
        assert _outcomes(first) == {
            ("group", "create", "applied"): 7,
            ("group_member", "add", "applied"): 16,
        }
        assert site.groups(MAT101)["2026:GPE:100"][1] == "TD 1"
        assert site.members(MAT101, "2026:GPE:100") == {1, 2}
        assert site.members(SHARED1, "2026:VET:L1MATH:1") == {1, 2, 3, 4}
        assert site.members(SHARED1, "2026:VET:L1INFO:1") == {5, 6}
        assert site.members(MAT102, "2026:GPE:200") == {1, 3}

        quiet = site.run()
        assert quiet.result is not None and quiet.result.outcomes == []
        assert _writes(quiet) == {}
        # Nothing changed since the first run (a full check): no member is read back.
        assert set(quiet.calls) == set()
        assert quiet.plan is not None and quiet.plan.stats["groups_members_read"] == 0

        # One night of change in Apogée: a move, a rename, a new group, a vanished group.
        td1_id = site.groups(MAT101)["2026:GPE:100"][0]
        campus.move(2, 100, 101)
        campus.rename(100, "TD 1 (mardi)")
        campus.group(102, "TD3", "TD 3", element="MAT101")
        campus.move(4, 101, 102)
        campus.drop_group(200)
        site.publish(campus)
        second = site.run()
        assert _outcomes(second) == {
            ("group", "create", "applied"): 1,
            ("group", "rename", "applied"): 1,
            ("group_member", "move", "applied"): 2,
        }
        keys = sorted(o.operation.key for o in second.result.outcomes)  # type: ignore[union-attr]
        assert keys == [
            f"{MAT101}|2026:GPE:100",
            f"{MAT101}|2026:GPE:101|e2",
            f"{MAT101}|2026:GPE:102",
            f"{MAT101}|2026:GPE:102|e4",
        ]
        groups = site.groups(MAT101)
        assert groups["2026:GPE:100"] == (td1_id, "TD 1 (mardi)")
        assert site.members(MAT101, "2026:GPE:100") == {1}
        assert site.members(MAT101, "2026:GPE:101") == {2, 3}
        assert site.members(MAT101, "2026:GPE:102") == {4}
        # The vanished étape group is kept with its members (the default policy).
        assert site.members(MAT101, "2026:GPE:200") == {1, 3}
        record = site.records()[f"{MAT101}|2026:GPE:200"]
        assert record.data["vanished_since"]

        third = site.run()
        assert third.result is not None and third.result.outcomes == []
        assert _writes(third) == {}


def test_unenrolled_students_are_deferred_then_join(tmp_path: Path) -> None:
    campus = standard_campus()
    with moodle_site(tmp_path) as site:
        site.publish(campus)
        site.provision(campus)
        site.run()
        campus.student(7, L1MATH, "MAT101")
        campus.join(7, 100)
        site.publish(campus)
        site.provision(campus, enrol=False)
        step = site.run()
        assert _outcomes(step) == {("group_member", "add", "deferred"): 1}
        assert _writes(step) == {}
        assert step.plan is not None
        notice = next(n for n in step.plan.notices if n.kind == "group_member_deferred")
        assert notice.data["count"] == 1
        # One newcomer: read alone, not the whole course.
        assert "core_enrol_get_users_courses" in step.calls
        assert "core_enrol_get_enrolled_users" not in step.calls

        site.call(lambda client: site.enrol(client, campus))
        joined = site.run()
        assert _outcomes(joined) == {("group_member", "add", "applied"): 1}
        assert site.members(MAT101, "2026:GPE:100") == {1, 2, 7}


def test_hand_made_groups_and_members_are_left_alone(tmp_path: Path) -> None:
    campus = standard_campus()
    # Every night a full check: the changes made by hand are seen at once.
    with moodle_site(tmp_path, full_check_days=0) as site:
        site.publish(campus)
        site.provision(campus)

        async def hand_group(client: MoodleClient) -> int:
            report = await client.create_groups([NewGroup(site.courses[MAT101], "TD 1")])
            return report.ids()[0]

        hand = site.call(hand_group)
        site.run()
        groups = site.groups(MAT101)
        assert groups["TD 1"] == (hand, "TD 1")
        assert groups["2026:GPE:100"][1] == "TD 1 (TD1)"

        # A teacher puts student 3 in jonction's TD1; the student is kept there.
        site.unenrol(MAT102, 1)  # and student 1 leaves MAT102: Moodle drops the membership
        td1 = groups["2026:GPE:100"][0]

        async def add_by_hand(client: MoodleClient) -> None:
            from jonction.moodle import GroupMember

            await client.add_group_members([GroupMember(td1, site.users[3])])

        site.call(add_by_hand)
        step = site.run()
        # Student 1 is still registered to MAT102 in Apogée, but no longer enrolled: deferred.
        assert _outcomes(step) == {("group_member", "add", "deferred"): 1}
        assert site.members(MAT101, "2026:GPE:100") == {1, 2, 3}
        assert step.plan is not None and step.plan.stats["members_added_by_hand_kept"] == 1


def test_without_users_courses_in_the_service_courses_are_read(tmp_path: Path) -> None:
    campus = standard_campus()
    with moodle_site(tmp_path, without=["core_enrol_get_users_courses"]) as site:
        site.publish(campus)
        site.provision(campus)
        site.run()
        campus.student(7, L1MATH, "MAT101")
        campus.join(7, 100)
        site.publish(campus)
        site.provision(campus, enrol=False)
        step = site.run()
        assert _outcomes(step) == {("group_member", "add", "deferred"): 1}
        assert step.calls["core_enrol_get_enrolled_users"]["calls"] == 1


def test_groupings_per_etape(tmp_path: Path) -> None:
    campus = standard_campus()
    with moodle_site(tmp_path, groupings=True) as site:
        site.publish(campus)
        site.provision(campus)
        first = site.run()
        counts = _outcomes(first)
        # SHARED1: groupings of L1MATH (GA + its per-étape group) and L1INFO (its per-étape
        # group); MAT101 and MAT102: L1MATH's (GA).
        assert counts[("grouping", "create", "applied")] == 4
        assert counts[("grouping_group", "add", "applied")] == 5

        async def groupings(client: MoodleClient) -> object:
            return await client.transport.call(
                "core_group_get_course_groupings",
                {"courseid": site.courses[SHARED1]},
                kind="read",
            )

        found = {g["idnumber"]: g["name"] for g in site.call(groupings)}  # type: ignore[attr-defined]
        assert found == {
            "2026:VET:L1MATH:1": "Licence 1 Mathématiques (L1MATH)",
            "2026:VET:L1INFO:1": "Licence 1 Informatique (L1INFO)",
        }
        quiet = site.run()
        assert quiet.result is not None and quiet.result.outcomes == []
        assert "core_group_get_course_groupings" not in quiet.calls

        campus.group(201, "GB", "Groupe B", etape=L1MATH, kind="GRP", members=(2,))
        site.publish(campus)
        later = site.run()
        assert _outcomes(later)[("grouping_group", "add", "applied")] == 3
        assert ("grouping", "create", "applied") not in _outcomes(later)


def test_plan_verb_json_then_a_saved_plan_applied(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from jonction.cli import app

    campus = standard_campus()
    with moodle_site(tmp_path) as site:
        site.publish(campus)
        site.provision(campus)
        moodle = site.settings.moodle
        assert moodle.token is not None
        config = tmp_path / "jonction.toml"
        config.write_text(
            f"""
[apogee]
years = ["2026"]
[refer]
url = "{site.settings.refer.url}"
[state]
url = "{site.settings.state.url}"
[moodle]
url = "{moodle.url}"
token = "{moodle.token.get_secret_value()}"
[pipeline]
lock_file = "{tmp_path / "lock"}"
"""
        )
        runner = CliRunner()
        shown = runner.invoke(app, ["plan", "groups", "--json", "--config", str(config)])
        assert shown.exit_code == 0, shown.output
        plan = json.loads(shown.output)["groups"]
        kinds = Counter((op["kind"], op["action"]) for op in plan["operations"])
        assert kinds == {("group", "create"): 7, ("group_member", "add"): 16}
        assert all("composante" in op["source"] for op in plan["operations"])
        saved = tmp_path / "plan.json"
        done = runner.invoke(app, ["plan", "groups", "--save", str(saved), "--config", str(config)])
        assert done.exit_code == 0, done.output
        applied = runner.invoke(app, ["apply", str(saved), "--config", str(config)])
        assert applied.exit_code == 0, applied.output
        assert site.members(MAT101, "2026:GPE:100") == {1, 2}
        again = runner.invoke(app, ["plan", "groups", "--json", "--config", str(config)])
        assert json.loads(again.output)["groups"]["operations"] == []


def test_labels_swapped_in_apogee_are_swapped_in_moodle(tmp_path: Path) -> None:
    campus = standard_campus()
    with moodle_site(tmp_path) as site:
        site.publish(campus)
        site.provision(campus)
        site.run()
        before = site.groups(MAT101)
        campus.rename(100, "TD 2")
        campus.rename(101, "TD 1")
        site.publish(campus)
        step = site.run()
        assert _outcomes(step) == {("group", "rename", "applied"): 2}
        after = site.groups(MAT101)
        assert after["2026:GPE:100"] == (before["2026:GPE:100"][0], "TD 2")
        assert after["2026:GPE:101"] == (before["2026:GPE:101"][0], "TD 1")
        assert site.run().result.outcomes == []  # type: ignore[union-attr]
