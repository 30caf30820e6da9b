"""The drill-downs behind the caseloads and contacts figures list children: SMT readers see
reports only (the page numbers the rows, the API says how many, not which), and each child
shown to someone who may open it is written to the access log, on both databases."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from api.tables import AccessLogEntry
from tests.reports.conftest import NOVEMBER, REPORT_AT, Scenario
from tests.web.conftest import Browser, People
from workflow.report_queries import drilldown

NOV = "from=2026-11-01&to=2026-11-30"


def _children_behind(sc: Scenario) -> tuple[str, list[str]]:
    cell = f"caseloads:{sc.council.iro}"
    rt = sc.runtime
    refs = drilldown(rt.engine, rt.ladders.current, NOVEMBER, cell, REPORT_AT, rebuilt=False)
    assert refs, "the IRO has looked-after children to show"
    return cell, refs


def _child_views(sc: Scenario, person_id: int) -> list[tuple[str, str]]:
    with Session(sc.runtime.engine) as s:
        rows = s.exec(select(AccessLogEntry).where(AccessLogEntry.person_id == person_id,
                                                   AccessLogEntry.child_id.is_not(None))).all()  # type: ignore[union-attr]  # fmt: skip
    return sorted((e.via, e.what) for e in rows)


def test_the_page_names_and_logs_each_child_only_for_those_who_may_open_them(
    scenario: Scenario, people: People, login: Callable[[str], Browser]
) -> None:
    cell, refs = _children_behind(scenario)
    url = f"/reports/drilldown?cell={cell}&{NOV}"
    smt = login("smt@council.test").get(url)
    assert smt.status_code == 200 and 'data-testid="anonymised"' in smt.text
    assert not any(ref in smt.text for ref in refs)
    assert _child_views(scenario, people.smt_reader) == []
    head = login("hos@council.test").get(url)
    assert head.status_code == 200
    assert sorted(re.findall(r'href="/children/([^"/]+)/footprint"', head.text)) == sorted(refs)
    assert _child_views(scenario, scenario.council.head_of_service) == sorted(
        ("page", f"child {ref} (report drill-down {cell})") for ref in refs
    )


def test_the_api_tells_smt_readers_how_many_children_and_logs_each_child_it_names(
    scenario: Scenario, people: People, anonymous: Any, token_for: Callable[[int], dict[str, str]]
) -> None:
    cell, refs = _children_behind(scenario)
    url = f"/api/v1/reports/smt/drilldown?cell={cell}&{NOV}"
    smt = anonymous.get(url, headers=token_for(people.smt_reader)).json()
    assert smt["references"] == [] and smt["count"] == len(refs)
    assert smt["children_not_named"] is True
    assert _child_views(scenario, people.smt_reader) == []
    hos = scenario.council.head_of_service
    head = anonymous.get(url, headers=token_for(hos)).json()
    assert head["references"] == refs
    assert _child_views(scenario, hos) == sorted(
        ("api", f"child {ref} (report drill-down {cell})") for ref in refs
    )
