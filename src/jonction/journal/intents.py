"""Write-ahead intents: the keys of the Moodle objects a step is about to create.

A step writes an intent for each object just before the create call, and settles it once
Moodle's answer is known (the object is then recorded as managed, or Moodle refused it). A
run killed between the call and the record leaves the intent behind; the next run looks the
key up in Moodle and, if the object is there as intended, takes it back as its own
(journaled) instead of taking it for a hand-made object. An object found under a key that
nobody intended keeps being a collision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, tuple_

from .schema import intents
from .store import Journal, _chunks, utcnow


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str
    key: str
    run_id: int | None
    # What must match in Moodle ("match") and the record to keep once created ("record").
    data: Mapping[str, Any]

    @property
    def match(self) -> Mapping[str, Any]:
        value = self.data.get("match")
        return value if isinstance(value, Mapping) else {}

    @property
    def record(self) -> Mapping[str, Any]:
        value = self.data.get("record")
        return value if isinstance(value, Mapping) else {}


def intend(
    journal: Journal,
    kind: str,
    items: Iterable[tuple[str, Mapping[str, Any]]],
    run_id: int | None,
) -> None:
    """Records (or replaces) the intents of creating these objects: (key, data)."""
    now = utcnow()
    with journal.engine.begin() as connection:
        for chunk in _chunks(items):
            pairs = [(kind, key) for key, _ in chunk]
            connection.execute(
                delete(intents).where(tuple_(intents.c.kind, intents.c.key).in_(pairs))
            )
            connection.execute(
                insert(intents),
                [
                    {
                        "kind": kind,
                        "key": key,
                        "run_id": run_id,
                        "data": dict(data),
                        "created_at": now,
                    }
                    for key, data in chunk
                ],
            )


def pending(journal: Journal, kind: str) -> dict[str, Intent]:
    """The intents of one kind still unsettled, by key."""
    query = select(intents.c.key, intents.c.run_id, intents.c.data).where(intents.c.kind == kind)
    with journal.engine.connect() as connection:
        return {
            key: Intent(kind, key, run_id, data or {})
            for key, run_id, data in connection.execute(query)
        }


def settle(journal: Journal, kind: str, keys: Iterable[str]) -> None:
    """Removes the intents of these keys (created and recorded, refused, or not found)."""
    with journal.engine.begin() as connection:
        for chunk in _chunks(keys):
            connection.execute(
                delete(intents).where(intents.c.kind == kind, intents.c.key.in_(chunk))
            )
