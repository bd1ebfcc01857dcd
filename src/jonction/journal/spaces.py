"""The registry of complementary spaces, in the state database (table `spaces`).

Every change (`jonction spaces add|renew|expire`) is also journaled as a run of its own, so
that reports and the dashboard show who registered what and when.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.plan import Action, Operation
from ..domain.spaces import SPACE, Space
from .schema import spaces
from .store import Journal, Outcome, utcnow

STEP = "spaces"


class SpaceRefused(Exception):
    """The registry refuses the change; the message says why."""


def _space(row: Any) -> Space:
    return Space(
        id=int(row.id),
        moodle_id=int(row.moodle_id),
        shortname=row.shortname,
        idnumber=row.idnumber,
        fullname=row.fullname,
        owner=row.owner,
        purpose=row.purpose,
        composante=row.composante,
        etapes=tuple(row.etapes or ()),
        cohorts=tuple(row.cohorts or ()),
        ends_on=row.ends_on,
    )


def list_spaces(journal: Journal) -> list[Space]:
    with journal.engine.connect() as connection:
        return [_space(row) for row in connection.execute(select(spaces).order_by(spaces.c.id))]


def get_space(journal: Journal, space_id: int) -> Space:
    with journal.engine.connect() as connection:
        row = connection.execute(select(spaces).where(spaces.c.id == space_id)).first()
    if row is None:
        raise SpaceRefused(f"no space {space_id} in the registry (jonction spaces list --all)")
    return _space(row)


def _journal(journal: Journal, operation: Operation) -> int:
    run_id = journal.start_run("spaces", [STEP])
    step_run_id = journal.start_step(run_id, STEP, "registry")
    journal.record_outcomes(step_run_id, [Outcome(operation, "applied")])
    journal.finish_step(step_run_id, "succeeded", counts={str(operation.action): 1})
    journal.finish_run(run_id, "succeeded", {STEP: "succeeded"})
    return run_id


def add_space(journal: Journal, space: Space, who: str) -> Space:
    """Registers `space` (its id is given by the registry)."""
    now = utcnow()
    values = {
        "moodle_id": space.moodle_id,
        "shortname": space.shortname,
        "idnumber": space.idnumber,
        "fullname": space.fullname,
        "owner": space.owner,
        "purpose": space.purpose,
        "composante": space.composante,
        "etapes": list(space.etapes),
        "cohorts": list(space.cohorts),
        "ends_on": space.ends_on,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with journal.engine.begin() as connection:
            new_id = connection.execute(insert(spaces).values(**values)).inserted_primary_key
    except IntegrityError:
        raise SpaceRefused(
            f"Moodle course #{space.moodle_id} is already a registered space "
            "(jonction spaces list --all)"
        ) from None
    assert new_id is not None
    added = get_space(journal, int(new_id[0]))
    _journal(
        journal,
        Operation(
            SPACE,
            Action.CREATE,
            f"space:{added.id}",
            added.fullname,
            after={
                **added.describe(),
                "etapes": list(added.etapes),
                "cohorts": list(added.cohorts),
            },
            reason=f"registered by {who}: {added.purpose or 'no purpose given'}",
            source={"moodle_id": added.moodle_id, "by": who},
        ),
    )
    return added


def set_end(journal: Journal, space_id: int, ends_on: date, who: str, why: str) -> Space:
    """Moves a space's end date (renew, or expire now)."""
    before = get_space(journal, space_id)
    with journal.engine.begin() as connection:
        connection.execute(
            update(spaces)
            .where(spaces.c.id == space_id)
            .values(ends_on=ends_on, updated_at=utcnow())
        )
    _journal(
        journal,
        Operation(
            SPACE,
            Action.UPDATE,
            f"space:{space_id}",
            before.fullname,
            before={"ends_on": before.ends_on.isoformat()},
            after={"ends_on": ends_on.isoformat()},
            reason=f"{why} by {who}",
            source={"moodle_id": before.moodle_id, "by": who},
        ),
    )
    return get_space(journal, space_id)
