"""Tables behind accounts: server-side sessions, single-use account links (invite and
password reset), second factors and their recovery codes.

Like passwords and API tokens, no secret is stored: session ids, link tokens and
recovery codes are long random values kept as SHA-256 digests; the TOTP seed is the
one secret the server must be able to read back (to check codes), so only it is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from workflow.tables import UTCDateTime


class UserSession(SQLModel, table=True):
    """One signed-in browser. The cookie carries only a random id; ending the row ends
    the session everywhere, so a copied cookie stops working at once."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str = Field(default="", max_length=40)
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class AccountLink(SQLModel, table=True):
    """A single-use link that lets a person set a password: an invitation or a reset."""

    __tablename__ = "account_link"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SecondFactor(SQLModel, table=True):
    """A person's TOTP authenticator (RFC 6238)."""

    __tablename__ = "second_factor"

    person_id: int = Field(
        primary_key=True, foreign_key="person.id", sa_column_kwargs={"autoincrement": False}
    )
    totp_secret: str = Field(max_length=64)
    enrolled_at: datetime = Field(sa_type=UTCDateTime)
    last_step: int = 0  # the last time step accepted: a code is never accepted twice


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
