"""The deadline sweep, as the worker runs it, against plain SQL making the same writes.

    .venv/bin/python -m bench.sweep [--challenges 100000] [--due 0.1] [--batch 500]
                                    [--rounds 3] [--db sqlite,postgres] [--no-mail]

Per database, one scratch database is seeded with bulk SQL (DB-API `executemany` of
tuples on SQLite, `COPY` on PostgreSQL; past 10,000 challenges, copies of the first 10,000
made in SQL, `bench/seeding.py`): `--challenges` open challenges at the social
worker stage, each with its raise event and its two pending deadlines (the stage's
timeout and the overall cap), `--due` of them due. Each round copies it twice (a file
copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL): on one copy the real
sweep (`workflow.sweep`: claim, then fire, with every listener the worker has: the
deadline planner and the outbox; `--no-mail`: the planner only), on the other plain
SQL making the same writes as efficiently as SQL allows. The two alternate batch by
batch, so a shared, noisy machine slows both alike.

Plain SQL, per batch of `--batch`: one claim (on PostgreSQL one statement: select with
`SKIP LOCKED`, lease and read the challenges' versions), commit; then in one
transaction the challenge updates with their version checks, the events, closing the
fired deadlines (only if still pending and ours), one set-based cancel of the
challenges' other pending deadlines but the cap (an escalation does not move it), the
next stage's first deadline (one row: its first reminder point still ahead, else its
timeout; the rest is planned as each fires), one set-based expiry of the ended stage's link
tokens, and one outbox row per escalation (the responder's email, skipping a dedupe key
already there). SQLite: one `executemany` per kind of write. PostgreSQL: one statement
per kind of write over arrays (`unnest`), so each is one round trip and one execution.

Prints, per round and side, escalations a second, the medians over rounds with their
ranges, the per-batch median and range, and the CPU each escalation cost: this process's
CPU plus, on PostgreSQL, the CPU of the server processes serving that database (read
from /proc). The CPU figure hardly moves with the machine's load; the rates do.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bench.seeding import BLOCK, grow
from escalation_rules.deadlines import DeadlineRules
from workflow.db import make_engine
from workflow.deadline_planner import plan_deadlines
from workflow.deadline_settings import DeadlineSettings
from workflow.runtime import Runtime, build_runtime, prepare_database
from workflow.settings import WorkflowSettings
from workflow.sweep import claim, fire_batch
from workflow.tables import utc_now
from workflow.unit_of_work import EventListener

NOW = datetime(2027, 1, 15, 17, 5, tzinfo=UTC)
ADMIN_URL = os.environ.get(
    "IRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
T = SQLModel.metadata.tables
SETTINGS = WorkflowSettings(IRO_DISPUTES_LADDER="handbook")
# The headers the outbox keeps with each message (as `notifications.messages` writes them).
HEADERS = json.dumps({"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
                      "Reply-To": "iro-replies@bench.test",
                      "X-IRO-Disputes-Reference": "IRO-2026-000000"})  # fmt: skip


@contextmanager
def scratch(kind: str) -> Iterator[Engine]:
    """An empty scratch database of `kind`, dropped afterwards."""
    with _scratch_url(kind) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _scratch_url(kind: str, template: str | None = None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite3"
            if template:
                source = template.split(":///", 1)[1]
                for suffix in ("", "-wal"):
                    if Path(source + suffix).exists():
                        shutil.copy(source + suffix, str(path) + suffix)
            yield f"sqlite:///{path}"
        return
    name = f"iro_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- seeding -------------------------------------------------------------------------


def seed(runtime: Runtime, challenges: int, due: float) -> int:
    """Bulk-insert a council, `challenges` open challenges at the social worker stage,
    their raise events and their two deadlines each. Returns how many are due at NOW."""
    engine, ladder = runtime.engine, runtime.ladders.current
    with Session(engine) as session:
        runtime.ladders.record_current(session)
        session.commit()
    with engine.begin() as conn:
        new_team = sa.insert(T["team"]).values(name="Team", service_area="CLA")
        team = conn.execute(new_team).inserted_primary_key[0]  # type: ignore[index]
        people: dict[str, int] = {}
        for role, manager in (("senior_manager", None), ("head_of_service", "senior_manager"),
                              ("team_manager", "head_of_service"), ("social_worker", "team_manager"),
                              ("iro", None)):  # fmt: skip
            people[role] = conn.execute(
                sa.insert(T["person"]).values(
                    email=f"{role}@bench.test", name=role, role=role, team_id=team,
                    manager_id=people.get(manager or ""), absent=False, active=True,
                )
            ).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
        children = [
            {"case_reference": f"LL{i:06d}", "display_name": f"Child {i}",
             "legal_status": "looked_after", "social_worker_id": people["social_worker"],
             "iro_id": people["iro"], "team_id": team}
            for i in range(1000)
        ]  # fmt: skip
        conn.execute(sa.insert(T["child"]), children)
        child_ids = list(conn.execute(sa.select(T["child"].c.id)).scalars())
    # Past a block, the rest are copies of it made in SQL (bench/seeding.py), each with
    # its share of due ones.
    block = min(challenges, BLOCK)
    due_count = int(block * due)
    started = NOW - timedelta(days=10)
    cap_deadline = DeadlineRules(ladder).cap_deadline(started)
    assert cap_deadline is not None, "the handbook ladder has an overall cap"
    cap = cap_deadline.due_at
    pg = engine.dialect.name == "postgresql"
    when = (lambda m: m) if pg else _sqlite_time
    rows = [_seed_rows(i, due_count, started, cap, child_ids, people, ladder.content_hash, when)
            for i in range(block)]  # fmt: skip
    tables = {
        "challenge": (list(CHALLENGE_COLUMNS), [r[0] for r in rows]),
        "challenge_event": (list(EVENT_COLUMNS), [r[1] for r in rows]),
        "deadline": (list(DEADLINE_COLUMNS), [d for r in rows for d in r[2]]),
    }
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, (columns, values) in tables.items():
            names = ", ".join(columns)
            if pg:
                with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT MAX(id) FROM {table}))")  # fmt: skip
            else:
                marks = ", ".join("?" * len(columns))
                cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        raw.commit()
        grow(
            engine,
            block,
            challenges,
            {table: "challenge_id" for table in tables if table != "challenge"},
        )
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    copies, rest = divmod(challenges, block)
    return due_count * copies + min(rest, due_count)


CHALLENGE_COLUMNS = (
    "id", "reference", "child_id", "raised_by_id", "theme_key", "ladder_id", "ladder_hash",
    "raised_at", "what_is_wrong", "impact_on_child", "outcome_wanted", "state", "stage_key",
    "responder_id", "due_at", "stage_started_at", "formal_started_at", "cap_due_at",
    "highest_stage_key", "informal_recorded", "version", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "challenge_id", "seq", "kind", "occurred_at", "recorded_at", "from_state",
    "to_state", "stage_key", "changes", "details",
)  # fmt: skip
DEADLINE_COLUMNS = (
    "id", "challenge_id", "kind", "due_at", "state", "stage_key", "applies_to_due_at",
    "challenge_version", "label", "status", "attempts", "next_attempt_at", "details",
    "planned_at", "updated_at",
)  # fmt: skip


def _seed_rows(i: int, due_count: int, started: datetime, cap: datetime, child_ids: list[int],
               people: dict[str, int], ladder_hash: str, when: Callable[[datetime], Any],
               ) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]]]:  # fmt: skip
    # The due ones are spread over the three days before NOW, the rest over the next month.
    due_at = NOW - timedelta(minutes=1 + i * 4320 // max(due_count, 1)) if i < due_count else (
        NOW + timedelta(hours=1 + i % 700))  # fmt: skip
    cid, s = i + 1, when(started)
    challenge = (
        cid, f"IRO-2026-{i:06d}", child_ids[i % len(child_ids)], people["iro"],
        "drift_and_delay", "handbook", ladder_hash, s, "Drift", "Delay", "Plan",
        "awaiting_response", "social_worker", people["social_worker"], when(due_at), s, s,
        when(cap), "social_worker", True, 1, s,
    )  # fmt: skip
    event = (cid, cid, 1, "raise_formal", s, s, "new", "awaiting_response", "social_worker",
             "{}", "{}")  # fmt: skip
    deadlines = [
        (2 * cid - 1, cid, "timeout", when(due_at), "awaiting_response", "social_worker",
         when(due_at), 1, "stage social_worker due", "pending", 0, when(due_at), "{}", s, s),
        (2 * cid, cid, "cap", when(cap), "awaiting_response", "social_worker", when(cap), 1,
         "overall cap of 20 working days", "pending", 0, when(cap), "{}", s, s),
    ]  # fmt: skip
    return challenge, event, deadlines


def _sqlite_time(moment: datetime) -> str:
    """A UTC moment as SQLAlchemy stores it in SQLite (compared as text: same format)."""
    m = moment.astimezone(UTC)
    return f"{m:%Y-%m-%d %H:%M:%S}.{m.microsecond:06d}"


# -- the two sides -------------------------------------------------------------------


class SweepRunner:
    """The real sweep, one batch per step (what `workflow.sweep.sweep` loops over)."""

    def __init__(self, runtime: Runtime, batch: int, worker: str = "bench") -> None:
        self.runtime, self.worker = runtime, worker
        self.settings = DeadlineSettings(IRO_DISPUTES_SWEEP_BATCH=batch)

    def step(self) -> int | None:
        claims = claim(self.runtime, NOW, self.worker, self.settings, utc_now)
        if not claims:
            return None
        fired = fire_batch(self.runtime, claims, NOW, self.worker, self.settings)
        return sum(1 for f in fired if f.kind == "timeout" and f.status == "done")

    def close(self) -> None:
        pass


class PlainSqlRunner:
    """The same writes with a DB-API cursor, as efficiently as SQL allows."""

    def __init__(self, runtime: Runtime, batch: int) -> None:
        self.mail = len(runtime.listeners) > 1  # as the sweep beside it: mail or not
        ladder = runtime.ladders.current
        self.rules, self.stage = DeadlineRules(ladder), ladder.stage("team_manager")
        self.pg = runtime.engine.dialect.name == "postgresql"
        self.batch = batch
        self.raw = runtime.engine.raw_connection()
        with runtime.engine.connect() as conn:
            self.manager = conn.execute(sa.text(
                "SELECT id FROM person WHERE role = 'team_manager'")).scalar_one()  # fmt: skip
        self.t: Callable[[datetime], Any] = (lambda m: m) if self.pg else _sqlite_time

    def step(self) -> int | None:
        cur = self._begin()
        claimed = self._claim(cur)
        self.raw.commit()
        if not claimed:
            return None
        deadline = self.rules.stage_deadline(self.stage, NOW)
        assert deadline is not None, "the team manager's stage has a timescale"
        due = deadline.due_at
        reminders = [w for _, w in self.rules.reminder_times(due) if NOW < w < due]
        cur = self._begin()
        (self._escalate_pg if self.pg else self._escalate_sqlite)(cur, claimed, due, reminders)
        self.raw.commit()
        return len(claimed)

    def _begin(self) -> Any:
        cur = self.raw.cursor()
        if not self.pg:  # the driver is in autocommit mode: each row would commit on its own
            cur.execute("BEGIN IMMEDIATE")
        return cur

    def _claim(self, cur: Any) -> list[tuple[int, int, int, datetime]]:
        """(deadline, challenge, version, due at) of the oldest due, now leased to us."""
        now, lease = self.t(NOW), self.t(NOW + timedelta(minutes=5))
        if self.pg:
            cur.execute(_PG_CLAIM, {"now": now, "lease": lease, "n": self.batch})
            return list(cur.fetchall())
        cur.execute(_SQLITE_CLAIM.format(n=self.batch), (now, now))
        claimed = list(cur.fetchall())
        if claimed:
            marks = ", ".join("?" * len(claimed))
            cur.execute(f"UPDATE deadline SET claimed_by = 'plain', lease_until = ? "
                        f"WHERE id IN ({marks})", (lease, *(c[0] for c in claimed)))  # fmt: skip
        return claimed

    def _rows(self, claimed: list[Any], due: datetime, reminders: list[datetime]) -> _Writes:
        """What each escalation writes, column by column: the same values the sweep writes."""
        t, now, w = self.t, self.t(NOW), _Writes()
        for d, c, v, due_at in claimed:
            late = int((NOW - _aware(due_at)).total_seconds())
            w.ids.append(c)
            w.versions.append(v)
            w.deadlines.append(d)
            w.lates.append(late)
            w.changes.append(json.dumps({"stage_key": "team_manager", "responder_id": self.manager,
                                         "due_at": due.isoformat(), "stage_started_at": NOW.isoformat(),
                                         "highest_stage_key": "team_manager"}))  # fmt: skip
            w.details.append(json.dumps({"deadline_id": d, "deadline": "stage social_worker due",
                                         "due_at": _aware(due_at).isoformat(), "fired_at": NOW.isoformat(),
                                         "late_seconds": late, "reason": "on schedule", "stage": "team_manager",
                                         "responder_id": self.manager}))  # fmt: skip
            # The new stage's first deadline only: the rest is planned as each fires.
            kind, at, label = (("reminder", min(reminders), "reminder") if reminders
                               else ("timeout", due, "stage team_manager due"))  # fmt: skip
            w.new.append((c, kind, t(at), t(due), v + 1, label, t(at), now, now))
            w.outbox.append((f"<iro-disputes.{uuid.uuid4().hex}@bench.test>",
                             f"c{c}:{v + 1}:stage_opened:{self.manager}", c, v + 1, now, now))  # fmt: skip
        w.due_json = json.dumps({"challenge": {"state": "awaiting_response",
                                               "stage_key": "team_manager"}, "answers": True})  # fmt: skip
        return w

    def _escalate_sqlite(self, cur: Any, claimed: list[Any], due: datetime,
                         reminders: list[datetime]) -> None:  # fmt: skip
        t, now, w = self.t, self.t(NOW), self._rows(claimed, due, reminders)
        cur.executemany(
            "UPDATE challenge SET stage_key = 'team_manager', responder_id = ?, due_at = ?, "
            "stage_started_at = ?, highest_stage_key = 'team_manager', version = ?, "
            "updated_at = ? WHERE id = ? AND version = ?",
            [(self.manager, t(due), now, v + 1, now, c, v) for c, v in zip(w.ids, w.versions, strict=True)],
        )  # fmt: skip
        if cur.rowcount != len(claimed):
            raise SystemExit("plain SQL lost a version check")
        cur.executemany(
            "INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at, "
            "from_state, to_state, stage_key, changes, details) VALUES (?, ?, 'time_out', ?, ?, "
            "'awaiting_response', 'awaiting_response', 'team_manager', ?, ?)",
            [(c, v + 1, now, now, ch, de)
             for c, v, ch, de in zip(w.ids, w.versions, w.changes, w.details, strict=True)],
        )  # fmt: skip
        cur.executemany(
            "UPDATE deadline SET status = 'done', fired_at = ?, fired_by = 'plain', "
            "late_seconds = ?, outcome = 'escalated from social_worker to team_manager', "
            "claimed_by = NULL, lease_until = NULL, updated_at = ? "
            "WHERE id = ? AND status = 'pending' AND claimed_by = 'plain'",
            [(now, late, now, d) for d, late in zip(w.deadlines, w.lates, strict=True)],
        )  # fmt: skip
        if cur.rowcount != len(claimed):
            raise SystemExit("plain SQL lost a deadline")
        marks = ", ".join("?" * len(w.ids))
        cur.execute(f"UPDATE deadline SET status = 'cancelled', outcome = 'moved on', "
                    f"claimed_by = NULL, lease_until = NULL, updated_at = ? WHERE "
                    f"challenge_id IN ({marks}) AND status IN ('pending', 'stuck') AND kind <> 'cap'",
                    (now, *w.ids))  # fmt: skip
        cur.executemany(
            "INSERT INTO deadline (challenge_id, kind, due_at, state, stage_key, "
            "applies_to_due_at, challenge_version, label, status, attempts, next_attempt_at, "
            "details, planned_at, updated_at) VALUES (?, ?, ?, 'awaiting_response', "
            "'team_manager', ?, ?, ?, 'pending', 0, ?, '{}', ?, ?)", w.new,
        )  # fmt: skip
        cur.execute(f"UPDATE mail_link_token SET expires_at = ? WHERE challenge_id IN ({marks}) "
                    f"AND expires_at > ? AND (stage_key IS NOT 'team_manager' OR "
                    f"stage_started_at IS NOT ?)", (now, *w.ids, now, now))  # fmt: skip
        if not self.mail:
            return
        cur.executemany(
            "INSERT INTO mail_outbox (message_id, dedupe_key, kind, challenge_id, event_seq, "
            "recipient_id, to_address, copied, subject, body_text, body_html, headers, "
            "secrets, status, attempts, next_attempt_at, created_at, due) VALUES "
            f"(?, ?, 'stage_opened', ?, ?, {self.manager}, 'team_manager@bench.test', 0, '', "
            "'', '', ?, '[]', 'pending', 0, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            [(*row[:4], HEADERS, *row[4:], w.due_json) for row in w.outbox],
        )  # fmt: skip

    def _escalate_pg(self, cur: Any, claimed: list[Any], due: datetime,
                     reminders: list[datetime]) -> None:  # fmt: skip
        w = self._rows(claimed, due, reminders)
        p = {"now": NOW, "due": due, "manager": self.manager, "ids": w.ids,
             "versions": w.versions, "deadlines": w.deadlines, "lates": w.lates,
             "changes": w.changes, "details": w.details, "due_json": w.due_json, "headers": HEADERS}  # fmt: skip
        cur.execute(_PG_SAVE, p)
        if cur.rowcount != len(claimed):
            raise SystemExit("plain SQL lost a version check")
        cur.execute(_PG_EVENTS, p)
        cur.execute(_PG_FINISH, p)
        if cur.rowcount != len(claimed):
            raise SystemExit("plain SQL lost a deadline")
        cur.execute(_PG_CANCEL, p)
        columns = list(zip(*w.new, strict=True))
        cur.execute(_PG_PLAN, {f"c{i}": list(col) for i, col in enumerate(columns)})
        cur.execute(_PG_TOKENS, p)
        if not self.mail:
            return
        outbox = list(zip(*w.outbox, strict=True))
        cur.execute(_PG_OUTBOX, {**p, **{f"o{i}": list(col) for i, col in enumerate(outbox)}})

    def close(self) -> None:
        self.raw.close()


@dataclass
class _Writes:
    ids: list[int] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    deadlines: list[int] = field(default_factory=list)
    lates: list[int] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    new: list[tuple[Any, ...]] = field(default_factory=list)
    outbox: list[tuple[Any, ...]] = field(default_factory=list)
    due_json: str = ""


def _aware(moment: datetime | str) -> datetime:
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_SQLITE_CLAIM = (
    "SELECT d.id, d.challenge_id, c.version, d.due_at FROM deadline d "
    "JOIN challenge c ON c.id = d.challenge_id WHERE d.status = 'pending' AND "
    "d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?) "
    "ORDER BY d.next_attempt_at, d.id LIMIT {n}"
)
_PG_CLAIM = """
WITH due AS (
    SELECT id FROM deadline WHERE status = 'pending' AND next_attempt_at <= %(now)s
      AND (lease_until IS NULL OR lease_until < %(now)s)
    ORDER BY next_attempt_at, id LIMIT %(n)s FOR UPDATE SKIP LOCKED),
