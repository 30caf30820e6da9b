"""How long the full SMT report takes over 100,000 challenges and about a million events,
side by side with plain SQL GROUP BYs over the same rows.

    .venv/bin/python -m bench.report [--challenges 100000] [--runs 5] [--skip-postgres] [--live]
                                     [--keep NAME]

Builds the data with bulk inserts (executemany on SQLite, COPY on PostgreSQL), never
the ORM, in a scratch SQLite file and a scratch PostgreSQL database that it drops at
the end (with `--keep NAME`, in a kept file and database seeded once, for the next run) (ANALYZE on SQLite, VACUUM ANALYZE on PostgreSQL, as autovacuum would). Each event
carries what the write path records on it (the child's team and service area, working-day
numbers from the ladder's calendar). Event sequences follow the lifecycle's shape, with
reminder events of a kind the report must ignore.

Then it times the first (cold) report, the year, which builds the rollup of every closed
London day on the way (`workflow.report_queries.rollup`), beside one run of the floor; then,
for a month, a quarter and a year (each against its previous period), `smt_report` as the
pages call it (warm: the rollup is up to date, nothing new to roll up) and the plain-SQL
floor alternately, `--runs` times each, with medians and ranges; with `--live` the same
again with the report counted wholly from the log (the design before the rollup); and the
drill-down of the biggest cell. The floor is the same rows read by
hand-written GROUP BYs, as few as SQL needs: challenges raised by theme, IRO, highest
stage and how; events by kind, stage and team; the response times' and ended challenges'
working days (the stored numbers, with the same index look-up of each stage's start).
The report does more than the floor (what was open and stuck at two moments, rebuilt from
the log; the trend by quarter over three years; contacts; caseloads; names).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bench.report_floor import floor
from escalation_rules.loader import load_ladder_setting
from escalation_rules.themes import default_themes
from workflow.db import make_engine
from workflow.event_facts import WorkingDayNumbers
from workflow.report_definitions import Period
from workflow.report_queries import ACT, CH, CHILD, EV, PERSON, TEAM, drilldown, smt_report
from workflow.report_queries.rollup import roll_up
from workflow.runtime import prepare_database
from workflow.tables import LadderVersion

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LADDER = load_ladder_setting("handbook")
STAGES = LADDER.stage_keys
THEMES = [t.key for t in default_themes()]
GROUNDS = [
    "care_plan_not_prepared",
    "case_not_reviewed",
    "review_decisions_not_implemented",
    "other_breach_of_duty",
]
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
TEAMS, IROS, WORKERS, CHILDREN = 20, 40, 400, 20_000
NUMBERS = WorkingDayNumbers(LADDER)
BLOCK = 20_000  # challenges generated in Python; more are copies of them made in SQL


def _team_of(child: int) -> tuple[int, str]:
    """The team (and its service area) of the child's social worker, as `_people` sets it."""
    worker = 1 + child % WORKERS
    team = 1 + worker % TEAMS
    return team, f"Area {team % 4}"


class Events:
    """One challenge's event log, built step by step like the lifecycle would."""

    def __init__(self, cid: int, at: datetime, rng: random.Random, child: int) -> None:
        self.cid, self.at, self.rng = cid, at, rng
        self.team, self.area = _team_of(child)
        self.rows: list[dict[str, Any]] = []
        self.state: str = "new"
        self.stage: str | None = None

    def add(self, kind: str, to: str | None = None, days: float = 0.0, **details: Any) -> None:
        if self.rows:  # the raise event happens when the challenge is raised
            self.at += timedelta(days=days, minutes=self.rng.randint(1, 300))
        to = to or self.state
        self.rows.append({
            "challenge_id": self.cid, "seq": len(self.rows) + 1, "kind": kind,
            "occurred_at": self.at, "recorded_at": self.at, "actor_id": None,
            "from_state": self.state, "to_state": to, "stage_key": self.stage,
            "changes": {}, "details": details, "team_id": self.team,
            "service_area": self.area, "working_day": NUMBERS.working_day(self.at),
            "day_zero": NUMBERS.day_zero(self.at),
        })  # fmt: skip
        self.state = to

    def open(self, kind: str, stage: str, days: float, **details: Any) -> None:
        self.stage = stage
        self.add(kind, "awaiting_response", days, stage=stage, **details)


