"""Caseloads and working time as at a past moment (issue 12), on both databases: a change to
an IRO's working time and to a child's IRO after a period ended leaves that period's report
as it was, whether made on the pages' service functions or through the CSV imports; the
report as at now shows the change."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlmodel import Session, select

from council_data.people_import import import_children, import_people
from tests.reports.conftest import REPORT_AT, Scenario
from tests.reports.expected import CASELOAD_RATE
from workflow.migrate import alembic_config
from workflow.people_records import Allocation, allocate_child, set_working_time
from workflow.record_history import RECORDS_BEGAN, ChildIro, IroWorkingTime
from workflow.report_definitions import Period
from workflow.report_queries import SmtReport, drilldown, smt_report
from workflow.tables import Child

OCTOBER = Period.month(2026, 10)
OCTOBER_ENDED = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # midnight London (GMT)
CHANGED_AT = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def _report(sc: Scenario, as_at: datetime | None = None) -> SmtReport:
    rt = sc.runtime
    return smt_report(rt.engine, rt.ladders.current, OCTOBER, REPORT_AT, as_at)


def _figures(sc: Scenario) -> tuple[list[object], list[list[object]], list[str]]:
    """October's caseload rate (this and the previous period), the caseloads as at the end of
    October, and the children behind Imogen's caseload then."""
    rt, imogen = sc.runtime, sc.council.iro
    rate = _report(sc).table("rates").row(CASELOAD_RATE)[1:3]
    caseloads = _report(sc, OCTOBER_ENDED).table("caseloads").rows
    behind = drilldown(rt.engine, rt.ladders.current, OCTOBER, f"caseloads:{imogen}",
                       OCTOBER_ENDED, rebuilt=True)  # fmt: skip
    return rate, caseloads, behind


def _looked_after_from_2020(sc: Scenario) -> None:
    with Session(sc.runtime.engine) as s:
        for child in s.exec(select(Child)).all():
            child.legal_status, child.looked_after_from = "looked_after", date(2020, 1, 1)
            s.add(child)
        s.commit()


def _child(sc: Scenario, reference: str) -> Child:
    with Session(sc.runtime.engine) as s:
        return s.exec(select(Child).where(Child.case_reference == reference)).one()


def test_changes_through_the_service_functions_leave_a_past_period_as_it_was(
    scenario: Scenario,
) -> None:
    _looked_after_from_2020(scenario)
    before = _figures(scenario)
    # Imogen holds LL1001 and LL1002, Omar LL1003; both full time: 3 children, 2 posts.
    assert before[0][0] == 1.5  # (nothing was recorded before October: no previous period)
    assert before[1] == [["Imogen Reviewer", 2, 1.0, 2.0, "below"],
                         ["Omar Reviewer", 1, 1.0, 1.0, "below"]]  # fmt: skip
    assert before[2] == ["LL1001", "LL1002"]
    c, ll1001 = scenario.council, _child(scenario, "LL1001")
    with Session(scenario.runtime.engine) as s:
        set_working_time(s, c.iro, 0.5, c.head_of_service, CHANGED_AT)
        allocation = Allocation(ll1001.legal_status, ll1001.social_worker_id, c.other_iro,
                                ll1001.team_id, ll1001.looked_after_from)  # fmt: skip
        allocate_child(s, ll1001.id or 0, allocation, c.head_of_service, CHANGED_AT)
        s.commit()
    assert _figures(scenario) == before
    now = smt_report(scenario.runtime.engine, scenario.runtime.ladders.current,
                     Period.month(2026, 11), REPORT_AT).table("caseloads").rows  # fmt: skip
    assert now == [["Imogen Reviewer", 1, 0.5, 2.0, "below"],
                   ["Omar Reviewer", 2, 1.0, 2.0, "below"]]  # fmt: skip


def test_changes_through_the_csv_imports_leave_a_past_period_as_it_was(
    scenario: Scenario,
) -> None:
    """The imports stamp their changes with the time they run (after October ended)."""
    _looked_after_from_2020(scenario)
    before = _figures(scenario)
    assert datetime.now(UTC) > OCTOBER_ENDED
    with Session(scenario.runtime.engine) as s:
        people = import_people(s, "email,name,role,fte\niro@council.test,Imogen Reviewer,iro,0.5\n")
    assert people.ok, people.errors
    header = ("case_reference,display_name,legal_status,social_worker_email,iro_email,"
              "looked_after_from")  # fmt: skip
    with Session(scenario.runtime.engine) as s:
        children = import_children(s, f"{header}\nLL1001,Child LL1001,looked_after,"
                                      f"sw@council.test,iro2@council.test,2020-01-01\n")  # fmt: skip
    assert children.ok, children.errors
    assert _child(scenario, "LL1001").iro_id == scenario.council.other_iro
    assert _figures(scenario) == before


def test_the_migration_keeps_each_records_values_from_the_start(scenario: Scenario) -> None:
    """Migration 0018 gives every person and child one span from RECORDS_BEGAN with their
    values then; the figures stay as they were."""
    _looked_after_from_2020(scenario)
    before = _figures(scenario)
    engine, config = scenario.runtime.engine, alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0017_audit_event_facts")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    c = scenario.council
    with Session(engine) as s:
        spans = {w.person_id: w for w in s.exec(select(IroWorkingTime)).all()}
        iros = {i.child_id: i for i in s.exec(select(ChildIro)).all()}
    assert (spans[c.iro].active_iro, spans[c.iro].fte, spans[c.iro].effective_from,
            spans[c.iro].effective_to) == (True, 1.0, RECORDS_BEGAN, None)  # fmt: skip
    assert not spans[c.social_worker].active_iro
    assert iros[c.children["LL1001"]].iro_id == c.iro
    assert iros[c.children["LL1001"]].effective_from == RECORDS_BEGAN
    assert _figures(scenario) == before
