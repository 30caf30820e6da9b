"""The shared definitions: periods, percentiles, and the fast working-day count."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from escalation_rules.deadlines import DeadlineRules
from escalation_rules.loader import load_ladder_setting
from escalation_rules.model import DayOne, Ladder
from workflow.event_facts import WorkingDayNumbers
from workflow.report_definitions import FIGURES, Period, caseload_band, median, percentile
from workflow.report_queries import WorkingDays
from workflow.report_queries.slices import day_histogram as _day_histogram


def test_previous_period() -> None:
    assert Period.month(2026, 3).previous() == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert Period.quarter(2026, 1).previous() == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert Period.year(2026).previous() == Period.year(2025)
    # Chosen dates: the same number of days immediately before.
    week = Period(date(2026, 3, 3), date(2026, 3, 9))
    assert week.previous() == Period(date(2026, 2, 24), date(2026, 3, 2))
    # Midnight London: BST in summer, GMT in winter.
    assert Period.month(2026, 7).bounds()[0] == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert Period.month(2026, 12).bounds()[1] == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def test_median_and_nearest_rank_percentile() -> None:
    assert median([3, 5, 7, 7]) == 6.0 and median([3]) == 3.0 and median([]) is None
    assert percentile([3, 5, 7, 7], 0.9) == 7.0
    assert percentile(list(range(1, 11)), 0.9) == 9.0
    assert percentile([], 0.9) is None


def test_caseload_bands_follow_the_handbook() -> None:
    assert [caseload_band(n) for n in (49, 50, 70, 71)] == ["below", "within", "within", "above"]


def test_every_figure_is_defined_once() -> None:
    keys = [f.key for f in FIGURES]
    assert len(keys) == len(set(keys))
    assert all(len(f.definition) > 40 for f in FIGURES)


def test_fast_working_days_equal_working_days_elapsed() -> None:
    ladder = load_ladder_setting("handbook")
    rules, fast = DeadlineRules(ladder), WorkingDays(ladder)
    rng = random.Random(6)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    for _ in range(3000):
        a = start + timedelta(minutes=rng.randint(0, 60 * 24 * 500))
        b = a + timedelta(minutes=rng.randint(-60 * 24 * 3, 60 * 24 * 60))
        assert fast.between(a, b) == rules.working_days_elapsed(a, b), (a, b)
    # Christmas 2026: raised Wed 23 Dec 10:00, day 1 is Thu 24 Dec; Mon 4 Jan 2027 is day 5.
    raised = datetime(2026, 12, 23, 10, 0, tzinfo=UTC)
    assert fast.between(raised, datetime(2027, 1, 4, 12, 0, tzinfo=UTC)) == 5


def test_stored_working_day_numbers_count_as_working_days_elapsed(engine: Engine) -> None:
    """Working days as the report counts them (the later event's stored `working_day`
    minus the clock start's `day_zero`, subtracted and grouped in SQL) against
    `DeadlineRules.working_days_elapsed`, on both databases, across clock changes,
    weekends, bank holidays, late evenings and the small hours."""
    ladder = load_ladder_setting("handbook")
    rules = DeadlineRules(ladder)
    probe = sa.Table("wd_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("days", sa.Integer))  # fmt: skip
    probe.create(engine)
    try:
        _check_against_rules(engine, probe, ladder, rules)
    finally:  # the PostgreSQL test database is shared by the session: leave no table behind
        probe.drop(engine)


def _check_against_rules(
    engine: Engine, probe: sa.Table, ladder: Ladder, rules: DeadlineRules
) -> None:
    rng = random.Random(11)
    base = datetime(2026, 3, 20, tzinfo=UTC)  # spans the March and October clock changes
    pairs = {}
    for i in range(1, 401):
        started = base + timedelta(minutes=rng.randint(0, 60 * 24 * 250))
        if i % 4 == 0:  # around the cut-off and midnight, where mistakes hide
            started = started.replace(
                hour=rng.choice([15, 16, 17, 22, 23, 0]), minute=rng.choice([0, 59])
            )
        at = started + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
        pairs[i] = (started, at)
    numbers = WorkingDayNumbers(ladder)
    with engine.begin() as conn:
        conn.execute(probe.insert(), [
            {"id": i, "days": numbers.working_day(a) - numbers.day_zero(s)}
            for i, (s, a) in pairs.items()])  # fmt: skip
    inner = sa.select(probe).subquery()
    with engine.connect() as conn:
        rows = _day_histogram(conn, inner, (inner.c.id,))
    got = {key[0]: days for key, days, count in rows}
    assert len(got) == len(pairs)
    for i, (started, at) in pairs.items():
        assert got[i] == rules.working_days_elapsed(started, at), (started, at)


def test_working_day_numbers_at_every_edge_equal_working_days_elapsed() -> None:
    """Every pair of 200 moments at the edges of hours and half hours on both clock-change
    days, an ordinary summer day, the cut-off, Christmas and a one-off bank holiday, under
    both day-one settings: the stored numbers give exactly `working_days_elapsed`."""
    base = load_ladder_setting("handbook")
    days = (date(2026, 3, 29), date(2026, 10, 25), date(2026, 7, 1), date(2026, 12, 24),
            date(2026, 12, 29), date(2023, 5, 8), date(2023, 5, 5))  # fmt: skip
    moments = [datetime.combine(d, time(h), tzinfo=UTC) + timedelta(seconds=s)
               for d in days for h in (0, 16, 17, 22, 23) for s in (0, 59, 1799, 1800, 3599)]  # fmt: skip
    for day_one in (DayOne.NEXT_WORKING_DAY, DayOne.SAME_DAY):
        ladder = replace(base, day_one=day_one)
        rules, numbers = DeadlineRules(ladder), WorkingDayNumbers(ladder)
        for a in moments:
            for b in moments:
                expected = rules.working_days_elapsed(a, b)
                assert max(0, numbers.working_day(b) - numbers.day_zero(a)) == expected, (a, b)
