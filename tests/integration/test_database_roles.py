"""Least privilege on PostgreSQL: migrations run as the owner; the service's role reads
and writes rows but cannot change the schema, TRUNCATE, switch triggers off, or change
the append-only logs. Real LOGIN roles on the test server (trust on 127.0.0.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from api.auth import record_access
from api.cli import cli
from api.retention import RetentionSettings, run
from api.wiring import build
from tests.conftest import POSTGRES_ADMIN_URL, require
from tests.factories import build_council, new_challenge
from workflow.audit_chain import seal, verify
from workflow.db import make_engine
from workflow.report_definitions import Period
from workflow.report_queries import smt_report
from workflow.report_queries.rollup import roll_up
from workflow.services import raise_challenge, take_action
from workflow.settings import WorkflowSettings, get_settings
from workflow.states import Action

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


def upgrade_as_owner(roles: Roles) -> Roles:
    """`db upgrade` with the service's URL and the owner's migration URL, as the Compose
    `migrate` service runs it: the owner migrates and grants to the service role."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", roles.service_url)
        env.setenv("IRO_DISPUTES_MIGRATION_DATABASE_URL", roles.owner_url)
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, ["db", "upgrade"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"service role {roles.service_role!r}" in result.output
    return roles


@pytest.fixture(scope="module")
def migrated(roles: Roles) -> Roles:
    """The schema migrated once, by the owner, for the roles made here."""
    return upgrade_as_owner(roles)


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
    _the_reports_rollup_is_built_and_read(service_engine, runtime, council)


def _the_reports_rollup_is_built_and_read(engine: Engine, runtime: Any, council: Any) -> None:
    """The SMT report's rollup is built by the service (as the pages run it): it reads
    `pg_locks` to wait for the log's writers and writes only the rollup's own tables."""
    then = datetime.now(UTC) - timedelta(days=3)
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(then), council.iro, then)
    now = datetime.now(UTC)
    built = roll_up(engine, now)
    assert not built.skipped and built.days >= 3
    period = Period(then.date() - timedelta(days=1), now.date())
    ladder = runtime.ladders.current
    rolled = smt_report(engine, ladder, period, now, roll_with=engine)
    live = smt_report(engine, ladder, period, now, live=True)
    assert [t.rows for t in rolled.tables] == [t.rows for t in live.tables]


# What the service role must be refused, whoever created it (`db upgrade`, or the Compose
# init script: tests/operations/test_compose_roles.py).
SERVICE_ROLE_REFUSES = [
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
    "UPDATE change_record SET field = 'x'",
    "DELETE FROM change_record",
    # The deletion records are the retention run's (as the owner): the service cannot
    # forge one to make `audit verify` accept a gap, nor open the way in.
    "INSERT INTO retention_pass (started_at) VALUES (now())",
    "INSERT INTO retention_record (ran_at, kind, rows, cut_off, run_by)"
    " VALUES (now(), 'access_log', 1, now(), 'x')",
    "INSERT INTO retention_retired_row (record_id, log, row_id) VALUES (1, 'access_log', 1)",
    "DELETE FROM retention_retired_row",
]


@pytest.mark.parametrize("statement", SERVICE_ROLE_REFUSES)
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


def test_the_retention_run_as_the_owner_removes_a_childs_record(
    migrated: Roles, service_engine: Engine
) -> None:
    """`retention run` connects as the owner: the challenge log lets its DELETE through
    (only inside the run's own transaction) and the chain still verifies."""
    with service_engine.begin() as conn:
        iro = conn.execute(sa.text("SELECT id FROM person WHERE email = 'iro@council.test'"))
        iro_id = iro.scalar()
    if iro_id is None:
        iro_id = build_council(service_engine).iro
    with service_engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO child (case_reference, display_name, legal_status, date_of_birth, iro_id,"
            " social_worker_id) SELECT 'LL9001', 'Old Child', 'looked_after', '1940-01-01', :i,"
            " id FROM person WHERE email = 'sw@council.test'"), {"i": iro_id})  # fmt: skip
    runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine=service_engine)
    now = datetime.now(UTC) - timedelta(hours=1)
    with runtime.uow() as uow:
        ref = raise_challenge(uow, new_challenge(now, child="LL9001"), iro_id, now).reference
    with runtime.uow() as uow:
        take_action(uow, ref, Action.WITHDRAW, iro_id, {"reason": "Put right"}, now)
    owner = make_engine(migrated.owner_url)
    try:
        plans = run(owner, RetentionSettings(), datetime.now(UTC), "dpo@council.test")
    finally:
        owner.dispose()
    assert [p.ids for p in plans if p.kind == "child_record"] == [["LL9001"]]
    with service_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM challenge WHERE reference = :r"),
                            {"r": ref}).scalar_one() == 0  # fmt: skip
    assert verify(service_engine).ok
