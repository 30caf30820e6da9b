"""Settings for the workflow: where the data lives and which ladder is in use."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkflowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    # Migrations run as the schema's owner; the service itself as a role that only reads
    # and writes rows (docs/security.md). Empty means DATABASE_URL does both.
    migration_database_url: str | None = Field(
        default=None, validation_alias="IRO_DISPUTES_MIGRATION_DATABASE_URL"
    )
    # The role `db upgrade` grants row rights to; empty means DATABASE_URL's user when
    # the migration URL signs in as someone else.
    database_service_role: str = Field(
        default="", validation_alias="IRO_DISPUTES_DATABASE_SERVICE_ROLE"
    )
    data_dir: Path = Field(
        default=Path("data"), validation_alias=AliasChoices("IRO_DISPUTES_DATA_DIR")
    )
    ladder: str = Field(default="handbook", validation_alias="IRO_DISPUTES_LADDER")
    # Connections each process keeps open; the web also runs at most this many requests
    # at once, so a request never waits on the pool behind requests holding it.
    db_pool_size: int = Field(default=10, ge=1, le=200, validation_alias="IRO_DISPUTES_DB_POOL")
    # How long a request waits for a connection before it is answered 503 (seconds).
    db_pool_timeout: float = Field(
        default=3.0, gt=0, le=60, validation_alias="IRO_DISPUTES_DB_POOL_TIMEOUT"
    )

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or a SQLite file in the data folder when it is not set."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'iro-disputes.sqlite3').resolve()}"

    @property
    def resolved_migration_url(self) -> str:
        """The owner's URL that migrations run with; DATABASE_URL when it is not set."""
        if self.migration_database_url:
            return normalise_database_url(self.migration_database_url)
        return self.resolved_database_url

    @property
    def service_role(self) -> str | None:
        """The PostgreSQL role the running service signs in as, when it is not the owner."""
        if self.database_service_role:
            return self.database_service_role
        # Imported here: `serve` reads these settings before it starts the web processes,
        # and SQLAlchemy would otherwise be loaded only to read them.
        from sqlalchemy.engine import make_url

        service = make_url(self.resolved_database_url)
        owner = make_url(self.resolved_migration_url)
        if service.get_backend_name() != "postgresql" or service.username == owner.username:
            return None
        return service.username


def normalise_database_url(url: str) -> str:
    # Heroku-style and plain URLs would pick psycopg2, which we do not ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> WorkflowSettings:
    return WorkflowSettings()
