"""Open and stuck as at any moment, rebuilt from the event log (the hand-built month)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session, select

from tests.reports.conftest import NOVEMBER, REPORT_AT, Scenario, at
from workflow.report_definitions import OPEN_STATE_VALUES
from workflow.report_queries import drilldown, smt_report, stuck
from workflow.report_queries.stuck import open_at
from workflow.tables import ChallengeRecord


def _stuck_rows(scenario: Scenario, moment: datetime) -> dict[str, tuple[str, object, str]]:
    rt = scenario.runtime
    report = smt_report(rt.engine, rt.ladders.current, NOVEMBER, moment)
    letter = {ref: name for name, ref in scenario.refs.items()}
    return {letter[str(r[0])]: (str(r[5]), r[6], str(r[7])) for r in report.table("stuck").rows}


def test_as_at_tuesday_10_november_before_nine_the_log_says_what_was_stuck(
    scenario: Scenario,
) -> None:
    """At 09:00 on Tue 10 Nov: A was past its agreed date (Mon 9 Nov), B's response committed
    to Mon 9 Nov and waited for the IRO, I had timed out at 08:00 and waited for the IRO's
    decision (the sweep had moved it on: it is still stuck), G was past Fri 6 Nov; H paused."""
    moment = at(11, 10, 9)
    rows = _stuck_rows(scenario, moment)
    assert rows == {
        "A": ("2026-11-09", 1, "Stage out of time"),
        "B": ("2026-11-09", 1, "Response target date passed"),
        "I": ("2026-11-09", 1, "Stage out of time"),
        "G": ("2026-11-06", 2, "Stage out of time"),
    }
    rt = scenario.runtime
    report = smt_report(rt.engine, rt.ladders.current, NOVEMBER, moment)
    table = report.table("open_now")
    # The period has not ended at that moment: both columns are as at 09:00.
    assert table.row("Total open") == ["Total open", 5, 5]
    assert table.row("Awaiting IRO decision")[1:] == [1, 1]
    assert table.row("Response received")[1:] == [1, 1]
    assert table.row("Stuck (any reason)")[1:] == [4, 4]
    assert table.row("Response target date passed")[1:] == [1, 1]
    refs = scenario.refs
    got = drilldown(rt.engine, rt.ladders.current, NOVEMBER, "open_now:awaiting_iro_decision",
                    moment)  # fmt: skip
    assert got == [refs["I"]]


def test_past_the_cap_when_the_last_stage_is_long_out_of_time(scenario: Scenario) -> None:
    """C went formal Mon 16 Nov (day 1 Tue 17): its 20 working days end Mon 14 Dec 17:00."""
    rows = _stuck_rows(scenario, at(12, 15, 10))
    assert rows["C"] == ("2026-12-01", 10, "Stage out of time; Past the overall cap")
    assert rows["G"][2] == "Stage out of time"


def test_the_log_rebuilds_what_the_challenge_table_says_now(scenario: Scenario) -> None:
    rt = scenario.runtime
    with rt.engine.connect() as conn:
        snaps = {s.reference: s for s in open_at(conn, REPORT_AT)}
    with Session(rt.engine) as session:
        rows = session.exec(select(ChallengeRecord)).all()
    open_rows = {r.reference: r for r in rows if r.state in OPEN_STATE_VALUES}
    assert set(snaps) == set(open_rows)
    for ref, row in open_rows.items():
        f = snaps[ref].fields
        assert (f["state"].value, f["stage_key"], f["due_at"], f["cap_due_at"]) == (
            row.state,
            row.stage_key,
            row.due_at,
            row.cap_due_at,
        ), ref


def test_the_log_is_read_in_chunks_of_ids_without_losing_or_mixing_any(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of two ids (the report reads 1,000 at a time): every challenge's events are
    replayed whole, whichever chunk it falls in."""
    rt = scenario.runtime
    with rt.engine.connect() as conn:
        whole = open_at(conn, REPORT_AT)
        monkeypatch.setattr(stuck, "CHUNK", 2)
        chunked = open_at(conn, REPORT_AT)
    assert len(whole) > 2
    assert [(s.reference, s.fields, s.target_date, s.team) for s in chunked] == [
        (s.reference, s.fields, s.target_date, s.team) for s in whole
    ]


def test_a_quarter_report_run_later_gives_the_figures_of_the_quarter_end(
    scenario: Scenario,
) -> None:
    """Run as at the period's end, and again much later: the period-end column agrees."""
    rt = scenario.runtime
    ladder = rt.ladders.current
    at_end = smt_report(rt.engine, ladder, NOVEMBER, NOVEMBER.bounds()[1])
    later = smt_report(rt.engine, ladder, NOVEMBER, at(12, 15, 10))
    end_column = [r[1] for r in at_end.table("open_now").rows]
    assert end_column == [r[1] for r in later.table("open_now").rows]
    assert [r[2] for r in at_end.table("open_now").rows] == end_column
