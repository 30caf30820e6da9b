"""The plain-SQL floor and SpiffWorkflow sides of `bench.lifecycle` (see its docstring)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from workflow.runtime import Runtime

START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
BPMN = Path(__file__).with_name("challenge_ladder.bpmn")
STEPS = ("raise", "escalate 1", "escalate 2", "escalate 3", "respond", "accept")
STAGES = ("social_worker", "team_manager", "head_of_service", "senior_manager")
SIDES = ("project", "plain SQL", "SpiffWorkflow")
WRITES = ("INSERT", "UPDATE", "DELETE")
Write = tuple[str, str, int]  # (verb, table, rows)


def moment(n: int) -> datetime:
    return START + timedelta(minutes=n)


class PlainSql:
    """The project's writes for each step through a DB-API cursor, as efficiently as SQL allows."""

    def __init__(
        self, runtime: Runtime, ids: dict[str, int], rows: dict[str, Counter[str]]
    ) -> None:
        self.raw = runtime.engine.raw_connection()
        self.pg = runtime.engine.dialect.name == "postgresql"
        self.p = "%s" if self.pg else "?"
        self.ids, self.n, self.rows = ids, 0, rows
        self.ladder_hash = runtime.ladders.current.content_hash
        self.trace: list[Write] | None = None  # what it writes, when checking

    def close(self) -> None:
        self.raw.close()

    def t(self, moment: datetime) -> Any:
        return moment if self.pg else moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def lifecycle(self, times: dict[str, float]) -> None:
        self.n += 1
        now = self.t(moment(self.n))
        with Timed(times, "raise"):
            cid = self._raise(now)
        for version, step in enumerate(STEPS[1:], start=1):
            stage = STAGES[min(version, 3)]
            with Timed(times, step):
                self._step(now, cid, version, step, stage)

    def _run(self, cur: Any, sql: str, args: Any, many: bool = False) -> None:
        (cur.executemany if many else cur.execute)(sql, args)
        if self.trace is not None:
            verb, table = verb_table(sql)
            self.trace.append((verb, table, len(args) if many else rows_of(verb, cur.rowcount)))

    def _begin(self) -> Any:
        cur = self.raw.cursor()
        if not self.pg:  # the driver is in autocommit mode: one transaction, as the project
            cur.execute("BEGIN IMMEDIATE")
        return cur

    def _commit(self) -> None:
        self.raw.commit()
        if self.trace is not None:
            self.trace.append(("COMMIT", "", 0))

    def _raise(self, now: Any) -> int:
        p, cur = self.p, self._begin()
        self._run(cur, "INSERT INTO reference_counter (year, last) VALUES (2026, 1) ON CONFLICT "
                       "(year) DO UPDATE SET last = reference_counter.last + 1 RETURNING last", ())  # fmt: skip
        number = _one(cur)
        self._run(cur,
            "INSERT INTO challenge (reference, child_id, raised_by_id, theme_key, ladder_id, "
            "ladder_hash, raised_at, what_is_wrong, impact_on_child, outcome_wanted, state, "
            "stage_key, responder_id, due_at, stage_started_at, formal_started_at, cap_due_at, "
            "highest_stage_key, informal_recorded, version, updated_at) VALUES "
            f"({p}, 1, {p}, 'drift_and_delay', 'handbook', {p}, {p}, 'Drift', 'Delay', 'Plan', "
            f"'awaiting_response', 'social_worker', {p}, {p}, {p}, {p}, {p}, 'social_worker', "
            f"{p}, 1, {p}) RETURNING id",
            (f"IRO-2026-{number:06d}", self.ids["iro"], self.ladder_hash,
             now, self.ids["social_worker"], now, now, now, now, (not self.pg and 0) or False, now),
        )  # fmt: skip
        cid = int(_one(cur))
        self._event(cur, cid, 1, "raise_formal", "social_worker", now)
        self._deadlines(cur, cid, 1, "social_worker", now, self.rows["raise"]["deadline"])
        self._outbox(cur, cid, 1, now, self.rows["raise"]["mail_outbox"])
        self._commit()
        return cid

    def _step(self, now: Any, cid: int, version: int, step: str, stage: str) -> None:
        p, cur, rows = self.p, self._begin(), self.rows[step]
        state = "resolved" if step == "accept" else "awaiting_response"
        self._run(cur, f"UPDATE challenge SET state = {p}, stage_key = {p}, due_at = {p}, "
                       f"highest_stage_key = {p}, version = {p}, updated_at = {p} "
                       f"WHERE id = {p} AND version = {p}",
                  (state, stage, now, stage, version + 1, now, cid, version))  # fmt: skip
        if cur.rowcount != 1:
            raise SystemExit("plain SQL lost its version check")
        self._event(cur, cid, version + 1, step.split()[0], stage, now)
        self._run(cur, f"UPDATE deadline SET status = 'cancelled', updated_at = {p} "
                       f"WHERE challenge_id = {p} AND status IN ('pending', 'stuck')", (now, cid))  # fmt: skip
        self._deadlines(cur, cid, version + 1, stage, now, rows["deadline"])
        self._run(cur, f"UPDATE mail_link_token SET expires_at = {p} WHERE challenge_id = {p} "
                       f"AND expires_at > {p}", (now, cid, now))  # fmt: skip
        self._outbox(cur, cid, version + 1, now, rows["mail_outbox"])
        self._commit()

    def _event(self, cur: Any, cid: int, seq: int, kind: str, stage: str, now: Any) -> None:
        p = self.p
        self._run(cur,
            "INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at, "
            "actor_id, from_state, to_state, stage_key, changes, details) VALUES "
            f"({p}, {p}, {p}, {p}, {p}, {p}, 'awaiting_response', 'awaiting_response', "
            f"{p}, {p}, {p})",
            (cid, seq, kind, now, now, self.ids["iro"], stage, f'{{"stage_key": "{stage}"}}',
             '{"reason": "No answer."}'),
        )  # fmt: skip

    def _deadlines(
        self, cur: Any, cid: int, version: int, stage: str, now: Any, count: int
    ) -> None:
        if not count:
            return
        p = self.p
        self._run(cur,
            "INSERT INTO deadline (challenge_id, kind, due_at, state, stage_key, "
            "applies_to_due_at, challenge_version, label, status, attempts, next_attempt_at, "
            f"details, planned_at, updated_at) VALUES ({p}, 'timeout', {p}, 'awaiting_response', "
            f"{p}, {p}, {p}, 'stage due', 'pending', 0, {p}, '{{}}', {p}, {p})",
            [(cid, now, stage, now, version, now, now, now) for _ in range(count)], many=True,
        )  # fmt: skip

    def _outbox(self, cur: Any, cid: int, seq: int, now: Any, count: int) -> None:
        if not count:
            return
        p = self.p
        due = '{"challenge": {"state": "awaiting_response"}, "answers": true}'
        self._run(cur,
            "INSERT INTO mail_outbox (message_id, dedupe_key, kind, challenge_id, event_seq, "
            "recipient_id, to_address, copied, subject, body_text, body_html, headers, "
            "secrets, status, attempts, next_attempt_at, created_at, due) VALUES "
            f"({p}, {p}, 'stage_opened', {p}, {p}, {p}, 'x@bench.test', {p}, '', '', '', "
            f"'{{}}', '[]', 'pending', 0, {p}, {p}, {p}) ON CONFLICT (dedupe_key) DO NOTHING",
            [(f"<{uuid.uuid4().hex}@bench.test>", f"c{cid}:{seq}:k:{i}", cid, seq,
              self.ids["team_manager"], False, now, now, due) for i in range(count)], many=True,
        )  # fmt: skip


