"""Each request holds at most one database connection at a time (SQLite and PostgreSQL).

The pool is sized one connection per request at once, so a request that took a
second connection while holding the first (a page's reads beside an action's unit
of work, or SQLite's read-only engine beside the main one) could wait on itself
once the pool is busy. The pool's own `checkout`/`checkin` events are counted per
request, across both engines, for the pages, a form action, the API action and the
email-link answer.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.types import ASGIApp, Receive, Scope, Send

from api.app import create_app
from tests.notifications.conftest import outbox
from tests.web.conftest import CSRF, PASSWORD, version_of, web_settings
from workflow.db import read_only_engine
from workflow.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@dataclass
class Held:
    """The connections one request holds now, and the most it ever held at once."""

    path: str
    now: int = 0
    most: int = 0
    checkouts: int = 0


@dataclass
class Counter:
    requests: list[Held] = field(default_factory=list)
    by_record: dict[int, Held] = field(default_factory=dict)
    outside: int = 0


_REQUEST: ContextVar[Held | None] = ContextVar("request_connections", default=None)


class Tracking:
    """Outermost ASGI wrapper: every request gets its own tally."""

    def __init__(self, app: ASGIApp, counter: Counter) -> None:
        self.app, self.counter = app, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held = Held(f"{scope['method']} {scope['path']}")
        self.counter.requests.append(held)
        token = _REQUEST.set(held)
        try:
            await self.app(scope, receive, send)
        finally:
            _REQUEST.reset(token)


def _listen(engine: sa.Engine, counter: Counter) -> None:
    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        held = _REQUEST.get()
        if held is None:
            counter.outside += 1
            return
        held.now += 1
        held.checkouts += 1
        held.most = max(held.most, held.now)
        counter.by_record[id(record)] = held

    def checkin(_dbapi: Any, record: Any) -> None:
        held = counter.by_record.pop(id(record), None)
        if held is not None:
            held.now -= 1

    sa.event.listen(engine, "checkout", checkout)
    sa.event.listen(engine, "checkin", checkin)


@pytest.fixture
def counted(
    runtime: Runtime, tmp_path: Path, people: object, mail_settings: object
) -> Iterator[tuple[TestClient, Counter]]:
    counter = Counter()
    app = create_app(runtime, web_settings(tmp_path))
    for engine in {runtime.engine, read_only_engine(runtime.engine)}:
        _listen(engine, counter)
    with TestClient(Tracking(app, counter)) as client:
        yield client, counter


def _sign_in(client: TestClient, email: str) -> str:
    token = CSRF.search(client.get("/sign-in").text)
    assert token is not None
    answer = client.post("/sign-in", follow_redirects=False,
                         data={"email": email, "password": PASSWORD, "csrftoken": token.group(1)})  # fmt: skip
    assert answer.status_code == 303, answer.text
    return token.group(1)


def _most(counter: Counter) -> dict[str, int]:
    return {held.path: held.most for held in counter.requests if held.checkouts}


def _target() -> dict[str, str]:
    day = (datetime.now(UTC) + timedelta(days=14)).date()
    return {"target_date-day": str(day.day), "target_date-month": str(day.month),
            "target_date-year": str(day.year)}  # fmt: skip


def test_pages_and_a_form_action_each_hold_one_connection_at_a_time(counted, raised):
    client, counter = counted
    csrf = _sign_in(client, "iro@council.test")
    for path in ("/", "/challenges", f"/challenges/{raised}",
                 f"/challenges/{raised}/actions/withdraw"):  # fmt: skip
        assert client.get(path).status_code == 200, path
    form = client.get(f"/challenges/{raised}/actions/withdraw").text
    done = client.post(f"/challenges/{raised}/actions/withdraw", follow_redirects=False,
                       data={"csrftoken": csrf, "version": version_of(form), "reason": "Sorted"})  # fmt: skip
    assert done.status_code == 303, done.text
    refused = client.post(f"/challenges/{raised}/actions/withdraw",
                          data={"csrftoken": csrf, "version": "1", "reason": ""})  # fmt: skip
    assert refused.status_code in (409, 422)
    most = _most(counter)
    assert f"POST /challenges/{raised}/actions/withdraw" in most
    assert {path: n for path, n in most.items() if n > 1} == {}
    assert all(held.now == 0 for held in counter.requests)  # every connection went back


def test_the_api_action_holds_one_connection_at_a_time(counted, raised, token_for, people):
    client, counter = counted
    iro = token_for(people.council.iro)
    read = client.get(f"/api/v1/challenges/{raised}", headers=iro)
    assert read.status_code == 200
    done = client.post(f"/api/v1/challenges/{raised}/actions/withdraw",
                       headers={**iro, "Idempotency-Key": "withdraw-1"},
                       json={"version": read.json()["version"], "params": {"reason": "Sorted"}})  # fmt: skip
    assert done.status_code == 200, done.text
    most = _most(counter)
    assert f"POST /api/v1/challenges/{raised}/actions/withdraw" in most
    assert {path: n for path, n in most.items() if n > 1} == {}


def test_the_email_link_answer_holds_one_connection_at_a_time(counted, runtime, raised):
    client, counter = counted
    link = outbox(runtime, to_address="sw@council.test")[0].secrets[0]
    page = client.get(f"/respond/{link}")
    assert page.status_code == 200
    csrf = CSRF.search(page.text)
    assert csrf is not None
    form = {"csrftoken": csrf.group(1), "response": "Booked.", "actions": "Visit", **_target()}
    answered = client.post(f"/respond/{link}", data=form)
    assert answered.status_code == 200 and "Answer sent" in answered.text
    most = _most(counter)
    assert f"POST /respond/{link}" in most
    assert {path: n for path, n in most.items() if n > 1} == {}


def test_the_head_of_service_pages_and_exports_hold_one_connection_at_a_time(counted, raised):
    client, counter = counted
    _sign_in(client, "hos@council.test")
    for path in ("/log", "/log.csv", "/reports", f"/challenges/{raised}",
                 "/children/LL1001/footprint"):  # fmt: skip
        assert client.get(path).status_code == 200, path
    most = _most(counter)
    assert "GET /log.csv" in most
    assert {path: n for path, n in most.items() if n > 1} == {}


def test_the_admin_pages_hold_one_connection_at_a_time(counted, people):
    client, counter = counted
    _sign_in(client, "admin@council.test")
    for path in ("/admin", "/admin/people", f"/admin/people/{people.admin}",
                 f"/admin/people/{people.admin}/edit", "/admin/children", "/admin/access-log",
                 "/admin/access-log.csv", "/admin/tokens"):  # fmt: skip
        assert client.get(path).status_code == 200, path
    most = _most(counter)
    assert "GET /admin/access-log.csv" in most
    assert {path: n for path, n in most.items() if n > 1} == {}
