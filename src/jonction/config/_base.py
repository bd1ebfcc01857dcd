"""Shared pieces of the configuration sections."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr


class Section(BaseModel):
    """A configuration section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def read_secret_file(path: Path, what: str) -> SecretStr:
    """Reads a secret from a file, warning when others than its owner may read it."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRGRP | stat.S_IROTH) and os.name == "posix":
        warnings.warn(
            f"the {what} file {path} is readable by other users; make it mode 600",
            stacklevel=2,
        )
    return SecretStr(text)


def secret_from(
    value: SecretStr | None, file: Path | None, env_names: tuple[str, ...], what: str
) -> SecretStr | None:
    """A secret from, in order: the value itself, a file, or one of the legacy variables."""
    if value is not None and value.get_secret_value():
        return value
    if file is not None:
        return read_secret_file(file, what)
    for name in env_names:
        if os.environ.get(name):
            return SecretStr(os.environ[name])
        file_name = os.environ.get(f"{name}_FILE")
        if file_name:
            return read_secret_file(Path(file_name), what)
    return value
