"""Tamper evidence for the append-only logs: a SHA-256 hash chain over every row of the
challenge log (`challenge_event`) and the access log (`access_log`).

A sealer links rows after they are written (the worker runs it every minute, and
`audit verify` runs it first), so the hot paths that write events stay as they are.
Each link holds the row's own digest and `sha256(previous chain hash + row digest)`;
`verify` recomputes both from the rows, so changing, deleting or re-inserting any
sealed row breaks its link and is reported as the first broken one. The links
themselves are append-only in the database, like the logs.

Rows are linked in the order they are sealed (normally id order). A transaction that
commits late with a lower id is still sealed: the sealer looks back `LOOK_BACK` ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from workflow.access_tables import AuditLink, RetentionRecord, RetiredRow

LOGS = ("challenge_event", "access_log")
GENESIS = "0" * 64
LOOK_BACK = 1000
_LINK = AuditLink.__table__  # type: ignore[attr-defined]
_RETENTION = RetentionRecord.__table__  # type: ignore[attr-defined]
_RETIRED = RetiredRow.__table__  # type: ignore[attr-defined]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str) and value[:1] in "{[":
        try:  # SQLite may hand JSON back as text: hash the value, not its spelling
            return json.loads(value)
        except ValueError:
            return value
    return value


def row_digest(row: Mapping[Any, Any]) -> str:
    """A digest of a row's values that is the same on SQLite and PostgreSQL."""
    canonical = json.dumps(
        {k: _plain(v) for k, v in row.items()}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain(previous: str, digest: str) -> str:
    return hashlib.sha256((previous + digest).encode("ascii")).hexdigest()


# Facts recorded beside an event for the report (`workflow.event_facts`), not the record
# itself: added and backfilled after rows were sealed, and the working-day numbers are
# worked out again when the calendar changes. The digest leaves them out.
NOT_DIGESTED = frozenset({"team_id", "service_area", "working_day", "day_zero"})


def _table(conn: Connection, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def _digested(table: sa.Table) -> list[sa.Column[Any]]:
    if table.name != "challenge_event":
        return list(table.c)
    return [c for c in table.c if c.name not in NOT_DIGESTED]


def _lock(conn: Connection, log: str) -> None:
    """One sealer per log at a time (on SQLite the write transaction already is one)."""
    if conn.dialect.name == "postgresql":
        key = int(hashlib.sha256(f"audit:{log}".encode()).hexdigest()[:15], 16)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def seal(engine: Engine, now: datetime, batch: int = 5000) -> dict[str, int]:
    """Link every row not yet in its chain; returns how many rows each log gained."""
    return {log: _seal_log(engine, log, now, batch) for log in LOGS}


def _seal_log(engine: Engine, log: str, now: datetime, batch: int) -> int:
    total = 0
    while True:
        with engine.begin() as conn:
            _lock(conn, log)
            added = _seal_batch(conn, log, now, batch)
        total += added
        if added < batch:
            return total


def _seal_batch(conn: Connection, log: str, now: datetime, batch: int) -> int:
    table = _table(conn, log)
    last = conn.execute(
        sa.select(_LINK.c.row_id, _LINK.c.chain_hash)
        .where(_LINK.c.log == log)
        .order_by(_LINK.c.id.desc())
        .limit(1)
    ).first()
    previous = last.chain_hash if last else GENESIS
    top = max((last.row_id if last else 0) - LOOK_BACK, 0)
    linked = sa.select(_LINK.c.row_id).where(_LINK.c.log == log, _LINK.c.row_id > top)
    rows = conn.execute(
        sa.select(*_digested(table))
        .where(table.c.id > top, table.c.id.not_in(linked))
        .order_by(table.c.id)
        .limit(batch)
    ).mappings()
    links = []
    for row in rows:
        digest = row_digest(row)
        previous = chain(previous, digest)
        links.append({"log": log, "row_id": row["id"], "row_hash": digest,
                      "chain_hash": previous, "sealed_at": now})  # fmt: skip
    if links:
        conn.execute(_LINK.insert(), links)
    return len(links)


@dataclass
class LogVerdict:
    log: str
    linked: int = 0
    unsealed: int = 0
    broken_at: int | None = None  # the row id of the first broken link
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


@dataclass
class Verdict:
    logs: list[LogVerdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.logs)


def verify(engine: Engine, page: int = 5000) -> Verdict:
    """Recompute every chain from the rows; report the first broken link of each log."""
    with engine.connect() as conn:
        return Verdict([_verify_log(conn, log, page) for log in LOGS])


def _verify_log(conn: Connection, log: str, page: int) -> LogVerdict:
    verdict, previous = LogVerdict(log), GENESIS
    table = _table(conn, log)
    retired = _retired_through(conn, log)
    for link, row, retired_by_row in _links_with_rows(conn, table, log, page):
        verdict.linked += 1
        why = _broken(link, row, previous, link.row_id <= retired, retired_by_row)
        if why:
            verdict.broken_at, verdict.why = link.row_id, why
            break
        previous = link.chain_hash
    linked = sa.select(_LINK.c.row_id).where(_LINK.c.log == log)
    verdict.unsealed = conn.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.id.not_in(linked))
    ).scalar_one()
    return verdict


def _retired_through(conn: Connection, log: str) -> int:
    """Rows up to this id went by a recorded retention run (see `api.retention`); rows
    that went one by one (a child's record) are listed in `retention_retired_row`."""
    through = conn.execute(
        sa.select(sa.func.max(_RETENTION.c.through_row_id)).where(_RETENTION.c.kind == log)
    ).scalar()
    return int(through or 0)


def _broken(
    link: Any, row: Mapping[Any, Any] | None, previous: str, in_prefix: bool, by_row: bool
) -> str:
    """Why the link is broken, or "". A retired row (in a retention run's prefix, or
    recorded row by row) is gone by design: its link still holds the row's digest, so the
    chain through it is checked all the same."""
    if row is None and not (in_prefix or by_row):
        return "the row was deleted"
    if row is not None and by_row:
        return "a row recorded as deleted is there again"
    if row is not None and row_digest(row) != link.row_hash:
        return "the row was changed after it was sealed"
    if chain(previous, link.row_hash) != link.chain_hash:
        return "the chain was altered (a link changed, removed or inserted)"
    return ""


def _links_with_rows(
    conn: Connection, table: sa.Table, log: str, page: int
) -> Iterator[tuple[Any, Mapping[Any, Any] | None, bool]]:
    """Each link with its row (None when gone) and whether a retention run recorded
    deleting that row by itself."""
    after = 0
    while True:
        links = conn.execute(
            sa.select(_LINK).where(_LINK.c.log == log, _LINK.c.id > after)
            .order_by(_LINK.c.id).limit(page)
        ).all()  # fmt: skip
        if not links:
            return
        ids = [link.row_id for link in links]
        rows = {
            r["id"]: r
            for r in conn.execute(
                sa.select(*_digested(table)).where(table.c.id.in_(ids))
            ).mappings()
        }
        retired = set(
            conn.execute(
                sa.select(_RETIRED.c.row_id).where(
                    _RETIRED.c.log == log, _RETIRED.c.row_id.in_(ids)
                )
            ).scalars()
        )
        for link in links:
            yield link, rows.get(link.row_id), link.row_id in retired
        after = links[-1].id
