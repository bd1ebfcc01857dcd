"""Structured logs (structlog): readable on a terminal, one JSON object a line for journald."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEYS = ("token", "password", "secret", "wstoken")


def _mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(word in key.lower() for word in _SECRET_KEYS):
            event[key] = "**********"
    return event


def configure(json_output: bool | None = None, level: str | None = None) -> None:
    """JSON when asked, when JONCTION_LOG_FORMAT=json, or when stderr is not a terminal."""
    if json_output is None:
        wanted = os.environ.get("JONCTION_LOG_FORMAT", "")
        json_output = wanted == "json" or (wanted != "console" and not sys.stderr.isatty())
    level_name = (level or os.environ.get("JONCTION_LOG_LEVEL", "INFO")).upper()
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level_name, logging.INFO)
        ),
        # Looked up at each use: tests and the CLI runner swap sys.stderr.
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
