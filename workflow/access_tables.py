"""Tables for who may see a child (IRO cover) and the tamper-evident audit chain."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.tables import UTCDateTime


class IroCover(SQLModel, table=True):
    """An IRO recorded by an admin as covering another IRO's children, until an end date."""

    __tablename__ = "iro_cover"

    id: int | None = Field(default=None, primary_key=True)
    covering_iro_id: int = Field(foreign_key="person.id", index=True)
    for_iro_id: int = Field(foreign_key="person.id")
    starts_on: date
    ends_on: date
    recorded_by_id: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class AuditLink(SQLModel, table=True):
    """One link of a hash chain over an append-only log: the row's own digest, and the
    digest of that with the previous link's, so changing any row breaks every link after."""

    __tablename__ = "audit_link"
    __table_args__ = (sa.UniqueConstraint("log", "row_id", name="uq_audit_link_log_row"),)

    id: int | None = Field(
        default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    )
    log: str = Field(max_length=30)
    row_id: int = Field(sa_type=sa.BigInteger)
    row_hash: str = Field(max_length=64)
    chain_hash: str = Field(max_length=64)
    sealed_at: datetime = Field(sa_type=UTCDateTime)
    # What the row's digest covers (`workflow.audit_chain.DIGESTS`): links sealed before
    # migration 0017 are version 1, which left an event's recorded facts out.
    digest_version: int = Field(default=1, sa_type=sa.SmallInteger,
                                sa_column_kwargs={"server_default": "1"})  # fmt: skip


class WorkingDayRenumbering(SQLModel, table=True):
    """An event's working-day numbers worked out again (`report renumber-working-days`),
    with the numbers before, so `audit verify` still checks an event sealed with them.
    Append-only, written only by the owner (the command runs as the owner)."""

    __tablename__ = "working_day_renumbering"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(sa_type=sa.BigInteger, index=True)
    working_day_before: int
    day_zero_before: int
    working_day_after: int
    day_zero_after: int
    renumbered_at: datetime = Field(sa_type=UTCDateTime)


class RetentionRecord(SQLModel, table=True):
    """What one retention run removed of one kind: when, how many, up to which cut-off,
    by whom. Append-only in the database, like the logs it accounts for."""

    __tablename__ = "retention_record"

    id: int | None = Field(default=None, primary_key=True)
    ran_at: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=40)
    rows: int
    cut_off: datetime = Field(sa_type=UTCDateTime)
    # For a log: every row up to this id has gone (the hash chain's links stay, so
    # `audit verify` still checks the chain and accepts these rows, and only these, missing).
    through_row_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    run_by: str = Field(max_length=200)
    # Which table the rows went from, about whom (a child's case reference, for the
    # child_record rule), and which run (every record of one run shares it).
    what: str | None = Field(default=None, max_length=60)
    subject: str | None = Field(default=None, max_length=60)
    run_id: str | None = Field(default=None, max_length=32)


class RetiredRow(SQLModel, table=True):
    """A row of a hash-chained log that a retention run deleted, one by one (a child's
    challenge log is not a prefix of the chain): `audit verify` accepts exactly these gaps.
    Append-only in the database."""

    __tablename__ = "retention_retired_row"
    __table_args__ = (
        sa.UniqueConstraint("log", "row_id", name="uq_retention_retired_row_log_row"),
    )

    id: int | None = Field(
        default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    )
    record_id: int = Field(foreign_key="retention_record.id")
    log: str = Field(max_length=30)
    row_id: int = Field(sa_type=sa.BigInteger)


class RetentionPass(SQLModel, table=True):
    """A marker the retention run writes and removes inside its own transaction: while it
    exists (seen by that transaction only) the access log's trigger lets DELETE through."""

    __tablename__ = "retention_pass"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