def _challenge(cid: int, raised: datetime, rng: random.Random) -> tuple[dict[str, Any], Events]:
    child = rng.randint(1, CHILDREN)
    ev = Events(cid, raised, rng, child)
    formal_at: datetime | None = None
    highest = -1
    if rng.random() < 0.6:
        ev.add("raise_informal", "informal")
        if rng.random() < 0.45:
            ev.add("accept", "resolved", rng.uniform(1, 10), outcome_kind="no_change",
                   outcome="Agreed", impact="Done")  # fmt: skip
        else:
            ev.open("escalate", STAGES[0], rng.uniform(3, 12))
            highest, formal_at = 0, ev.at
    else:
        highest = rng.choice([0, 0, 0, 1, 1, 2])
        ev.open("raise_formal", STAGES[highest], 0)
        formal_at = ev.at
    while ev.state == "awaiting_response":
        for _ in range(3):  # the deadline sweep's own kinds, which the report ignores
            ev.add("reminder_sent", days=rng.uniform(0.5, 2))
        if rng.random() < 0.1:
            ev.add("extend", days=0.5, working_days=3, reason="Agreed")
        if rng.random() < 0.12 and highest + 1 < len(STAGES):
            ev.add("time_out", days=rng.uniform(1, 4), timed_out_stage=ev.stage)
            highest += 1
            ev.open("escalate", STAGES[highest], 0)
            continue
        ev.add("respond", "response_received", rng.uniform(0.5, 6), late=rng.random() < 0.3)
        if rng.random() < 0.65 or highest + 1 >= len(STAGES):
            ev.add("accept", "resolved", rng.uniform(0.5, 3), outcome_kind="plan_updated",
                   outcome="Plan updated", impact="Placement secured")  # fmt: skip
        else:
            highest += 1
            ev.open("reject", STAGES[highest], rng.uniform(0.5, 3), reason="Not enough")
    if rng.random() < 0.05:
        ev.add("refer_cafcass", days=1, ground=rng.choice(GROUNDS))
    if rng.random() < 0.08:
        ev.add("record_good_practice", days=1, note="Good work")
    if ev.at < NOW - timedelta(days=60):
        ev.add("close", "closed", 2)
    return _row(cid, raised, ev, formal_at, highest, rng, child), ev


def _row(cid: int, raised: datetime, ev: Events, formal_at: datetime | None, highest: int,
         rng: random.Random, child: int) -> dict[str, Any]:  # fmt: skip
    open_ = ev.state not in ("resolved", "closed")
    return {
        "id": cid, "reference": f"IRO-B-{cid:07d}", "child_id": child,
        "raised_by_id": rng.randint(1, IROS), "theme_key": rng.choice(THEMES),
        "ladder_id": LADDER.id, "ladder_hash": LADDER.content_hash, "raised_at": raised,
        "what_is_wrong": "x", "impact_on_child": "x", "outcome_wanted": "x",
        "state": ev.state, "stage_key": ev.stage, "responder_id": None,
        "due_at": ev.at + timedelta(days=7) if open_ else None, "stage_started_at": ev.at,
        "formal_started_at": formal_at,
        "cap_due_at": formal_at + timedelta(days=28) if formal_at else None,
        "highest_stage_key": STAGES[highest] if highest >= 0 else None,
        "resolved_at": None if open_ else ev.at, "outcome": None, "version": len(ev.rows),
        "updated_at": ev.at, "informal_recorded": True,
    }  # fmt: skip


def insert_records(conn: Connection, content: str) -> None:
    """What the challenges refer to: the ladder version (its text `content`), the teams,
    people and children."""
    teams, people, children = _people()
    conn.execute(sa.insert(LadderVersion.__table__),  # type: ignore[attr-defined]
                 [{"content_hash": LADDER.content_hash, "ladder_id": LADDER.id,
                   "content": content, "first_used_at": NOW}])  # fmt: skip
    conn.execute(TEAM.insert(), teams)
    conn.execute(PERSON.insert(), people)
    conn.execute(CHILD.insert(), children)


def _people() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    teams = [{"id": i, "name": f"Team {i}", "service_area": f"Area {i % 4}"}
             for i in range(1, TEAMS + 1)]  # fmt: skip
    people = [{"id": i, "email": f"iro{i}@b.test", "name": f"IRO {i}", "role": "iro",
               "team_id": None} for i in range(1, IROS + 1)]  # fmt: skip
    people += [{"id": IROS + i, "email": f"sw{i}@b.test", "name": f"Worker {i}",
                "role": "social_worker", "team_id": 1 + i % TEAMS} for i in range(1, WORKERS + 1)]  # fmt: skip
    for p in people:
        p.update(manager_id=None, deputy_id=None, absent=False, active=True)
    children = [{"id": i, "case_reference": f"LL{i:06d}", "display_name": f"Child {i}",
                 "legal_status": "looked_after", "social_worker_id": IROS + 1 + i % WORKERS,
                 "iro_id": 1 + i % IROS} for i in range(1, CHILDREN + 1)]  # fmt: skip
    return teams, people, children


