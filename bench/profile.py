"""Hot spots from py-spy's raw output (one collapsed stack a line, then its sample count)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

# "function (path/to/file.py:123)"
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
# Frames of our own code, as opposed to libraries and the interpreter.
OWN = ("jonction/", "moodlesim/")


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"


def summarise(raw: Path, top: int = 20) -> dict[str, Any]:
    """Total samples (every thread); per function of ours, the share of samples where it is
    the innermost of our frames (its own time and that of the libraries it calls) and where it
    is anywhere on the stack; per function of any code, where it is at the top (self)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    deepest_own: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_name(frame) for frame in stack.split(";") if frame]
        if not frames:
            continue
        leaf[frames[-1]] += count
        # The innermost function of our own: where our code spends, libraries it calls included.
        mine = [name for name in frames if any(marker in name for marker in OWN)]
        if mine:
            deepest_own[mine[-1]] += count
        for name in set(frames):
            inclusive[name] += count
            if any(marker in name for marker in OWN):
                own[name] += count

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "samples": n, "share": round(n / total, 3) if total else 0.0}
            for name, n in counter.most_common(top)
        ]

    return {
        "file": str(raw),
        "samples": total,
        "own_innermost": share(deepest_own),
        "own_inclusive": share(own),
        "self": share(leaf),
    }
