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

Each link says what its digest covers (`digest_version`). Version 1 (links sealed before
migration 0017) leaves out an event's recorded facts (`NOT_DIGESTED`): they were added and
backfilled after those rows were sealed. Version 2 (every link since) covers the whole
row; when `report renumber-working-days` works an event's numbers out again it records
the numbers before (`working_day_renumbering`), and `verify` checks the row with them.
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

from workflow.access_tables import AuditLink, RetentionRecord, RetiredRow, WorkingDayRenumbering

LOGS = ("challenge_event", "access_log")
GENESIS = "0" * 64
LOOK_BACK = 1000
_LINK = AuditLink.__table__  # type: ignore[attr-defined]
_RETENTION = RetentionRecord.__table__  # type: ignore[attr-defined]
_RETIRED = RetiredRow.__table__  # type: ignore[attr-defined]
_RENUMBERED = WorkingDayRenumbering.__table__  # type: ignore[attr-defined]


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


# Facts recorded beside an event for the report (`workflow.event_facts`), added and
# backfilled after the first rows were sealed: version 1 links leave them out.
NOT_DIGESTED = frozenset({"team_id", "service_area", "working_day", "day_zero"})
DIGEST_VERSION = 2  # what the sealer writes: the whole row


def digest_of(log: str, row: Mapping[Any, Any], version: int) -> str:
    """The row's digest as a link of `version` holds it."""
    if version == 1 and log == "challenge_event":
        row = {k: v for k, v in row.items() if k not in NOT_DIGESTED}
    return row_digest(row)


def _table(conn: Connection, name: str) -> sa.Table:
    """The log's columns as the database has them now (the chain digests whole rows), not its
    indexes: SQLite cannot read back an index on an expression (migration 0024's) and warns."""
    columns = sa.inspect(conn).get_columns(name)
    return sa.Table(name, sa.MetaData(), *(sa.Column(c["name"], c["type"]) for c in columns))


def _lock(conn: Connection, log: str) -> None:
    """One sealer per log at a time (on SQLite the write transaction already is one)."""
    if conn.dialect.name == "postgresql":
        key = int(hashlib.sha256(f"audit:{log}".encode()).hexdigest()[:15], 16)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def seal(
    engine: Engine, now: datetime, batch: int = 5000, version: int = DIGEST_VERSION
) -> dict[str, int]:
    """Link every row not yet in its chain; returns how many rows each log gained.
    (`version` 1 seals as before migration 0017, for tests of rows sealed then.)"""
    return {log: _seal_log(engine, log, now, batch, version) for log in LOGS}


def _seal_log(engine: Engine, log: str, now: datetime, batch: int, version: int) -> int:
    total = 0
    while True:
        with engine.begin() as conn:
            _lock(conn, log)
            added = _seal_batch(conn, log, now, batch, version)
        total += added
        if added < batch:
            return total


def _seal_batch(conn: Connection, log: str, now: datetime, batch: int, version: int) -> int:
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
        sa.select(table)
        .where(table.c.id > top, table.c.id.not_in(linked))
        .order_by(table.c.id)
        .limit(batch)
    ).mappings()
    links = []
    for row in rows:
        digest = digest_of(log, row, version)
        previous = chain(previous, digest)
        links.append({"log": log, "row_id": row["id"], "row_hash": digest,
                      "chain_hash": previous, "sealed_at": now})  # fmt: skip
        if version != 1:  # the column's default (a schema before 0017 has no column)
            links[-1]["digest_version"] = version
    if links:  # only the columns given: a schema before 0017 has no digest_version
        conn.execute(sa.table("audit_link", *map(sa.column, links[0])).insert(), links)
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
    for link, rows, retired_by_row in _links_with_rows(conn, table, log, page):
        verdict.linked += 1
        why = _broken(log, link, rows, previous, link.row_id <= retired, retired_by_row)
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
    log: str, link: Any, rows: list[Mapping[Any, Any]], previous: str, in_prefix: bool,
    by_row: bool,
) -> str:  # fmt: skip
    """Why the link is broken, or "". `rows` is the row as it is, then as it was before
    each renumbering of its working days, latest first (none when the row is gone). A
    retired row (in a retention run's prefix, or recorded row by row) is gone by design:
    its link still holds the row's digest, so the chain through it is checked all the same."""
    if not rows and not (in_prefix or by_row):
        return "the row was deleted"
    if rows and by_row:
        return "a row recorded as deleted is there again"
    version = link.digest_version
    if rows and all(digest_of(log, r, version) != link.row_hash for r in rows):
        return "the row was changed after it was sealed"
    if chain(previous, link.row_hash) != link.chain_hash:
        return "the chain was altered (a link changed, removed or inserted)"
    return ""


def _links_with_rows(
    conn: Connection, table: sa.Table, log: str, page: int
) -> Iterator[tuple[Any, list[Mapping[Any, Any]], bool]]:
    """Each link with its row and the row before each renumbering (none when gone), and
    whether a retention run recorded deleting that row by itself."""
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
            r["id"]: r for r in conn.execute(sa.select(table).where(table.c.id.in_(ids))).mappings()
        }
        renumbered = _renumberings(conn, ids) if log == "challenge_event" else {}
        retired = set(
            conn.execute(
                sa.select(_RETIRED.c.row_id).where(
                    _RETIRED.c.log == log, _RETIRED.c.row_id.in_(ids)
                )
            ).scalars()
        )
        for link in links:
            row = rows.get(link.row_id)
            versions = _as_it_was(row, renumbered.get(link.row_id, [])) if row else []
            yield link, versions, link.row_id in retired
        after = links[-1].id


def _renumberings(conn: Connection, ids: list[int]) -> dict[int, list[Any]]:
    """Each event's renumberings of its working days, latest first."""
    found: dict[int, list[Any]] = {}
    query = (sa.select(_RENUMBERED).where(_RENUMBERED.c.event_id.in_(ids))
             .order_by(_RENUMBERED.c.id.desc()))  # fmt: skip
    for r in conn.execute(query):
        found.setdefault(r.event_id, []).append(r)
    return found


def _as_it_was(row: Mapping[Any, Any], renumberings: list[Any]) -> list[Mapping[Any, Any]]:
    """The row, then the row with the numbers it had before each renumbering, walking
    back from the numbers it holds now."""
    versions = [row]
    for r in renumberings:
        now = versions[-1]
        if (now["working_day"], now["day_zero"]) != (r.working_day_after, r.day_zero_after):
            break
        versions.append({**now, "working_day": r.working_day_before,
                         "day_zero": r.day_zero_before})  # fmt: skip
    return versions
