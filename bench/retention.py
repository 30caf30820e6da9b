"""Retention of children's records past their 75th birthday, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.retention [--children 300] [--challenges 2] [--events 10]
                                        [--db sqlite,postgres]

Two scratch databases get the same data in bulk SQL: `--children` children past 75 and
as many young ones, each with `--challenges` closed challenges of `--events` log rows,
two deadlines, two sent emails with an attachment each, a received email, a link token
and a mail alert per challenge, and an IRO activity, a change record and two access-log
rows per child; both logs sealed, as the worker leaves them. On one, the project removes
each old child's record (`api.retention_children.remove`, one transaction per child, what
`retention run` does after its plan); on the other, plain SQL does the same work as
efficiently as SQL allows through a DB-API cursor: per child one transaction with the
retention marker, one set-based DELETE per table and one executemany each for the
records and the retired rows. The two alternate child by child, so a noisy machine slows
both alike, each first every other child. Prints children per second for each, the
median time a child took with its 10th-90th percentiles, the ratios, the dry run's time (the plan,
which lists every row) and `audit verify` afterwards (which must pass on both).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import retention_children as children
from api.retention import RetentionSettings, plan
from bench.sweep import NOW, T, scratch
from workflow.audit_chain import seal, verify
from workflow.runtime import build_runtime, prepare_database
from workflow.settings import WorkflowSettings

TABLES = ("mail_alert", "mail_outbox_attachment", "mail_outbox", "mail_link_token",
          "mail_inbound", "deadline", "challenge_event", "challenge", "iro_activity",
          "change_record", "child")  # fmt: skip


def _challenge(started: datetime, people: dict[str, int], ladder_hash: str) -> dict[str, Any]:
    """A closed challenge's row (the reference and child are the caller's)."""
    return {
        "raised_by_id": people["iro"], "theme_key": "drift_and_delay", "ladder_id": "handbook",
        "ladder_hash": ladder_hash, "raised_at": started, "what_is_wrong": "Drift",
        "impact_on_child": "Delay", "outcome_wanted": "Plan", "state": "closed",
        "stage_key": "social_worker", "responder_id": people["social_worker"], "due_at": NOW,
        "stage_started_at": started, "formal_started_at": started, "cap_due_at": NOW,
        "highest_stage_key": "social_worker", "informal_recorded": True, "version": 1,
        "updated_at": started,
    }  # fmt: skip


def _deadlines(challenge_id: int, c: dict[str, Any]) -> list[dict[str, Any]]:
    """Its stage timeout and overall cap, as the planner left them."""
    common = {"challenge_id": challenge_id, "state": "awaiting_response",
              "stage_key": c["stage_key"], "challenge_version": 1, "status": "pending",
              "attempts": 0, "details": {}, "planned_at": c["raised_at"],
              "updated_at": c["raised_at"]}  # fmt: skip
    return [
        {**common, "kind": "timeout", "due_at": c["due_at"], "next_attempt_at": c["due_at"],
         "applies_to_due_at": c["due_at"], "label": "stage social_worker due"},
        {**common, "kind": "cap", "due_at": c["cap_due_at"], "next_attempt_at": c["cap_due_at"],
         "applies_to_due_at": c["cap_due_at"], "label": "overall cap of 20 working days"},
    ]  # fmt: skip


def _one(cur: Any) -> Any:
    row = cur.fetchone()
    assert row is not None
    return row[0]


def seed(engine: Engine, old: int, per_child: int, events: int) -> None:
    runtime = build_runtime(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine, ())
    ladder = runtime.ladders.current
    with Session(engine) as session:
        runtime.ladders.record_current(session)
        session.commit()
    with engine.begin() as conn:
        team = conn.execute(sa.insert(T["team"]).values(name="T", service_area="CLA"))
        people = {}
        for role in ("social_worker", "iro", "team_manager", "head_of_service", "senior_manager"):
            people[role] = conn.execute(sa.insert(T["person"]).values(
                email=f"{role}@bench.test", name=role, role=role, absent=False, active=True,
                team_id=team.inserted_primary_key[0])).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
        conn.execute(sa.insert(T["child"]), [
            {"case_reference": f"LL{i:06d}", "display_name": f"Child {i}",
             "legal_status": "looked_after", "social_worker_id": people["social_worker"],
             "iro_id": people["iro"], "date_of_birth": date(1940, 1, 1) if i < old else None}
            for i in range(2 * old)])  # fmt: skip
        child_ids = list(
            conn.execute(sa.select(T["child"].c.id).order_by(T["child"].c.id)).scalars()
        )
        rows = [{**_challenge(NOW - timedelta(days=400), people, ladder.content_hash),
                 "reference": f"IRO-2020-{n:06d}", "child_id": child}
                for n, child in enumerate(c for c in child_ids for _ in range(per_child))]  # fmt: skip
        conn.execute(sa.insert(T["challenge"]), rows)
        ids = list(
            conn.execute(sa.select(T["challenge"].c.id).order_by(T["challenge"].c.id)).scalars()
        )
        at = NOW - timedelta(days=400)
        conn.execute(sa.insert(T["challenge_event"]), [
            {"challenge_id": c, "seq": s, "kind": "remind", "occurred_at": at, "recorded_at": at,
             "actor_id": None, "from_state": "closed", "to_state": "closed", "stage_key": None,
             "changes": {}, "details": {"n": s}} for c in ids for s in range(1, events + 1)])  # fmt: skip
        conn.execute(sa.insert(T["deadline"]),
                     [d for c, r in zip(ids, rows, strict=True) for d in _deadlines(c, r)])  # fmt: skip
        mail = {"kind": "stage", "to_address": "sw@bench.test", "copied": False, "subject": "S",
                "body_text": "text " * 200, "body_html": "<p>html</p>" * 100, "headers": {},
                "secrets": [], "status": "sent", "attempts": 1, "next_attempt_at": at,
                "created_at": at}  # fmt: skip
        conn.execute(sa.insert(T["mail_outbox"]), [
            {**mail, "message_id": f"m{c}-{k}", "dedupe_key": f"d{c}-{k}", "challenge_id": c}
            for c in ids for k in (1, 2)])  # fmt: skip
        outbox = conn.execute(
            sa.select(T["mail_outbox"].c.id, T["mail_outbox"].c.challenge_id)
        ).all()
        conn.execute(sa.insert(T["mail_outbox_attachment"]), [
            {"outbox_id": o, "position": 0, "filename": "plan.pdf", "media_type": "application/pdf",
             "size": 2048, "content": b"%" * 2048} for o, _ in outbox])  # fmt: skip
        conn.execute(sa.insert(T["mail_inbound"]), [
            {"raw_sha256": f"{c:064d}", "raw": b"Subject: Re\r\n\r\n" + b"x" * 4000,
             "source": "bench", "received_at": at, "from_address": "sw@bench.test",
             "subject": "Re", "status": "matched", "reason": "", "reply_text": "Done.",
             "challenge_id": c} for c in ids])  # fmt: skip
        conn.execute(sa.insert(T["mail_link_token"]), [
            {"token_hash": f"{c:064d}", "purpose": "link", "person_id": people["social_worker"],
             "challenge_id": c, "action": "respond", "created_at": at, "expires_at": at}
            for c in ids])  # fmt: skip
        conn.execute(sa.insert(T["mail_alert"]), [
            {"kind": "bounce", "message": "bounced", "outbox_id": o, "challenge_id": c,
             "created_at": at} for o, c in outbox[::2]])  # fmt: skip
        conn.execute(sa.insert(T["iro_activity"]), [
            {"child_id": k, "iro_id": people["iro"], "occurred_on": date(2020, 1, 1),
             "kind": "visit", "note": "Saw them", "recorded_at": at} for k in child_ids])  # fmt: skip
        conn.execute(sa.insert(T["change_record"]), [
            {"record_kind": "child", "record_id": k, "field": "display_name", "before": "A",
             "after": "B", "changed_at": at} for k in child_ids])  # fmt: skip
        conn.execute(sa.insert(T["access_log"]), [
            {"person_id": people["iro"], "child_id": k, "viewed_at": at, "via": "page",
             "what": "footprint", "ip": "", "actor": ""} for k in child_ids for _ in (1, 2)])  # fmt: skip
    seal(engine, NOW)


class PlainSql:
    """One child's record removed with a DB-API cursor: one statement per table."""

    def __init__(self, engine: Engine) -> None:
        self.pg = engine.dialect.name == "postgresql"
        self.p = "%s" if self.pg else "?"
        self.raw = engine.raw_connection()

    def remove(self, child_id: int, reference: str, run_id: str) -> int:
        p, cur = self.p, self.raw.cursor()
        if not self.pg:  # the driver is in autocommit mode: one transaction, as the project
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(f"SELECT id FROM challenge WHERE child_id = {p}", (child_id,))
        ch = [r[0] for r in cur.fetchall()]
        marks = ",".join([p] * len(ch)) or "NULL"
        cur.execute(f"SELECT id FROM challenge_event WHERE challenge_id IN ({marks})", ch)
        events = [r[0] for r in cur.fetchall()]
        outbox = f"SELECT id FROM mail_outbox WHERE challenge_id IN ({marks})"
        inbound = f"SELECT id FROM mail_inbound WHERE challenge_id IN ({marks})"
        cur.execute(f"INSERT INTO retention_pass (started_at) VALUES ({p})", (NOW,))
        deletes = [
            ("mail_alert", f"challenge_id IN ({marks}) OR outbox_id IN ({outbox}) OR inbound_id IN ({inbound})", ch * 3),
            ("mail_outbox_attachment", f"outbox_id IN ({outbox})", ch),
            ("mail_outbox", f"challenge_id IN ({marks})", ch),
            ("mail_link_token", f"challenge_id IN ({marks})", ch),
            ("mail_inbound", f"challenge_id IN ({marks})", ch),
            ("deadline", f"challenge_id IN ({marks})", ch),
            ("challenge_event", f"challenge_id IN ({marks})", ch),
            ("challenge", f"id IN ({marks})", ch),
            ("iro_activity", f"child_id = {p}", [child_id]),
            ("change_record", f"record_kind = 'child' AND record_id = {p}", [child_id]),
            ("child", f"id = {p}", [child_id]),
        ]  # fmt: skip
        counts = {}
        for table, where, args in deletes:
            cur.execute(f"DELETE FROM {table} WHERE {where}", args)
            counts[table] = cur.rowcount
        cur.execute("DELETE FROM retention_pass")
        record = ("INSERT INTO retention_record (ran_at, kind, what, subject, rows, cut_off,"
                  f" run_by, run_id) VALUES ({p}, 'child_record', {p}, {p}, {p}, {p}, 'bench', {p})")  # fmt: skip
        cur.executemany(record, [(NOW, t, reference, n, NOW, run_id)
                                 for t, n in counts.items() if n and t != "challenge_event"])  # fmt: skip
        cur.execute(record + (" RETURNING id" if self.pg else ""),
                    (NOW, "challenge_event", reference, len(events), NOW, run_id))  # fmt: skip
        record_id = _one(cur) if self.pg else cur.lastrowid
        cur.executemany(f"INSERT INTO retention_retired_row (record_id, log, row_id) VALUES"
                        f" ({p}, 'challenge_event', {p})", [(record_id, e) for e in events])  # fmt: skip
        self.raw.commit()
        return sum(counts.values())

    def close(self) -> None:
        self.raw.close()


