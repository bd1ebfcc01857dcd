"""Compact read-only mappings for the fields of member operations.

A first night plans a million member operations; as plain dicts their `source` (a dozen
codes, most of them the group's) and `after` (two ids) would take well over a kilobyte each.
These mappings (compact_fields.py) hold only what differs from one member to the next and
share the group's part.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .compact_fields import FieldMapping

_IDS = ("group_id", "user_id")
_MEMBER = ("etape", "cod_ind", "username")


class MemberIds(FieldMapping):
    """{"group_id": …, "user_id": …}: the ids of a membership (group_id None for a group
    created by the same plan)."""

    __slots__ = ("_group_id", "_user_id")

    def __init__(self, group_id: int | None, user_id: int) -> None:
        self._group_id = group_id
        self._user_id = user_id

    def __getitem__(self, key: str) -> Any:
        if key == "group_id":
            return self._group_id
        if key == "user_id":
            return self._user_id
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_IDS)

    def __len__(self) -> int:
        return 2


class MemberSource(FieldMapping):
    """A member operation's source codes: the group's (one dict shared by all its members),
    then the member's étape, COD_IND and username, then `extra` (e.g. why it is deferred)."""

    __slots__ = ("_cod_ind", "_etape", "_extra", "_group", "_username")

    def __init__(
        self,
        group: Mapping[str, Any],
        etape: str,
        cod_ind: int,
        username: str,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._group = group
        self._etape = etape
        self._cod_ind = cod_ind
        self._username = username
        self._extra = extra

    def with_extra(self, **extra: Any) -> MemberSource:
        return MemberSource(
            self._group,
            self._etape,
            self._cod_ind,
            self._username,
            {**(self._extra or {}), **extra},
        )

    def _own(self, key: str) -> tuple[bool, Any]:
        if self._extra is not None and key in self._extra:
            return True, self._extra[key]
        if key == "etape":
            return True, self._etape
        if key == "cod_ind":
            return True, self._cod_ind
        if key == "username":
            return True, self._username
        return False, None

    def __getitem__(self, key: str) -> Any:
        found, value = self._own(key)
        if found:
            return value
        return self._group[key]

    def __iter__(self) -> Iterator[str]:
        own = set(_MEMBER) | set(self._extra or ())
        yield from (key for key in self._group if key not in own)
        yield from _MEMBER
        yield from (key for key in self._extra or () if key not in _MEMBER)