leased AS (
    UPDATE deadline d SET claimed_by = 'plain', lease_until = %(lease)s FROM due
    WHERE d.id = due.id RETURNING d.id, d.challenge_id, d.due_at, d.next_attempt_at)
SELECT l.id, l.challenge_id, c.version, l.due_at
FROM leased l JOIN challenge c ON c.id = l.challenge_id ORDER BY l.next_attempt_at, l.id"""
_PG_SAVE = """
UPDATE challenge c SET stage_key = 'team_manager', responder_id = %(manager)s,
    due_at = %(due)s, stage_started_at = %(now)s, highest_stage_key = 'team_manager',
    version = x.v + 1, updated_at = %(now)s
FROM unnest(%(ids)s::int[], %(versions)s::int[]) AS x(id, v)
WHERE c.id = x.id AND c.version = x.v"""
_PG_EVENTS = """
INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at, from_state,
    to_state, stage_key, changes, details)
SELECT x.id, x.v + 1, 'time_out', %(now)s, %(now)s, 'awaiting_response', 'awaiting_response',
    'team_manager', x.changes, x.details
FROM unnest(%(ids)s::int[], %(versions)s::int[], %(changes)s::jsonb[], %(details)s::jsonb[])
    AS x(id, v, changes, details)"""
_PG_FINISH = """
UPDATE deadline d SET status = 'done', fired_at = %(now)s, fired_by = 'plain',
    late_seconds = x.late, outcome = 'escalated from social_worker to team_manager',
    claimed_by = NULL, lease_until = NULL, updated_at = %(now)s
