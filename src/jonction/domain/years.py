"""The academic years jonction manages, and the year rollover (pure).

Until the first `jonction rollover`, the years are those of the configuration (`[apogee]
years`, or the current academic year). `jonction rollover YEAR` writes the years into the
state database: YEAR opens at once, and the years open before it stay open for the overlap
(`[obsolescence] rollover_overlap_days`), then close. A year open is refreshed in REFER, has
its categories, courses, cohorts and enrolments kept; a closed year's objects are left to the
obsolescence policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

FLAG = "years"


class RolloverRefused(Exception):
    """The rollover asked for cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class YearSpan:
    opened: str | None = None  # ISO day jonction started managing it (None: before records)
    closes: str | None = None  # last ISO day it is open (None: open until a rollover)


@dataclass(frozen=True, slots=True)
class YearsState:
    years: Mapping[str, YearSpan] = field(default_factory=dict)
    stored: bool = False  # written by a rollover (else derived from the configuration)

    @classmethod
    def from_configuration(cls, years: Iterable[str]) -> YearsState:
        return cls({year: YearSpan() for year in years})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> YearsState:
        spans = data.get("years", {})
        return cls(
            {
                str(year): YearSpan(span.get("opened"), span.get("closes"))
                for year, span in spans.items()
            },
            stored=True,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "years": {
                year: {"opened": span.opened, "closes": span.closes}
                for year, span in sorted(self.years.items())
            }
        }

    def open_on(self, day: date) -> list[str]:
        """The years open on `day`, oldest first."""
        iso = day.isoformat()
        return sorted(
            year
            for year, span in self.years.items()
            if (span.opened is None or span.opened <= iso)
            and (span.closes is None or iso <= span.closes)
        )

    def closed_on(self, day: date) -> dict[str, str | None]:
        """The years closed on `day`, with the first day they were closed (None: unknown)."""
        iso = day.isoformat()
        closed: dict[str, str | None] = {}
        for year, span in sorted(self.years.items()):
            if span.closes is not None and span.closes < iso:
                closed[year] = (date.fromisoformat(span.closes) + timedelta(days=1)).isoformat()
        return closed


def closed_years(
    state: YearsState, day: date, managed_years: Iterable[str]
) -> dict[str, str | None]:
    """Years jonction holds objects of that are closed on `day`: those the state closed, and
    those older than every open year (left out of the configuration), close day unknown."""
    closed = state.closed_on(day)
    open_years = state.open_on(day)
    oldest = min(open_years) if open_years else None
    for year in managed_years:
        if year and year not in closed and oldest is not None and year < oldest:
            closed[year] = None
    return closed


def rollover(state: YearsState, year: str, day: date, overlap_days: int) -> YearsState:
    """Opens `year` on `day`; the years open now stay open `overlap_days` more days."""
    if not (len(year) == 4 and year.isdigit()):
        raise RolloverRefused(f"a year is written with four digits, like 2027 (got {year!r})")
    open_now = state.open_on(day)
    if year in state.years:
        raise RolloverRefused(f"{year} is already managed (jonction rollover --status)")
    if open_now and year <= max(open_now):
        raise RolloverRefused(
            f"{year} is not after the years open now ({', '.join(open_now)}): a rollover "
            "opens the next year"
        )
    last_day = (day + timedelta(days=overlap_days)).isoformat()
    years = dict(state.years)
    for old in open_now:
        span = years[old]
        closes = span.closes if span.closes is not None and span.closes < last_day else last_day
        years[old] = YearSpan(span.opened, closes)
    years[year] = YearSpan(day.isoformat(), None)
    return YearsState(years, stored=True)


def close(state: YearsState, year: str, day: date) -> YearsState:
    """Closes `year` now (its last open day is the day before `day`): ends an overlap early."""
    open_now = state.open_on(day)
    if year not in open_now:
        raise RolloverRefused(f"{year} is not open")
    if len(open_now) == 1:
        raise RolloverRefused(f"{year} is the only open year: open the next one first")
    years = dict(state.years)
    years[year] = YearSpan(years[year].opened, (day - timedelta(days=1)).isoformat())
    return YearsState(years, stored=True)
