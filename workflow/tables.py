"""The storage schema. Rows only: behaviour lives in `domain` and `lifecycle`.

Times are stored as aware UTC (see `UTCDateTime`); SQLite keeps no zone, so
the type puts it back on the way out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from workflow.addressed import ADDRESSING_SQL, event_responder_id


def sqlite_utc_text(value: datetime) -> str:
    """What `UTCDateTime` stores on SQLite: SQLAlchemy's DATETIME text of the UTC moment,
    microseconds always (same format, so comparisons as text hold)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime refused: store aware UTC")
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    return utc.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        """On SQLite, one function instead of two: the text SQLAlchemy's SQLite DATETIME
        stores (same format, so comparisons as text hold). The sweep binds some thirty
        times an escalation; the pair of processors cost more than the rest of a bind."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            return None if value is None else sqlite_utc_text(value)

        return process

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    service_area: str = Field(default="", max_length=200)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=40, index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    deputy_id: int | None = Field(default=None, foreign_key="person.id")
    absent: bool = False
    active: bool = True
    # The directory's id for them (Entra ID `oid`), stored at their first single sign-on
    # by verified email; later sign-ins match on it, so a renamed email still finds them.
    directory_object_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # The share of a full-time post they work (0.6 for three days a week): IRO caseloads are
    # counted per full-time post, against the IRO Handbook's 50 to 70 children.
    fte: float = Field(default=1.0, sa_column_kwargs={"server_default": "1"})


class PersonPost(SQLModel, table=True):
    """A post a person holds, as the council's ladder names it (head_of_qa, iro_manager)."""

    __tablename__ = "person_post"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    post: str = Field(max_length=60, primary_key=True, index=True)


class Child(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_reference: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=200)
    legal_status: str = Field(max_length=40)
    # Optional: the record (and its challenges) is kept until the 75th birthday.
    date_of_birth: date | None = None
    social_worker_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    iro_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # The team the case sits with, allocated or not: where a fallback looks when the
    # child has no social worker.
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    # When the child became looked after and, once they have, stopped being looked after
    # (the day it ended). Optional: a child with no start date counts as looked after when
    # their legal status says so (see `workflow.looked_after`).
    looked_after_from: date | None = None
    looked_after_until: date | None = None


def _reference_search(name: str, column: sa.Column[str]) -> None:
    """An index for "this reference begins with what was typed, in any case"
    (`workflow.queries._begins`, migration 0025), in the form each database can read:
    PostgreSQL on upper(), with text_pattern_ops, which compares bytes as LIKE 'LL12%'
    needs whatever the database's collation; SQLite on the column with NOCASE collation,
    the only index its case-blind LIKE can use."""
    sa.Index(
        name,
        sa.func.upper(column).label("reference_upper"),
        postgresql_ops={"reference_upper": "text_pattern_ops"},
    ).ddl_if(dialect="postgresql")
    sa.Index(name, column.collate("NOCASE")).ddl_if(dialect="sqlite")


# The log's child filter, not from every child (70 ms among 400,000 on PostgreSQL, 110 ms
# on SQLite).
_reference_search("ix_child_reference_search", Child.__table__.c.case_reference)  # type: ignore[attr-defined]


class Theme(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=60)
    label: str = Field(max_length=200)
    position: int = 0
    active: bool = True


class OutcomeKind(SQLModel, table=True):
    """The kinds of outcome an IRO picks from when accepting a response (editable)."""

    __tablename__ = "outcome_kind"
    key: str = Field(primary_key=True, max_length=60)
    label: str = Field(max_length=200)
    position: int = 0
    active: bool = True


class LadderVersion(SQLModel, table=True):
    """Every ladder a challenge has started under, kept so its deadlines never move."""

    __tablename__ = "ladder_version"
    content_hash: str = Field(primary_key=True, max_length=64)
    ladder_id: str = Field(max_length=60, index=True)
    content: str = Field(sa_type=sa.Text)
    first_used_at: datetime = Field(sa_type=UTCDateTime)


