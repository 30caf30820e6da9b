"""The report and footprint pages in Chromium, with axe-core on each (no violations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journey import Visit
from tests.reports.conftest import Scenario
from tests.web.conftest import PASSWORD
from workflow.report_definitions import FIGURES


def _sign_in(browser: Any, base: str, email: str, errors: list[str]) -> Any:
    page = browser.new_context().new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return page


def test_report_and_footprint_pages_pass_axe(
    scenario: Scenario,
    server: str,
    chromium: Any,
    people: Any,
) -> None:
    visit = Visit(Path(ARTIFACTS) / "reports")
    errors: list[str] = []
    page = _sign_in(chromium, server, "smt@council.test", errors)
    page.goto(f"{server}/reports?from=2026-11-01&to=2026-11-30")
    shown = page.locator("table[data-figure]")
    assert [shown.nth(i).get_attribute("data-figure") for i in range(shown.count())] == [
        figure.key for figure in FIGURES
    ]
    visit.check(page, "smt-report")
    page.click('a[href^="/reports/drilldown?cell=by_theme%3Ahealth_assessments"]')
    assert page.locator("[data-drilldown] tbody tr").count() == 2
    visit.check(page, "drilldown")
    omar = _sign_in(chromium, server, "iro2@council.test", errors)
    omar.goto(f"{server}/children/LL1003/footprint")
    assert omar.locator("table[data-footprint] tbody tr").count() == 10
    visit.check(omar, "footprint")
    omar.get_by_role("button", name="Record activity").click()
    omar.wait_for_selector(".govuk-error-summary")
    visit.check(omar, "footprint-errors")
    assert visit.problems == []
    # No CSP refusal (the charts carry no inline styles); only the form's own 422 answer.
    assert errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
