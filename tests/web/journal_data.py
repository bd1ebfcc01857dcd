"""A small journal written through `Journal`, as the runner writes it: two nights."""

from __future__ import annotations

from jonction.domain.plan import Action, Notice, Operation
from jonction.journal.store import Journal, Outcome

SCIENCES = "UFRSCI"
LETTRES = "UFRLET"
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