def generate(n: int) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Challenges and their events in batches, raised evenly over two years."""
    rng = random.Random(20261126)
    span = (NOW - START).total_seconds()
    batch_c: list[dict[str, Any]] = []
    batch_e: list[dict[str, Any]] = []
    for cid in range(1, n + 1):
        raised = START + timedelta(seconds=span * (cid - 1) / n)
        row, ev = _challenge(cid, raised, rng)
        batch_c.append(row)
        batch_e.extend(ev.rows)
        if len(batch_c) == 5000:
            yield batch_c, batch_e
            batch_c, batch_e = [], []
    if batch_c:
        yield batch_c, batch_e


def _activities(rng: random.Random) -> list[dict[str, Any]]:
    kinds = ["visit", "phone_call", "video_call", "text_message", "midway_review",
             "social_worker_consultation"]  # fmt: skip
    return [{"child_id": c, "iro_id": 1 + c % IROS, "kind": rng.choice(kinds), "note": "n",
             "occurred_on": date(2025, 1, 1) + timedelta(days=rng.randint(0, 729)),
             "recorded_at": NOW} for c in range(1, CHILDREN + 1) for _ in range(3)]  # fmt: skip


def load(engine: Engine, n: int) -> int:
    prepare_database(engine)
    events = 0
    with engine.begin() as conn:
        insert_records(conn, "bench")
        conn.execute(ACT.insert(), _activities(random.Random(7)))
    block = min(n, BLOCK)
    for challenges, rows in generate(block):
        with engine.begin() as conn:
            _bulk(conn, CH, challenges)
            _bulk(conn, EV, rows)
        events += len(rows)
    block_events = events
    for start in range(block, n, block):  # copies of the first block, in SQL
        with engine.begin() as conn:
            events += _copy_block(conn, start, min(block, n - start), block_events)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("challenge", "challenge_event", "child", "person", "iro_activity"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")  # fmt: skip
        else:
            conn.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a table after many inserts: statistics, and the visibility
        # map, without which an index-only scan still visits the table for every row.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return events


def _copy_block(conn: sa.Connection, offset: int, count: int, block_events: int) -> int:
    """Copy the first `count` challenges (of the first block) and their events as challenges
    `offset + 1` onwards: the same children, moments and working-day numbers, in one
    INSERT ... SELECT per table. Returns how many events it added."""
    shifted = {"id": f"id + {offset}", "reference": f"'IRO-B-' || CAST(id + {offset} AS TEXT)"}
    columns = [c.name for c in CH.columns]
    values = ", ".join(shifted.get(c, c) for c in columns)
    conn.exec_driver_sql(f"INSERT INTO challenge ({', '.join(columns)}) SELECT {values} "
                         f"FROM challenge WHERE id <= {count}")  # fmt: skip
    # Event ids: the first block's ids shifted past every event so far.
    total = conn.exec_driver_sql("SELECT max(id) FROM challenge_event").scalar_one()
    shifted = {"id": f"id + {total}", "challenge_id": f"challenge_id + {offset}"}
    columns = [c.name for c in EV.columns]
    values = ", ".join(shifted.get(c, c) for c in columns)
    added = conn.exec_driver_sql(
        f"INSERT INTO challenge_event ({', '.join(columns)}) SELECT {values} "
        f"FROM challenge_event WHERE challenge_id <= {count} AND id <= {block_events}"
    ).rowcount
    return int(added)


def _bulk(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    raw = conn.connection.driver_connection
    assert raw is not None
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row.values()])


PERIODS = {
    "month (Nov 2026)": Period.month(2026, 11),
    "quarter (Q3 2026)": Period.quarter(2026, 3),
    "year (2026, against 2025)": Period.year(2026),
}


Timings = dict[str, tuple[list[float], list[float], list[float], list[float]]]


def cold(engine: Engine) -> tuple[float, float, float, int]:
    """The first report after the data arrived: the year, building the rollup of every
    closed day on the way (`roll_with`), then the floor once. (report s, build s within
    it, floor s, days rolled up)."""
    t0 = time.perf_counter()
    built = roll_up(engine, NOW)
    build_s = time.perf_counter() - t0
    smt_report(engine, LADDER, PERIODS["year (2026, against 2025)"], NOW, roll_with=engine)
    report_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    floor(engine, PERIODS["year (2026, against 2025)"], NOW)
    return report_s, build_s, time.perf_counter() - t0, built.days


def timed(engine: Engine, runs: int, live: bool = False) -> Timings:
    """{period: (report seconds, floor seconds, report CPU, floor CPU)}, the two alternating
    run by run. CPU is this process's: on SQLite, all the work (the database runs in the
    process), and what a loaded machine inflates least. The report is the pages' (reading
    the rollup, brought up to date first: warm, nothing new to roll up), or with `live`
    counted wholly from the log (the design before the rollup)."""
    out: Timings = {}
    for name, period in PERIODS.items():
        times: dict[str, list[float]] = {"report": [], "plain": []}
        cpu: dict[str, list[float]] = {"report": [], "plain": []}
        for i in range(runs):
            for side in ("report", "plain") if i % 2 == 0 else ("plain", "report"):
                t0, c0 = time.perf_counter(), time.process_time()
                if side == "report":
                    smt_report(engine, LADDER, period, NOW, roll_with=engine, live=live)
                else:
                    floor(engine, period, NOW)
                times[side].append(time.perf_counter() - t0)
                cpu[side].append(time.process_time() - c0)
        out[name] = (times["report"], times["plain"], cpu["report"], cpu["plain"])
    return out


def _spread(runs: list[float]) -> str:
    return f"{statistics.median(runs):5.2f} s ({min(runs):.2f}-{max(runs):.2f})"


def _report(name: str, load_s: float, events: int, engine: Engine, runs: int,
            live: bool) -> None:  # fmt: skip
    print(f"{name}: loaded {events:,} events in {load_s:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    smt_report(engine, LADDER, PERIODS["month (Nov 2026)"], NOW, live=True)  # imports, caches
    report_s, build_s, floor_s, days = cold(engine)
    print(f"  cold: the first year report {report_s:.2f} s (building the rollup of {days} "
          f"closed days: {build_s:.2f} s), plain SQL {floor_s:.2f} s; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    sides = [("warm, from the rollup", False), *([("live, from the log", True)] if live else [])]
    for title, wholly_live in sides:
        print(f"  {title}:")
        for label, (report, plain, cpu, plain_cpu) in timed(engine, runs, wholly_live).items():
            ratio = statistics.median(report) / statistics.median(plain)
            line = (f"  {label:<28} report {_spread(report)}   plain SQL {_spread(plain)}   "
                    f"{ratio:4.1f}x")  # fmt: skip
            if engine.dialect.name == "sqlite":
                mine, theirs = statistics.median(cpu), statistics.median(plain_cpu)
                line += f"   CPU {mine:.2f} s / {theirs:.2f} s ({mine / theirs:.1f}x)"
            print(line)
    t0 = time.perf_counter()
    refs = drilldown(engine, LADDER, Period.year(2026), "raised:*", NOW)
    print(f"  drill-down of 'raised, 2026' ({len(refs):,} references) "
          f"{time.perf_counter() - t0:.2f} s; load average {os.getloadavg()[0]:.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--challenges", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each side per period")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--live", action="store_true", help="also time the report counted wholly from the log"
    )
    parser.add_argument("--keep", default=None, help="keep the seeded databases under this name")
    args = parser.parse_args()
    kinds = [
        ("sqlite", "SQLite", args.skip_sqlite),
        ("postgresql", "PostgreSQL", args.skip_postgres),
    ]
    for kind, name, skip in kinds:
        if skip:
            continue
        with database(kind, args.challenges, args.keep) as (engine, events, load_s):
            _report(name, load_s, events, engine, args.runs, args.live)


@contextmanager
def database(kind: str, n: int, keep: str | None) -> Iterator[tuple[Engine, int, float]]:
    """A database seeded with `n` challenges: (engine, events, seconds the seeding took). A
    scratch one, dropped at the end, or with `keep` the kept one of that name and size,
    seeded the first time only (the rollup a run built stays: later runs start warm)."""
    name = f"iro_bench_{keep}_{n}" if keep else f"iro_bench_{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        if kind == "sqlite":
            folder = tempfile.gettempdir() if keep else stack.enter_context(
                tempfile.TemporaryDirectory())  # fmt: skip
            engine = make_engine(f"sqlite:///{Path(folder) / (name + '.sqlite3')}")
        else:
            engine = stack.enter_context(_postgres(name, drop=keep is None))
        stack.callback(engine.dispose)
        prepare_database(engine)
        with engine.connect() as conn:
            present = conn.exec_driver_sql("SELECT count(*) FROM challenge_event").scalar_one()
        t0 = time.perf_counter()
        events = present or load(engine, n)
        if present:
            print(f"{name}: kept, {present:,} events", flush=True)
        yield engine, events, time.perf_counter() - t0


@contextmanager
def _postgres(name: str, drop: bool) -> Iterator[Engine]:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.exec_driver_sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if found.first() is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    finally:
        if drop:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
