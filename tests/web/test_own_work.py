"""Everyone finds their own work: the dashboards by role and the list of all one's challenges."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.factories import new_challenge
from tests.web.conftest import version_of
from workflow.runtime import Runtime
from workflow.services import raise_challenge, take_action
from workflow.states import Action


def _table(html: str, table_id: str) -> list[str]:
    """The challenge references listed in one table of a page."""
    found = re.search(rf'<table class="govuk-table" id="{table_id}">(.*?)</table>', html, re.S)
    return re.findall(r'href="/challenges/(IRO-[^"]+)"', found.group(1)) if found else []


def _raise(runtime: Runtime, iro: int, stage: str, days_ago: int = 1, child: str = "LL1001") -> str:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with runtime.uow() as uow:
        return raise_challenge(uow, new_challenge(at, stage=stage, child=child), iro, at).reference


def _withdraw(runtime: Runtime, reference: str, iro: int) -> None:
    with runtime.uow() as uow:
        version = uow.challenges.get(reference).version
        take_action(uow, reference, Action.WITHDRAW, iro, {"reason": "Put right"},
                    datetime.now(UTC), version)  # fmt: skip


def test_an_iro_finds_open_and_ended_challenges_and_can_search(login, runtime, people):
    iro = people.council.iro
    open_one = _raise(runtime, iro, "social_worker")
    ended = _raise(runtime, iro, "team_manager", child="LL1002")
    _withdraw(runtime, ended, iro)
    browser = login("iro@council.test")
    home = browser.get("/").text
    assert _table(home, "open") == [open_one]
    assert 'href="/challenges"' in home
    everything = browser.get("/challenges")
    assert everything.status_code == 200
    assert sorted(_table(everything.text, "all")) == sorted([open_one, ended])
    assert "2 challenges" in everything.text
    assert _table(browser.get("/challenges?status=ended").text, "all") == [ended]
    assert _table(browser.get("/challenges?status=open").text, "all") == [open_one]
    assert _table(browser.get("/challenges?q=ll1002").text, "all") == [ended]
    assert _table(browser.get(f"/challenges?q={open_one}").text, "all") == [open_one]
    nothing = browser.get("/challenges?q=ZZZ").text
    assert "0 challenges" in nothing and "No challenges match your search." in nothing
    # Another IRO sees none of them, and is told so in words.
    other = login("iro2@council.test").get("/challenges").text
    assert _table(other, "all") == [] and "You have no challenges yet." in other


def test_waiting_for_your_answer_holds_only_what_waits_for_you(login, runtime, people):
    """Out of time, a challenge waits for the IRO: not for the responder still named on it."""
    council = people.council
    waiting = _raise(runtime, council.iro, "senior_manager", days_ago=1)
    late = _raise(runtime, council.iro, "senior_manager", days_ago=60)
    with runtime.uow() as uow:
        challenge = uow.challenges.get(late)
        take_action(uow, late, Action.TIME_OUT, None, {}, datetime.now(UTC), challenge.version)
        assert uow.challenges.get(late).state.value == "awaiting_iro_decision"
    senior = login("ad@council.test").get("/").text
    assert _table(senior, "to-answer") == [waiting]
    iro_home = login("iro@council.test").get("/").text
    assert late in _table(iro_home, "awaiting-decision")


def test_a_responder_sees_what_they_answered_before_and_empty_lists_say_so(login, runtime, people):
    reference = _raise(runtime, people.council.iro, "social_worker")
    sw = login("sw@council.test")
    assert _table(sw.get("/").text, "to-answer") == [reference]
    form = sw.get(f"/challenges/{reference}/actions/respond").text
    sw.post(
        f"/challenges/{reference}/actions/respond",
        data={"version": version_of(form), "response": "Booked", "actions": "Nurse visit",
              "target_date-day": "1", "target_date-month": "1", "target_date-year": "2030"},
    )  # fmt: skip
    home = sw.get("/").text
    assert _table(home, "to-answer") == [] and "Nothing is waiting for your answer." in home
    assert _table(home, "before") == [reference]
    assert _table(sw.get("/challenges").text, "all") == [reference]
    tm = login("tm@council.test").get("/").text
    assert "No challenge has been addressed to you before." in tm


def test_overseers_and_smt_readers_are_sent_to_their_own_lists(login):
    assert (
        login("hos@council.test").get("/challenges", follow_redirects=False).headers["location"]
        == "/log"
    )
    assert (
        login("smt@council.test").get("/challenges", follow_redirects=False).headers["location"]
        == "/reports"
    )
