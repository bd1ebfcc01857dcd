"""Latency of `explain` at university scale: REFER and the state database filled with N
students (10 pedagogical registrations and a group each) and N/20 teachers (4 courses each from
ADE), their accounts and enrolment rows in the managed table, and three nights of journaled
operations (accounts, cohort and group memberships, rows with their reasons and sources); then
people explained by student number, username, name, and teachers by username.

    .venv/bin/python -m bench.explain_latency --students 30000 [--state-url URL --refer-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert

from jonction.config import Settings
from jonction.db import make_engine
from jonction.explain.service import answer
from jonction.journal.schema import managed, operations
from jonction.journal.store import Journal
from jonction.sources.refer import schema as refer
from jonction.sources.refer.store import ensure_schema

YEAR = "2026"
CHUNK = 20_000
STEPS = ("users", "cohorts", "enrolments", "groups")
NIGHTS = 3
# Share of the objects journaled again by each night after the first.
CHANGED_SHARE = 0.01


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(insert(table), rows[start : start + CHUNK])


def fill(refer_url: str, state_url: str, students: int, seed: int) -> None:
    rng = random.Random(seed)
    engine = make_engine(refer_url)
    ensure_schema(engine)
    etapes = [f"E{i:04d}" for i in range(max(students // 100, 1))]
    elements = [f"EL{i:05d}" for i in range(len(etapes) * 12)]
    _insert(engine, refer.refer_year, [{"year": YEAR, "changed_at": datetime(2026, 9, 1)}])
    _insert(
        engine,
        refer.refer_etape,
        [
            {
                "year": YEAR,
                "etape_code": code,
                "etape_version": 1,
                "label": f"Étape {code}",
                "composante": f"C{i % 20:02d}",
                "foad": False,
            }
            for i, code in enumerate(etapes)
        ],
    )
    _insert(
        engine,
        refer.refer_element,
        [
            {
                "year": YEAR,
                "code": code,
                "label": f"Élément {code}",
                "short_label": code,
                "long_label": "",
                "nature": "UE" if i % 6 else "SEM",
                "composante": "C00",
                "period": "",
                "credits": None,
            }
            for i, code in enumerate(elements)
        ],
    )
    people, iaes, ips, groups, members = [], [], [], [], []
    for cod_ind in range(1, students + 1):
        etape_index = rng.randrange(len(etapes))
        people.append(
            {
                "year": YEAR,
                "cod_ind": cod_ind,
                "cod_etu": f"{21000000 + cod_ind}",
                "last_name": f"Nom{cod_ind}",
                "first_name": f"Prénom{cod_ind % 997}",
            }
        )
        iaes.append(
            {
                "year": YEAR,
                "cod_ind": cod_ind,
                "etape_code": etapes[etape_index],
                "etape_version": 1,
                "diplome_code": "D",
                "diplome_version": 1,
                "composante": f"C{etape_index % 20:02d}",
                "main": True,
            }
        )
        for element in rng.sample(elements[etape_index * 12 : etape_index * 12 + 12], 10):
            ips.append(
                {
                    "year": YEAR,
                    "cod_ind": cod_ind,
                    "etape_code": etapes[etape_index],
                    "etape_version": 1,
                    "element": element,
                }
            )
        members.append({"year": YEAR, "group_code": etape_index, "cod_ind": cod_ind})
    groups = [
        {
            "year": YEAR,
            "code": i,
            "ext_code": f"G{i}",
            "label": f"TD {i}",
            "kind": "TD",
            "element": elements[i * 12],
            "etape_code": None,
            "etape_version": None,
            "parent": None,
        }
        for i in range(len(etapes))
    ]
    for table, rows in (
        (refer.refer_student, people),
        (refer.refer_admin_registration, iaes),
        (refer.refer_pedagogical_registration, ips),
        (refer.refer_group, groups),
        (refer.refer_group_membership, members),
    ):
        _insert(engine, table, rows)
    _fill_journal(state_url, rng, people, ips, members, iaes, elements)


def _operation(
    seq: int, step_run: int, kind: str, key: str, reason: str, **source: Any
) -> dict[str, Any]:
    return {
        "step_run_id": step_run,
        "seq": seq,
        "kind": kind,
        "action": "add" if kind != "user" else "create",
        "key": key,
        "label": "",
        "scope": "",
        "before": None,
        "after": None,
        "reason": reason,
        "source": source,
        "outcome": "applied",
        "message": "",
        "moodle_id": None,
    }


def _fill_journal(
    state_url: str,
    rng: random.Random,
    people: list[dict[str, Any]],
    ips: list[dict[str, Any]],
    members: list[dict[str, Any]],
    iaes: list[dict[str, Any]],
    elements: list[str],
) -> None:
    """The state database after NIGHTS nights: the first creates every account, cohort
    membership, enrolment row (students from their registrations, teachers from ADE) and group
    membership, each journaled with its reason and source; the others change a few hundred."""
    journal = Journal(make_engine(state_url))
    journal.ensure_schema()
    now = datetime(2026, 9, 2)
    teachers = [f"t{i}" for i in range(max(len(people) // 20, 1))]
    etape_of = {iae["cod_ind"]: iae["etape_code"] for iae in iaes}
    records: list[dict[str, Any]] = []

    def record(kind: str, key: str, data: dict[str, Any], run: int) -> None:
        records.append(
            {
                "kind": kind,
                "key": key,
                "moodle_id": None,
                "data": data,
                "created_run": run,
                "updated_run": run,
                "updated_at": now,
            }
        )

    for night in range(NIGHTS):
        run = journal.start_run("nightly", list(STEPS))
        share = 1.0 if night == 0 else CHANGED_SHARE
        for step in STEPS:
            step_run = journal.start_step(run, step, "apply")
            ops: list[dict[str, Any]] = []
            if step == "users":
                for person in people:
                    if night == 0 or rng.random() < share:
                        username = f"u{person['cod_ind']}"
                        ops.append(
                            _operation(len(ops), step_run, "user", username, "in the directory")
                        )
                        if night == 0:
                            record(
                                "user",
                                username,
                                {
                                    "idnumber": f"E{person['cod_etu']}",
                                    "student_id": person["cod_etu"],
                                },
                                run,
                            )
                if night == 0:
                    for teacher in teachers:
                        ops.append(
                            _operation(len(ops), step_run, "user", teacher, "in the directory")
                        )
                        record("user", teacher, {"employee_id": teacher[1:]}, run)
            elif step == "cohorts":
                for person in people:
                    if night == 0 or rng.random() < share:
                        key = f"{YEAR}:VET:{etape_of[person['cod_ind']]}:1|u{person['cod_ind']}"
                        ops.append(
                            _operation(
                                len(ops), step_run, "cohort_member", key, "cohort of the étape"
                            )
                        )
            elif step == "enrolments":
                for ip in ips:
                    if night == 0 or rng.random() < share:
                        key = f"{YEAR}:ELP:{ip['element']}|u{ip['cod_ind']}|student"
                        registration = {
                            "element": ip["element"],
                            "etape": f"{ip['etape_code']}-1",
                            "cod_ind": ip["cod_ind"],
                        }
                        ops.append(
                            _operation(
                                len(ops),
                                step_run,
                                "enrolment",
                                key,
                                f"registered to {ip['element']} through étape {ip['etape_code']}-1",
                                origin="student",
                                registrations=[registration],
                            )
                        )
                        if night == 0:
                            record(
                                "enrolment", key, {"origin": "student", "missing_since": None}, run
                            )
                if night == 0:
                    for index, teacher in enumerate(teachers):
                        for element in rng.sample(elements, 4):
                            key = f"{YEAR}:ELP:{element}|{teacher}|editingteacher"
                            scheduling = {
                                "element": element,
                                "instructor": str(index),
                                "instructor_name": f"Enseignant {index}",
                                "activities": [
                                    {
                                        "activity": index,
                                        "name": f"CM {element}",
                                        "first": "2026-09-07",
                                        "last": "2026-12-14",
                                        "events": 12,
                                    }
                                ],
                            }
                            ops.append(
                                _operation(
                                    len(ops),
                                    step_run,
                                    "enrolment",
                                    key,
                                    f"scheduled in ADE for {element}",
                                    origin="teacher",
                                    schedulings=[scheduling],
                                )
                            )
                            record(
                                "enrolment", key, {"origin": "teacher", "missing_since": None}, run
                            )
            elif step == "groups":
                for member in members:
                    if night == 0 or rng.random() < share:
                        element = elements[member["group_code"] * 12]
                        group = f"{YEAR}:GPE:{member['group_code']}"
                        key = f"{YEAR}:ELP:{element}|{group}|u{member['cod_ind']}"
                        ops.append(
                            _operation(
                                len(ops), step_run, "group_member", key, "assigned in Apogée"
                            )
                        )
            _insert(journal.engine, operations, ops)
            journal.finish_step(step_run, "succeeded")
        journal.finish_run(run, "succeeded", {})
    _insert(journal.engine, managed, records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state-url")
    parser.add_argument("--refer-url")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="jonction-bench-explain-"))
    state_url = options.state_url or f"sqlite:///{folder / 'state.db'}"
    refer_url = options.refer_url or f"sqlite:///{folder / 'refer.db'}"
    started = time.perf_counter()
    fill(refer_url, state_url, options.students, options.seed)
    print(f"filled {options.students} students in {time.perf_counter() - started:.1f} s")
    settings = Settings(state={"url": state_url}, refer={"url": refer_url})
    refer_engine, state_engine = make_engine(refer_url), make_engine(state_url)
    rng = random.Random(options.seed + 1)
    teachers = max(options.students // 20, 1)
    queries: list[tuple[str, Callable[[int], str]]] = [
        ("student number", lambda n: f"{21000000 + n}"),
        ("username", lambda n: f"u{n}"),
        ("full name", lambda n: f"Prénom{n % 997} Nom{n}"),
        ("teacher's username", lambda n: f"t{n % teachers}"),
    ]
    for label, make_query in queries:
        timings = []
        for _ in range(options.samples):
            who = rng.randrange(1, options.students + 1)
            begin = time.perf_counter()
            result = answer(settings, refer_engine, state_engine, make_query(who))
            timings.append(time.perf_counter() - begin)
            assert result.explanation is not None, make_query(who)
            found = {(e.what, e.state) for e in result.explanation.entries}
            wanted = (
                {("teaching", "in_moodle")}
                if label.startswith("teacher")
                else {("course", "in_moodle"), ("group", "in_moodle"), ("cohort", "in_moodle")}
            )
            assert wanted <= found, (make_query(who), found)
        timings.sort()
        print(
            f"explain by {label}: median {statistics.median(timings) * 1000:.0f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1] * 1000:.0f} ms, "
            f"max {timings[-1] * 1000:.0f} ms over {len(timings)}"
        )


if __name__ == "__main__":
    main()
