"""The web service functions as the real Moodle describes them (ws-api.json, packaged).

Descriptions are compiled once into small node objects used both to validate parameters and to
clean return values, like Moodle's external_description classes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

REQUIRED, OPTIONAL, DEFAULT = "required", "optional", "default"


@dataclass(frozen=True, slots=True, eq=False)
class Value:
    type: str
    required: str
    default: Any
    allownull: bool


@dataclass(frozen=True, slots=True, eq=False)
class Single:
    keys: dict[str, Node]
    required: str
    default: Any


@dataclass(frozen=True, slots=True, eq=False)
class Multiple:
    content: Node
    required: str
    default: Any


Node = Value | Single | Multiple


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    component: str
    kind: str
    parameters: Single
    returns: Node | None
    version: str = field(default="2022112810")


def _compile(raw: dict[str, Any]) -> Node:
    kind = raw["kind"]
    required = raw.get("required", REQUIRED)
    default = raw.get("default")
    if kind == "external_value":
        return Value(raw["type"], required, default, bool(raw.get("allownull", True)))
    if kind == "external_multiple_structure":
        return Multiple(_compile(raw["content"]), required, default)
    keys = {name: _compile(sub) for name, sub in raw["keys"].items()}
    return Single(keys, required, default)


def _version(component: str) -> str:
    # Plugins carry their own version; core functions the core version.
    return "2022112800" if component.startswith("enrol_") else "2022112810"


@cache
def functions() -> dict[str, FunctionSpec]:
    """Every function of the simulated service, by name, in the service's order."""
    text = resources.files("moodlesim.data").joinpath("ws-api.json").read_text(encoding="utf-8")
    data = json.loads(text)
    result: dict[str, FunctionSpec] = {}
    for name, raw in data["functions"].items():
        parameters = _compile(raw["parameters"])
        assert isinstance(parameters, Single)
        returns = _compile(raw["returns"]) if raw.get("returns") else None
        result[name] = FunctionSpec(
            name, raw["component"], raw["type"], parameters, returns, _version(raw["component"])
        )
    return result


@cache
def release() -> tuple[str, str]:
    """Moodle's release string and version number, as the described site reports them."""
    text = resources.files("moodlesim.data").joinpath("ws-api.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return str(data["moodle_release"]), str(data["moodle_version"])
