"""Every page each role can reach, crawled in Chromium from their home page: exactly one
h1, no duplicate ids (charts included), every input labelled, no axe violation, and no
link the viewer cannot open. Screenshots go to test-artifacts/browser/roles/<role>/."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from api.app import create_app
from api.wiring import build
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journey import Visit, _watch_console
from tests.conftest import database
from tests.factories import Council, build_council, new_challenge
from tests.serving import serve
from tests.web.conftest import PASSWORD, add_people, web_settings
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROLES = ("iro", "sw", "tm", "hos", "ad", "admin", "smt")
MAX_PAGES = 30
# Downloads and machine formats are not pages; signing out ends the crawl.
SKIP_SUFFIXES = (".csv", ".pdf", ".xlsx", ".json", ".txt")
SKIP_PREFIXES = ("/sign-out", "/api/", "/docs", "/openapi.json", "/static/", "/assets/")

PAGE_FACTS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  const fields = [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && e.type !== 'submit');
  const unlabelled = fields.filter(e => !(e.labels && e.labels.length) &&
    !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map(e => e.name || e.id);
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  return {h1: document.querySelectorAll('h1').length, dupes, unlabelled, links,
          wide: document.documentElement.scrollWidth > window.innerWidth};
}"""


@dataclass(frozen=True)
class Site:
    base: str
    challenges: list[str]


def _challenges(runtime: Runtime, council: Council) -> list[str]:
    """One at the social worker (answered, then escalated to the team manager), one waiting
    at the team manager, one withdrawn: each role has something to open."""
    at = datetime.now(UTC) - timedelta(days=3)
    refs = []
    with runtime.uow() as uow:
        for stage in ("social_worker", "team_manager", "social_worker"):
            refs.append(
                raise_challenge(uow, new_challenge(at, stage=stage), council.iro, at).reference
            )
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        take_action(
            uow,
            refs[0],
            "respond",
            council.social_worker,
            {"response": "Booked", "actions": "Visit", "target_date": "2031-01-01"},
            now,
        )
        take_action(uow, refs[0], "reject", council.iro, {"reason": "Not soon enough"}, now)
        take_action(uow, refs[2], "withdraw", council.iro, {"reason": "Put right at review"}, now)
    return refs  # fmt: skip


# The pages only read, so one site a database serves every role's crawl (and the reflow
# check) from one server and one browser. xdist's default `--dist load` deals this
# module's tests out in turn, so each worker builds each site once and the crawls run on
# both. (`--dist loadgroup` would put a database's crawls on one worker, but with pytest
# 9.2 it silently stops grouping: pytest-dev/pytest-xdist#1386.)
@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("every-page")
    with database(request.param, folder, sqlite_template, request) as engine:
        runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)
        council = add_people(runtime, build_council(engine)).council
        refs = _challenges(runtime, council)
        with serve(create_app(runtime, web_settings(folder))) as base:
            yield Site(base, refs)


def _sign_in(browser: Any, base: str, email: str, console: list[str]) -> Any:
    page = browser.new_context().new_page()
    _watch_console(page, console)
    page.goto(f"{base}/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/sign-in" not in page.url, email
    return page


def _local(base: str, page_url: str, href: str) -> str | None:
    url = urljoin(page_url, href)
    parts = urlsplit(url)
    if not url.startswith(base) or href.startswith("#"):
        return None
    path = parts.path
    if path.endswith(SKIP_SUFFIXES) or path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _crawl(page: Any, base: str, visit: Visit, role: str) -> tuple[int, list[str]]:
    problems: list[str] = []
    # Every link's status is checked; each path is visited once (not each query string).
    queue, seen, checked_links = deque(["/"]), {"/"}, {}
    count = 0
    while queue and count < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(base + path)
        if response is None or response.status >= 400:
            problems.append(f"{role} {path}: status {response.status if response else None}")
            continue
        count += 1
        visit.check(page, f"{role}{path.replace('/', '-').split('?')[0] or '-home'}")
        facts = page.evaluate(PAGE_FACTS)
        if facts["h1"] != 1:
            problems.append(f"{role} {path}: {facts['h1']} h1 elements")
        if facts["dupes"]:
            problems.append(f"{role} {path}: duplicate ids {sorted(set(facts['dupes']))[:5]}")
        if facts["unlabelled"]:
            problems.append(f"{role} {path}: unlabelled fields {facts['unlabelled']}")
        for href in facts["links"]:
            target = _local(base, page.url, href)
            if target is None:
                continue
            if target not in checked_links:
                checked_links[target] = page.request.get(base + target).status
            if checked_links[target] >= 400:
                problems.append(f"{role} {path}: links to {target} ({checked_links[target]})")
            elif target.split("?")[0] not in seen and "/actions/" not in target:
                seen.add(target.split("?")[0])
                queue.append(target)
    return count, problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(site: Site, chromium: Any, role: str) -> None:
    visit = Visit(ARTIFACTS / "roles" / role)
    console: list[str] = []
    page = _sign_in(chromium, site.base, f"{role}@council.test", console)
    count, problems = _crawl(page, site.base, visit, role)
    assert count >= 2, f"{role} reached only {count} pages"
    assert not problems, "\n".join(problems)
    assert not visit.problems, "\n".join(visit.problems)
    assert not console, console


def test_the_log_never_scrolls_sideways_at_320_pixels(site: Site, chromium: Any) -> None:
    visit = Visit(ARTIFACTS / "reflow")
    page = _sign_in(chromium, site.base, "hos@council.test", [])
    page.set_viewport_size({"width": 320, "height": 800})
    for path in ("/log", f"/challenges/{site.challenges[0]}", "/"):
        page.goto(site.base + path)
        visit.check(page, "320" + path.replace("/", "-"))
        assert not page.evaluate(PAGE_FACTS)["wide"], f"{path} scrolls sideways at 320px"
