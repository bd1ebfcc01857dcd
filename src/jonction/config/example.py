"""Renders the annotated example configuration from the settings models themselves.

`jonction config --example > jonction.example.toml` regenerates the file; a test checks that
the committed file is current, so every key stays documented.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

HEADER = """\
# jonction's configuration, every key with its default value.
# Give the file with `jonction --config PATH …` or JONCTION_CONFIG=PATH.
# Every key can also be set from the environment: JONCTION_<SECTION>__<KEY>,
# e.g. JONCTION_MOODLE__CONCURRENCY=4. Secrets come from the environment or from files:
# JONCTION_MOODLE_TOKEN, JONCTION_LDAP_PASSWORD, JONCTION_ADE_PASSWORD,
# JONCTION_ENROL_DATABASE_PASSWORD (or the *_file keys below).
# Keys left commented keep their default.
"""


def _toml_value(value: Any) -> str | None:
    if value is None or isinstance(value, SecretStr):
        return None
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) or '""' for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return json.dumps(str(value))


def _field_lines(name: str, info: FieldInfo, value: Any) -> list[str]:
    lines = [f"# {line}" for line in textwrap.wrap(info.description or "", 96)]
    rendered = _toml_value(value)
    lines.append(f"# {name} = {rendered}" if rendered is not None else f"# {name} =")
    return lines


def render_example(settings_class: type[BaseModel]) -> str:
    """The example file for `settings_class`, with defaults only (no environment, no file)."""
    parts = [HEADER]
    for section_name, field in settings_class.model_fields.items():
        section_class = field.annotation
        assert isinstance(section_class, type) and issubclass(section_class, BaseModel)
        section = section_class.model_construct()
        parts.append("")
        parts.append(f"[{section_name}]")
        doc = (type(section).__doc__ or "").strip()
        if doc:
            parts.extend(f"# {line}" for line in textwrap.wrap(" ".join(doc.split()), 96))
        for name, info in type(section).model_fields.items():
            parts.append("")
            parts.extend(_field_lines(name, info, getattr(section, name)))
    return "\n".join(parts) + "\n"
