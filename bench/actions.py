"""Each of the nine actions, and a whole lifecycle, against plain SQL doing the same writes.

    .venv/bin/python -m bench.actions [--rounds 200] [--db sqlite,postgres] [--challenges 100000]
        [--split]

Per round, on the project's database: raise a formal challenge at the social worker
stage, extend it, pause, resume, escalate, respond, then accept (odd rounds) or withdraw
(even rounds), and close (the real `workflow.services` functions, with the deadline
planner and the outbox listener the worker and web use). On a second database, plain
SQL (a DB-API cursor, one transaction per action, `executemany` where there are several
rows, nothing read back) makes the same writes as the project makes for that action
(`WRITES`): the challenge row with its version check, the event, cancelling the
challenge's pending deadlines in one statement (sparing the cap's row where the project
keeps it) and inserting its new ones, expiring link tokens and one outbox row per email
due. The two sides alternate round by round, each going first every other round, so a
noisy machine slows both alike. Prints medians and 10th-90th percentiles in
milliseconds, and the ratio of the medians. `--challenges N` first seeds N challenges into
each database as `bench.web_log` does (a service of councils), so the actions run among a
real table's indexes rather than an empty one's. `--split` also divides the project's CPU
a round into the database driver's share (its statements, BEGIN and COMMIT, timed where
SQLAlchemy's dialect hands them to the DB-API) and the rest (the project's Python,
SQLAlchemy's and the pool's): the floor's CPU is nearly all driver, so the rest is what
separates the two. The split's clock adds about a microsecond a statement to the project.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultDialect
from sqlmodel import Session, SQLModel

from api.wiring import build
from bench.sweep import scratch
from notifications.settings import MailSettings, use_settings
from workflow.runtime import Runtime, prepare_database
from workflow.services import InformalDiscussion, NewChallenge, raise_challenge, take_action
from workflow.settings import WorkflowSettings
from workflow.states import Action

T = SQLModel.metadata.tables
START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
CPU = "cpu:"
ACTIONS = ("raise", "extend", "pause", "resume", "escalate", "respond", "accept", "withdraw",
           "close")  # fmt: skip


class Writes(NamedTuple):
    """What the project writes for an action besides the challenge row and its event
    (checked against the project's rows: `tests/integration/test_bench_floor_writes.py`)."""

    cancels: bool  # one UPDATE cancelling the challenge's pending deadlines
    planned: int  # new deadline rows (the stage timeout, its reminders, the cap)
    tokens: bool  # one UPDATE expiring the ended stage's link tokens
    emails: int  # outbox rows
    # The cap's row stays (an event that did not move the cap): the cancel spares it and
    # it is not planned again.
    cap_kept: bool = False


# Only the next deadline of each clock has a row (`workflow.deadline_planner`): the stage
# clock's first reminder point and, while the formal process is open, the cap.
WRITES = {
    "raise": Writes(False, 2, False, 1),
    "extend": Writes(True, 1, False, 0, cap_kept=True),
    "pause": Writes(True, 0, True, 0),
    "resume": Writes(True, 2, True, 0),
    "escalate": Writes(True, 1, True, 1, cap_kept=True),
    "respond": Writes(True, 0, True, 1, cap_kept=True),
    "accept": Writes(True, 0, True, 3),
    "withdraw": Writes(True, 0, True, 3),
    "close": Writes(True, 0, True, 0),
}


def steps(ids: dict[str, int], n: int) -> list[tuple[str, int, dict[str, Any]]]:
    """The actions after the raise, who takes them and with what, in round `n`."""
    iro, manager = ids["iro"], ids["team_manager"]
    ending = (
        ("accept", iro,
         {"outcome_kind": "plan_updated", "outcome": "Plan agreed", "impact": "Settled"})
        if n % 2 else ("withdraw", iro, {"reason": "The child moved away."})
    )  # fmt: skip
    return [
        ("extend", iro, {"working_days": 5, "reason": "The manager is on leave."}),
        ("pause", iro, {"reason": "Court proceedings."}),
        ("resume", iro, {"reason": "Proceedings ended."}),
        ("escalate", iro, {"reason": "No answer."}),
        ("respond", manager,
         {"response": "Booked.", "actions": "Plan", "target_date": "2026-12-20"}),
        ending,
        ("close", iro, {"note": "Done."}),
    ]  # fmt: skip


def seed_council(runtime: Runtime) -> dict[str, int]:
    """One line of management, an IRO and 50 children; returns ids by role."""
    with Session(runtime.engine) as session:
        runtime.ladders.record_current(session)
        session.commit()
    with runtime.engine.begin() as conn:
        team = conn.execute(sa.insert(T["team"]).values(name="Team", service_area="CLA"))
        team_id = team.inserted_primary_key[0]  # type: ignore[index]
        ids: dict[str, int] = {}
        for role, manager in (("senior_manager", None), ("head_of_service", "senior_manager"),
                              ("team_manager", "head_of_service"),
                              ("social_worker", "team_manager"), ("iro", None)):  # fmt: skip
            ids[role] = conn.execute(sa.insert(T["person"]).values(
                email=f"{role}@bench.test", name=role.replace("_", " ").title(), role=role,
                team_id=team_id, manager_id=ids.get(manager or ""), absent=False, active=True,
            )).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
        conn.execute(sa.insert(T["child"]), [
            {"case_reference": f"LL{i:04d}", "display_name": f"Child {i}",
             "legal_status": "looked_after", "social_worker_id": ids["social_worker"],
             "iro_id": ids["iro"]} for i in range(50)])  # fmt: skip
    return ids


class Project:
    """The real use cases, one transaction each."""

    def __init__(self, runtime: Runtime, ids: dict[str, int]) -> None:
        self.rt, self.ids, self.n = runtime, ids, 0

    def round(self) -> dict[str, float]:
        self.n += 1
        times: dict[str, float] = {}
        for name, run in self.actions(self.n):
            with _Timed(times, name):
                run()
        return times

    def actions(self, n: int) -> Iterator[tuple[str, Callable[[], object]]]:
        """Round `n`'s actions in order, each as one transaction to run."""
        at = START + timedelta(minutes=n)
        new = NewChallenge(child_reference=f"LL{self.n % 50:04d}", theme_key="drift_and_delay",
                           what_is_wrong="Drift in the care plan.", impact_on_child="Delay.",
                           outcome_wanted="A plan.", formal=True, stage="social_worker",
                           informal=InformalDiscussion("Sam Worker", at.date(), "A plan",
                                                       at.date()))  # fmt: skip
        raised: list[str] = []

        def raise_it() -> None:
            with self.rt.uow() as uow:
                raised.append(raise_challenge(uow, new, self.ids["iro"], at).reference)

        yield "raise", raise_it
        for name, actor, params in steps(self.ids, n):

            def act(name: str = name, actor: int = actor, params: dict[str, Any] = params) -> None:
                with self.rt.uow() as uow:
                    take_action(uow, raised[0], Action(name), actor, params, at)

            yield name, act


class PlainSql:
    """The same writes per action through a DB-API cursor, as efficiently as SQL allows."""

    def __init__(self, runtime: Runtime, ids: dict[str, int]) -> None:
        self.raw = runtime.engine.raw_connection()
        self.pg = runtime.engine.dialect.name == "postgresql"
        self.p = "%s" if self.pg else "?"
        self.ids, self.n = ids, 0
        self.ladder_hash = runtime.ladders.current.content_hash

    def close(self) -> None:
        self.raw.close()

    def t(self, moment: datetime) -> Any:
        return moment if self.pg else moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def round(self) -> dict[str, float]:
        self.n += 1
        now = self.t(START + timedelta(minutes=self.n))
        times: dict[str, float] = {}
        with _Timed(times, "raise"):
            cid = self._raise(now)
        for version, (name, _, _) in enumerate(steps(self.ids, self.n), start=1):
            with _Timed(times, name):
                self._act(now, cid, version, name, WRITES[name])
        return times

    def _begin(self) -> Any:
        cur = self.raw.cursor()
        if not self.pg:  # the driver is in autocommit mode: one transaction, as the project
            cur.execute("BEGIN IMMEDIATE")
        return cur

    def _raise(self, now: Any) -> int:
        p, cur = self.p, self._begin()
        cur.execute("INSERT INTO reference_counter (year, last) VALUES (2026, 1) ON CONFLICT "
                    "(year) DO UPDATE SET last = reference_counter.last + 1 RETURNING last")  # fmt: skip
        number = _one(cur)
        cur.execute(
            "INSERT INTO challenge (reference, child_id, raised_by_id, theme_key, ladder_id, "
            "ladder_hash, raised_at, what_is_wrong, impact_on_child, outcome_wanted, state, "
            "stage_key, responder_id, due_at, stage_started_at, formal_started_at, cap_due_at, "
            "highest_stage_key, informal_recorded, version, updated_at) VALUES "
            f"({p}, 1, {p}, 'drift_and_delay', 'handbook', {p}, {p}, 'Drift', 'Delay', 'Plan', "
            f"'awaiting_response', 'social_worker', {p}, {p}, {p}, {p}, {p}, 'social_worker', "
            f"{p}, 1, {p}) RETURNING id",
            (f"IRO-2026-{number:06d}", self.ids["iro"], self.ladder_hash, now,
             self.ids["social_worker"], now, now, now, now, (not self.pg and 0) or False, now),
        )  # fmt: skip
        cid = int(_one(cur))
        self._event(cur, cid, 1, "raise_formal", now)
        self._deadlines(cur, cid, 1, now, WRITES["raise"].planned)
        self._outbox(cur, cid, 1, now, WRITES["raise"].emails)
        self.raw.commit()
        return cid

    def _act(self, now: Any, cid: int, version: int, kind: str, writes: Writes) -> None:
        p, cur = self.p, self._begin()
        cur.execute(f"UPDATE challenge SET state = 'awaiting_response', stage_key = 'team_manager', "
                    f"due_at = {p}, version = {p}, updated_at = {p} WHERE id = {p} AND version = {p}",
                    (now, version + 1, now, cid, version))  # fmt: skip
        if cur.rowcount != 1:
            raise SystemExit("plain SQL lost its version check")
        self._event(cur, cid, version + 1, kind, now)
        if writes.cancels:
            spare = " AND kind <> 'cap'" if writes.cap_kept else ""
            cur.execute(f"UPDATE deadline SET status = 'cancelled', updated_at = {p} "
                        f"WHERE challenge_id = {p} AND status IN ('pending', 'stuck'){spare}",
                        (now, cid))  # fmt: skip
        self._deadlines(cur, cid, version + 1, now, writes.planned)
        if writes.tokens:
            cur.execute(f"UPDATE mail_link_token SET expires_at = {p} WHERE challenge_id = {p} "
                        f"AND expires_at > {p}", (now, cid, now))  # fmt: skip
        self._outbox(cur, cid, version + 1, now, writes.emails)
        self.raw.commit()

    def _event(self, cur: Any, cid: int, seq: int, kind: str, now: Any) -> None:
        p = self.p
        cur.execute(
            "INSERT INTO challenge_event (challenge_id, seq, kind, occurred_at, recorded_at, "
            "actor_id, from_state, to_state, stage_key, changes, details) VALUES "
            f"({p}, {p}, {p}, {p}, {p}, {p}, 'awaiting_response', 'awaiting_response', "
            f"'team_manager', {p}, {p})",
            (cid, seq, kind, now, now, self.ids["iro"], '{"stage_key": "team_manager"}',
             '{"reason": "No answer."}'),
        )  # fmt: skip

    def _deadlines(self, cur: Any, cid: int, version: int, now: Any, count: int) -> None:
        if not count:
            return
        p = self.p
        cur.executemany(
            "INSERT INTO deadline (challenge_id, kind, due_at, state, stage_key, "
            "applies_to_due_at, challenge_version, label, status, attempts, next_attempt_at, "
            f"details, planned_at, updated_at) VALUES ({p}, 'timeout', {p}, 'awaiting_response', "
            f"'team_manager', {p}, {p}, 'stage due', 'pending', 0, {p}, '{{}}', {p}, {p})",
            [(cid, now, now, version, now, now, now) for _ in range(count)],
        )  # fmt: skip

    def _outbox(self, cur: Any, cid: int, seq: int, now: Any, count: int) -> None:
        if not count:
            return
        p = self.p
        due = json.dumps({"challenge": {"state": "awaiting_response"}, "answers": True})
        cur.executemany(
            "INSERT INTO mail_outbox (message_id, dedupe_key, kind, challenge_id, event_seq, "
            "recipient_id, to_address, copied, subject, body_text, body_html, headers, "
            "secrets, status, attempts, next_attempt_at, created_at, due) VALUES "
            f"({p}, {p}, 'stage_opened', {p}, {p}, {p}, 'x@bench.test', {p}, '', '', '', "
            f"'{{}}', '[]', 'pending', 0, {p}, {p}, {p}) ON CONFLICT (dedupe_key) DO NOTHING",
            [(f"<{uuid.uuid4().hex}@bench.test>", f"c{cid}:{seq}:k:{i}", cid, seq,
              self.ids["team_manager"], False, now, now, due) for i in range(count)],
        )  # fmt: skip


def _one(cur: Any) -> Any:
    row = cur.fetchone()
    assert row is not None
    return row[0]


class _Timed:
    def __init__(self, into: dict[str, float], name: str) -> None:
        self.into, self.name = into, name

    def __enter__(self) -> None:
        self.started, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.into[self.name] = (time.perf_counter() - self.started) * 1000
        # This process's CPU: with SQLite (in-process) all of the action's work, however
        # many other processes share the cores; a loaded machine stretches the wall time.
        self.into[CPU + self.name] = (time.process_time() - self.cpu) * 1000


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    low, high = ordered[len(ordered) // 10], ordered[(len(ordered) * 9) // 10]
    return f"{statistics.median(values):6.2f} ms ({low:.2f}-{high:.2f})"


class DriverClock:
    """While open, the CPU spent in the DB-API driver's calls that SQLAlchemy's dialect
    makes (`do_execute`, `do_executemany`, `do_commit`): every statement of the project's,
    on its own cursor (`workflow.driver`) or through Core, and each COMMIT. The floor calls
    the driver directly and is not counted."""

    _TIMED = ("do_execute", "do_executemany", "do_commit")

    def __init__(self) -> None:
        self.ns = 0
        self._kept: dict[str, Any] = {}

    def __enter__(self) -> DriverClock:
        for name in self._TIMED:
            original = self._kept[name] = DefaultDialect.__dict__[name]
            setattr(DefaultDialect, name, self._timed(original))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for name, original in self._kept.items():
            setattr(DefaultDialect, name, original)
        self._kept.clear()

    def _timed(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time_ns()
            try:
                return original(*args, **kwargs)
            finally:
                self.ns += time.process_time_ns() - started

        return timed


def one_database(kind: str, rounds: int, challenges: int = 0, split: bool = False) -> None:
    with scratch(kind) as project_engine, scratch(kind) as plain_engine:
        sides: dict[str, Any] = {}
        for label, engine, side in (("project", project_engine, Project),
                                    ("plain SQL", plain_engine, PlainSql)):  # fmt: skip
            prepare_database(engine)
            if challenges:  # a council's (or a service's) history around the new ones
                from bench.web_log import seed

                seed(engine, challenges)
            runtime = build(WorkflowSettings(IRO_DISPUTES_LADDER="handbook"), engine)
            sides[label] = side(runtime, seed_council(runtime))
        for side in sides.values():  # warm-up: caches, ladder versions, statements
            for _ in range(4):
                side.round()
        results: dict[str, dict[str, list[float]]] = {s: {} for s in sides}
        results_life: dict[str, list[float]] = {s: [] for s in sides}
        # With --split: each round's CPU per side, and the project's in the driver.
        cpu_life: dict[str, list[float]] = {s: [] for s in sides}
        driver_ms: list[float] = []
        order = list(sides.items())
        for _ in range(rounds):
            order.reverse()  # each side goes first every other round
            for label, side in order:
                if split and label == "project":
                    with DriverClock() as clock:
                        times = side.round()
                    driver_ms.append(clock.ns / 1e6)
                else:
                    times = side.round()
                for action, ms in times.items():
                    results[label].setdefault(action, []).append(ms)
                results_life[label].append(sum(times[a] for a in ACTIONS if a in times))
                cpu_life[label].append(sum(times[CPU + a] for a in ACTIONS if CPU + a in times))
        sides["plain SQL"].close()
        _print(kind, results, results_life)
        if split:
            _print_split(kind, cpu_life, driver_ms)


def _print_split(kind: str, cpu: dict[str, list[float]], driver_ms: list[float]) -> None:
    """The project's CPU a round, the driver's share and the rest, beside the floor's."""
    ours, floor = statistics.median(cpu["project"]), statistics.median(cpu["plain SQL"])
    driver = statistics.median(driver_ms)
    rest = statistics.median(c - d for c, d in zip(cpu["project"], driver_ms, strict=True))
    label = "CPU" if kind == "sqlite" else "client CPU"
    print(f"  {kind:<8} {label} a round: project {ours:.2f} ms = in the driver {driver:.2f} ms "
          f"+ the rest (Python: the project's, SQLAlchemy's, the pool's) {rest:.2f} ms; "
          f"plain SQL {floor:.2f} ms", flush=True)  # fmt: skip


def _print(kind: str, results: dict[str, dict[str, list[float]]],
           life: dict[str, list[float]]) -> None:  # fmt: skip
    for action in ACTIONS:
        ours, floor = results["project"][action], results["plain SQL"][action]
        ratio = statistics.median(ours) / statistics.median(floor)
        print(f"  {kind:<8} {action:<9} project {spread(ours)}  plain SQL {spread(floor)}  "
              f"ratio {ratio:.1f}x", flush=True)  # fmt: skip
    # SQLite runs in this process: its CPU is the whole of the work. PostgreSQL's server is
    # another process: this one's CPU is the client's share (the project's Python,
    # SQLAlchemy, psycopg), which is what the project can cut.
    label = "CPU" if kind == "sqlite" else "client CPU"
    for action in ACTIONS:
        ours, floor = results["project"][CPU + action], results["plain SQL"][CPU + action]
        ratio = statistics.median(ours) / max(statistics.median(floor), 1e-3)
        print(f"  {kind:<8} {action:<9} {label}: project {statistics.median(ours):6.2f} ms  "
              f"plain SQL {statistics.median(floor):6.2f} ms  ratio {ratio:.1f}x", flush=True)  # fmt: skip
    ours, floor = life["project"], life["plain SQL"]
    print(f"  {kind:<8} a round (all eight actions of one challenge) project "
          f"{1000 / statistics.median(ours):5.0f}/s  plain SQL {1000 / statistics.median(floor):5.0f}/s"
          f"  ratio {statistics.median(ours) / statistics.median(floor):.1f}x", flush=True)  # fmt: skip


def main(
    argv: list[str] | None = None, runner: Callable[[str, int, int, bool], None] = one_database
) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--challenges", type=int, default=0,
                        help="challenges already in each database, seeded as bench.web_log's")  # fmt: skip
    parser.add_argument("--split", action="store_true",
                        help="divide the project's CPU into the driver's share and the rest")  # fmt: skip
    args = parser.parse_args(argv)
    use_settings(MailSettings(base_url="https://disputes.bench.test", reply_domain="bench.test"))
    print(
        f"Actions: {args.rounds} rounds of raise, extend, pause, resume, escalate, respond, "
        "accept or withdraw, close (times per action; accept and withdraw every other round)"
    )
    if args.challenges:
        print(f"Among {args.challenges:,} challenges already in each database")
    for kind in args.db.split(","):
        runner(kind, args.rounds, args.challenges, args.split)


if __name__ == "__main__":
    main()
