"""Unique Apogée codes of fixed widths (COD_ETP 6, COD_ELP 8, COD_LSE 8, COD_DIP 7).

Codes keep a readable stem (composante letter, discipline, level, nature) and fill the rest of
the width with a base-36 counter, widening the counter when a stem runs out.
"""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def base36(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 36)
        chars.append(DIGITS[rest])
    return "".join(reversed(chars))


class CodeAllocator:
    """Hands out codes never handed out before (per allocator)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.used: set[str] = set(taken or ())
        self._next: dict[tuple[str, str, int], int] = {}

    def exact_or_fresh(self, code: str, width: int, suffix: str = "") -> str:
        """`code + suffix` itself when free and within `width`, else a fresh one from it."""
        candidate = code[: width - len(suffix)] + suffix
        if candidate not in self.used:
            self.used.add(candidate)
            return candidate
        return self.fresh(code, width, suffix)

    def fresh(self, stem: str, width: int, suffix: str = "") -> str:
        """A new code `stem + counter + suffix` of exactly `width` characters."""
        stem = stem.upper()
        room = max(1, width - len(stem) - len(suffix))
        stem = stem[: width - len(suffix) - room]
        while room <= width - len(suffix):
            key = (stem, suffix, room)
            number = self._next.get(key, 1 if room >= 2 else 0)
            while number < 36**room:
                candidate = stem + base36(number, room) + suffix
                number += 1
                if candidate not in self.used:
                    self._next[key] = number
                    self.used.add(candidate)
                    return candidate
            self._next[key] = number
            room += 1
            stem = stem[:-1]
        raise ValueError(f"no code left for stem {stem!r} in {width} characters")
