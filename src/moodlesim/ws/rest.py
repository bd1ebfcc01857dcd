"""The REST server's answers: JSON or XML, for results and for exceptions."""

from __future__ import annotations

from typing import Any

from ..php.json import json_encode
from ..php.text import htmlspecialchars
from .errors import MoodleError
from .returns import xmlize
from .spec import Node

JSON_TYPE = "application/json"
XML_TYPE = "application/xml; charset=utf-8"
XML_HEADER = '<?xml version="1.0" encoding="UTF-8" ?>\n'


def render_result(restformat: str, cleaned: Any, node: Node | None) -> tuple[str, str]:
    """Body and content type of a successful call (`cleaned` is the cleaned return value)."""
    if restformat == "json":
        return json_encode(cleaned), JSON_TYPE
    return f"{XML_HEADER}<RESPONSE>\n{xmlize(cleaned, node)}</RESPONSE>\n", XML_TYPE


def render_error(restformat: str, error: MoodleError, debug: bool) -> tuple[str, str]:
    """Body and content type of an exception; debuginfo only at a raised debug level."""
    if restformat == "json":
        payload: dict[str, Any] = {"exception": error.exception}
        if error.errorcode is not None:
            payload["errorcode"] = error.errorcode
        payload["message"] = error.message
        if debug and error.debuginfo is not None:
            payload["debuginfo"] = error.debuginfo
        return json_encode(payload), JSON_TYPE
    lines = [
        f'<EXCEPTION class="{error.exception}">',
        f"<ERRORCODE>{htmlspecialchars(error.errorcode or '')}</ERRORCODE>",
        f"<MESSAGE>{htmlspecialchars(error.message)}</MESSAGE>",
    ]
    if debug and error.debuginfo is not None:
        lines.append(f"<DEBUGINFO>{htmlspecialchars(error.debuginfo)}</DEBUGINFO>")
    lines.append("</EXCEPTION>")
    return XML_HEADER + "\n".join(lines) + "\n", XML_TYPE
