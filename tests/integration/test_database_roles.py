"""Least privilege on PostgreSQL: migrations run as the owner; the service's role reads
and writes rows but cannot change the schema, TRUNCATE, switch triggers off, or change
the append-only logs. Real LOGIN roles on the test server (trust on 127.0.0.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api.auth import record_access
from api.cli import cli
from api.wiring import build
from tests.conftest import POSTGRES_ADMIN_URL, require
from tests.factories import build_council, new_challenge
from workflow.audit_chain import seal, verify
from workflow.db import make_engine
from workflow.services import raise_challenge
from workflow.settings import WorkflowSettings, get_settings

INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class Roles:
    owner_url: str
    service_url: str
    service_role: str


def _url_as(role: str, database: str) -> str:
    server = sa.engine.make_url(POSTGRES_ADMIN_URL)
    return server.set(username=role, password=None, database=database).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="module")
def roles() -> Iterator[Roles]:
    suffix = uuid.uuid4().hex[:8]
    owner, service, database = f"iro_owner_{suffix}", f"iro_app_{suffix}", f"iro_roles_{suffix}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE ROLE {owner} LOGIN"))
            conn.execute(sa.text(f"CREATE ROLE {service} LOGIN"))
            conn.execute(sa.text(f'CREATE DATABASE "{database}" OWNER {owner}'))
    except sa.exc.OperationalError:
        admin.dispose()
        require(False, f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    yield Roles(_url_as(owner, database), _url_as(service, database), service)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {service}"))
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {owner}"))
    admin.dispose()


@pytest.fixture(scope="module")
def migrated(roles: Roles) -> Roles:
    """The schema migrated once by `db upgrade` as the owner, granting to the service."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", roles.service_url)
        env.setenv("IRO_DISPUTES_MIGRATION_DATABASE_URL", roles.owner_url)
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, ["db", "upgrade"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"service role {roles.service_role!r}" in result.output
    return roles


@pytest.fixture
def service_engine(migrated: Roles) -> Iterator[Engine]:
    engine = make_engine(migrated.service_url)
    yield engine
    engine.dispose()


def _refused(engine: Engine, statement: str) -> str:
    with pytest.raises(sa.exc.DBAPIError) as refusal, engine.begin() as conn:
        conn.execute(sa.text(statement))
    return str(getattr(refusal.value.orig, "sqlstate", ""))


def test_the_service_role_works_with_rows(service_engine: Engine) -> None:
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=service_engine)
    council = build_council(service_engine)
    now = datetime.now(UTC) - timedelta(hours=1)
    with runtime.uow() as uow:
        ref = raise_challenge(uow, new_challenge(now), council.iro, now).reference
    record_access(service_engine, council.iro, "page", what=f"challenge {ref}")
    seal(service_engine, now)
    with service_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM challenge")).scalar_one() == 1
    verdict = verify(service_engine)
    assert verdict.ok and all(log.linked > 0 for log in verdict.logs)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE challenge ADD COLUMN note text",
        "ALTER TABLE challenge_event DISABLE TRIGGER ALL",
        "ALTER TABLE access_log DISABLE TRIGGER USER",
        "SET session_replication_role = replica",
        "TRUNCATE challenge_event",
        "TRUNCATE challenge CASCADE",
        "DROP TABLE access_log",
        "CREATE TABLE smuggled (id int)",
        "UPDATE challenge_event SET kind = 'resolved'",
        "DELETE FROM challenge_event",
        "UPDATE access_log SET what = 'nothing'",
        "DELETE FROM access_log",
        "DELETE FROM audit_link",
        "UPDATE alembic_version SET version_num = 'x'",
    ],
)
def test_the_service_role_cannot_change_the_schema_or_the_logs(
    service_engine: Engine, statement: str
) -> None:
    assert _refused(service_engine, statement) == INSUFFICIENT_PRIVILEGE


def test_the_service_role_is_derived_only_when_the_owner_signs_in_separately() -> None:
    owner = "postgresql://iro_owner@db/iro"
    same = WorkflowSettings(DATABASE_URL=owner)
    split = WorkflowSettings(DATABASE_URL="postgresql://iro_app@db/iro",
                             IRO_DISPUTES_MIGRATION_DATABASE_URL=owner)  # fmt: skip
    named = WorkflowSettings(DATABASE_URL=owner, IRO_DISPUTES_DATABASE_SERVICE_ROLE="iro_rw")
    assert same.service_role is None and same.resolved_migration_url.endswith("@db/iro")
    assert split.service_role == "iro_app"
    assert split.resolved_migration_url == "postgresql+psycopg://iro_owner@db/iro"
    assert named.service_role == "iro_rw"
    assert WorkflowSettings(DATABASE_URL="sqlite:///x.db").service_role is None
