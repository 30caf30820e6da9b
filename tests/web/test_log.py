"""The challenge log: each filter returns the right rows, sorting, pagination and the CSV."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from tests.factories import new_challenge
from tests.web.conftest import error_links
from workflow.services import raise_challenge, take_action
from workflow.tables import Child, Person, Team


@pytest.fixture
def log_data(runtime, people):
    """Four challenges: overdue at social worker; new at team manager on another theme;
    an old informal one in another team; a withdrawn one."""
    c = people.council
    with Session(runtime.engine) as s:
        team = Team(name="Leaving Care Team")
        s.add(team)
        s.flush()
        sw2 = Person(
            email="sw2@council.test",
            name="Lee Worker",
            role="social_worker",
            team_id=team.id,
            manager_id=c.team_manager,
        )
        s.add(sw2)
        s.flush()
        s.add(
            Child(
                case_reference="LL2001",
                display_name="Child LL2001",
                legal_status="care_leaver",
                social_worker_id=sw2.id,
                iro_id=c.other_iro,
            )
        )
        s.commit()
        team_id = team.id
    now = datetime.now(UTC)
    refs = {}

    def make(name, at, **kw):
        iro = kw.pop("iro", c.iro)
        with runtime.uow() as uow:
            refs[name] = raise_challenge(uow, replace(new_challenge(at), **kw), iro, at).reference

    make("overdue", now - timedelta(days=20), stage="social_worker")
    make("new", now, stage="team_manager", child_reference="LL1002", theme_key="drift_and_delay")
    make("old", now - timedelta(days=60), formal=False, child_reference="LL2001", iro=c.other_iro)
    make("gone", now - timedelta(days=2), stage="social_worker")
    with runtime.uow() as uow:
        take_action(uow, refs["gone"], "withdraw", c.iro, {"reason": "Resolved at review"}, now)
    return refs, team_id


def _refs(html: str) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="/challenges/(IRO-[^"]+)"', html)


def test_filters_return_the_right_rows(login, log_data, people):
    refs, team_id = log_data
    hos = login("hos@council.test")
    c = people.council
    cases = {
        "": {"overdue", "new", "old", "gone"},
        "status=withdrawn": {"gone"},
        "status=open": {"overdue", "new", "old"},
        "stage=team_manager": {"new"},
        "theme=drift_and_delay": {"new"},
        f"team={team_id}": {"old"},
        f"iro={c.other_iro}": {"old"},
        f"responder={c.team_manager}": {"new"},
        "overdue=yes": {"overdue", "old"},  # the informal one is past its agreed date too
        "child=ll2": {"old"},
        f"from={(datetime.now(UTC) - timedelta(days=30)).date()}": {"overdue", "new", "gone"},
        f"to={(datetime.now(UTC) - timedelta(days=30)).date()}": {"old"},
    }
    for query, expected in cases.items():
        shown = set(_refs(hos.get(f"/log?{query}").text))
        assert shown == {refs[n] for n in expected}, query


def test_sorting_and_pagination(login, log_data):
    refs, _ = log_data
    hos = login("hos@council.test")
    newest_first = _refs(hos.get("/log").text)
    assert newest_first == [refs[n] for n in ("new", "gone", "overdue", "old")]
    assert _refs(hos.get("/log?sort=raised&order=asc").text) == newest_first[::-1]
    page_two = hos.get("/log?per_page=3&page=2").text
    assert _refs(page_two) == [refs["old"]]
    assert "4 challenges" in page_two


def test_csv_export_has_the_same_filters(login, log_data):
    refs, _ = log_data
    response = login("hos@council.test").get("/log.csv?status=open&sort=reference&order=asc")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["reference"] for r in rows] == sorted(refs[n] for n in ("overdue", "new", "old"))
    assert {r["reference"]: r["overdue"] for r in rows}[refs["new"]] == "no"
    assert {r["reference"]: r["overdue"] for r in rows}[refs["overdue"]] == "yes"


def test_the_api_list_uses_the_same_filters(anonymous, log_data, token_for, people):
    refs, _ = log_data
    headers = token_for(people.council.head_of_service)
    body = anonymous.get(
        "/api/v1/challenges?status=open&theme=drift_and_delay", headers=headers
    ).json()
    assert body["total"] == 1 and body["items"][0]["reference"] == refs["new"]
    iro_body = anonymous.get(
        "/api/v1/challenges?per_page=10", headers=token_for(people.council.iro)
    ).json()
    assert {i["reference"] for i in iro_body["items"]} == {
        refs[n] for n in ("overdue", "new", "gone")
    }


def test_the_log_is_a_full_width_caseworking_page_with_gov_uk_date_inputs(login, log_data):
    refs, _ = log_data
    hos = login("hos@council.test")
    page = hos.get("/log").text
    assert (
        "app-width-container--full" in page
        and 'class="moj-filter-layout app-filter-layout"' in page
    )
    assert 'type="date"' not in page
    for name in ("from-day", "from-month", "from-year", "to-day", "to-month", "to-year"):
        assert f'id="{name}"' in page, name
    assert re.search(r'data-testid="total">4 challenges<', page)
    since = (datetime.now(UTC) - timedelta(days=30)).date()
    typed = hos.get(f"/log?from-day={since.day}&from-month={since.month}&from-year={since.year}")
    assert set(_refs(typed.text)) == {refs[n] for n in ("overdue", "new", "gone")}
    day_input = re.search(r'<input[^>]*id="from-day"[^>]*>', typed.text)
    assert day_input is not None and f'value="{since.day}"' in day_input.group(0)
    tags = re.search(r'data-testid="selected-filters">(.*?)</ul>', typed.text, re.S)
    assert tags is not None and f"Raised on or after {since.day} {since:%B %Y}" in tags.group(1)
    removal = re.search(r'href="([^"]+)"', tags.group(1))
    assert removal is not None
    assert set(_refs(hos.get(removal.group(1).replace("&amp;", "&")).text)) == {
        refs[n] for n in ("overdue", "new", "old", "gone")
    }
    wrong = hos.get("/log?from-day=31&from-month=2&from-year=2026")
    assert ("from-day", "The date raised from must be a real date") in error_links(wrong.text)


def test_column_headers_sort_and_say_which_way(login, log_data):
    hos = login("hos@council.test")
    page = hos.get("/log").text
    assert re.search(r'aria-sort="descending">\s*<a[^>]*>Raised', page)
    link = re.search(r'href="(/log\?[^"]*sort=reference[^"]*)"', page)
    assert link is not None
    by_reference = hos.get(link.group(1).replace("&amp;", "&")).text
    assert _refs(by_reference) == sorted(_refs(by_reference))
    assert re.search(r'aria-sort="ascending">\s*<a[^>]*>Reference', by_reference)


def test_counts_stop_at_the_cap_and_say_more(login, log_data, anonymous, token_for, people,
                                             monkeypatch):  # fmt: skip
    """Past COUNT_CAP matches the log says "more than", offers the pages of the first ones
    and still answers a later page; the API says `more`."""
    refs, _ = log_data
    monkeypatch.setattr("workflow.queries.COUNT_CAP", 2)
    hos = login("hos@council.test")
    html = hos.get("/log?per_page=1").text
    assert "More than 2 challenges" in html and 'data-testid="capped"' in html
    assert "Export all of these challenges as CSV" in html
    assert "page 1 of the first 2" in html
    assert _refs(hos.get("/log?per_page=1&page=4").text) == [refs["old"]]
    exact = hos.get("/log?status=open&stage=team_manager").text
    assert "1 challenge<" in exact and 'data-testid="capped"' not in exact
    body = anonymous.get(
        "/api/v1/challenges?per_page=1", headers=token_for(people.council.head_of_service)
    ).json()
    assert (body["total"], body["more"], body["pages"]) == (2, True, 2)
    assert anonymous.get("/api/v1/challenges?status=withdrawn",
                         headers=token_for(people.council.head_of_service)).json()["more"] is False  # fmt: skip


@pytest.mark.parametrize("few", [0, 1000])
def test_child_and_team_filters_as_values_or_as_a_subquery(login, log_data, few, monkeypatch):
    """The child and team filters read the children first (up to FEW_CHILDREN), else stay
    a subquery: the same rows either way."""
    refs, team_id = log_data
    monkeypatch.setattr("workflow.queries.FEW_CHILDREN", few)
    hos = login("hos@council.test")
    for query, expected in (("child=ll2", {"old"}), (f"team={team_id}", {"old"}),
                            (f"child=LL1002&team={team_id}", set()),
                            ("child=LL100", {"overdue", "new", "gone"})):  # fmt: skip
        assert set(_refs(hos.get(f"/log?{query}").text)) == {refs[n] for n in expected}, query


def test_deep_pages_follow_cursors_on_the_page_and_in_the_api(login, log_data, anonymous,
                                                              token_for, people, monkeypatch):  # fmt: skip
    """Past the numbered pages, previous and next follow cursors (keyset pagination): every
    challenge once, in order, both ways; the API's `next` and Link header do the same, and a
    deep page number is refused with a problem saying what to use."""
    monkeypatch.setattr("workflow.log_seek.NUMBERED_PAGES", 1)
    hos = login("hos@council.test")
    every = _refs(hos.get("/log?sort=due&order=asc&per_page=50").text)
    assert len(every) == 4
    seen, url = [], "/log?sort=due&order=asc&per_page=1"
    while url:
        page = hos.get(url).text
        seen += _refs(page)
        found = re.search(
            r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', page
        )
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert seen == every
    back = re.search(r'href="([^"]+)" rel="prev"', page)
    assert back is not None and "cursor=" in back.group(1)
    assert _refs(hos.get(back.group(1).replace("&amp;", "&")).text) == [every[-2]]
    assert hos.get("/log?page=2").status_code == 400

    headers = token_for(people.council.head_of_service)
    listed, url = [], "/api/v1/challenges?sort=due&order=desc&per_page=1"
    while url:
        answer = anonymous.get(url, headers=headers)
        body = answer.json()
        listed += [item["reference"] for item in body["items"]]
        assert ("cursor=" in answer.headers.get("link", "")) == (body["next"] is not None)
        url = (
            f"/api/v1/challenges?sort=due&order=desc&per_page=1&cursor={body['next']}"
            if body["next"]
            else ""
        )
    assert listed == every[::-1]
    deep = anonymous.get("/api/v1/challenges?page=2", headers=headers)
    assert deep.status_code == 400 and deep.headers["content-type"] == "application/problem+json"
    assert "next" in deep.json()["detail"] and deep.json()["errors"][0]["field"] == "page"
    wrong = anonymous.get("/api/v1/challenges?cursor=nonsense", headers=headers)
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "cursor"
