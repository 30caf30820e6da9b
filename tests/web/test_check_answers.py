"""Check your answers protects the child: who the child is, where the challenge goes and
when it is due, and a Change for every answer that keeps what was typed."""

from __future__ import annotations

import re
from html import unescape

from sqlmodel import Session

from tests.web.conftest import summary_rows
from tests.web.test_challenge_pages import _answers
from workflow.runtime import Runtime
from workflow.tables import Child


def _hidden_answers(html: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return {k: unescape(v) for k, v in pairs if k != "csrftoken"}


def test_the_child_where_it_goes_and_when_it_is_due(login):
    page = login("iro@council.test").post("/challenges/new", data=_answers())
    assert page.status_code == 200
    rows = summary_rows(page.text)
    assert rows["Child's case reference"] == "LL1001"
    assert rows["Child's name"] == "Child LL1001"
    assert rows["Legal status"] == "Looked after (in care)"
    assert rows["Allocated social worker"] == "Sam Worker"
    assert rows["Route"] == "Formal challenge, starting at Team manager"
    assert rows["It will go to"] == "Tara Manager (Team manager)"
    assert re.fullmatch(r"\d{1,2} \w+ 20\d\d at 5:00pm \(\d+ working days\)", rows["Response due"])
    assert 'data-testid="confirm"' in page.text and 'data-testid="missing"' not in page.text


def test_every_answer_has_a_change_that_returns_to_its_question_with_the_answers_kept(login):
    iro = login("iro@council.test")
    page = iro.post("/challenges/new", data=_answers(outcome_wanted="Keep this text")).text
    fields = re.findall(r'formaction="/challenges/new\?change=([^"#]+)#([^"]+)"', page)
    assert {f for f, _ in fields} >= {
        "child_reference", "route", "theme_key", "what_is_wrong", "review_date-day",
        "impact_on_child", "outcome_wanted", "discussed_with", "agreed_by-day",
    }  # fmt: skip
    assert all(f == anchor for f, anchor in fields)
    kept = _hidden_answers(page)
    assert kept["outcome_wanted"] == "Keep this text"
    back = iro.post("/challenges/new?change=outcome_wanted", data=kept)
    assert (
        back.status_code == 200
        and '<h1 class="govuk-heading-l">Raise a challenge</h1>' in back.text
    )
    assert 'id="outcome_wanted"' in back.text and "Keep this text" in back.text
    assert 'value="LL1001"' in back.text and "No assessment booked" in back.text


def test_nobody_to_answer_is_said_before_raising_and_the_raise_button_is_withheld(
    login, runtime: Runtime, people
):
    with Session(runtime.engine) as s:
        s.add(Child(case_reference="LL2001", display_name="Child LL2001",
                    legal_status="child_in_need", iro_id=people.council.iro))  # fmt: skip
        s.commit()
    page = login("iro@council.test").post(
        "/challenges/new", data=_answers(child_reference="LL2001")
    )
    rows = summary_rows(page.text)
    assert rows["Allocated social worker"] == "No allocated social worker"
    assert rows["Legal status"] == "Child in need"
    assert rows["It will go to"].startswith("Nobody found")
    assert 'data-testid="missing"' in page.text and "has no allocated social worker" in page.text
    assert 'data-testid="confirm"' not in page.text


def test_an_informal_resolution_shows_when_its_actions_are_due(login):
    page = login("iro@council.test").post("/challenges/new", data=_answers(route="informal"))
    rows = summary_rows(page.text)
    assert rows["Route"] == "Informal resolution"
    assert rows["Actions due"].startswith("End of ")
    assert "It will go to" not in rows


def test_the_stage_question_is_revealed_by_choosing_a_formal_challenge(login):
    page = login("iro@council.test").get("/challenges/new").text
    formal = re.search(r'<input[^>]+value="formal"[^>]*>', page)
    assert formal is not None and 'data-aria-controls="conditional-route-2"' in formal.group(0)
    block = re.search(r'<div class="govuk-radios__conditional[^"]*" id="conditional-route-2">(.*?)'
                      r'</fieldset>', page, re.S)  # fmt: skip
    assert block is not None and 'name="stage"' in block.group(1)