def one_database(kind: str, old: int, per_child: int, events: int) -> dict[str, float]:
    settings = RetentionSettings()
    with scratch(kind) as project_engine, scratch(kind) as plain_engine:
        for engine in (project_engine, plain_engine):
            prepare_database(engine)
            t0 = time.perf_counter()
            seed(engine, old, per_child, events)
            print(f"  {kind:<8} seeded {2 * old} children in {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip
        t0 = time.perf_counter()
        (planned,) = [p for p in plan(project_engine, settings, NOW) if p.kind == children.RULE]
        dry = time.perf_counter() - t0
        rows = sum(c.total for c in planned.children)
        born_before = date(NOW.year - settings.child_record_age, NOW.month, NOW.day)
        stamp = children.Stamp(NOW, "bench", uuid.uuid4().hex, born_before, planned.cut_off)
        plain = PlainSql(plain_engine)
        each: dict[str, list[float]] = {"project": [], "plain SQL": []}
        gone = {"project": 0, "plain SQL": 0}

        def project_side(c: Any) -> int:
            with project_engine.begin() as conn:
                removed = children.remove(conn, c.child_id, c.case_reference, stamp)
            return removed.total if removed else 0

        def plain_side(c: Any) -> int:
            return plain.remove(c.child_id, c.case_reference, stamp.run_id)

        sides = [("project", project_side), ("plain SQL", plain_side)]
        for number, c in enumerate(planned.children):
            for label, side in sides[::-1] if number % 2 else sides:  # each first every other child
                t0 = time.perf_counter()
                gone[label] += side(c)
                each[label].append(time.perf_counter() - t0)
        plain.close()
        seconds = {label: sum(times) for label, times in each.items()}
        result: dict[str, float] = {}
        for label, engine in (("project", project_engine), ("plain SQL", plain_engine)):
            result[label] = len(planned.children) / seconds[label]
            ms = sorted(t * 1000 for t in each[label])
            print(f"  {kind:<8} {label:<9} {len(planned.children)} children ({gone[label]} rows)"
                  f" in {seconds[label]:5.2f} s = {result[label]:6.0f} children/s; a child: median "
                  f"{statistics.median(ms):.2f} ms ({ms[len(ms) // 10]:.2f}-{ms[len(ms) * 9 // 10]:.2f})",
                  flush=True)  # fmt: skip
            t0 = time.perf_counter()
            verdict = verify(engine)
            print(f"  {kind:<8} {label:<9} audit verify {'intact' if verdict.ok else 'BROKEN'}"
                  f" in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
            if not verdict.ok or gone[label] != rows:
                raise SystemExit(f"wrong result for {label}: {gone[label]} rows of {rows}")
    ratio = statistics.median(each["project"]) / statistics.median(each["plain SQL"])
    print(f"  {kind:<8} dry run (plan, {rows} rows listed) {dry:.2f} s; ratio of the totals "
          f"{result['plain SQL'] / result['project']:.2f}x, of the medians {ratio:.2f}x", flush=True)  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--challenges", type=int, default=2)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"Retention: {args.children} children past 75 (and as many young), "
          f"{args.challenges} challenges of {args.events} events each; load "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    for kind in args.db.split(","):
        one_database(kind, args.children, args.challenges, args.events)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
