"""Charts drawn on the server as SVG: no JavaScript, readable without a network."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

# Distinguishable for common colour blindness (Okabe-Ito), dark enough on white.
# Grey last, for an eighth series (the night has eight steps).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#7F7F7F",
)
LEGEND_ROW = 18
WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ not below `value` (a round top for the axis)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    if 0 < value < 1:
        return f"{value:.2g}"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def stacked_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    unit: str = "",
) -> str:
    """An SVG stacked bar chart: one bar per category, one coloured segment per series."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    top = nice_ceiling(max(totals, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(categories), 1)
    bar = max(min(slot * 0.7, 40.0), 2.0)
    legend = _legend(list(series))
    rows = 1 + max((y for _, y, _ in legend), default=0) // LEGEND_ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
        f'{HEIGHT + 6 + LEGEND_ROW * rows}" role="img" aria-label="{escape(title)}" '
        'class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    # Round steps: a top of 50 is cut in tens, a top of 20 in fives.
    steps = 4 if round(top / 10 ** math.floor(math.log10(top))) == 2 else 5
    for tick in range(steps + 1):
        value = top * tick / steps
        y = TOP + plot_h - plot_h * tick / steps
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value)}{escape(unit)}</text>"
        )
    label_every = max(1, math.ceil(len(categories) / 12))
    for index, category in enumerate(categories):
        x = LEFT + slot * index + (slot - bar) / 2
        y = TOP + plot_h
        for position, (name, values) in enumerate(series.items()):
            value = values[index]
            if value <= 0:
                continue
            height = plot_h * value / top
            y -= height
            colour = PALETTE[position % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{escape(category)} — {escape(name)}: '
                f"{_number(value)}{escape(unit)}</title></rect>"
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{escape(category)}</text>"
            )
    for position, (x, y, name) in enumerate(legend):
        colour = PALETTE[position % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{HEIGHT + 6 + y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{HEIGHT + 16 + y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: Sequence[str]) -> list[tuple[int, int, str]]:
    """(x, y offset, name) of each legend entry, wrapped onto further rows when wide."""
    placed = []
    x, y = LEFT, 0
    for name in names:
        width = 28 + 7 * len(name)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = LEFT, y + LEGEND_ROW
        placed.append((x, y, name))
        x += width
    return placed
