"""Tables of the web service: sign-in credentials, API tokens and the access log.

Secrets are never stored: passwords as argon2id hashes, API tokens as SHA-256
digests (they are long random values, so a fast hash is enough).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.tables import UTCDateTime


class PasswordCredential(SQLModel, table=True):
    __tablename__ = "password_credential"

    person_id: int = Field(
        primary_key=True, foreign_key="person.id", sa_column_kwargs={"autoincrement": False}
    )
    password_hash: str = Field(max_length=255)
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_at: datetime = Field(sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    # A personal token acts as its owner; a service token (person_id empty) acts as the
    # named service, only within its scope, and names the admin who created it.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    label: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    service_name: str = Field(default="", max_length=100)
    scope: str = Field(default="", max_length=100)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")


class AccessLogEntry(SQLModel, table=True):
    """Who viewed which child's challenge, when, from where, and through which door (page,
    api, csv, pdf, email link, export). Append-only in the database."""

    __tablename__ = "access_log"
    __table_args__ = (
        sa.Index("ix_access_log_viewed_at", "viewed_at"),
        sa.Index("ix_access_log_challenge", "challenge_id", "viewed_at"),
        sa.Index("ix_access_log_person", "person_id", "viewed_at"),
        sa.Index("ix_access_log_child", "child_id", "viewed_at"),
        {"sqlite_autoincrement": True},  # an id retention deleted is never used again
    )

    id: int | None = Field(
        default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    )
    person_id: int | None = Field(default=None, foreign_key="person.id")
    # No foreign keys: a row outlives the child's record (it goes by the access log's own
    # retention period), so it names the challenge and the child by number only.
    challenge_id: int | None = None
    child_id: int | None = None
    viewed_at: datetime = Field(sa_type=UTCDateTime)
    via: str = Field(max_length=20)
    what: str = Field(default="", max_length=200)
    ip: str = Field(default="", max_length=64)
    # Who, when no person: a service token ("service:NAME").
    actor: str = Field(default="", max_length=120)
