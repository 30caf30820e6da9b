"""What was open, and what was stuck, at any moment: rebuilt from the event log.

A challenge is open at a moment when it was raised before it and no accept or withdraw
came before it. Its state then is the fold of its events' `changes` up to that moment
(`workflow.replay`), so a report run today for last quarter sees what was true on the
quarter's last day, whatever has happened since.

Stuck (the definition survives the deadline sweep, which moves a late stage on within a
minute): a stage that ran out of time (its clock still running past its due moment, or
timed out and waiting for the IRO's decision); a challenge past the overall cap; a
response whose committed target date has passed while it waits for the IRO to accept or
reject it. A paused challenge is not stuck: its clocks are stopped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from escalation_rules.calendar import WorkingCalendar
from workflow.replay import replay
from workflow.report_definitions import ENDING_KINDS, LONDON, OPEN_STATE_VALUES
from workflow.report_queries.context import team_label, team_names
from workflow.report_queries.schema import CH, CHILD, EV, PERSON, TEAM
from workflow.states import Action, State

OUT_OF_TIME = "Stage out of time"
PAST_CAP = "Past the overall cap"
TARGET_PASSED = "Response target date passed"
REASONS = (OUT_OF_TIME, PAST_CAP, TARGET_PASSED)
AWAITING_IRO = frozenset({State.RESPONSE_RECEIVED, State.AWAITING_IRO_DECISION})


@dataclass(frozen=True)
class Snapshot:
    """One open challenge as it stood at a moment."""

    challenge_id: int
    reference: str
    child: str
    raised_at: datetime
    raised_by_id: int
    fields: dict[str, Any]  # the tracked fields (`workflow.domain.TRACKED_FIELDS`)
    target_date: date | None  # the latest response's committed date
    # The child's team and service area recorded on its latest event before the moment.
    team: tuple[int | None, str | None] = (None, None)

    @property
    def state(self) -> State:
        return State(self.fields["state"])

    def reasons(self, at: datetime) -> list[tuple[str, date]]:
        """Why it is stuck at `at`, each with the London date it became so."""
        if self.state is State.PAUSED:
            return []
        due, cap = self.fields["due_at"], self.fields["cap_due_at"]
        found: list[tuple[str, date]] = []
        if (self.state is State.AWAITING_IRO_DECISION and due is not None) or (
            self.state in (State.INFORMAL, State.AWAITING_RESPONSE) and due and due < at
        ):
            found.append((OUT_OF_TIME, _london(due)))
        if cap is not None and cap < at:
            found.append((PAST_CAP, _london(cap)))
        target = self.target_date
        if self.state is State.RESPONSE_RECEIVED and target and target < _london(at):
            found.append((TARGET_PASSED, target))
        return found


def _london(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def open_at(conn: Connection, at: datetime) -> list[Snapshot]:
    """Every challenge open at `at`, oldest raised first, as it stood then."""
    ids = _open_ids(conn, at)
    if not ids:
        return []
    changes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    targets: dict[int, date | None] = {}
    teams: dict[int, tuple[int | None, str | None]] = {}
    # The committed date is read from responses only, in SQL: no other event's details
    # are decoded (most of the rows are reminders and other events without one).
    target = sa.case((EV.c.kind == Action.RESPOND.value, EV.c.details["target_date"].as_string()))
    stmt = (sa.select(EV.c.challenge_id, EV.c.kind, EV.c.changes, target, EV.c.team_id,
                      EV.c.service_area)
            .where(EV.c.challenge_id.in_(sa.bindparam("ids", expanding=True)),
                   EV.c.occurred_at < at)
            .order_by(EV.c.challenge_id, EV.c.seq))  # fmt: skip
    for chunk in _chunks(sorted(ids)):
        for cid, kind, moved, target_date, team_id, area in conn.execute(stmt, {"ids": chunk}):
            changes[cid].append(moved or {})
            teams[cid] = (team_id, area)
            if kind == Action.RESPOND.value:
                targets[cid] = _date(target_date)
            elif kind in (Action.ESCALATE.value, Action.REJECT.value):
                targets[cid] = None  # a new stage: the old commitment no longer stands
    snaps = [Snapshot(cid, ref, child, raised, by, replay(changes[cid]), targets.get(cid),
                      teams.get(cid, (None, None)))
             for cid, ref, child, raised, by in _headers(conn, ids)]  # fmt: skip
    return [s for s in snaps if s.state.value in OPEN_STATE_VALUES]


def _open_ids(conn: Connection, at: datetime) -> set[int]:
    """Raised before `at`, either open now or ended at or after `at`, and not ended before
    it (an accept or withdraw is final: one before `at` means it was not open then). The
    last test is one index look-up per candidate, not a scan of every earlier ending."""
    open_now = sa.select(CH.c.id).where(CH.c.raised_at < at, CH.c.state.in_(OPEN_STATE_VALUES))
    ended_later = (sa.select(EV.c.challenge_id).join(CH, CH.c.id == EV.c.challenge_id)
                   .where(EV.c.kind.in_(ENDING_KINDS), EV.c.occurred_at >= at,
                          CH.c.raised_at < at))  # fmt: skip
    candidates = open_now.union(ended_later).subquery("candidates")
    ended = EV.alias("ended")
    ended_before = sa.exists().where(ended.c.challenge_id == candidates.c.id,
                                     ended.c.kind.in_(ENDING_KINDS), ended.c.occurred_at < at)  # fmt: skip
    stmt = sa.select(candidates.c.id).where(~ended_before)
    return {int(r[0]) for r in conn.execute(stmt)}


def _headers(conn: Connection, ids: set[int]) -> list[Any]:
    stmt = (sa.select(CH.c.id, CH.c.reference, CHILD.c.case_reference, CH.c.raised_at,
                      CH.c.raised_by_id)
            .select_from(CH.join(CHILD, CH.c.child_id == CHILD.c.id))
            .where(CH.c.id.in_(sa.bindparam("ids", expanding=True))))  # fmt: skip
    rows: list[Any] = []
    for chunk in _chunks(sorted(ids)):
        rows.extend(conn.execute(stmt, {"ids": chunk}))
    return sorted(rows, key=lambda r: (r[3], r[0]))


# Ids per query. PostgreSQL's estimate of events per challenge comes from its sample of
# `challenge_id` values, which undercounts distinct ids in a big log (60 a challenge
# estimated at 1,000,000 challenges, about 9 in fact): at 5,000 ids the estimate passed
# the cost of reading the whole log and each query became a parallel scan of all 8.7
# million events (0.8 s each), where the index on (challenge_id, seq) takes 4 ms for 1,000.
# 1,000 keeps that choice with a margin of about 2.5x on the estimate.
CHUNK = 1000


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _date(text: Any) -> date | None:
    return date.fromisoformat(text) if isinstance(text, str) and text else None


@dataclass(frozen=True)
class Holder:
    """Who holds a stuck challenge, and the child's team."""

    people: dict[int, str]
    teams: dict[int, str]  # team id -> name
    # For a list at the report time: each child's team on today's records (case reference
    # -> team id and service area), the team the Head of Service acts with. None as at a
    # past moment: the team recorded on the challenge's latest event before it.
    current: dict[str, tuple[int, str | None]] | None = None

    @classmethod
    def load(cls, conn: Connection, rebuilt: bool = False) -> Holder:
        people = {int(i): str(n) for i, n in conn.execute(sa.select(PERSON.c.id, PERSON.c.name))}
        teams = team_names(conn)
        if rebuilt:
            return cls(people, teams)
        sw = PERSON.alias("sw")
        stmt = (sa.select(CHILD.c.case_reference, TEAM.c.id, TEAM.c.service_area)
                .select_from(CHILD.join(sw, CHILD.c.social_worker_id == sw.c.id)
                             .join(TEAM, sw.c.team_id == TEAM.c.id)))  # fmt: skip
        current = {str(c): (int(t), a or None) for c, t, a in conn.execute(stmt)}
        return cls(people, teams, current)

    def holder(self, snap: Snapshot) -> str:
        """The responder while a response is awaited; otherwise the IRO who raised it."""
        responder = snap.fields["responder_id"]
        if snap.state is State.AWAITING_RESPONSE and responder is not None:
            return self.people.get(int(responder), "Unknown")
        return f"{self.people.get(snap.raised_by_id, 'Unknown')} (IRO)"

    def team(self, snap: Snapshot) -> str:
        if self.current is not None:
            return team_label(self.teams, *self.current.get(snap.child, (None, None)))
        return team_label(self.teams, *snap.team)


def working_days_since(calendar: WorkingCalendar, since: date, at: datetime) -> int:
    """Working days after `since` up to and including the London date of `at`."""
    return calendar.working_days_between(since, _london(at))
