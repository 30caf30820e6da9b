"""The page filters the log calls twice a row: dates in London's calendar, states in words."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.templating import long_date, state_label
from workflow.states import State


def test_a_day_is_londons_day_in_words() -> None:
    assert long_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2026"  # BST
    assert long_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "31 December 2026"  # GMT
    assert long_date(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == "29 March 2026"
    assert long_date(date(2027, 1, 4)) == "4 January 2027"
    assert long_date(None) == ""
    # Kept day by day, never by instant: later the same London day reads the same.
    assert long_date(datetime(2026, 6, 30, 22, 59, tzinfo=UTC)) == "30 June 2026"


def test_every_state_in_words_and_anything_else_as_it_is() -> None:
    assert all(state_label(s.value) == s.label for s in State)
    assert state_label(State.CLOSED) == State.CLOSED.label
    assert state_label("archived") == "archived"
