"""The report and footprint pages, the JSON API, who may see them, and the monthly email."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from api.reports.monthly import queue_monthly_report
from api.reports.tables import shown
from api.tables import AccessLogEntry
from tests.reports.conftest import Scenario
from tests.reports.expected import FIXED, expected_tables
from tests.web.conftest import Browser, People, error_links

NOV = "from=2026-11-01&to=2026-11-30"
# Figures about the period only: "open now" and the overdue list depend on today's date.
PERIODIC = {k: v for k, v in FIXED.items() if k != "open_now"}


class _Tables(HTMLParser):
    """The rows of every <table data-figure=...> as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._key: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        figure = a.get("data-figure")
        if tag == "table" and figure:
            self._key = figure
            self.tables[figure] = []
        elif tag == "tbody" and self._key:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._key:
            self.tables[self._key].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def test_report_page_shows_every_figure_with_charts_and_drilldowns(
    scenario: Scenario, login: Callable[[str], Browser]
) -> None:
    page = login("smt@council.test").get(f"/reports?{NOV}")
    assert page.status_code == 200
    tables = _page_tables(page.text)
    for key, rows in PERIODIC.items():
        assert tables[key] == [[shown(c) for c in row] for row in rows], key
    assert page.text.count('role="img"') >= 10 and "<svg" in page.text
    link = re.search(r'href="(/reports/drilldown\?cell=by_theme%3Ahealth_assessments[^"]*)"',
                     page.text)  # fmt: skip
    assert link is not None
    drill = login("smt@council.test").get(link.group(1).replace("&amp;", "&"))
    # SMT readers may not open challenges: the rows are listed, nothing links to a 404.
    assert 'href="/challenges/' not in drill.text and 'data-testid="anonymised"' in drill.text
    refs = re.findall(r'<td class="govuk-table__cell">(IRO-[^<]+)</td>', drill.text)
    assert refs == sorted(scenario.refs[x] for x in "AF")
    head = login("hos@council.test").get(link.group(1).replace("&amp;", "&"))
    assert re.findall(r'href="/challenges/([^"]+)"', head.text) == refs
    for ref in refs:
        assert login("hos@council.test").get(f"/challenges/{ref}").status_code == 200
    for fmt, marker in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b"Figure"), ("json", b"{")):
        export = login("smt@council.test").get(f"/reports/smt.{fmt}?{NOV}")
        assert export.status_code == 200 and export.content.startswith(marker), fmt


def test_who_may_see_reports(scenario: Scenario, login: Callable[[str], Browser]) -> None:
    for email in ("smt@council.test", "hos@council.test", "ad@council.test", "admin@council.test"):
        assert login(email).get(f"/reports?{NOV}").status_code == 200, email
    for email in ("iro@council.test", "sw@council.test", "tm@council.test"):
        assert login(email).get(f"/reports?{NOV}").status_code == 403, email
        assert login(email).get(f"/reports/smt.csv?{NOV}").status_code == 403, email


