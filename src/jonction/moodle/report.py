"""The outcome of a batched write, item by item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import MoodleError, MoodleException

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Applied(Generic[T]):
    """An item Moodle applied; `id` is the id of what a create made (None otherwise)."""

    item: T
    id: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Failed(Generic[T]):
    """An item Moodle refused or that could not be sent.

    `code` is Moodle's errorcode or warningcode, or the kind of fault ("transport",
    "toomanyfields", "notsent"); `message` is Moodle's message. After a transport fault the
    item is known not to have been applied when it was read back, or unknown otherwise
    (`error` is then a MoodleTransportError): the next run reads the state and converges.
    """

    item: T
    code: str
    message: str
    error: MoodleError | None = None

    @property
    def may_exist(self) -> bool:
        """The write may have been applied although no success came back (the answer was
        lost): a creation must then be looked for before it is made again."""
        if self.code in ("notsent", "toomanyfields"):
            return False
        if self.code == "unknown":
            return True
        return self.error is not None and not isinstance(self.error, MoodleException)


@dataclass
class WriteReport(Generic[T]):
    function: str
    applied: list[Applied[T]] = field(default_factory=list)
    failed: list[Failed[T]] = field(default_factory=list)
    # Warnings Moodle gave that could not be tied to an item.
    notes: list[str] = field(default_factory=list)
    # An error that stopped the whole operation (bad token, function not in the service…).
    fatal: MoodleError | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.fatal is None

    def ids(self) -> list[int]:
        """Ids of what was created, in the order of the items."""
        return [applied.id for applied in self.applied if applied.id is not None]

    def raise_if_fatal(self) -> None:
        if self.fatal is not None:
            raise self.fatal
