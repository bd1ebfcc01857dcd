"""jonction's configuration for one benchmark workspace: everything in the workspace, Moodle
being the benchmark's simulator; the per-item way is the same with batch size 1 for every web
service function and one call in flight."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jonction.config import Settings, load_settings

from .night import client_specs
from .simulator import ENROL_DB, Simulator, sqlite_url
from .university import ADE, DATABASE, LDIF

CONFIG_FILE = "jonction.toml"


def web_service_functions() -> list[str]:
    """The functions jonction's Moodle client calls (empty while the client is missing)."""
    return sorted(client_specs())


def per_item_options() -> dict[str, Any]:
    """[moodle] keys of the per-item way: one item a call, one call at a time."""
    return {"batch_sizes": dict.fromkeys(web_service_functions(), 1), "concurrency": 1}


def sections(
    workspace: Path,
    simulator: Simulator,
    year: str,
    per_item: bool,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    workspace = workspace.resolve()
    moodle: dict[str, Any] = {"url": simulator.base_url, "token": simulator.token}
    if per_item:
        moodle.update(per_item_options())
    result: dict[str, dict[str, Any]] = {
        "apogee": {"url": sqlite_url(workspace / DATABASE), "years": [year]},
        "refer": {"url": sqlite_url(workspace / "refer.db")},
        "state": {"url": sqlite_url(workspace / "jonction.db")},
        "moodle": moodle,
        "enrol_database": {
            "url": sqlite_url(simulator_folder(workspace) / ENROL_DB),
            "sync_url": simulator.sync_url,
        },
        "ldap": {"ldif": str(workspace / LDIF)},
        "ade": {"path": str(workspace / ADE)},
        "pipeline": {"lock_file": str(workspace / "jonction.lock")},
    }
    if per_item:
        # The per-item way runs its steps one after the other: each step's time is then its
        # own, as the per-item extrapolation (bench/per_item.py) takes it.
        result["pipeline"]["concurrent_steps"] = False
    for section, values in (extra or {}).items():
        result.setdefault(section, {}).update(values)
    return result


def simulator_folder(workspace: Path) -> Path:
    return workspace / "moodle"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{json.dumps(str(k))} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {value!r} in TOML")


def render(config: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["# Written by the benchmark (bench/settings.py)."]
    for section, values in config.items():
        lines += ["", f"[{section}]"]
        lines += [f"{key} = {_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def write(workspace: Path, config: Mapping[str, Mapping[str, Any]]) -> tuple[Path, Settings]:
    """Writes the file and loads it back, so that a key jonction refuses stops the benchmark
    before any night (the message names the key)."""
    path = workspace / CONFIG_FILE
    path.write_text(render(config), encoding="utf-8")
    return path, load_settings(path)
