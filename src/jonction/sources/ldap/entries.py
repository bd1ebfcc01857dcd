"""What the directory reader returns: entries as plain values, attribute names lowercased."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One entry: its DN and its values by lowercased attribute name, in the order received.

    `problems` lists values that could not be read (not UTF-8), to be reported by name.
    """

    dn: str
    attributes: Mapping[str, tuple[str, ...]]
    problems: tuple[str, ...] = ()

    def values(self, name: str) -> tuple[str, ...]:
        return self.attributes.get(name.lower(), ())

    @classmethod
    def from_raw(cls, dn: str, raw: Mapping[str, Iterable[bytes | str]]) -> DirectoryEntry:
        """Decodes raw values (bytes from LDAP, text or bytes from LDIF) as UTF-8."""
        attributes: dict[str, list[str]] = {}
        problems: list[str] = []
        for name, values in raw.items():
            decoded = attributes.setdefault(name.lower(), [])
            for value in values:
                if isinstance(value, str):
                    decoded.append(value)
                    continue
                try:
                    decoded.append(value.decode("utf-8"))
                except UnicodeDecodeError:
                    problems.append(f"{name}: a value is not UTF-8 text and was ignored")
        return cls(
            dn,
            {name: tuple(values) for name, values in attributes.items() if values},
            tuple(problems),
        )


@dataclass(frozen=True, slots=True)
class Directory:
    """The people read from the directory, and where they came from (for messages)."""

    origin: str
    entries: list[DirectoryEntry] = field(default_factory=list)