class Spiff:
    """SpiffWorkflow running the ladder as BPMN, its whole state written after each step."""

    def __init__(self, engine: Engine, reload: bool) -> None:
        try:
            import SpiffWorkflow  # noqa: F401
        except ImportError:
            raise SystemExit("SpiffWorkflow is not installed: pip install -e '.[bench]'") from None
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("challenge_ladder")
        self.workflow_class, self.ready = BpmnWorkflow, TaskState.READY
        self.serializer = BpmnWorkflowSerializer()
        self.pg = engine.dialect.name == "postgresql"
        self.p = "%s" if self.pg else "?"
        key = "SERIAL PRIMARY KEY" if self.pg else "INTEGER PRIMARY KEY"
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE spiff_workflow (id {key}, reference TEXT, "
                                 "serialization TEXT NOT NULL, updated_at TEXT NOT NULL)"))  # fmt: skip
        self.raw, self.reload, self.n = engine.raw_connection(), reload, 0

    def close(self) -> None:
        self.raw.close()

    def lifecycle(self, times: dict[str, float]) -> None:
        self.n += 1
        p, now = self.p, moment(self.n).isoformat()
        with Timed(times, "raise"):
            workflow = self.workflow_class(self.spec)
            workflow.do_engine_steps()
            cur = self._begin()
            cur.execute(f"INSERT INTO spiff_workflow (reference, serialization, updated_at) "
                        f"VALUES ({p}, {p}, {p}) RETURNING id",
                        (f"S-{self.n}", self.serializer.serialize_json(workflow), now))  # fmt: skip
            wid = _one(cur)
            self.raw.commit()
        answers: tuple[dict[str, Any], ...] = ({"escalated": True}, {"escalated": True}, {"escalated": True},
                   {"escalated": False, "response": "Booked.", "target_date": "2026-12-20"},
                   {"accepted": True, "outcome": "Plan agreed"})  # fmt: skip
        for step, data in zip(STEPS[1:], answers, strict=True):
            with Timed(times, step):
                cur = self._begin()
                if self.reload:
                    cur.execute(f"SELECT serialization FROM spiff_workflow WHERE id = {p}", (wid,))
                    workflow = self.serializer.deserialize_json(_one(cur))
                task = workflow.get_next_task(state=self.ready, manual=True)
                task.set_data(**data)
                task.run()
                workflow.do_engine_steps()
                cur.execute(f"UPDATE spiff_workflow SET serialization = {p}, updated_at = {p} "
                            f"WHERE id = {p}", (self.serializer.serialize_json(workflow), now, wid))  # fmt: skip
                self.raw.commit()
        if not workflow.is_completed():
            raise SystemExit("SpiffWorkflow did not finish the lifecycle")

    def _begin(self) -> Any:
        cur = self.raw.cursor()
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        return cur


class Timed:
    def __init__(self, into: dict[str, float], name: str) -> None:
        self.into, self.name = into, name

    def __enter__(self) -> None:
        self.started, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.into[self.name] = (time.perf_counter() - self.started) * 1000
        self.into["cpu " + self.name] = (time.process_time() - self.cpu) * 1000


def _one(cur: Any) -> Any:
    row = cur.fetchone()
    assert row is not None
    return row[0]


def verb_table(sql: str) -> tuple[str, str]:
    words = sql.split()
    verb = words[0].upper()
    table = words[{"INSERT": 2, "UPDATE": 1, "DELETE": 2}.get(verb, 0)] if verb in WRITES else ""
    return verb, table.strip('"').split("(")[0]


def rows_of(verb: str, rowcount: int) -> int:
    """Rows a single statement wrote (an INSERT ... RETURNING reports -1 or 0 before its row is read: one)."""
    return 1 if verb == "INSERT" and rowcount <= 0 else max(rowcount, 0)
