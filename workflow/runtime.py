"""Wiring: the engine, the ladder book and a way to open units of work, from settings."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from escalation_rules.loader import bundled_ladders, load_ladder_setting
from escalation_rules.model import Ladder
from escalation_rules.themes import default_themes
from workflow.db import make_engine
from workflow.db_roles import grant_service_role
from workflow.ladders import LadderBook
from workflow.list_cache import ChoicesCache
from workflow.migrate import upgrade
from workflow.settings import WorkflowSettings, get_settings
from workflow.tables import Theme
from workflow.unit_of_work import EventListener, UnitOfWork


@dataclass
class Runtime:
    """What every process works with; `listeners` go into each unit of work it opens."""

    engine: Engine
    ladders: LadderBook
    listeners: tuple[EventListener, ...] = field(default=())
    # The log's filter lists, kept until they change (one copy per process).
    log_lists: ChoicesCache = field(default_factory=ChoicesCache)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.ladders, self.listeners)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def build_runtime(
    settings: WorkflowSettings | None = None,
    engine: Engine | None = None,
    listeners: Sequence[EventListener] = (),
) -> Runtime:
    """The workflow alone; `api.wiring.build` adds the deadline and mail listeners."""
    collect_garbage_less_often()
    settings = settings or get_settings()
    ladder, content = ladder_in_use(settings.ladder)
    book = LadderBook(ladder, content)
    if engine is None:
        engine = make_engine(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout,
        )
    return Runtime(engine, book, tuple(listeners))


# Python's cycle collector runs after every 700 allocations beyond frees by default, and
# every tenth time it looks at the older objects too: a process holding SQLAlchemy's
# tables, compiled statements and caches walked them over and over while a sweep's batch
# or a page built its rows. Measured on the sweep (SQLite, 100,000 challenges): 232 µs of
# CPU an escalation by default, 214 at 10,000, the same as with the collector off. Plain
# garbage is still freed at once by reference counting; only cycles wait a little longer.
COLLECT_AFTER = 10_000


def collect_garbage_less_often() -> None:
    """Set for the whole process; every process that runs the workflow builds a runtime."""
    threshold, older, oldest = gc.get_threshold()
    if threshold < COLLECT_AFTER:
        gc.set_threshold(COLLECT_AFTER, older, oldest)


def ladder_in_use(setting: str) -> tuple[Ladder, bytes]:
    """The ladder the setting names, with the exact bytes its hash was taken of."""
    ladder = load_ladder_setting(setting)
    if setting in bundled_ladders():
        source = resources.files("escalation_rules").joinpath("ladders", f"{setting}.toml")
        return ladder, source.read_bytes()
    return ladder, Path(setting).read_bytes()


def migrate_as_owner(settings: WorkflowSettings) -> str | None:
    """Migrate with the owner's URL, then grant the service's role its row rights.

    Returns the role granted to, if any."""
    engine = make_engine(settings.resolved_migration_url)
    try:
        prepare_database(engine)
        role = settings.service_role if engine.dialect.name == "postgresql" else None
        if role:
            with engine.begin() as connection:
                grant_service_role(connection, role)
        return role
    finally:
        engine.dispose()


def prepare_database(engine: Engine) -> None:
    """Migrate to the latest schema and give an empty theme list the default taxonomy."""
    upgrade(engine)
    with Session(engine) as session:
        if session.exec(select(Theme)).first() is None:
            for position, theme in enumerate(default_themes()):
                session.add(Theme(key=theme.key, label=theme.label, position=position))
            session.commit()
