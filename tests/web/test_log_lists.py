"""The log's filter lists are kept per process and read again as soon as people, teams or
themes change, whichever way they change (the triggers of migration 0020)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import new_challenge
from workflow.db import read_only_engine
from workflow.services import raise_challenge
from workflow.tables import Person, Team


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs, in full."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(" ".join(statement.split()))

    engines = {engine, read_only_engine(engine)}  # pages read through the second on SQLite
    for each in engines:
        sa.event.listen(each, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for each in engines:
            sa.event.remove(each, "before_cursor_execute", record)


def _options(html: str, name: str) -> list[str]:
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert block is not None, name
    return re.findall(r">([^<]+)</option>", block.group(1))


def test_the_lists_are_read_once_until_they_change(login, runtime, people):
    hos = login("hos@council.test")
    first = hos.get("/log").text
    with statements(runtime.engine) as seen:
        again = hos.get("/log").text
    assert _options(again, "team") == _options(first, "team")
    lists = [s for s in seen if re.search(r"FROM (team|theme)\b|ORDER BY person.name", s)]
    assert lists == [], lists
    assert sum("FROM list_version" in s for s in seen) == 1

    with Session(runtime.engine) as s:  # through the ORM, as the admin pages do
        s.add(Team(name="Fostering Team"))
        s.commit()
    assert "Fostering Team" in _options(hos.get("/log").text, "team")

    with runtime.engine.begin() as conn:  # and by plain SQL, as an import might
        conn.execute(sa.update(Person).where(Person.id == people.council.iro)
                     .values(name="Imani Reviewer-Jones"))  # fmt: skip
        conn.execute(sa.text("UPDATE theme SET label = 'Drift and delay in care planning' "
                             "WHERE key = 'drift_and_delay'"))  # fmt: skip
    html = hos.get("/log").text
    assert "Imani Reviewer-Jones" in _options(html, "iro")
    assert "Drift and delay in care planning" in _options(html, "theme")


def test_a_list_asks_once_what_the_person_s_posts_reach(login, runtime, people):
    """A restricted list asks what the person's posts reach for its condition and again for
    the rows it shows: their posts and the ladder versions are read once a request, and a
    social worker's posts, which reach no stage of the ladder, cost nothing more per row."""
    now = datetime.now(UTC)
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(now), people.council.iro, now)
    worker = login("sw@council.test")
    assert worker.get("/challenges").status_code == 200
    with statements(runtime.engine) as seen:
        page = worker.get("/challenges")
    assert page.status_code == 200 and "IRO-" in page.text  # the challenge addressed to them
    assert sum("JOIN person_post" in s for s in seen) == 1, seen  # with the person, once
    assert sum("FROM ladder_version" in s for s in seen) == 1, seen
    assert not [s for s in seen if "DISTINCT challenge.ladder_hash" in s], seen
