"""A small journal written through `Journal`, as the runner writes it: two nights."""

from __future__ import annotations

from jonction.domain.plan import Action, Notice, Operation
from jonction.journal.store import Journal, Outcome

SCIENCES = "SCI"
LETTRES = "LET"
STUDENT_SCIENCES = "Camille Martin-Sciences"
STUDENT_LETTRES = "Louis Bernard-Lettres"


def _enrolment(username: str, course: str, composante: str, name: str) -> Operation:
    return Operation(
        "enrolment",
        Action.ADD,
        f"{course}|{username}|student",
        label=name,
        scope=course,
        after={"role": "student"},
        reason=f"registered to {course} through étape {composante}-L1",
        source={"table": "ind_contrat_elp", "composante": composante},
    )


def fill(journal: Journal) -> tuple[int, int]:
    """Writes two runs; returns their ids (the second has a guard and a failure)."""
    first = journal.start_run("nightly", ["users", "offer", "enrolments"])
    step = journal.start_step(first, "offer", "apply")
    courses = [
        Operation(
            "course",
            Action.CREATE,
            f"2026:ELP:SCI{i:03d}",
            label=f"Analyse {i}",
            after={"fullname": f"Analyse {i}"},
            reason="element SCI of nature UE",
            source={"composante": SCIENCES},
        )
        for i in range(30)
    ]
    journal.record_outcomes(
        step, [Outcome(op, "applied", moodle_id=i) for i, op in enumerate(courses)]
    )
    journal.finish_step(
        step,
        "succeeded",
        counts={"planned": {"course.create": 30}, "outcomes": {"course.create.applied": 30}},
        calls={
            "core_course_create_courses": {"calls": 2, "items": 30, "seconds": 1.5, "errors": 0}
        },
    )
    step = journal.start_step(first, "enrolments", "apply")
    enrolments = [
        _enrolment("e1001", "2026:ELP:SCI001", SCIENCES, STUDENT_SCIENCES),
        _enrolment("e2002", "2026:ELP:LET001", LETTRES, STUDENT_LETTRES),
    ]
    journal.record_outcomes(step, [Outcome(op, "applied") for op in enrolments])
    journal.record_notices(
        step,
        [
            Notice(
                "no_account",
                "e3003",
                "student 3003 has no directory account",
                data={"composante": SCIENCES},
            ),
            Notice(
                "no_account",
                "e4004",
                "student 4004 has no directory account",
                data={"composante": LETTRES},
            ),
        ],
    )
    journal.finish_step(
        step,
        "succeeded",
        counts={"planned": {"enrolment.add": 2}, "outcomes": {"enrolment.add.applied": 2}},
    )
    journal.finish_run(first, "succeeded", {"offer": "succeeded", "enrolments": "succeeded"})

    second = journal.start_run("nightly", ["offer", "enrolments"])
    step = journal.start_step(second, "offer", "apply")
    renamed = Operation(
        "course",
        Action.RENAME,
        "2026:ELP:SCI002",
        label="Analyse 2 (nouveau)",
        before={"fullname": "Analyse 2"},
        after={"fullname": "Analyse 2 (nouveau)"},
        reason="label changed in Apogée",
        source={"composante": SCIENCES},
    )
    journal.record_outcomes(step, [Outcome(renamed, "failed", "Moodle refused: invalid name")])
    journal.finish_step(
        step,
        "succeeded",
        counts={"planned": {"course.rename": 1}, "outcomes": {"course.rename.failed": 1}},
    )
    step = journal.start_step(second, "enrolments", "apply")
    journal.finish_step(
        step,
        "guarded",
        guards=["enrolments: 40 of 60 enrolment objects would be removed (66.7%)"],
        error="guard",
    )
    journal.finish_run(second, "partial", {"offer": "succeeded", "enrolments": "guarded"})
    return first, second


