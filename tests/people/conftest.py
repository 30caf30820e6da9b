"""Fixtures for the people, children and demo tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from workflow.settings import get_settings
from workflow.tables import Child, Person, Team


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


@pytest.fixture
def cli_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Point the command line (which reads settings) at the test database."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("IRO_DISPUTES_LADDER", "handbook")
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def counts(engine: Engine) -> tuple[int, int, int]:
    """How many people, teams and children are stored."""
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Person)).one(),
            s.exec(select(func.count()).select_from(Team)).one(),
            s.exec(select(func.count()).select_from(Child)).one(),
        )


def by_email(engine: Engine) -> dict[str, Person]:
    with Session(engine) as s:
        return {p.email: p for p in s.exec(select(Person))}
