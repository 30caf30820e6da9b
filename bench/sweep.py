"""The deadline sweep against 100,000 open challenges with 10% due, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.sweep [--challenges 100000] [--due 0.1] [--batch 500]
                                    [--db sqlite,postgres] [--no-mail]

Each database is a scratch one (temporary SQLite files; PostgreSQL databases created
and dropped here). The data are inserted with bulk SQL, not the ORM, twice: one copy for
the real sweep (`workflow.sweep`, claim then fire, the deadline planner listening), one
for plain SQL making the same writes as efficiently as SQL allows, in batches of the same
size: claim, then per batch one executemany each for the challenge updates (with their
version checks), the events, closing the deadlines (only if still ours), the new stage's
deadlines, the link tokens' expiry and the outbox rows (one email due per escalation),
and one set-based UPDATE cancelling the challenges' pending deadlines. By default the
sweep runs with every listener, as the worker does (`--no-mail`: the planner only). It
prints escalations per second for each and the ratio. The two alternate batch by batch,
so a shared, noisy machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from escalation_rules.deadlines import DeadlineRules
from workflow.db import make_engine
from workflow.deadline_planner import DEADLINE, plan_deadlines
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
CHUNK = 5000


@contextmanager
def scratch(kind: str) -> Iterator[Engine]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
            yield engine
            engine.dispose()
        return
    name = f"iro_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(runtime: Runtime, challenges: int, due: float) -> int:
    """Insert a council, `challenges` open challenges at the social worker stage, their
    raise events and their deadlines, in bulk. Returns how many are due at NOW."""
    engine, ladder = runtime.engine, runtime.ladders.current
    rules = DeadlineRules(ladder)
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
                    email=f"{role}@bench.test",
                    name=role,
                    role=role,
                    team_id=team,
                    manager_id=people.get(manager or ""),
                    absent=False,
                    active=True,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        children = [
            {"case_reference": f"LL{i:06d}", "display_name": f"Child {i}",
             "legal_status": "looked_after", "social_worker_id": people["social_worker"],
             "iro_id": people["iro"]}
            for i in range(1000)
        ]  # fmt: skip
        conn.execute(sa.insert(T["child"]), children)
        child_ids = list(conn.execute(sa.select(T["child"].c.id)).scalars())
    due_count = int(challenges * due)
    started = NOW - timedelta(days=10)
    cap = rules.cap_deadline(started).due_at
    for first in range(0, challenges, CHUNK):
        batch = range(first, min(first + CHUNK, challenges))
        rows = [_challenge(i, due_count, started, cap, child_ids, people, ladder.content_hash)
                for i in batch]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(sa.insert(T["challenge"]), rows)
            ids = dict(conn.execute(sa.select(T["challenge"].c.reference, T["challenge"].c.id)
                       .where(T["challenge"].c.reference.in_([r["reference"] for r in rows]))).all())  # fmt: skip
            conn.execute(
                sa.insert(T["challenge_event"]), [_event(ids[r["reference"]], r) for r in rows]
            )
            conn.execute(
                sa.insert(DEADLINE), [d for r in rows for d in _deadlines(ids[r["reference"]], r)]
            )
    return due_count


def _challenge(i: int, due_count: int, started: datetime, cap: datetime, child_ids: list[int],
               people: dict[str, int], ladder_hash: str) -> dict[str, Any]:  # fmt: skip
    # The due ones are spread over the three days before NOW, the rest over the next month.
    due_at = NOW - timedelta(minutes=1 + i * 4320 // max(due_count, 1)) if i < due_count else (
        NOW + timedelta(hours=1 + i % 700))  # fmt: skip
    return {
        "reference": f"IRO-2026-{i:06d}", "child_id": child_ids[i % len(child_ids)],
        "raised_by_id": people["iro"], "theme_key": "drift_and_delay", "ladder_id": "handbook",
        "ladder_hash": ladder_hash, "raised_at": started, "what_is_wrong": "Drift",
        "impact_on_child": "Delay", "outcome_wanted": "Plan", "state": "awaiting_response",
        "stage_key": "social_worker", "responder_id": people["social_worker"], "due_at": due_at,
        "stage_started_at": started, "formal_started_at": started, "cap_due_at": cap,
        "highest_stage_key": "social_worker", "informal_recorded": True, "version": 1,
        "updated_at": started,
    }  # fmt: skip


def _event(challenge_id: int, c: dict[str, Any]) -> dict[str, Any]:
    return {"challenge_id": challenge_id, "seq": 1, "kind": "raise_formal",
            "occurred_at": c["raised_at"], "recorded_at": c["raised_at"], "actor_id": None,
            "from_state": "new", "to_state": "awaiting_response", "stage_key": "social_worker",
            "changes": {}, "details": {}}  # fmt: skip


def _deadlines(challenge_id: int, c: dict[str, Any]) -> list[dict[str, Any]]:
    common = {"challenge_id": challenge_id, "state": c["state"], "stage_key": c["stage_key"],
              "challenge_version": 1, "status": "pending", "attempts": 0, "details": {},
              "planned_at": c["raised_at"], "updated_at": c["raised_at"]}  # fmt: skip
    return [
        {**common, "kind": "timeout", "due_at": c["due_at"], "next_attempt_at": c["due_at"],
         "applies_to_due_at": c["due_at"], "label": "stage social_worker due"},
        {**common, "kind": "cap", "due_at": c["cap_due_at"], "next_attempt_at": c["cap_due_at"],
         "applies_to_due_at": c["cap_due_at"], "label": "overall cap of 20 working days"},
    ]  # fmt: skip


class SweepRunner:
    """The real sweep, one batch per step (what `workflow.sweep.sweep` loops over)."""

    def __init__(self, runtime: Runtime, batch: int) -> None:
        self.runtime = runtime
        self.settings = DeadlineSettings(IRO_DISPUTES_SWEEP_BATCH=batch)

    def step(self) -> int | None:
        claims = claim(self.runtime, NOW, "bench", self.settings, utc_now)
        if not claims:
            return None
        fired = fire_batch(self.runtime, claims, NOW, "bench", self.settings)
        return sum(1 for f in fired if f.kind == "timeout" and f.status == "done")

    def close(self) -> None:
        pass


class BareSqlRunner:
    """The same writes per batch with a DB-API cursor, as efficiently as SQL allows: one
    statement (or one executemany) per kind of write per batch, a set-based cancel."""

    def __init__(self, runtime: Runtime, batch: int) -> None:
        ladder = runtime.ladders.current
        self.rules, self.stage = DeadlineRules(ladder), ladder.stage("team_manager")
        self.pg = runtime.engine.dialect.name == "postgresql"
        self.p = "%s" if self.pg else "?"
        self.lock = " FOR UPDATE OF d SKIP LOCKED" if self.pg else ""
        self.batch = batch
        self.raw = runtime.engine.raw_connection()
        with runtime.engine.connect() as conn:
            self.manager = conn.execute(sa.text(
                "SELECT id FROM person WHERE role = 'team_manager'")).scalar_one()  # fmt: skip

    def step(self) -> int | None:
        p, cur, t = self.p, self.raw.cursor(), self._t
        now = t(NOW)
        cur.execute(
            "SELECT d.id, d.challenge_id, c.version, c.cap_due_at FROM deadline d "
            f"JOIN challenge c ON c.id = d.challenge_id WHERE d.status = 'pending' AND "
            f"d.next_attempt_at <= {p} AND d.lease_until IS NULL "
            f"ORDER BY d.next_attempt_at, d.id LIMIT {self.batch}{self.lock}", (now,),
        )  # fmt: skip
        claimed = list(cur.fetchall())
        if not claimed:
            self.raw.commit()
            return None
        ids = [row[0] for row in claimed]
        marks = ", ".join([p] * len(ids))
        cur.execute(f"UPDATE deadline SET claimed_by = 'bare', lease_until = {p} "
                    f"WHERE id IN ({marks})", (t(NOW + timedelta(minutes=5)), *ids))  # fmt: skip
        self.raw.commit()
        due = self.rules.stage_deadline(self.stage, NOW).due_at
        reminders = [when for _, when in self.rules.reminder_times(due) if NOW < when < due]
        self._escalate(cur, claimed, due, reminders)
        self.raw.commit()
        return len(claimed)

    def _t(self, moment: Any) -> Any:
        return _db_time(moment, self.pg)

    def _escalate(self, cur: Any, claimed: list[Any], due: datetime,
                  reminders: list[datetime]) -> None:  # fmt: skip
        p, t = self.p, self._t
        now = t(NOW)
        cur.executemany(
            f"UPDATE challenge SET stage_key = 'team_manager', responder_id = {p}, due_at = {p}, "
            f"stage_started_at = {p}, highest_stage_key = 'team_manager', version = {p}, "
            f"updated_at = {p} WHERE id = {p} AND version = {p}",
            [(self.manager, t(due), now, v + 1, now, c, v) for _, c, v, _ in claimed],
        )  # fmt: skip
        if cur.rowcount != len(claimed):
            raise SystemExit("bare SQL lost a version check")
        cur.executemany(
            "INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at, "
            "from_state, to_state, stage_key, changes, details) VALUES "
            f"({p}, {p}, 'time_out', {p}, {p}, 'awaiting_response', 'awaiting_response', "
            f"'team_manager', {p}, {p})",
            [(c, v + 1, now, now, '{"stage_key": "team_manager"}', '{"late_seconds": 1}')
             for _, c, v, _ in claimed],
        )  # fmt: skip
        cur.executemany(
            f"UPDATE deadline SET status = 'done', fired_at = {p}, late_seconds = 1, "
            f"claimed_by = NULL, lease_until = NULL, updated_at = {p} "
            f"WHERE id = {p} AND status = 'pending' AND claimed_by = 'bare'",
            [(now, now, d) for d, _, _, _ in claimed],
        )  # fmt: skip
        challenges = [c for _, c, _, _ in claimed]
        marks = ", ".join([p] * len(challenges))
        cur.execute(f"UPDATE deadline SET status = 'cancelled', updated_at = {p} WHERE "
                    f"challenge_id IN ({marks}) AND status IN ('pending', 'stuck')",
                    (now, *challenges))  # fmt: skip
        new = [("reminder", w, due) for w in reminders] + [("timeout", due, due)]
        cur.executemany(
            "INSERT INTO deadline (challenge_id, kind, due_at, state, stage_key, "
            "applies_to_due_at, challenge_version, label, status, attempts, next_attempt_at, "
            f"details, planned_at, updated_at) VALUES ({p}, {p}, {p}, 'awaiting_response', "
            f"'team_manager', {p}, {p}, 'x', 'pending', 0, {p}, '{{}}', {p}, {p})",
            [(c, kind, t(at), t(to), v + 1, t(at), now, now)
             for _, c, v, cap in claimed
             for kind, at, to in [*new, ("cap", cap, cap)]],
        )  # fmt: skip
        distinct = "IS DISTINCT FROM" if self.pg else "IS NOT"
        cur.executemany(
            f"UPDATE mail_link_token SET expires_at = {p} WHERE challenge_id = {p} AND "
            f"expires_at > {p} AND (stage_key {distinct} {p} OR stage_started_at {distinct} {p})",
            [(now, c, now, "team_manager", now) for c in challenges],
        )  # fmt: skip
        due_json = json.dumps({"challenge": {"state": "awaiting_response",
                                             "stage_key": "team_manager"}, "answers": True})  # fmt: skip
        cur.executemany(
            "INSERT INTO mail_outbox (message_id, dedupe_key, kind, challenge_id, event_seq, "
            "recipient_id, to_address, copied, subject, body_text, body_html, headers, "
            "secrets, status, attempts, next_attempt_at, created_at, due) VALUES "
            f"({p}, {p}, 'stage_opened', {p}, {p}, {p}, 'tm@bench.test', {p}, '', '', '', "
            f"'{{}}', '[]', 'pending', 0, {p}, {p}, {p})",
            [(f"<{uuid.uuid4().hex}@bench.test>", f"c{c}:{v + 1}:stage_opened:{self.manager}",
              c, v + 1, self.manager, False, now, now, due_json) for _, c, v, _ in claimed],
        )  # fmt: skip

    def close(self) -> None:
        self.raw.close()


def _db_time(moment: Any, postgres: bool) -> Any:
    if isinstance(moment, str):
        return moment
    return moment if postgres else moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def check(runtime: Runtime, expected: int) -> None:
    with runtime.engine.connect() as conn:
        timeouts = conn.execute(sa.text(
            "SELECT COUNT(*) FROM challenge_event WHERE kind = 'time_out'")).scalar_one()  # fmt: skip
        doubled = conn.execute(sa.text(
            "SELECT COUNT(*) FROM (SELECT challenge_id FROM challenge_event WHERE kind = "
            "'time_out' GROUP BY challenge_id HAVING COUNT(*) > 1) x")).scalar_one()  # fmt: skip
    if timeouts != expected or doubled:
        raise SystemExit(f"wrong result: {timeouts} escalations (expected {expected}), "
                         f"{doubled} doubled")  # fmt: skip


def one_database(
    kind: str, challenges: int, due: float, batch: int, listeners: tuple[EventListener, ...]
) -> dict[str, float]:
    """Seed two identical scratch databases, then alternate one batch of the sweep on one
    with one batch of bare SQL on the other, so both see the same machine load."""
    with scratch(kind) as sweep_engine, scratch(kind) as bare_engine:
        runners: dict[str, Any] = {}
        expected = 0
        for label, engine, runner in (("sweep", sweep_engine, SweepRunner),
                                      ("bare SQL", bare_engine, BareSqlRunner)):  # fmt: skip
            prepare_database(engine)
            settings = WorkflowSettings(IRO_DISPUTES_LADDER="handbook")
            runtime = build_runtime(settings, engine, listeners)
            t0 = time.perf_counter()
            expected = seed(runtime, challenges, due)
            print(f"  {kind:<8} seeded {challenges} challenges for {label} in "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
            runners[label] = (runtime, runner(runtime, batch))
        counts, seconds = dict.fromkeys(runners, 0), dict.fromkeys(runners, 0.0)
        active = set(runners)
        while active:
            for label in sorted(active):
                started = time.perf_counter()
                done = runners[label][1].step()
                seconds[label] += time.perf_counter() - started
                if done is None:
                    active.discard(label)
                else:
                    counts[label] += done
        result: dict[str, float] = {}
        for label, (runtime, runner) in runners.items():
            runner.close()
            check(runtime, expected)
            result[label] = counts[label] / seconds[label]
            print(f"  {kind:<8} {label:<9} {counts[label]:>6} escalations in "
                  f"{seconds[label]:6.1f} s = {result[label]:7.0f}/s", flush=True)  # fmt: skip
    ratio = result["bare SQL"] / result["sweep"]
    print(f"  {kind:<8} ratio bare SQL / sweep = {ratio:.2f}x", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--challenges", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--no-mail", action="store_true",
                        help="plan deadlines only; by default mail is queued as the worker does")  # fmt: skip
    args = parser.parse_args()
    listeners: tuple[EventListener, ...] = (plan_deadlines,)
    if not args.no_mail:
        from api.wiring import LISTENERS

        listeners = LISTENERS
    print(f"Sweep: {args.challenges} open challenges, {args.due:.0%} due, batches of {args.batch}")
    for kind in args.db.split(","):
        one_database(kind, args.challenges, args.due, args.batch, listeners)


if __name__ == "__main__":
    main()