DEMO_ELEMENTS = [
    ("SMA1U01", "Analyse 1", "SCI"),
    ("SMA1U02", "Algèbre linéaire", "SCI"),
    ("SPH1U01", "Mécanique du point", "SCI"),
    ("LLA1U01", "Latin débutant", "LET"),
    ("LHI1U03", "Histoire médiévale", "LET"),
]
DEMO_STUDENTS = [
    ("e21000457", "Camille Martin"),
    ("e21000912", "Inès Haddad"),
    ("e21001033", "Hugo Lefebvre"),
    ("e21001208", "Léa Nguyen"),
    ("e21001371", "Nathan Moreau"),
]


def fill_demo(journal: Journal, nights: int = 8) -> list[int]:
    """Nights like a demo's: a first big night, quieter ones, one stopped by a guard; the
    runs are dated at 00:00 on consecutive days with realistic step durations."""
    from datetime import datetime, timedelta

    from sqlalchemy import update

    from jonction.journal.schema import runs, step_runs

    start = datetime(2026, 9, 1)
    made = []
    for night in range(nights):
        run = journal.start_run("nightly", ["users", "cohorts", "offer", "enrolments", "groups"])
        clock = start + timedelta(days=night)
        run_start = clock
        scale = 12 if night == 0 else 1 + night % 3
        for step, seconds in (
            ("users", 40 + 300 * (night == 0)),
            ("cohorts", 12),
            ("offer", 30 + 900 * (night == 0)),
            ("enrolments", 50 + 400 * (night == 0)),
            ("groups", 20 + 200 * (night == 0)),
        ):
            step_id = journal.start_step(run, step, "apply")
            ops: list[Outcome] = []
            if step == "offer":
                for code, label, composante in DEMO_ELEMENTS[: min(5, scale)]:
                    ops.append(
                        Outcome(
                            Operation(
                                "course",
                                Action.CREATE if night == 0 else Action.RENAME,
                                f"2026:ELP:{code}",
                                label=label,
                                reason=f"élément {code} de nature UE, inscrit à l'étape SL1-101",
                                source={"composante": composante, "element": code},
                            ),
                            "applied",
                        )
                    )
            if step == "enrolments":
                for index in range(scale * 3):
                    number, name = DEMO_STUDENTS[index % len(DEMO_STUDENTS)]
                    code, _label, composante = DEMO_ELEMENTS[index % len(DEMO_ELEMENTS)]
                    ops.append(
                        Outcome(
                            _enrolment(number, f"2026:ELP:{code}", composante, name),
                            "failed" if (night == 5 and index == 1) else "applied",
                            "utilisateur inconnu de Moodle" if (night == 5 and index == 1) else "",
                        )
                    )
            journal.record_outcomes(step_id, ops)
            planned: dict[str, int] = {}
            outcomes: dict[str, int] = {}
            for item in ops:
                key = f"{item.operation.kind}.{item.operation.action}"
                planned[key] = planned.get(key, 0) + 1
                outcomes[f"{key}.{item.outcome}"] = outcomes.get(f"{key}.{item.outcome}", 0) + 1
            guarded = night == 6 and step == "groups"
            journal.finish_step(
                step_id,
                "guarded" if guarded else "succeeded",
                counts={"planned": planned, "outcomes": outcomes},
                guards=(
                    [
                        "groups: 38 of 60 group_member objects in 2026:ELP:SMA1U01 would be "
                        "removed (63.3%); the limit is 50%."
                    ]
                    if guarded
                    else []
                ),
            )
            finish = clock + timedelta(seconds=seconds)
            with journal.engine.begin() as connection:
                connection.execute(
                    update(step_runs)
                    .where(step_runs.c.id == step_id)
                    .values(started_at=clock, finished_at=finish)
                )
            clock = finish
        journal.finish_run(run, "partial" if night == 6 else "succeeded", {})
        with journal.engine.begin() as connection:
            connection.execute(
                update(runs).where(runs.c.id == run).values(started_at=run_start, finished_at=clock)
            )
        made.append(run)
    return made
