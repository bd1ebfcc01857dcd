"""How much real time the Moodle simulator itself spends per call, with every simulated cost
at zero: it must stay far below the simulated costs for the benchmarks to measure the client.

    python bench/moodlesim_cpu.py --students 30000 --courses 14000

The simulator runs in a child process over real HTTP (uvicorn); calls are made one at a time,
so each phase's wall time is the simulator's processing plus HTTP. The child's CPU time is
printed at the end.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from moodlesim.testing import RunningSimulator, running_simulator


def encode(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Moodle's REST encoding of nested parameters (this script's own)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from encode(sub, f"{prefix}[{key}]" if prefix else str(key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from encode(sub, f"{prefix}[{index}]")
    else:
        yield prefix, str(value)


class Caller:
    def __init__(self, moodle: RunningSimulator) -> None:
        self.moodle = moodle
        self.http = httpx.Client(timeout=None)
        self.calls = 0

    def __call__(self, function: str, **params: Any) -> Any:
        fields = [
            ("wstoken", self.moodle.token),
            ("wsfunction", function),
            ("moodlewsrestformat", "json"),
            *encode(params),
        ]
        answer = self.http.post(self.moodle.rest_url, data=dict(fields)).json()
        self.calls += 1
        if isinstance(answer, dict) and "exception" in answer:
            raise RuntimeError(f"{function}: {answer}")
        return answer


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def phase(name: str, caller: Caller, items: int, work: Any) -> None:
    calls, started = caller.calls, time.perf_counter()
    work()
    wall = time.perf_counter() - started
    made = caller.calls - calls
    print(
        f"{name:<44} {made:>6} calls {items:>8} items {wall:>8.2f} s "
        f"{wall / max(items, 1) * 1000:>7.3f} ms/item {wall / max(made, 1) * 1000:>8.2f} ms/call"
    )


def run(students: int, courses: int, per_student: int, scratch: Path) -> None:
    categories = max(1, courses // 50)
    table = f"sqlite:///{scratch / 'external.db'}"
    external = create_engine(table)
    with external.begin() as conn:
        conn.execute(text("CREATE TABLE enrolments (course TEXT, username TEXT, role TEXT)"))
    settings = [
        "remoteenroltable=enrolments",
        "remotecoursefield=course",
        "remoteuserfield=username",
        "remoterolefield=role",
        "unenrolaction=2",
    ]
    with running_simulator(
        mode="process",
        db_url=f"sqlite:///{scratch / 'moodle.db'}",
        latency_ms=0,
        cost_scale=0,
        enrol_db=table,
        enrol_settings=settings,
    ) as moodle:
        call = Caller(moodle)
        cats = [{"name": f"Category {i}", "idnumber": f"CAT{i}"} for i in range(categories)]
        phase(
            "create categories (25 a call)",
            call,
            categories,
            lambda: [
                call("core_course_create_categories", categories=list(b)) for b in batches(cats, 25)
            ],
        )
        course_items = [
            {
                "fullname": f"Course {i} & co",
                "shortname": f"C{i}",
                "idnumber": f"C{i}",
                "categoryid": 2 + i % categories,
                "summary": "A course",
            }
            for i in range(courses)
        ]
        phase(
            "create courses (100 a call)",
            call,
            courses,
            lambda: [
                call("core_course_create_courses", courses=list(b))
                for b in batches(course_items, 100)
            ],
        )
        users = [
            {
                "username": f"s{i}",
                "firstname": "Student",
                "lastname": f"N{i}",
                "auth": "cas",
                "email": f"s{i}@example.org",
                "idnumber": str(i),
            }
            for i in range(students)
        ]
        phase(
            "create users (200 a call)",
            call,
            students,
            lambda: [call("core_user_create_users", users=list(b)) for b in batches(users, 200)],
        )
        enrolments = [
            {"roleid": 5, "userid": 4 + s, "courseid": 2 + (s * per_student + k) % courses}
            for s in range(students)
            for k in range(per_student)
        ]
        phase(
            "enrol_manual_enrol_users (200 a call)",
            call,
            len(enrolments),
            lambda: [
                call("enrol_manual_enrol_users", enrolments=list(b))
                for b in batches(enrolments, 200)
            ],
        )
        groups = [{"courseid": 2 + c, "name": "TD 1", "description": ""} for c in range(courses)]
        phase(
            "create groups (100 a call)",
            call,
            len(groups),
            lambda: [
                call("core_group_create_groups", groups=list(b)) for b in batches(groups, 100)
            ],
        )
        members = [{"groupid": e["courseid"] - 1, "userid": e["userid"]} for e in enrolments]
        phase(
            "add group members (200 a call)",
            call,
            len(members),
            lambda: [
                call("core_group_add_group_members", members=list(b)) for b in batches(members, 200)
            ],
        )
        call(
            "core_cohort_create_cohorts",
            cohorts=[
                {"categorytype": {"type": "system", "value": ""}, "name": "All", "idnumber": "ALL"}
            ],
        )
        cohort_members = [
            {
                "cohorttype": {"type": "idnumber", "value": "ALL"},
                "usertype": {"type": "username", "value": u["username"]},
            }
            for u in users
        ]
        phase(
            "add cohort members (1000 a call)",
            call,
            len(cohort_members),
            lambda: [
                call("core_cohort_add_cohort_members", members=list(b))
                for b in batches(cohort_members, 1000)
            ],
        )
        phase(
            "get all courses (1 call)", call, courses + 1, lambda: call("core_course_get_courses")
        )
        ids = ",".join(str(2 + i) for i in range(min(200, courses)))
        phase(
            "courses by 200 ids (1 call)",
            call,
            200,
            lambda: call("core_course_get_courses_by_field", field="ids", value=ids),
        )
        sample = [2 + i * (courses // 100) for i in range(100)]
        phase(
            "enrolled users of 100 courses (100 calls)",
            call,
            100,
            lambda: [call("core_enrol_get_enrolled_users", courseid=c) for c in sample],
        )
        phase(
            "groups of 100 courses (100 calls)",
            call,
            100,
            lambda: [call("core_group_get_course_groups", courseid=c) for c in sample],
        )
        names = [u["username"] for u in users[:2000]]
        phase(
            "users by 2000 usernames (1 call)",
            call,
            len(names),
            lambda: call("core_user_get_users_by_field", field="username", values=names),
        )
        rows = [
            {"c": f"C{e['courseid'] - 2}", "u": f"s{e['userid'] - 4}", "r": "teacher"}
            for e in enrolments
        ]
        with external.begin() as conn:
            conn.execute(text("INSERT INTO enrolments VALUES (:c, :u, :r)"), rows)
        for label in ("enrol_database first sync", "enrol_database sync, no change"):
            started = time.perf_counter()
            summary = moodle.enrol_database_sync()
            wall = time.perf_counter() - started
            print(
                f"{label:<44} {summary['rows']:>8} rows {wall:>8.2f} s "
                f"({summary['enrolled']} enrolled, {summary['roles_assigned']} roles added)"
            )
    external.dispose()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"simulator process CPU: {usage.ru_utime + usage.ru_stime:.1f} s "
        f"over {call.calls} calls and two syncs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--courses", type=int, default=1400)
    parser.add_argument("--per-student", type=int, default=5, help="enrolments per student")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moodlesim-bench-") as scratch:
        run(args.students, args.courses, args.per_student, Path(scratch))


if __name__ == "__main__":
    main()
