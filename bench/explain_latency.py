"""Latency of `explain` at university scale: REFER and the state database filled with N
students (10 pedagogical registrations and a group each, their accounts, enrolments and group
memberships in the managed table), then people explained by number, username and name.

    .venv/bin/python -m bench.explain_latency --students 30000 [--state-url URL --refer-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert

from jonction.config import Settings
from jonction.db import make_engine
from jonction.explain.service import answer
from jonction.journal.schema import managed
from jonction.journal.store import Journal
from jonction.sources.refer import schema as refer
from jonction.sources.refer.store import ensure_schema

YEAR = "2026"
CHUNK = 20_000


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
    journal = Journal(make_engine(state_url))
    journal.ensure_schema()
    now = datetime(2026, 9, 2)
    rows = []
    for person in people:
        username = f"u{person['cod_ind']}"
        rows.append(
            {
                "kind": "user",
                "key": username,
                "moodle_id": person["cod_ind"],
                "data": {"idnumber": f"E{person['cod_etu']}"},
                "created_run": 1,
                "updated_run": 1,
                "updated_at": now,
            }
        )
    for ip in ips:
        rows.append(
            {
                "kind": "enrolment",
                "key": f"{YEAR}:ELP:{ip['element']}|u{ip['cod_ind']}|student",
                "moodle_id": None,
                "data": {},
                "created_run": 1,
                "updated_run": 1,
                "updated_at": now,
            }
        )
    for member in members:
        rows.append(
            {
                "kind": "group_member",
                "key": f"{YEAR}:GRP:{member['group_code']}|u{member['cod_ind']}",
                "moodle_id": None,
                "data": {},
                "created_run": 1,
                "updated_run": 1,
                "updated_at": now,
            }
        )
    _insert(journal.engine, managed, rows)


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
    for label, make_query in (
        ("student number", lambda n: f"{21000000 + n}"),
        ("username", lambda n: f"u{n}"),
        ("full name", lambda n: f"Prénom{n % 997} Nom{n}"),
    ):
        timings = []
        for _ in range(options.samples):
            who = rng.randrange(1, options.students + 1)
            begin = time.perf_counter()
            result = answer(settings, refer_engine, state_engine, make_query(who))
            timings.append(time.perf_counter() - begin)
            assert result.explanation is not None, make_query(who)
        timings.sort()
        print(
            f"explain by {label}: median {statistics.median(timings) * 1000:.0f} ms, "
            f"p95 {timings[int(len(timings) * 0.95) - 1] * 1000:.0f} ms, "
            f"max {timings[-1] * 1000:.0f} ms over {len(timings)}"
        )


if __name__ == "__main__":
    main()
