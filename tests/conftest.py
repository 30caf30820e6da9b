"""Fixtures shared by every tier of tests.

Database tests take the `engine` fixture and run twice: on SQLite and on
PostgreSQL. Each test session gets a PostgreSQL database of its own, so runs
in parallel never meet. Outside CI a missing PostgreSQL skips those tests
with a loud reason; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.wiring import build
from tests.factories import Council, build_council
from workflow.db import make_engine
from workflow.runtime import Runtime, prepare_database
from workflow.settings import WorkflowSettings

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get(
    "IRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def require(condition: bool, reason: str) -> None:
    """Skip locally when a real service is missing; never in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: real services must be present)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    prepare_database(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    name = f"iro_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    prepare_database(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# The lists the migrations seed (themes, kinds of outcome, the lists' version number) as
# they were in each fresh database: admins may edit them, so every test starts from the
# seeded rows again.
SEEDED_LISTS = ("theme", "outcome_kind", "list_version")
_SEEDED_LISTS: dict[str, list[tuple[sa.Table, list[dict[str, object]]]]] = {}

# Every other table emptied and the sequences its columns own restarted, as
# `TRUNCATE ... RESTART IDENTITY CASCADE` of them all would, in one round trip; but only
# the tables that hold pages are truncated (a test writes to a few): TRUNCATE makes new
# files for every table, index and TOAST table it names. It stays TRUNCATE, not DELETE,
# because the planner reads a table's size from its file: dead rows left by DELETE
# change the plans that tests check (tests/reports/test_report_speedup.py).
_EMPTY_POSTGRES = f"""
DO $$
DECLARE
    written text;
    s record;
BEGIN
    SELECT string_agg(c.oid::regclass::text, ', ') INTO written FROM pg_class c
    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN ('alembic_version', {", ".join(f"'{t}'" for t in SEEDED_LISTS)})
      AND pg_relation_size(c.oid) > 0;
    IF written IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || written || ' RESTART IDENTITY CASCADE';
    END IF;
    -- A failed INSERT can take a number without writing a page.
    FOR s IN
        SELECT d.objid::regclass AS seq, q.seqstart FROM pg_class c
        JOIN pg_depend d ON d.refobjid = c.oid AND d.classid = 'pg_class'::regclass
            AND d.deptype IN ('a', 'i')
        JOIN pg_sequence q ON q.seqrelid = d.objid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND c.relname NOT IN ('alembic_version', {", ".join(f"'{t}'" for t in SEEDED_LISTS)})
    LOOP
        PERFORM setval(s.seq, s.seqstart, false);
    END LOOP;
END
$$
"""


def _empty_postgres(engine: Engine) -> None:
    key = str(engine.url)
    with engine.begin() as conn:
        conn.execute(sa.text(_EMPTY_POSTGRES))
        if key not in _SEEDED_LISTS:
            _SEEDED_LISTS[key] = [
                (table, [dict(row._mapping) for row in conn.execute(table.select())])
                for table in (
                    sa.Table(name, sa.MetaData(), autoload_with=conn) for name in SEEDED_LISTS
                )
            ]
            return
        for table, rows in _SEEDED_LISTS[key]:
            conn.execute(table.delete())
            if rows:
                conn.execute(table.insert(), rows)


@contextmanager
def database(
    kind: str, folder: Path, sqlite_template: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """A database holding the schema and the seeded lists only: a copy of the migrated
    SQLite file, or the session's PostgreSQL database emptied."""
    if kind == "sqlite":
        path = folder / "test.sqlite3"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("postgres_url")
        require(url is not None, f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
        eng = make_engine(url)
        _empty_postgres(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    with database(request.param, tmp_path, sqlite_template, request) as eng:
        yield eng


@pytest.fixture
def postgres_engine(postgres_url: str | None) -> Iterator[Engine]:
    """For the few tests of PostgreSQL-only behaviour."""
    require(postgres_url is not None, f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    assert postgres_url is not None
    eng = make_engine(postgres_url)
    _empty_postgres(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def runtime(engine: Engine) -> Runtime:
    return build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=engine)


@pytest.fixture
def council(runtime: Runtime) -> Council:
    return build_council(runtime.engine)


@pytest.fixture
def now() -> datetime:
    """Wednesday 2 December 2026, 10:00 London (GMT): an ordinary working morning."""
    return datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
