"""The years a run works on: the configuration's until the first rollover, then the state
database's (see `domain.years`)."""

from __future__ import annotations

from datetime import date

from ..config import Settings
from ..domain.years import FLAG, YearsState
from ..journal.store import Journal


def years_state(settings: Settings, journal: Journal, day: date) -> YearsState:
    stored = journal.flag(FLAG)
    if isinstance(stored, dict) and stored.get("years"):
        return YearsState.from_json(stored)
    return YearsState.from_configuration(settings.apogee.effective_years(day))


def settings_for_day(settings: Settings, journal: Journal, day: date) -> Settings:
    """`settings` with `[apogee] years` set to the years open on `day` (every step reads the
    years from there)."""
    state = years_state(settings, journal, day)
    if not state.stored:
        return settings
    years = state.open_on(day)
    if not years:
        return settings
    apogee = settings.apogee.model_copy(update={"years": years})
    return settings.model_copy(update={"apogee": apogee})
