"""Compose runs the service with least privilege: deploy/postgres-init creates the owner
and the service roles as docs/security.md describes, `migrate` alone signs in as the
owner, everything else as the service role. No image can be pulled here, so the init
script runs against the local PostgreSQL (as the image would run it: psql as a
superuser) into a throwaway database with throwaway role names; the service role it
makes is then refused everything the service must not do. (Trust authentication on
127.0.0.1: the passwords are set but not checked here.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import POSTGRES_ADMIN_URL, require
from tests.integration.test_database_roles import (
    INSUFFICIENT_PRIVILEGE,
    SERVICE_ROLE_REFUSES,
    Roles,
    _refused,
    _url_as,
    upgrade_as_owner,
)
from workflow.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
INIT = ROOT / "deploy" / "postgres-init" / "10-iro-disputes-roles.sh"


def _services() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


def test_compose_mounts_the_init_script_and_only_migrate_signs_in_as_the_owner() -> None:
    services = _services()
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in services["db"]["volumes"]
    assert os.access(INIT, os.X_OK), "the image runs an executable script in its own shell"
    db_env = services["db"]["environment"]
    assert {"IRO_DISPUTES_OWNER_PASSWORD", "IRO_DISPUTES_APP_PASSWORD"} <= db_env.keys()
    assert "POSTGRES_USER" not in db_env, "the superuser is the image's own, not the app's"
    migrate = services["migrate"]["environment"]
    assert migrate["IRO_DISPUTES_MIGRATION_DATABASE_URL"].startswith("postgresql://iro_owner:")
    for name in ("migrate", "web", "worker", "mail-receiver"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://iro_app:"), name
        secrets = " ".join(str(v) for v in env.values())
        assert "POSTGRES_PASSWORD" not in secrets, f"{name} has the superuser's password"
        if name != "migrate":
            assert "OWNER_PASSWORD" not in secrets, f"{name} has the owner's password"


def test_compose_config_is_valid_where_docker_compose_exists(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    probe = docker and subprocess.run([docker, "compose", "version"], capture_output=True)
    if not docker or not probe or probe.returncode != 0:
        pytest.skip("docker compose is not installed here")
    (tmp_path / "iro-disputes.env").write_text("IRO_DISPUTES_ENV=production\n")
    env = {**os.environ, "POSTGRES_PASSWORD": "s", "IRO_DISPUTES_OWNER_PASSWORD": "o",
           "IRO_DISPUTES_APP_PASSWORD": "a"}  # fmt: skip
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    result = subprocess.run([docker, "compose", "config", "--quiet"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def init_roles() -> Iterator[Roles]:
    """The init script run as the image runs it, into a throwaway database."""
    psql = shutil.which("psql")
    require(psql is not None, "psql is not installed")
    suffix = uuid.uuid4().hex[:8]
    owner, app, database = f"iro_owner_{suffix}", f"iro_app_{suffix}", f"iro_init_{suffix}"
    server = sa.engine.make_url(POSTGRES_ADMIN_URL)
    env = {**os.environ, "PGHOST": server.host or "127.0.0.1", "PGPORT": str(server.port or 5432),
           "POSTGRES_USER": server.username or "postgres", "IRO_DISPUTES_DB_NAME": database,
           "IRO_DISPUTES_OWNER_ROLE": owner, "IRO_DISPUTES_APP_ROLE": app,
           "IRO_DISPUTES_OWNER_PASSWORD": "owner'secret", "IRO_DISPUTES_APP_PASSWORD": "app-secret"}  # fmt: skip
    result = subprocess.run([str(INIT)], env=env, capture_output=True, text=True)
    if "could not connect" in result.stderr or "Connection refused" in result.stderr:
        require(False, f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        assert result.returncode == 0, result.stderr
        yield Roles(_url_as(owner, database), _url_as(app, database), app)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{app}"'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def migrated_by_owner(init_roles: Roles) -> Roles:
    """What the Compose `migrate` service does, with its two URLs."""
    return upgrade_as_owner(init_roles)


def test_the_init_script_makes_an_owner_that_owns_the_database_and_a_role_that_does_not(
    init_roles: Roles,
) -> None:
    engine = make_engine(init_roles.service_url)
    try:
        with engine.connect() as conn:
            owner = conn.execute(sa.text(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
            )).scalar_one()  # fmt: skip
            flags = conn.execute(sa.text(
                "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
            )).one()  # fmt: skip
    finally:
        engine.dispose()
    assert owner == sa.engine.make_url(init_roles.owner_url).username
    assert tuple(flags) == (False, False, False)


@pytest.mark.parametrize("statement", SERVICE_ROLE_REFUSES)
def test_the_service_role_the_init_script_makes_is_refused(
    migrated_by_owner: Roles, statement: str
) -> None:
    engine = make_engine(migrated_by_owner.service_url)
    try:
        assert _refused(engine, statement) == INSUFFICIENT_PRIVILEGE
    finally:
        engine.dispose()


def test_the_service_role_the_init_script_makes_reads_and_writes_rows(
    migrated_by_owner: Roles,
) -> None:
    engine = make_engine(migrated_by_owner.service_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO team (name, service_area) VALUES ('T', 'S')"))
            assert conn.execute(sa.text("SELECT count(*) FROM team")).scalar_one() == 1
            conn.execute(sa.text("UPDATE team SET name = 'U'"))
            conn.execute(sa.text("DELETE FROM team"))
    finally:
        engine.dispose()
