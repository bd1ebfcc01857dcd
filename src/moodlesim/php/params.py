"""Moodle's PARAM_* cleaning (clean_param) and the strict check of validate_param.

validate_param accepts a value only when cleaning leaves it unchanged as a string: that is why
an upper-case username or `12abc` for an int is rejected rather than fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .text import strip_tags

Cleaned = str | int | float | bool | None

AUTH_PLUGINS = frozenset(
    {
        "cas",
        "db",
        "email",
        "ldap",
        "lti",
        "manual",
        "mnet",
        "nologin",
        "none",
        "oauth2",
        "shibboleth",
        "webservice",
    }
)
THEMES = frozenset({"boost", "classic"})
# The simulated site has the English and French language packs.
LANGUAGES = frozenset({"en", "fr"})
COURSE_FORMATS = frozenset({"topics", "weeks", "social", "singleactivity", "site"})

_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[+-]?[0-9]*\.?[0-9]*(e[-+]?[0-9]+)?\Z", re.IGNORECASE)
_COMPONENT = re.compile(r"[a-z][a-z0-9]*(_[a-z][a-z0-9_]*)?[a-z0-9]+\Z")
_TIMEZONE = re.compile(
    r"(([+-]?(0?[0-9](\.[5|0])?|1[0-3](\.0)?|1[0-2]\.5))|(99)|[A-Za-z0-9]+(/?[A-Za-z_-])+)\Z"
)
_CAPABILITY = re.compile(r"[a-z]+/[a-z0-9_]+:[a-z0-9_]+\Z")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z"
)
_INT64 = 2**63


def php_int(text: str) -> int:
    """PHP's (int) cast of a string: leading integer part, 0 when none, saturated."""
    match = re.match(r"\s*[+-]?\d+", text)
    if not match:
        return 0
    value = int(match.group())
    return max(-_INT64, min(_INT64 - 1, value))


def validate_email(address: str) -> bool:
    """Moodle's validate_email (PHPMailer's check, no `<` or `>`)."""
    return bool(address) and len(address) <= 254 and bool(_EMAIL.match(address))


def _plugin(value: str) -> str:
    if not _COMPONENT.match(value) or "__" in value or "_" in value:
        return ""
    return value


def _alnum_filter(pattern: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)
    return lambda value: compiled.sub("", value)


def clean_username(value: str) -> str:
    return re.sub(r"[^-.@_a-z0-9]", "", value.strip().lower().replace(" ", ""))


_CLEANERS: dict[str, Callable[[str], Cleaned]] = {
    "int": php_int,
    "alpha": _alnum_filter(r"[^a-zA-Z]"),
    "alphanum": _alnum_filter(r"[^A-Za-z0-9]"),
    "alphanumext": _alnum_filter(r"[^A-Za-z0-9_-]"),
    "safedir": _alnum_filter(r"[^A-Za-z0-9_-]"),
    "raw": lambda value: value,
    "raw_trimmed": lambda value: value.strip(" \t\n\r\0\x0b"),
    "text": strip_tags,
    "notags": strip_tags,
    "username": clean_username,
    "plugin": _plugin,
    "component": lambda value: value if _COMPONENT.match(value) and "__" not in value else "",
    "auth": lambda value: value if _plugin(value) and value in AUTH_PLUGINS else "",
    "theme": lambda value: value if _plugin(value) and value in THEMES else "",
    "lang": lambda value: value if value in LANGUAGES else "",
    "timezone": lambda value: value if _TIMEZONE.match(value) else "",
    "capability": lambda value: value if _CAPABILITY.match(value) else "",
    "email": lambda value: value if validate_email(value) else "",
    "sequence": _alnum_filter(r"[^0-9,]"),
}


def clean_param(value: str, param_type: str) -> Cleaned:
    """clean_param for a string value (what arrives from a form)."""
    if param_type == "bool":
        lowered = value.lower()
        if lowered in ("on", "yes", "true"):
            return 1
        if lowered in ("off", "no", "false"):
            return 0
        return 0 if value in ("", "0") else 1
    if param_type == "float":
        try:
            return float(value)
        except ValueError:
            return 0.0
    cleaner = _CLEANERS.get(param_type, _CLEANERS["raw"])
    return cleaner(value)


class InvalidValue(ValueError):
    """A value that validate_param refuses."""


def _php_string(value: Cleaned) -> str:
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)


def validate_value(value: object, param_type: str, allownull: bool) -> Cleaned:
    """validate_param: the cleaned value, or InvalidValue if cleaning would change it."""
    if value is None:
        if allownull:
            return None
        raise InvalidValue(value)
    if param_type == "bool" and (isinstance(value, bool) or value in (0, 1, "0", "1")):
        return value in (True, 1, "1")
    if isinstance(value, bool):
        text = "1" if value else ""
    elif isinstance(value, int | float):
        if param_type == "int" and isinstance(value, int):
            return value
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise InvalidValue(value)
    if param_type == "int":
        if not _INT.match(text) or not -_INT64 <= int(text) < _INT64 or text == "-0":
            raise InvalidValue(value)
        return int(text)
    if param_type == "float":
        if not _FLOAT.match(text) or text in ("", ".", "+", "-"):
            raise InvalidValue(value)
        return float(text)
    cleaned = clean_param(text, param_type)
    if _php_string(cleaned) != text:
        raise InvalidValue(value)
    return cleaned