FROM unnest(%(deadlines)s::int[], %(lates)s::int[]) AS x(id, late)
WHERE d.id = x.id AND d.status = 'pending' AND d.claimed_by = 'plain'"""
_PG_CANCEL = """
UPDATE deadline SET status = 'cancelled', outcome = 'moved on', claimed_by = NULL,
    lease_until = NULL, updated_at = %(now)s
WHERE challenge_id = ANY(%(ids)s::int[]) AND status IN ('pending', 'stuck') AND kind <> 'cap'"""
_PG_PLAN = """
INSERT INTO deadline (challenge_id, kind, due_at, state, stage_key, applies_to_due_at,
    challenge_version, label, status, attempts, next_attempt_at, details, planned_at,
    updated_at)
SELECT x.c, x.k, x.due, 'awaiting_response', 'team_manager', x.applies, x.v, x.label,
    'pending', 0, x.next, '{}', x.planned, x.updated
FROM unnest(%(c0)s::int[], %(c1)s::text[], %(c2)s::timestamptz[], %(c3)s::timestamptz[],
    %(c4)s::int[], %(c5)s::text[], %(c6)s::timestamptz[], %(c7)s::timestamptz[],
    %(c8)s::timestamptz[]) AS x(c, k, due, applies, v, label, next, planned, updated)"""
_PG_TOKENS = """
UPDATE mail_link_token SET expires_at = %(now)s
WHERE challenge_id = ANY(%(ids)s::int[]) AND expires_at > %(now)s
  AND (stage_key IS DISTINCT FROM 'team_manager' OR stage_started_at IS DISTINCT FROM %(now)s)"""
_PG_OUTBOX = """
INSERT INTO mail_outbox (message_id, dedupe_key, kind, challenge_id, event_seq, recipient_id,
    to_address, copied, subject, body_text, body_html, headers, secrets, status, attempts,
    next_attempt_at, created_at, due)
