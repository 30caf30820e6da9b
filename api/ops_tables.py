"""Tables for running the service: worker heartbeats and stored API answers.

`worker_heartbeat` lets `/readyz` and the metrics say whether deadlines are being
swept at all. `api_idempotency` keeps the answer to a JSON API request sent with an
`Idempotency-Key`, so a client that retries (a lost answer, a timeout) gets the
first answer back instead of acting twice.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.tables import UTCDateTime


class WorkerHeartbeat(SQLModel, table=True):
    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=120)
    started_at: datetime = Field(sa_type=UTCDateTime)
    last_swept_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_sweep_error: str | None = Field(default=None, sa_type=sa.Text, nullable=True)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "api_idempotency"
    __table_args__ = (
        sa.UniqueConstraint("credential_hash", "key", name="uq_api_idempotency_key"),
        sa.Index("ix_api_idempotency_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Whose request: a SHA-256 of the Authorization header, so keys never collide
    # between callers and no token is stored.
    credential_hash: str = Field(max_length=64)
    key: str = Field(max_length=255)
    # SHA-256 of method, path, query and body: the same key with another request is refused.
    request_hash: str = Field(max_length=64)
    # Empty while the first request is still running.
    status_code: int | None = None
    content_type: str | None = Field(default=None, max_length=120)
    body: bytes | None = Field(default=None, sa_type=sa.LargeBinary, nullable=True)
    location: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime)
