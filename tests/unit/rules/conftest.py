from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from escalation_rules import DeadlineRules, Ladder, WorkingCalendar, load_ladder_setting

LONDON = ZoneInfo("Europe/London")


def london(text: str) -> datetime:
    """An aware London datetime from "2026-12-23T10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture(scope="session")
def handbook() -> Ladder:
    return load_ladder_setting("handbook")


@pytest.fixture(scope="session")
def rules(handbook: Ladder) -> DeadlineRules:
    return DeadlineRules(handbook)