SELECT x.m, x.k, 'stage_opened', x.c, x.s, %(manager)s, 'team_manager@bench.test', false, '',
    '', '', %(headers)s, '[]', 'pending', 0, x.n, x.cr, %(due_json)s
FROM unnest(%(o0)s::text[], %(o1)s::text[], %(o2)s::int[], %(o3)s::int[],
    %(o4)s::timestamptz[], %(o5)s::timestamptz[]) AS x(m, k, c, s, n, cr)
ON CONFLICT (dedupe_key) DO NOTHING"""


# -- measuring -----------------------------------------------------------------------


class CpuMeter:
    """CPU seconds spent for one side: this process's, plus on PostgreSQL the server
    processes connected to that side's database (from /proc; 0 when unreadable)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.database = engine.url.database if engine.dialect.name == "postgresql" else None
        self.tick = os.sysconf("SC_CLK_TCK")
        self.admin = sa.create_engine(ADMIN_URL) if self.database else None

    def server(self) -> float:
        if self.admin is None:
            return 0.0
        with self.admin.connect() as conn:
            pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                {"d": self.database}).scalars().all()  # fmt: skip
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / self.tick
        return total

    def close(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


@dataclass
class Side:
    label: str
    runtime: Runtime
    runner: SweepRunner | PlainSqlRunner
    cpu: CpuMeter
    count: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    batches: list[float] = field(default_factory=list)  # escalations a second, per batch

    def step(self) -> bool:
        server, mine, started = self.cpu.server(), time.process_time(), time.perf_counter()
        done = self.runner.step()
        elapsed = time.perf_counter() - started
        self.cpu_seconds += time.process_time() - mine + self.cpu.server() - server
        self.seconds += elapsed
        if done is None:
            return False
        self.count += done
        self.batches.append(done / elapsed)
        return True


def one_round(kind: str, template: str, batch: int, expected: int,
              listeners: tuple[EventListener, ...]) -> dict[str, Side]:  # fmt: skip
    """Both sides on fresh copies of the seeded database, alternating batch by batch."""
    with _scratch_url(kind, template) as ours, _scratch_url(kind, template) as floor:
        sides: dict[str, Side] = {}
        for label, url, runner in (("sweep", ours, SweepRunner), ("plain SQL", floor, PlainSqlRunner)):  # fmt: skip
            runtime = build_runtime(SETTINGS, make_engine(url), listeners)
            sides[label] = Side(label, runtime, runner(runtime, batch), CpuMeter(runtime.engine))
        active = list(sides.values())
        while active:
            active = [side for side in active if side.step()]
        for side in sides.values():
            side.runner.close()
            side.cpu.close()
            check(side.runtime, expected)
            side.runtime.engine.dispose()
    return sides


@dataclass
class Tally:
    """One side of a round run by several processes at once (`--processes`)."""

    count: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    batches: list[float] = field(default_factory=list)


def one_round_parallel(kind: str, template: str, batch: int, expected: int, mail: bool,
                       processes: int, sweep_first: bool) -> dict[str, Tally]:  # fmt: skip
    """Each side on a fresh copy, run by `processes` processes sharing its due rows (as
    several workers share a backlog through `SKIP LOCKED`), one side after the other."""
    with _scratch_url(kind, template) as ours, _scratch_url(kind, template) as floor:
        order = [("sweep", ours), ("plain SQL", floor)]
        tallies = {label: _run_parallel(label, url, batch, mail, processes)
                   for label, url in (order if sweep_first else order[::-1])}  # fmt: skip
        for url in (ours, floor):
            engine = make_engine(url)
            check(build_runtime(SETTINGS, engine), expected)
            engine.dispose()
    return tallies


def _run_parallel(label: str, url: str, batch: int, mail: bool, processes: int) -> Tally:
    context = multiprocessing.get_context("spawn")
    start, finish, results = context.Event(), context.Event(), context.Queue()
    workers = [context.Process(target=_side_process,
                               args=(label, url, batch, mail, f"bench-{i}", start, finish, results))
               for i in range(processes)]  # fmt: skip
    for worker in workers:
        worker.start()
    meter = CpuMeter(make_engine(url))
    ready = [results.get() for _ in workers]  # each has built its runtime and connected
    assert ready == ["ready"] * processes
    server, started = meter.server(), time.perf_counter()
    start.set()
    tally = Tally()
    for _ in workers:
        count, cpu, batches = results.get()
        tally.count += count
        tally.cpu_seconds += cpu
        tally.batches.extend(batches)
    tally.seconds = time.perf_counter() - started
    tally.cpu_seconds += meter.server() - server  # before the workers disconnect
    finish.set()
    for worker in workers:
        worker.join()
    meter.close()
    meter.engine.dispose()
    return tally


def _side_process(label: str, url: str, batch: int, mail: bool, worker: str, start: Any,
                  finish: Any, results: Any) -> None:  # fmt: skip
    listeners: tuple[EventListener, ...] = (plan_deadlines,)
    if mail:
        from api.wiring import LISTENERS

        listeners = LISTENERS
    runtime = build_runtime(SETTINGS, make_engine(url), listeners)
    runner = (
        SweepRunner(runtime, batch, worker) if label == "sweep" else PlainSqlRunner(runtime, batch)
    )
    with runtime.engine.connect():  # connected before the clock starts
        pass
    results.put("ready")
    start.wait()
    mine, count, batches = time.process_time(), 0, []
    while True:
        began = time.perf_counter()
        done = runner.step()
        if done is None:
            break
        count += done
        batches.append(done / (time.perf_counter() - began))
    results.put((count, time.process_time() - mine, batches))
    finish.wait()
    runner.close()
    runtime.engine.dispose()


def check(runtime: Runtime, expected: int) -> None:
    with runtime.engine.connect() as conn:
        timeouts = conn.execute(sa.text(
            "SELECT COUNT(*) FROM challenge_event WHERE kind = 'time_out'")).scalar_one()  # fmt: skip
        doubled = conn.execute(sa.text(
            "SELECT COUNT(*) FROM (SELECT challenge_id FROM challenge_event WHERE kind = "
            "'time_out' GROUP BY challenge_id HAVING COUNT(*) > 1) x")).scalar_one()  # fmt: skip
        mails = conn.execute(sa.text("SELECT COUNT(*) FROM mail_outbox")).scalar_one()
    if timeouts != expected or doubled or mails not in (0, expected):
        raise SystemExit(f"wrong result: {timeouts} escalations (expected {expected}), "
                         f"{doubled} doubled, {mails} emails")  # fmt: skip


def one_database(kind: str, challenges: int, due: float, batch: int, rounds: int,
                 listeners: tuple[EventListener, ...], processes: int = 1,
                 ) -> dict[str, list[float]]:  # fmt: skip
    """Seed once, then `rounds` rounds on fresh copies; print and return the rates."""
    with scratch(kind) as engine:
        prepare_database(engine)
        t0 = time.perf_counter()
        expected = seed(build_runtime(SETTINGS, engine), challenges, due)
        print(f"  {kind:<8} seeded {challenges} challenges ({expected} due) in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        template = engine.url.render_as_string(hide_password=False)
        engine.dispose()  # SQLite: the last connection's close checkpoints the WAL
        rates: dict[str, list[float]] = {"sweep": [], "plain SQL": []}
        cpu: dict[str, list[float]] = {"sweep": [], "plain SQL": []}
        batches: dict[str, list[float]] = {"sweep": [], "plain SQL": []}
        for number in range(1, rounds + 1):
            load = os.getloadavg()[0]
            sides: dict[str, Side] | dict[str, Tally]
            if processes > 1:
                sides = one_round_parallel(kind, template, batch, expected, len(listeners) > 1,
                                           processes, sweep_first=number % 2 == 1)  # fmt: skip
            else:
                sides = one_round(kind, template, batch, expected, listeners)
            for label, side in sides.items():
                rates[label].append(side.count / side.seconds)
                cpu[label].append(side.cpu_seconds / side.count * 1000)
                batches[label].extend(side.batches)
            print(f"  {kind:<8} round {number} (load {load:.1f}): sweep "
                  f"{rates['sweep'][-1]:6.0f}/s, plain SQL {rates['plain SQL'][-1]:6.0f}/s, "
                  f"ratio {rates['plain SQL'][-1] / rates['sweep'][-1]:.2f}x; CPU per "
                  f"escalation {cpu['sweep'][-1]:.2f} / {cpu['plain SQL'][-1]:.2f} ms", flush=True)  # fmt: skip
    for label in rates:
        r, c, b = rates[label], cpu[label], batches[label]
        print(f"  {kind:<8} {label:<9} median {statistics.median(r):6.0f}/s "
              f"(rounds {min(r):.0f}-{max(r):.0f}; batches median {statistics.median(b):.0f}, "
              f"{min(b):.0f}-{max(b):.0f}); CPU {statistics.median(c):.2f} ms an escalation "
              f"({min(c):.2f}-{max(c):.2f}) = {1000 / statistics.median(c):.0f}/s of CPU", flush=True)  # fmt: skip
    ratio = statistics.median(rates["plain SQL"]) / statistics.median(rates["sweep"])
    cpu_ratio = statistics.median(cpu["sweep"]) / statistics.median(cpu["plain SQL"])
    print(f"  {kind:<8} ratio of the medians: {ratio:.2f}x (time), {cpu_ratio:.2f}x (CPU)",
          flush=True)  # fmt: skip
    return rates


def share_due(text: str) -> float:
    """`--due` as a share: a count typed there (10000, meant as "10,000 due") made every
    challenge due, expected a billion escalations and ended in "wrong result", blaming the
    sweep for the benchmark's input."""
    try:
        share = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(
            f"{text} is not a share: give the challenges due as a fraction above 0 and at "
            "most 1 (0.1 for one in ten)"
        )
    return share


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--challenges", type=int, default=100_000)
    parser.add_argument("--due", type=share_due, default=0.1,
                        help="the share of the challenges due, above 0 and at most 1 (0.1: one in ten)")  # fmt: skip
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--no-mail", action="store_true",
                        help="plan deadlines only; by default mail is queued as the worker does")  # fmt: skip
    parser.add_argument("--processes", type=int, default=1,
                        help="PostgreSQL: this many processes run each side at once, sharing "
                             "its due rows (the sides then run one after the other)")  # fmt: skip
    args = parser.parse_args(argv)
    listeners: tuple[EventListener, ...] = (plan_deadlines,)
    if not args.no_mail:
        from api.wiring import LISTENERS

        listeners = LISTENERS
    print(f"Sweep: {args.challenges} open challenges, {args.due:.0%} due, batches of "
          f"{args.batch}, {args.rounds} rounds, {args.processes} process(es) a side, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    for kind in args.db.split(","):
        # SQLite has one writer at a time, and the plain-SQL claim there is two statements
        # outside a transaction: several processes only on PostgreSQL.
        processes = args.processes if kind == "postgres" else 1
        one_database(kind, args.challenges, args.due, args.batch, args.rounds, listeners,
                     processes)  # fmt: skip


if __name__ == "__main__":
    main()
