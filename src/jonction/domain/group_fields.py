"""Compact member operations, and the read-only mappings of their fields.

A first night plans a million member operations; as plain dicts their `source` (a dozen
codes, most of them the group's) and `after` (two ids) would take well over a kilobyte each,
and their key and label (the group's key and name with the username) a few hundred bytes.
These mappings (compact_fields.py) hold only what differs from one member to the next and
share the group's part; `MemberAddition` holds no more than its group's shared part and the
member, and makes its key, label and fields when they are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import FrozenInstanceError, dataclass
from typing import Any, Protocol

from .compact_fields import FieldMapping
from .plan import Action, Operation

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


class WantedMember(Protocol):
    """A wanted member as the plan knows it (group_plan.Member)."""

    @property
    def user_id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def cod_ind(self) -> int: ...

    @property
    def etape(self) -> object: ...  # its str() is the étape's code and version


@dataclass(frozen=True, slots=True)
class MemberGroup:
    """What the member operations of one group share: the group's key (their scope), the
    name it has or will have (in their labels), its Moodle id (None when the plan creates it)
    and its source codes."""

    key: str
    name: str
    group_id: int | None
    source: Mapping[str, Any]


class MemberAddition(Operation):
    """A member added to a group, as `Operation(kind, Action.ADD, "<group key>|<username>",
    label="<username>: <group name>", after=MemberIds(group_id, user_id), reason=…,
    source=MemberSource(…), scope=<group key>)`, its key, label, `after` and `source` made
    when they are read: a first night holds a million of them."""

    __slots__ = ("_extra", "_group", "_member")

    _group: MemberGroup
    _member: WantedMember
    _extra: Mapping[str, Any] | None

    def __init__(
        self,
        kind: str,
        group: MemberGroup,
        member: WantedMember,
        reason: str,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        # The fields Operation keeps as they are; key, label, after and source are made.
        setattr_ = object.__setattr__
        setattr_(self, "kind", kind)
        setattr_(self, "action", Action.ADD)
        setattr_(self, "reason", reason)
        setattr_(self, "scope", group.key)
        setattr_(self, "_group", group)
        setattr_(self, "_member", member)
        setattr_(self, "_extra", extra)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    @property
    def key(self) -> str:
        return f"{self._group.key}|{self._member.username}"

    @property
    def label(self) -> str:
        return f"{self._member.username}: {self._group.name}"

    @property
    def before(self) -> Mapping[str, Any] | None:
        return None

    @property
    def after(self) -> Mapping[str, Any] | None:
        return MemberIds(self._group.group_id, self._member.user_id)

    @property
    def source(self) -> Mapping[str, Any]:
        member = self._member
        return MemberSource(
            self._group.source, str(member.etape), member.cod_ind, member.username, self._extra
        )

    def __eq__(self, other: object) -> bool:
        # Equal to any operation with the same fields, compact or not.
        if not isinstance(other, Operation):
            return NotImplemented
        return _fields(self) == _fields(other)

    __hash__ = Operation.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            MemberAddition,
            (self.kind, self._group, self._member, self.reason, self._extra),
        )


def _fields(op: Operation) -> tuple[Any, ...]:
    return (
        op.kind,
        op.action,
        op.key,
        op.label,
        op.before,
        op.after,
        op.reason,
        op.source,
        op.scope,
    )
