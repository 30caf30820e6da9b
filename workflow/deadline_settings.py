"""Settings for the deadline sweep, from the environment (or `.env`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeadlineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # How often the scheduler wakes the sweep; an escalation happens within this of its due time.
    sweep_seconds: float = Field(default=30, gt=0, validation_alias="IRO_DISPUTES_SWEEP_SECONDS")
    # How long a claimed deadline stays reserved for a worker that may have died.
    lease_seconds: float = Field(
        default=300, gt=0, validation_alias="IRO_DISPUTES_DEADLINE_LEASE_SECONDS"
    )
    # Deadlines claimed and fired per transaction.
    batch_size: int = Field(default=200, ge=1, validation_alias="IRO_DISPUTES_SWEEP_BATCH")
    # Failed attempts before a deadline is marked stuck.
    max_attempts: int = Field(
        default=5, ge=1, validation_alias="IRO_DISPUTES_DEADLINE_MAX_ATTEMPTS"
    )
    # First retry delay; doubles after each failure.
    retry_seconds: float = Field(
        default=60, gt=0, validation_alias="IRO_DISPUTES_DEADLINE_RETRY_SECONDS"
    )
    # A sweep stops claiming new batches after this long; the next sweep carries on.
    time_limit_seconds: float = Field(
        default=120, gt=0, validation_alias="IRO_DISPUTES_SWEEP_TIME_LIMIT_SECONDS"
    )


@lru_cache
def get_deadline_settings() -> DeadlineSettings:
    return DeadlineSettings()
