"""The deadline sweep: fire every due deadline once, oldest first, whatever happened before.

A use case, pure of HTTP, SMTP and the scheduler: callers pass the time (`now`) and
a worker name. The sweep claims due rows in batches (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so several workers share the work) and reserves them with
a lease on the wall clock, so a worker that dies leaves them claimable again once the
lease runs out. Each batch is one transaction, and each deadline in it a savepoint:
a deadline that fails is rolled back alone, retried with exponential back-off and in
the end marked stuck, and never blocks the others.

Exactly once: a deadline's row is marked done in the same transaction as the event
it records, only if it is still pending and still claimed by this worker, and the
challenge is saved with its version check; so two workers can never both fire it.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from escalation_rules.model import Role
from workflow.batch_sql import OverArrays, PerDialect
from workflow.deadline_next import plan_after
from workflow.deadline_planner import DEADLINE
from workflow.deadline_settings import DeadlineSettings, get_deadline_settings
from workflow.deadline_tables import DeadlineKind, DeadlineStatus
from workflow.domain import Challenge
from workflow.errors import ConcurrentUpdate, NoResponder
from workflow.event_facts import child_with_team, team_of
from workflow.prepared import Prepared
from workflow.repository import challenge_from_row
from workflow.rows import ChildFacts, child_row, remember_children
from workflow.runtime import Runtime
from workflow.services import act, lifecycle
from workflow.states import CLOCK_RUNNING_STATES, OPEN_STATES, Action, State
from workflow.sweep_claim import Claim as Claim  # re-exported: callers claim through the sweep
from workflow.sweep_claim import Clock
from workflow.sweep_claim import claim as claim
from workflow.tables import utc_now
from workflow.unit_of_work import UnitOfWork

CHALLENGE: sa.Table = SQLModel.metadata.tables["challenge"]
CHILD: sa.Table = SQLModel.metadata.tables["child"]
# A batch's children, each with its team (recorded on the events), in one read.
_CHILDREN_WITH_TEAMS = PerDialect(lambda in_set: child_with_team().where(in_set(CHILD.c.id, "ids")))
# Built once: a batch's challenges (locked on PostgreSQL, in id order).
_CHALLENGES = PerDialect(
    lambda in_set: (
        sa.select(CHALLENGE).where(in_set(CHALLENGE.c.id, "ids")).order_by(CHALLENGE.c.id)
    )
)
_LOCK_CHALLENGES = PerDialect(
    lambda in_set: (
        sa.select(CHALLENGE)
        .where(in_set(CHALLENGE.c.id, "ids"))
        .order_by(CHALLENGE.c.id)
        .with_for_update(of=CHALLENGE)
    )
)

_log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Fired:
    """What the sweep did with one deadline."""

    deadline_id: int
    reference: str
    kind: str
    label: str
    status: str  # done, cancelled, pending (to retry), stuck, skipped
    outcome: str
    due_at: datetime
    fired_at: datetime
    late_seconds: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["due_at"], data["fired_at"] = self.due_at.isoformat(), self.fired_at.isoformat()
        return data


class _Gone(Exception):
    """The row was cancelled or taken by another worker since this worker claimed it."""


def sweep(
    runtime: Runtime,
    now: datetime,
    worker: str | None = None,
    settings: DeadlineSettings | None = None,
    wall_clock: Clock = utc_now,
) -> list[Fired]:
    """Fire every deadline due at `now`, oldest first, in batches; return what happened.

    A sweep stops claiming once it has run `settings.time_limit_seconds` (on the wall
    clock): what is left is fired by the next sweep, so one huge catch-up never holds
    a worker (and its scheduler's other jobs) for minutes on end.
    """
    settings = settings or get_deadline_settings()
    worker = worker or worker_name()
    stop_at = wall_clock() + timedelta(seconds=settings.time_limit_seconds)
    results: list[Fired] = []
    while claims := claim(runtime, now, worker, settings, wall_clock):
        results.extend(fire_batch(runtime, claims, now, worker, settings, wall_clock))
        if wall_clock() >= stop_at:
            break
    return results


def fire_batch(
    runtime: Runtime,
    claims: list[Claim],
    now: datetime,
    worker: str,
    settings: DeadlineSettings,
    wall_clock: Clock = utc_now,
) -> list[Fired]:
    """Fire a batch in one transaction; if anything in it fails, redo it one savepoint each.

    The fast path writes nothing but what each deadline needs. A failure rolls the
    whole batch back (nothing of it was committed) and the batch is redone with a
    savepoint around each deadline, so the failing one is rolled back alone and
    recorded for a retry while the others fire.
    """
    try:
        return _Batch(runtime, now, worker, settings, wall_clock).fire(claims, isolated=False)
    except _FastPathFailed as failed:
        # Said out loud: a fast path that always failed would still fire every deadline,
        # one savepoint each, and nothing but the speed would show it.
        _log.warning("deadline batch of %d redone one deadline at a time after %r",
                     len(claims), failed.__cause__)  # fmt: skip
        return _Batch(runtime, now, worker, settings, wall_clock).fire(claims, isolated=True)


class _FastPathFailed(Exception):
    pass


class _Batch:
    def __init__(
        self,
        runtime: Runtime,
        now: datetime,
        worker: str,
        settings: DeadlineSettings,
        wall_clock: Clock,
    ) -> None:
        self.runtime, self.now, self.worker = runtime, now, worker
        self.settings, self.wall_clock = settings, wall_clock
        self.challenges: dict[int, Challenge] = {}
        self.children: dict[int, ChildFacts] = {}
        # The fast path holds its writes and makes them once per batch, one executemany
        # per statement: closing the rows, saving the challenges, then the listeners.
        self.held = False
        self._finishes: list[dict[str, Any]] = []
        self._touched: set[int] = set()
        # Reminders fired, whose next deadline is planned with the batch's writes; by
        # whether it may have been planned already (the reminder failed before).
        self._chains: dict[bool, list[tuple[Challenge, datetime]]] = {False: [], True: []}

    def fire(self, claims: list[Claim], isolated: bool) -> list[Fired]:
        with self.runtime.uow() as uow:
            self._prefetch(uow, claims)
            if isolated:
                results = [self._isolated(uow, item) for item in claims]
            else:
                self.held = uow.challenges.hold_writes = True
                results = [self._fast(uow, item) for item in claims]
                self._write_held(uow)
            uow.session.commit()
        return results

    def _fast(self, uow: UnitOfWork, item: Claim) -> Fired:
        late, reason = self._lateness(item)
        if item.challenge_id in self._touched:  # publish its first event as it left it
            self._write_held(uow)
        self._touched.add(item.challenge_id)
        try:
            status, outcome = self._act(uow, item, late, reason)
        except Exception as error:
            raise _FastPathFailed from error
        return self._fired(item, status, outcome, late, reason)

    def _write_held(self, uow: UnitOfWork) -> None:
        """Close the held rows (all still ours, or the batch is redone one by one), then
        save the challenges and run the listeners for the whole batch."""
        finishes, self._finishes = self._finishes, []
        chains, self._chains = self._chains, {False: [], True: []}
        self._touched.clear()
        try:
            if finishes:
                closed = _close_many(uow.session.connection(), finishes)
                if closed != len(finishes):
                    raise _Gone
            uow.publish()
            for look_first, fired in chains.items():
                plan_after(uow.session, fired, look_first)
        except Exception as error:
            raise _FastPathFailed from error

    def _isolated(self, uow: UnitOfWork, item: Claim) -> Fired:
        late, reason = self._lateness(item)
        try:
            with uow.session.begin_nested():
                status, outcome = self._act(uow, item, late, reason)
        except _Gone:
            status, outcome = "skipped", "cancelled or taken by another worker meanwhile"
        except Exception as error:  # the sweep must go on to the next deadline
            self._forget(uow, item)
            if _lost_a_race(error):
                # Someone changed the challenge at the same moment: not the deadline's
                # fault, so no attempt is counted; the next sweep (not this one) looks again.
                _release(uow, item, self.now, self.worker, self.wall_clock)
                status = DeadlineStatus.PENDING.value
                outcome = f"released after a concurrent change ({type(error).__name__})"
            else:
                # A bug, a bad record or a database error (a lock or statement timeout):
                # count an attempt and back off, so a deadline that keeps failing ends up
                # stuck instead of being taken again forever, and never blocks the rest.
                status, outcome = _failed(uow, item, self.now, self.worker, self.settings,
                                          error, self.wall_clock)  # fmt: skip
                self._chain_after_failure(uow, item)
        return self._fired(item, status, outcome, late, reason)

    def _act(self, uow: UnitOfWork, item: Claim, late: int, reason: str) -> tuple[str, str]:
        challenge = self._challenge(uow, item)
        mismatch = _no_longer_applies(challenge, item)
        if mismatch:
            self._finish(uow, item, DeadlineStatus.CANCELLED, late, mismatch)
            return DeadlineStatus.CANCELLED.value, mismatch
        child = self.children[challenge.child_id]
        action, params = _action_for(uow, challenge, child, item)
        try:
            # The same service function as people's actions: the system is the actor.
            act(
                uow,
                challenge,
                child,
                action,
                None,
                params,
                self.now,
                _details(item, self.now, late, reason),
            )
        except Exception:
            self.challenges.pop(challenge.id or 0, None)  # may be half-changed: read it again
            raise
        outcome = _describe(challenge, item)
        self._finish(uow, item, DeadlineStatus.DONE, late, outcome)
        chain = [(challenge, item.due_at)] if item.kind == DeadlineKind.REMINDER else []
        if self.held:
            self._chains[item.attempts > 0].extend(chain)
        else:
            uow.publish()  # after closing the row: the planner cancels what is still pending
            plan_after(uow.session, chain, look_first=item.attempts > 0)
        return DeadlineStatus.DONE.value, outcome

    def _chain_after_failure(self, uow: UnitOfWork, item: Claim) -> None:
        """A failing reminder still lets the stage clock run on: its next deadline (the
        timeout, say) is planned at its first failure, not held back until it fires or
        is stuck. Looked up first: it may have been planned at an earlier failure."""
        if item.kind != DeadlineKind.REMINDER:
            return
        try:
            with uow.session.begin_nested():
                challenge = self._challenge(uow, item)
                if _no_longer_applies(challenge, item) is None:
                    plan_after(uow.session, [(challenge, item.due_at)], look_first=True)
        except Exception:  # the next attempt (or its failure) plans it again
            self._forget(uow, item)
            _log.exception("deadline %d: the deadline after it not planned yet", item.id)

    def _finish(
        self, uow: UnitOfWork, item: Claim, status: DeadlineStatus, late: int, outcome: str
    ) -> None:
        """Close the row, only if it is still pending and still ours: the exactly-once check."""
        values: dict[str, Any] = {
            "deadline": item.id,
            "worker": self.worker,
            "status": status.value,
            "now": self.now,
            "late": late,
            "outcome": outcome,
            "wall": self.wall_clock(),
        }
        if self.held:
            self._finishes.append(values)
            return
        if uow.session.connection().execute(_FINISH, values).rowcount != 1:
            raise _Gone

    def _prefetch(self, uow: UnitOfWork, claims: list[Claim]) -> None:
        """Read the batch's challenges and children in two queries, as plain objects.

        On PostgreSQL the challenges are locked (in id order, so two sweeps never
        deadlock) until the batch commits: the batch writes them only at its end, and a
        person's action or another worker's deadline on the same challenge must wait and
        then lose its version check, as it did when each save was written at once, so a
        deadline due earlier is never overtaken by one due later."""
        ids = sorted({item.challenge_id for item in claims})
        connection = uow.session.connection()
        query = _LOCK_CHALLENGES if connection.dialect.name == "postgresql" else _CHALLENGES
        rows = connection.execute(query.on(connection), {"ids": ids})
        self.challenges = {row.id: challenge_from_row(row) for row in rows}
        uow.challenges.note_read(self.challenges.values())  # its saves set what changed
        # Plain rows, remembered for the outbox listener in the same transaction.
        child_ids = {c.child_id for c in self.challenges.values()}
        rows = connection.execute(_CHILDREN_WITH_TEAMS.on(connection), {"ids": sorted(child_ids)})
        self.children = {}
        for row in rows:  # with each child's team, recorded on its events
            child = child_row(row)
            self.children[child.id] = child
            uow.challenges.note_team(child.id, team_of(row))
        remember_children(uow.session, list(self.children.values()))

    def _challenge(self, uow: UnitOfWork, item: Claim) -> Challenge:
        if item.challenge_id not in self.challenges:
            self.challenges[item.challenge_id] = uow.challenges.get(item.reference)
            uow.session.expunge_all()
        return self.challenges[item.challenge_id]

    def _forget(self, uow: UnitOfWork, item: Claim) -> None:
        uow.challenges.appended = []
        self.challenges.pop(item.challenge_id, None)

    def _lateness(self, item: Claim) -> tuple[int, str]:
        late = max(0, int((self.now - item.due_at).total_seconds()))
        return late, _why(item, late, self.settings)

    def _fired(self, item: Claim, status: str, outcome: str, late: int, reason: str) -> Fired:
        return Fired(item.id, item.reference, item.kind, item.label, status, outcome,
                     item.due_at, self.now, late, reason)  # fmt: skip


def _why(item: Claim, late: int, settings: DeadlineSettings) -> str:
    if item.attempts:
        return f"retry after {item.attempts} failed attempt{'s' if item.attempts > 1 else ''}"
    if late > settings.sweep_seconds:
        return "catch-up after downtime"
    return "on schedule"


def _no_longer_applies(c: Challenge, item: Claim) -> str | None:
    where = f"it is {c.state.value} at stage {c.stage_key}"
    if item.kind == DeadlineKind.CAP:
        if c.state not in OPEN_STATES or c.state is State.PAUSED:
            return f"no longer applies: {where}"
        if c.cap_due_at != item.applies_to_due_at:
            return f"no longer applies: the cap moved to {c.cap_due_at}"
        return None
    if c.state.value != item.state or c.stage_key != item.stage_key:
        return f"no longer applies: {where}"
    if c.state not in CLOCK_RUNNING_STATES:
        return f"no longer applies: {where}"
    if c.due_at != item.applies_to_due_at:
        return f"no longer applies: the due date moved to {c.due_at}"
    return None


def _details(item: Claim, now: datetime, late: int, reason: str) -> dict[str, Any]:
    """What the event records about the deadline that fired it."""
    return {
        "deadline_id": item.id,
        "deadline": item.label,
        "due_at": item.due_at.isoformat(),
        "fired_at": now.isoformat(),
        "late_seconds": late,
        "reason": reason,
    }


def _action_for(
    uow: UnitOfWork, challenge: Challenge, child: ChildFacts, item: Claim
) -> tuple[Action, dict[str, Any]]:
    if item.kind == DeadlineKind.TIMEOUT:
        return Action.TIME_OUT, {}
    ladder = lifecycle(uow, challenge).ladder
    if item.kind == DeadlineKind.REMINDER:
        copy = ladder.stage(challenge.stage_key).copy if challenge.stage_key else ()
        return Action.REMIND, {
            "reminder": item.label,
            "stage_due_at": item.applies_to_due_at.isoformat(),
            "responder_id": challenge.responder_id,
            "copy": [who.label for who in copy],
        }
    head = uow.directory.responder(Role.HEAD_OF_SERVICE, child, challenge.raised_by_id)
    if head is None:
        raise NoResponder(challenge.reference, "cap", "the overall cap", ("head of service",))
    return Action.ALERT_CAP, {
        "cap_due_at": item.applies_to_due_at.isoformat(),
        "cap_working_days": ladder.overall_cap_working_days,
        "alert_to": Role.HEAD_OF_SERVICE.value,
        "head_of_service_id": head,
    }


def _describe(c: Challenge, item: Claim) -> str:
    if item.kind == DeadlineKind.REMINDER:
        return f"reminder recorded ({item.label})"
    if item.kind == DeadlineKind.CAP:
        return "overall cap passed: Head of Service alerted"
    if c.state is State.AWAITING_RESPONSE:
        return f"escalated from {item.stage_key} to {c.stage_key}"
    return "out of time: awaiting the IRO's decision"


def _failed(
    uow: UnitOfWork,
    item: Claim,
    now: datetime,
    worker: str,
    settings: DeadlineSettings,
    error: Exception,
    wall_clock: Clock,
) -> tuple[str, str]:
    attempts = item.attempts + 1
    message = f"{type(error).__name__}: {error}"
    values: dict[str, Any] = {
        "attempts": attempts, "last_error": message, "claimed_by": None,
        "lease_until": None, "updated_at": wall_clock(),
    }  # fmt: skip
    if attempts >= settings.max_attempts:
        values.update(status=DeadlineStatus.STUCK.value, outcome=f"stuck after {attempts} attempts")
        status, outcome = DeadlineStatus.STUCK.value, f"stuck after {attempts} attempts: {message}"
    else:
        retry_at = now + timedelta(seconds=settings.retry_seconds * 2 ** (attempts - 1))
        values.update(next_attempt_at=retry_at)
        status = DeadlineStatus.PENDING.value
        outcome = f"failed (attempt {attempts}), retry at {retry_at.isoformat()}: {message}"
    uow.session.execute(_ours(item, worker).values(**values))
    return status, outcome


def _release(uow: UnitOfWork, item: Claim, now: datetime, worker: str, wall_clock: Clock) -> None:
    """Give the row back, due just after `now`: claimable by the next sweep, not this one."""
    uow.session.execute(
        _ours(item, worker).values(
            claimed_by=None,
            lease_until=None,
            next_attempt_at=now + _NEXT_SWEEP,
            updated_at=wall_clock(),
        )
    )


_NEXT_SWEEP = timedelta(seconds=1)
# PostgreSQL's deadlock and serialisation failures: a race with another writer.
_RACES = frozenset({"40P01", "40001"})


def _lost_a_race(error: Exception) -> bool:
    if isinstance(error, ConcurrentUpdate):
        return True
    return isinstance(error, sa.exc.DBAPIError) and getattr(error.orig, "sqlstate", None) in _RACES


_FINISH = (
    sa.update(DEADLINE)
    .where(DEADLINE.c.id == sa.bindparam("deadline"))
    .where(DEADLINE.c.status == DeadlineStatus.PENDING.value)
    .where(DEADLINE.c.claimed_by == sa.bindparam("worker"))
    .values(
        status=sa.bindparam("status"),
        fired_at=sa.bindparam("now"),
        fired_by=sa.bindparam("worker"),
        late_seconds=sa.bindparam("late"),
        outcome=sa.bindparam("outcome"),
        claimed_by=sa.null(),
        lease_until=sa.null(),
        updated_at=sa.bindparam("wall"),
    )
)


def _ours(item: Claim, worker: str) -> sa.Update:
    d = DEADLINE
    return (
        sa.update(d)
        .where(d.c.id == item.id)
        .where(d.c.status == DeadlineStatus.PENDING)
        .where(d.c.claimed_by == worker)
    )


_FINISH_ON_DRIVER = Prepared(_FINISH)
_FINISH_OVER_ARRAYS = OverArrays("""
UPDATE deadline d SET status = x.status, fired_at = x.now, fired_by = x.worker,
    late_seconds = x.late, outcome = x.outcome, claimed_by = NULL, lease_until = NULL,
    updated_at = x.wall
FROM unnest(%(deadline)s::int[], %(worker)s::text[], %(status)s::text[],
    %(now)s::timestamptz[], %(late)s::int[], %(outcome)s::text[], %(wall)s::timestamptz[])
    AS x(deadline, worker, status, now, late, outcome, wall)
WHERE d.id = x.deadline AND d.status = 'pending' AND d.claimed_by = x.worker""")  # fmt: skip


def _close_many(connection: sa.Connection, finishes: list[dict[str, Any]]) -> int:
    """Close a batch's rows (only those still pending and ours); return how many closed.
    SQLite: one executemany on the driver. PostgreSQL: one UPDATE over arrays."""
    if connection.dialect.name == "postgresql":
        return _FINISH_OVER_ARRAYS.run(connection, finishes)
    return _FINISH_ON_DRIVER.run(connection, finishes).rowcount
