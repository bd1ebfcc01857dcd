"""The managed years and the rollover, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from jonction.domain.years import RolloverRefused, YearsState, close, closed_years, rollover


def test_configuration_years_until_the_first_rollover() -> None:
    state = YearsState.from_configuration(["2026"])
    assert not state.stored
    assert state.open_on(date(2027, 3, 1)) == ["2026"]
    assert state.closed_on(date(2027, 3, 1)) == {}


def test_rollover_opens_the_year_and_keeps_the_previous_one_for_the_overlap() -> None:
    state = rollover(YearsState.from_configuration(["2026"]), "2027", date(2027, 7, 1), 60)
    assert state.stored
    assert state.open_on(date(2027, 7, 1)) == ["2026", "2027"]
    assert state.open_on(date(2027, 8, 30)) == ["2026", "2027"]  # last day of the overlap
    assert state.open_on(date(2027, 8, 31)) == ["2027"]
    assert state.closed_on(date(2027, 8, 31)) == {"2026": "2027-08-31"}
    assert YearsState.from_json(state.to_json()) == state


def test_rollover_refusals() -> None:
    state = rollover(YearsState.from_configuration(["2026"]), "2027", date(2027, 7, 1), 10)
    with pytest.raises(RolloverRefused, match="already managed"):
        rollover(state, "2027", date(2027, 7, 2), 10)
    with pytest.raises(RolloverRefused, match="not after"):
        rollover(YearsState.from_configuration(["2026"]), "2025", date(2027, 7, 2), 10)
    with pytest.raises(RolloverRefused, match="four digits"):
        rollover(state, "27", date(2027, 7, 2), 10)


def test_close_ends_the_overlap_now_but_never_the_last_year() -> None:
    state = rollover(YearsState.from_configuration(["2026"]), "2027", date(2027, 7, 1), 60)
    closed = close(state, "2026", date(2027, 7, 10))
    assert closed.open_on(date(2027, 7, 10)) == ["2027"]
    assert closed.closed_on(date(2027, 7, 10)) == {"2026": "2027-07-10"}
    with pytest.raises(RolloverRefused, match="only open year"):
        close(closed, "2027", date(2027, 7, 10))


def test_years_left_out_of_the_configuration_count_as_closed() -> None:
    state = YearsState.from_configuration(["2027"])
    assert closed_years(state, date(2027, 9, 1), ["2025", "2026", "2027", ""]) == {
        "2025": None,
        "2026": None,
    }
