"""Compact read-only mappings for the fields of operations planned by the hundred thousand.

A first night plans hundreds of thousands of operations (enrolment rows, group members); as
plain dicts their `before`, `after` and `source` would take most of the plan's memory. The
steps give instead small objects with slots that hold only what differs from one operation to
the next and share the rest. They read like the dicts they stand for (`dict(m)`, `m["key"]`,
`m.get(…)`, `{**m}`, `m == {…}`), and the journal and `plan --json` turn them into plain dicts.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

H = TypeVar("H", bound=Hashable)


class FieldMapping(Mapping[str, Any]):
    """Base of the compact mappings: a subclass gives `__getitem__` and `__iter__` (its keys,
    in the order of the dict it stands for)."""

    __slots__ = ()

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


def shared(pool: dict[H, H], value: H) -> H:
    """The one instance of `value` kept in `pool`: equal values (reasons, sources) built for
    many operations are held once."""
    return pool.setdefault(value, value)