class ReferenceCounter(SQLModel, table=True):
    __tablename__ = "reference_counter"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class ChallengeRecord(SQLModel, table=True):
    __tablename__ = "challenge"
    __table_args__ = (
        # The deadline sweep: running clocks, oldest due first.
        sa.Index("ix_challenge_state_due", "state", "due_at"),
        sa.Index("ix_challenge_responder_state", "responder_id", "state"),
        sa.Index("ix_challenge_raised_by_state", "raised_by_id", "state"),
        # The challenge log: filtered by stage or IRO, newest first.
        sa.Index("ix_challenge_stage_raised", "stage_key", "raised_at"),
        sa.Index("ix_challenge_raised_by_raised", "raised_by_id", "raised_at"),
        # The log's sort orders, each ending in the id that breaks ties, so a page seeks to
        # where the last one stopped (`workflow.log_seek`) instead of counting past rows.
        # The reference is unique and needs none beyond its own. Newest first also carries
        # the state and due date, so "open" and "overdue" are checked in the index as it is
        # walked, without reading each row (`migration 0022_log_filters`).
        sa.Index("ix_challenge_raised_state_due", "raised_at", "id", "state", "due_at"),
        sa.Index("ix_challenge_due_id", "due_at", "id"),
        sa.Index("ix_challenge_state_id", "state", "id"),
        sa.Index("ix_challenge_stage_id", "stage_key", "id"),
        # A child's challenges newest first, read from the index alone: the log's child and
        # team filters (a few children's challenges, sorted), and anything by child.
        sa.Index("ix_challenge_child_raised", "child_id", "raised_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True)
    child_id: int = Field(foreign_key="child.id")
    raised_by_id: int = Field(foreign_key="person.id")
    theme_key: str = Field(foreign_key="theme.key", max_length=60, index=True)
    ladder_id: str = Field(max_length=60)
    ladder_hash: str = Field(foreign_key="ladder_version.content_hash", max_length=64)
    raised_at: datetime = Field(sa_type=UTCDateTime)
    what_is_wrong: str = Field(default="", sa_type=sa.Text)
    review_date: date | None = None
    impact_on_child: str = Field(default="", sa_type=sa.Text)
    outcome_wanted: str = Field(default="", sa_type=sa.Text)
    state: str = Field(max_length=30)
    stage_key: str | None = Field(default=None, max_length=60)
    responder_id: int | None = Field(default=None, foreign_key="person.id")
    due_at: datetime | None = _when()
    stage_started_at: datetime | None = _when()
    formal_started_at: datetime | None = _when()
    cap_due_at: datetime | None = _when()
    highest_stage_key: str | None = Field(default=None, max_length=60)
    paused_at: datetime | None = _when()
    paused_from: str | None = Field(default=None, max_length=30)
    informal_recorded: bool = False
    resolved_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    outcome: str | None = Field(default=None, sa_type=sa.Text)
    version: int = 1
    updated_at: datetime = Field(sa_type=UTCDateTime)


# The log's search box (about a second a search at 1,000,000 on PostgreSQL without it).
_reference_search("ix_challenge_reference_search", ChallengeRecord.__table__.c.reference)  # type: ignore[attr-defined]


class ChallengeEvent(SQLModel, table=True):
    """The append-only log: the IRO footprint. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "challenge_event"
    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "seq", name="uq_challenge_event_seq"),
        sa.Index("ix_challenge_event_kind_at", "kind", "occurred_at"),
        # "Was this challenge ever addressed to me?" for responders' pages.
        sa.Index("ix_challenge_event_challenge_kind", "challenge_id", "kind"),
        # Who each addressing event addressed, and who made it: a responder's visibility
        # by look-up (`workflow.addressed`, migration 0024).
        sa.Index(
            "ix_challenge_event_addressed_to",
            event_responder_id(),
            "challenge_id",
            sqlite_where=sa.text(ADDRESSING_SQL),
            postgresql_where=sa.text(ADDRESSING_SQL),
        ),
        sa.Index(
            "ix_challenge_event_addressed_by",
            "actor_id",
            "challenge_id",
            sqlite_where=sa.text(ADDRESSING_SQL),
            postgresql_where=sa.text(ADDRESSING_SQL),
        ),
        {"sqlite_autoincrement": True},  # an id retention deleted is never used again
    )

    id: int | None = Field(
        default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    )
    challenge_id: int = Field(foreign_key="challenge.id")
    seq: int
    kind: str = Field(max_length=40)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    from_state: str = Field(max_length=30)
    to_state: str = Field(max_length=30)
    stage_key: str | None = Field(default=None, max_length=60)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # Recorded when written, for the SMT report (see `workflow.event_facts`): the child's
    # team and service area then (a fact, not a link: no foreign key), and working-day
    # numbers from the council calendar. Outside the audit chain's digest.
    team_id: int | None = None
    service_area: str | None = Field(default=None, max_length=200)
    working_day: int | None = None
    day_zero: int | None = None


class ListVersion(SQLModel, table=True):
    """One number that database triggers raise whenever the people, teams or themes the
    log's filter lists show change (by any route: admin pages, imports, the directory):
    a process keeps its lists until it reads a different number (`workflow.list_cache`)."""

    __tablename__ = "list_version"
    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = 0
