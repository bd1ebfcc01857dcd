"""Moodle's text helpers: strip_tags, format_string, format_text, htmlspecialchars."""

from __future__ import annotations

import re

_BARE_AMPERSAND = re.compile(r"&(?![a-zA-Z0-9#]{1,8};)")


def strip_tags(text: str) -> str:
    """PHP's strip_tags: drops `<…>` runs; a `<` followed by whitespace is kept."""
    if "<" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "<" and (i + 1 == n or not text[i + 1].isspace()):
            j, quote = i + 1, ""
            while j < n:
                current = text[j]
                if quote:
                    if current == quote:
                        quote = ""
                elif current in "\"'":
                    quote = current
                elif current == ">":
                    break
                j += 1
            i = j + 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def format_string(text: str | None) -> str:
    """What external_format_string returns for a name: bare `&` escaped, tags stripped."""
    if not text:
        return "" if text is None else text
    escaped = _BARE_AMPERSAND.sub("&amp;", text)
    if "<" in escaped or ">" in escaped:
        escaped = strip_tags(escaped).replace("<", "&lt;").replace(">", "&gt;")
    return escaped


def htmlspecialchars(text: str) -> str:
    """PHP's htmlspecialchars with ENT_COMPAT: &, <, > and double quotes."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN = 0, 1, 2, 4


def format_text(text: str | None, text_format: int) -> tuple[str, int]:
    """What external_format_text returns: HTML with bare `&` escaped, and FORMAT_HTML."""
    if not text:
        return "", FORMAT_HTML
    if text_format == FORMAT_PLAIN:
        return htmlspecialchars(text).replace("\n", "<br />"), FORMAT_HTML
    return _BARE_AMPERSAND.sub("&amp;", text), FORMAT_HTML
