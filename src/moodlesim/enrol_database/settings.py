"""The enrol_database plugin's settings, under Moodle's own names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

UNENROL, KEEP, SUSPEND, SUSPEND_NO_ROLES = 0, 1, 2, 3
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?\Z")


@dataclass(frozen=True)
class EnrolDatabaseSettings:
    """The plugin's settings, under Moodle's own names."""

    remoteenroltable: str = ""
    remotecoursefield: str = ""
    remoteuserfield: str = ""
    remoterolefield: str = ""
    remoteotheruserfield: str = ""
    localcoursefield: str = "idnumber"
    localuserfield: str = "username"
    localrolefield: str = "shortname"
    unenrolaction: int = UNENROL
    defaultrole: int = 5
    ignorehiddencourses: bool = False

    @classmethod
    def from_settings(cls, given: Mapping[str, str]) -> EnrolDatabaseSettings:
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, raw in given.items():
            if name not in known:
                raise ValueError(
                    f"unknown enrol_database setting {name!r}; known: {', '.join(sorted(known))}"
                )
            kind = known[name].type
            try:
                if kind == "int":
                    values[name] = int(raw)
                elif kind == "bool":
                    values[name] = raw.strip().lower() in ("1", "true", "yes", "on")
                else:
                    values[name] = raw.strip()
            except ValueError:
                raise ValueError(
                    f"enrol_database setting {name} must be a number, not {raw!r}"
                ) from None
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        for name in (
            "remoteenroltable",
            "remotecoursefield",
            "remoteuserfield",
            "remoterolefield",
            "remoteotheruserfield",
        ):
            value = getattr(self, name)
            if value and not _IDENTIFIER.match(value):
                raise ValueError(
                    f"enrol_database setting {name} is not a table or column name: {value!r}"
                )
        choices = {
            "localcoursefield": ("id", "idnumber", "shortname"),
            "localuserfield": ("id", "idnumber", "email", "username"),
            "localrolefield": ("id", "shortname"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"enrol_database setting {name} must be one of {', '.join(allowed)}"
                )
        if self.unenrolaction not in (UNENROL, KEEP, SUSPEND, SUSPEND_NO_ROLES):
            raise ValueError("enrol_database setting unenrolaction must be 0, 1, 2 or 3")

    @property
    def configured(self) -> bool:
        return bool(self.remoteenroltable and self.remotecoursefield and self.remoteuserfield)
