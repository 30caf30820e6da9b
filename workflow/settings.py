"""Settings for the workflow: where the data lives and which ladder is in use."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkflowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
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


def normalise_database_url(url: str) -> str:
    # Heroku-style and plain URLs would pick psycopg2, which we do not ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> WorkflowSettings:
    return WorkflowSettings()
