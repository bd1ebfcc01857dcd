"""Whatever Apogée does between two nights, one run makes Moodle's groups exact and the next
run changes nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jonction.config.groups import GroupsSection
from jonction.domain.groups import desired_groups

from .builders import L1INFO, L1MATH, Campus, course
from .world import World, run_night, user

STUDENTS = range(1, 9)
GROUPS = (100, 101, 102, 200, 201)

change = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(STUDENTS), st.sampled_from(GROUPS)),
    st.tuples(st.just("leave"), st.sampled_from(STUDENTS), st.sampled_from(GROUPS)),
    st.tuples(st.just("rename"), st.sampled_from(GROUPS), st.sampled_from(["A", "B", "TD 1"])),
    st.tuples(st.just("drop"), st.sampled_from(GROUPS), st.just(0)),
)


def _campus() -> Campus:
    campus = Campus()
    campus.element("MAT101", L1MATH)
    campus.element("SHARED1", L1MATH, L1INFO)
    for cod_ind in STUDENTS:
        if cod_ind <= 5:
            campus.student(cod_ind, L1MATH, "MAT101", "SHARED1")
        else:
            campus.student(cod_ind, L1INFO, "SHARED1")
    campus.group(100, "TD1", "TD 1", element="MAT101", members=(1, 2))
    campus.group(101, "TD2", "TD 2", element="MAT101", members=(3,))
    campus.group(102, "TD1", "TD 1", element="SHARED1", members=(4, 6))
    campus.group(200, "GA", "Groupe A", etape=L1MATH, kind="GRP", members=(1, 5))
    campus.group(201, "GA", "Groupe A", etape=L1INFO, kind="GRP", members=(7,))
    return campus


Change = tuple[str, int, int | str]


def _apply(campus: Campus, step: Change) -> None:
    what, a, b = step
    groups = campus.snapshot.groups
    if what == "join" and isinstance(b, int) and b in groups:
        campus.leave(a, b)
        campus.join(a, b)
    elif what == "leave" and isinstance(b, int):
        campus.leave(a, b)
    elif what == "rename" and a in groups:
        campus.rename(a, str(b))
    elif what == "drop" and a in groups:
        campus.drop_group(a)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(change, max_size=6), min_size=1, max_size=3),
    st.sampled_from(["keep", "empty"]),
    st.booleans(),
)
def test_each_night_converges(nights: list[list[Change]], vanished: str, full: bool) -> None:
    """`full`: whether the nights after the first read every group's members, or only those
    whose members may have changed."""
    config = GroupsSection(vanished_groups=vanished)  # type: ignore[arg-type]
    campus = _campus()
    world = World()
    world.course(course("MAT101"), 1)
    world.course(course("SHARED1"), 2)
    world.enrol(1, *(user(i) for i in range(1, 6)))
    world.enrol(2, *(user(i) for i in STUDENTS))
    for night in [[], *nights]:
        for step in night:
            _apply(campus, step)
        run_night(world, campus, config, full=full)
        desired = desired_groups([campus.snapshot], campus.course_maps(), config)
        for key, group in desired.groups.items():
            moodle = world.members[world.records[key].moodle_id]
            assert moodle == {user(c) for c in group.members}, key
            names = [
                g.name for g in world.groups.values() if g.course_id == world.records[key].course_id
            ]
            assert len(names) == len(set(names))
        quiet = run_night(world, campus, config, full=full)
        assert quiet.plan.operations == []
