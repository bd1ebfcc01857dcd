"""The key that signs session cookies: configured, or generated once and kept in a file."""

from __future__ import annotations

import os
import secrets

from ..config.operations import WebSection


def session_secret(web: WebSection) -> str:
    if web.secret_key is not None and web.secret_key.get_secret_value():
        return web.secret_key.get_secret_value()
    path = web.secret_key_file
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created readable by the service user only, before the key is written into it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