def test_footprint_page_and_who_may_see_it(
    scenario: Scenario, login: Callable[[str], Browser]
) -> None:
    omar = login("iro2@council.test")
    page = omar.get("/children/LL1003/footprint")
    assert page.status_code == 200
    assert page.text.count(f"/challenges/{scenario.refs['I']}") == 4
    assert "Record activity between reviews" in page.text
    assert omar.get("/children/LL1001/footprint").status_code == 403
    sam = login("sw@council.test").get("/children/LL1001/footprint")
    assert sam.status_code == 200 and "Record activity between reviews" not in sam.text
    assert login("smt@council.test").get("/children/LL1001/footprint").status_code == 403
    assert login("hos@council.test").get("/children/LL1003/footprint.csv").status_code == 200
    pdf = omar.get("/children/LL1003/footprint.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_recording_activity_on_the_page(
    scenario: Scenario, login: Callable[[str], Browser]
) -> None:
    omar = login("iro2@council.test")
    today = datetime.now(UTC).date()
    bad = omar.post("/children/LL1003/activity", data={
        "kind": "", "occurred_on-day": "1", "occurred_on-month": "1",
        "occurred_on-year": str(today.year + 1), "note": ""})  # fmt: skip
    assert bad.status_code == 422
    assert dict(error_links(bad.text)) == {
        "kind": "Select what the activity was",
        "note": "Enter a note of what happened",
    }
    future = omar.post("/children/LL1003/activity", data={
        "kind": "visit", "occurred_on-day": "1", "occurred_on-month": "1",
        "occurred_on-year": str(today.year + 1), "note": "Planned"})  # fmt: skip
    assert future.status_code == 422
    assert [h for h, _ in error_links(future.text)] == ["occurred_on-day"]
    done = omar.post("/children/LL1003/activity", data={
        "kind": "phone_call", "occurred_on-day": str(today.day),
        "occurred_on-month": str(today.month), "occurred_on-year": str(today.year),
        "note": "Talked about school"}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    page = omar.get("/children/LL1003/footprint")
    assert "Talked about school" in page.text and "Phone call with the child" in page.text
    imogen = login("iro@council.test")
    refused = imogen.post("/children/LL1003/activity", data={
        "kind": "visit", "occurred_on-day": str(today.day), "occurred_on-month": str(today.month),
        "occurred_on-year": str(today.year), "note": "x"})  # fmt: skip
    assert refused.status_code == 403


def test_json_api(
    scenario: Scenario, people: People, anonymous: Any, token_for: Callable[[int], dict[str, str]]
) -> None:
    smt = token_for(people.smt_reader)
    data = anonymous.get(f"/api/v1/reports/smt?{NOV}", headers=smt).json()
    got = {t["key"]: [r["cells"] for r in t["rows"]] for t in data["tables"]}
    for key, rows in PERIODIC.items():
        assert got[key] == rows, key
    assert got["impact"] == expected_tables(scenario.refs)["impact"]
    drill = anonymous.get(f"/api/v1/reports/smt/drilldown?cell=outcomes:withdrawn&{NOV}",
                          headers=smt).json()  # fmt: skip
    assert drill["references"] == [scenario.refs["D"]]
    iro = token_for(scenario.council.iro)
    assert anonymous.get(f"/api/v1/reports/smt?{NOV}", headers=iro).status_code == 403
    bad = anonymous.get("/api/v1/reports/smt?from=2026-11-31&to=2026-12-01", headers=smt)
    assert bad.status_code == 400 and "'from' must be a date" in bad.json()["detail"]
    omar = token_for(scenario.council.other_iro)
    fp = anonymous.get("/api/v1/children/LL1003/footprint", headers=omar).json()
    assert [e["what"] for e in fp["entries"]][:2] == ["Challenge raised", "Informal discussion"]
    with Session(scenario.runtime.engine) as s:  # the API's view is on the access log too
        seen = s.exec(
            select(AccessLogEntry).where(AccessLogEntry.person_id == scenario.council.other_iro)
        ).all()
    assert [(e.via, e.what) for e in seen] == [("api", "footprint of child LL1003")]
    assert anonymous.get("/api/v1/children/LL1001/footprint", headers=omar).status_code == 403
    body = {"kind": "video_call", "occurred_on": "2026-11-20", "note": "Checked in"}
    made = anonymous.post("/api/v1/children/LL1003/activities", json=body, headers=omar)
    assert made.status_code == 201 and made.json()["kind"] == "video_call"
    assert anonymous.post("/api/v1/children/LL1003/activities", json=body,
                          headers=iro).status_code == 403  # fmt: skip


def test_monthly_email_to_smt_readers(scenario: Scenario, people: People) -> None:
    rt = scenario.runtime
    now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert queue_monthly_report(rt, now) == 1
    assert queue_monthly_report(rt, now) == 0  # once per reader per month
    with rt.engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT id, to_address, subject, body_text, kind FROM mail_outbox"
            " WHERE kind = 'smt_report'")).one()  # fmt: skip
        files = conn.execute(sa.text(
            "SELECT outbox_id, filename, media_type FROM mail_outbox_attachment")).all()  # fmt: skip
    assert row.to_address == "smt@council.test" and row.kind == "smt_report"
    assert row.subject == "IRO challenge report to SMT: November 2026"
    assert "IROs raised 6 challenges (3 in the previous period" in row.body_text
    assert "/reports?from=2026-11-01&to=2026-11-30" in row.body_text
    assert [tuple(f) for f in files] == [
        (row.id, "IRO-challenge-report-SMT-2026-11.pdf", "application/pdf")
    ]


def test_the_worker_discovers_the_monthly_job() -> None:
    from api.jobs import JobRegistry, discover

    spec = discover(JobRegistry()).jobs["smt-monthly-report"]
    # A frequent check of "due and not yet sent", not a cron job (cron skips missed runs).
    assert (spec.trigger, spec.options, spec.run_at_start) == ("interval", {"seconds": 900}, True)


def test_a_footprint_links_only_the_challenges_its_viewer_may_open(
    scenario: Scenario, login: Callable[[str], Browser]
) -> None:
    """The child's social worker reads the whole footprint, but some of its challenges were
    addressed to others: those are named, not linked to a 'Page not found'."""
    from sqlmodel import Session, select

    from api.auth import set_password
    from tests.web.conftest import PASSWORD
    from workflow.tables import Person

    with Session(scenario.runtime.engine) as s:
        sue_id = s.exec(select(Person.id).where(Person.email == "sue@council.test")).one()
        set_password(s, sue_id, PASSWORD)
        s.commit()
    sue = login("sue@council.test")
    page = sue.get("/children/LL1003/footprint")
    assert page.status_code == 200
    linked = set(re.findall(r'href="/challenges/([^"]+)"', page.text))
    named = set(re.findall(r'<td class="govuk-table__cell">(IRO-[^<]+)</td>', page.text))
    assert named, "expected a challenge Sue may not open"
    for ref in linked:
        assert sue.get(f"/challenges/{ref}").status_code == 200, ref
    for ref in named:
        assert sue.get(f"/challenges/{ref}").status_code == 404, ref
    assert "No allocated social worker" not in page.text
