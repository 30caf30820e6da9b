"""Challenges in and out of the database, with the version check and the log."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from workflow.domain import CHALLENGE_FIELDS, TRACKED_FIELDS, Challenge, NewEvent
from workflow.errors import ConcurrentUpdate, NotFound
from workflow.replay import encode
from workflow.states import State
from workflow.tables import ChallengeEvent, ChallengeRecord, utc_now

_COUNTER_SQL = sa.text(
    "INSERT INTO reference_counter (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = reference_counter.last + 1 RETURNING last"
)


class ChallengeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # What this unit of work appended, for listeners that write in the same transaction.
        self.appended: list[tuple[Challenge, list[NewEvent]]] = []

    def get(self, reference: str) -> Challenge:
        row = self.session.exec(
            select(ChallengeRecord).where(ChallengeRecord.reference == reference)
        ).first()
        if row is None:
            raise NotFound("challenge", reference)
        return _to_domain(row)

    def next_reference(self, year: int) -> str:
        number = self.session.execute(_COUNTER_SQL, {"year": year}).scalar_one()
        return f"IRO-{year}-{number:04d}"

    def add(self, challenge: Challenge) -> None:
        values = {name: getattr(challenge, name) for name in CHALLENGE_FIELDS if name != "id"}
        values.update(_storable(challenge), version=len(challenge.pending_events))
        row = ChallengeRecord(**values, updated_at=utc_now())
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        challenge.id = row.id
        self._append_events(challenge, first_seq=1)
        challenge.version = row.version

    def save(self, challenge: Challenge) -> None:
        """Write the tracked fields and the new events, if nobody else got there first."""
        if not challenge.pending_events:
            return
        new_version = challenge.version + len(challenge.pending_events)
        result = self.session.execute(
            sa.update(ChallengeRecord)
            .where(ChallengeRecord.id == challenge.id)  # type: ignore[arg-type]
            .where(ChallengeRecord.version == challenge.version)  # type: ignore[arg-type]
            .values(**_storable(challenge), version=new_version, updated_at=utc_now())
            # Plain SQL: the sweep saves thousands a second and has no ORM objects to sync.
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(challenge.reference, challenge.version)
        self._append_events(challenge, first_seq=challenge.version + 1)
        challenge.version = new_version

    def _append_events(self, challenge: Challenge, first_seq: int) -> None:
        now = utc_now()
        rows = [
            {
                "challenge_id": challenge.id,
                "seq": first_seq + i,
                "kind": e.kind,
                "occurred_at": e.occurred_at,
                "recorded_at": now,
                "actor_id": e.actor_id,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "stage_key": e.stage_key,
                "changes": encode(e.changes),
                "details": encode(e.details),
            }
            for i, e in enumerate(challenge.pending_events)
        ]
        self.session.execute(sa.insert(ChallengeEvent.__table__), rows)  # type: ignore[attr-defined]
        self.appended.append((challenge, list(challenge.pending_events)))
        challenge.pending_events.clear()

    def events(self, challenge_id: int) -> list[ChallengeEvent]:
        return list(
            self.session.exec(
                select(ChallengeEvent)
                .where(ChallengeEvent.challenge_id == challenge_id)
                .order_by(ChallengeEvent.seq)  # type: ignore[arg-type]
            )
        )


def _storable(challenge: Challenge) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(challenge, name) for name in TRACKED_FIELDS}
    values["state"] = challenge.state.value
    values["paused_from"] = challenge.paused_from.value if challenge.paused_from else None
    return values


def _to_domain(row: ChallengeRecord) -> Challenge:
    values: dict[str, Any] = {name: getattr(row, name) for name in CHALLENGE_FIELDS}
    values["state"] = State(row.state)
    values["paused_from"] = State(row.paused_from) if row.paused_from else None
    review_date = values.get("review_date")
    assert review_date is None or isinstance(review_date, date)
    return Challenge(**values)
