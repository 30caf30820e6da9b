"""Challenges in and out of the database, with the version check and the log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from workflow.domain import CHALLENGE_FIELDS, TRACKED_FIELDS, Challenge, NewEvent
from workflow.errors import ConcurrentUpdate, NotFound
from workflow.event_facts import NO_TEAM, ChildTeam, WorkingDayNumbers, child_with_team, team_of
from workflow.prepared import Prepared
from workflow.replay import encode
from workflow.rows import connection_of
from workflow.states import State
from workflow.tables import ChallengeEvent, ChallengeRecord, utc_now

_COUNTER_SQL = sa.text(
    "INSERT INTO reference_counter (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = reference_counter.last + 1 RETURNING last"
)
# Statements built once on the tables (Core, no ORM objects): building a statement costs
# more than running it on an action's hot path.
CHALLENGE: sa.Table = ChallengeRecord.__table__  # type: ignore[attr-defined]
_EVENT: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]
_BY_REFERENCE = sa.select(CHALLENGE).where(CHALLENGE.c.reference == sa.bindparam("reference"))
_INSERT_EVENTS = sa.insert(_EVENT)
_EVENT_KEYS = ("challenge_id", "seq", "kind", "occurred_at", "recorded_at", "actor_id",
               "from_state", "to_state", "stage_key", "changes", "details", "team_id",
               "service_area", "working_day", "day_zero")  # fmt: skip
_ADD_KEYS = tuple(
    k for k in dict.fromkeys([*CHALLENGE_FIELDS, "version", "updated_at"]) if k != "id"
)


def _save_of(names: tuple[str, ...]) -> sa.Update:
    return (
        sa.update(CHALLENGE)
        .where(CHALLENGE.c.id == sa.bindparam("_id"))
        .where(CHALLENGE.c.version == sa.bindparam("_version"))
        .values({name: sa.bindparam(name) for name in (*names, "version", "updated_at")})
    )


_SAVE_KEYS = ("_id", "_version", "version", "updated_at")
# Writes on the driver (`workflow.prepared`): an action's, and a sweep batch's
# executemany, where Core's conversion of each row's parameters was a tenth of the
# sweep's time on SQLite.
_ADD_ONE = Prepared(sa.insert(CHALLENGE).returning(CHALLENGE.c.id), _ADD_KEYS)
# A save, by the tracked columns it changes, each built once: a pause sets its state and
# when, not the stage, the responder or the report's columns, whose indexes SQLite would
# rewrite all the same (about 50 µs of an action's 0.4-0.9 ms at 100,000 challenges). A
# sweep batch's saves come in a handful of such sets (a time-out, a reminder, a cap alert).
_SAVES_OF: dict[tuple[str, ...], Prepared] = {TRACKED_FIELDS: Prepared(_save_of(TRACKED_FIELDS))}


def _save_for(names: tuple[str, ...]) -> Prepared:
    save = _SAVES_OF.get(names)
    if save is None:
        save = _SAVES_OF[names] = Prepared(_save_of(names))
    return save


_INSERT_EVENT_ROWS = Prepared(_INSERT_EVENTS, _EVENT_KEYS)
_NEXT_NUMBER = Prepared(_COUNTER_SQL)


_CHILD_TEAM = child_with_team()


class ChallengeRepository:
    def __init__(self, session: Session, numbers: WorkingDayNumbers | None = None) -> None:
        self.session = session
        # Working-day numbers recorded on each event (`workflow.event_facts`); None leaves
        # them unset (a repository for reading only).
        self.numbers = numbers
        # The team of each child read in this unit of work, recorded on its challenges'
        # events: filled by whoever read the child (`note_team`), in the same query.
        self.teams: dict[int, ChildTeam] = {}
        # What this unit of work appended, for listeners that write in the same transaction.
        self.appended: list[tuple[Challenge, list[NewEvent]]] = []
        # Set by the deadline sweep's batches: saves are held and `write_held` writes them
        # with one executemany per statement, the version checks checked as a sum.
        self.hold_writes = False
        self._held_saves: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._held_events: list[dict[str, Any]] = []
        # The tracked fields of each challenge as read in this transaction, for its saves
        # to set only what changed (`note_read`); one not noted has all its fields set.
        self._stored: dict[int, dict[str, Any]] = {}

    def get(self, reference: str) -> Challenge:
        row = connection_of(self.session).execute(_BY_REFERENCE, {"reference": reference}).first()
        if row is None:
            raise NotFound("challenge", reference)
        return challenge_from_row(row)

    def next_reference(self, year: int) -> str:
        number = _NEXT_NUMBER.run(connection_of(self.session), {"year": year}).scalar_one()
        return f"IRO-{year}-{number:04d}"

    def add(self, challenge: Challenge) -> None:
        values = {name: getattr(challenge, name) for name in CHALLENGE_FIELDS if name != "id"}
        version = len(challenge.pending_events)
        values.update(_storable(challenge), version=version, updated_at=utc_now())
        challenge.id = _ADD_ONE.run(connection_of(self.session), values).scalar_one()
        self._append_events(challenge, first_seq=1)
        self._appended(challenge)
        challenge.version = version

    def save(self, challenge: Challenge) -> None:
        """Write the tracked fields and the new events, if nobody else got there first."""
        if not challenge.pending_events:
            return
        new_version = challenge.version + len(challenge.pending_events)
        values = _storable(challenge)
        values.update(_id=challenge.id, _version=challenge.version, version=new_version,
                      updated_at=utc_now())  # fmt: skip
        if self.hold_writes:
            self._hold(challenge, values)
            self._held_events.extend(self._event_rows(challenge, challenge.version + 1))
        else:
            result = _save_for(self._changed(challenge, values)).run(
                connection_of(self.session), values
            )
            if result.rowcount != 1:
                raise ConcurrentUpdate(challenge.reference, challenge.version)
            self._append_events(challenge, first_seq=challenge.version + 1)
        self._appended(challenge)
        challenge.version = new_version

    def note_read(self, challenges: Iterable[Challenge]) -> None:
        """Remember these challenges' tracked fields as read in this transaction: a save
        of one sets only the columns that differ. The version check still guards the
        row, so what it does not set is what was read."""
        for challenge in challenges:
            if challenge.id is not None:
                self._stored[challenge.id] = _storable(challenge)

    def _changed(self, challenge: Challenge, values: dict[str, Any]) -> tuple[str, ...]:
        """The tracked columns a save must set (all, for a challenge not noted as read);
        from now on the challenge is as saved."""
        assert challenge.id is not None
        stored = self._stored.get(challenge.id)
        names: tuple[str, ...] = TRACKED_FIELDS
        if stored is not None:
            names = tuple(name for name in TRACKED_FIELDS if values[name] != stored[name])
        self._stored[challenge.id] = {name: values[name] for name in TRACKED_FIELDS}
        return names

    def _hold(self, challenge: Challenge, values: dict[str, Any]) -> None:
        names = self._changed(challenge, values)
        # Only its own keys: Core sets every column a parameter names.
        row = {name: values[name] for name in (*names, *_SAVE_KEYS)}
        self._held_saves.setdefault(names, []).append(row)

    def write_held(self) -> None:
        """Write the held saves, one executemany per set of changed columns, and the
        events; ConcurrentUpdate if any version check failed."""
        held, events = self._held_saves, self._held_events
        if not held:
            return
        self._held_saves, self._held_events = {}, []
        connection = connection_of(self.session)
        for names, saves in held.items():
            if _save_for(names).run(connection, saves).rowcount != len(saves):
                raise ConcurrentUpdate("(one of a batch)", -1)
        _INSERT_EVENT_ROWS.insert_rows(connection, events)

    def _append_events(self, challenge: Challenge, first_seq: int) -> None:
        rows = self._event_rows(challenge, first_seq)
        _INSERT_EVENT_ROWS.run(connection_of(self.session), rows[0] if len(rows) == 1 else rows)

    def _appended(self, challenge: Challenge) -> None:
        self.appended.append((challenge, list(challenge.pending_events)))
        challenge.pending_events.clear()

    def note_team(self, child_id: int | None, team: ChildTeam) -> None:
        if child_id is not None:
            self.teams[child_id] = team

    def _team(self, child_id: int) -> ChildTeam:
        """The child's team as read with the child; read now if nobody noted it."""
        if child_id not in self.teams:
            row = (
                connection_of(self.session)
                .execute(_CHILD_TEAM.where(_CHILD_TEAM.selected_columns.id == child_id))
                .first()
            )
            self.teams[child_id] = team_of(row) if row else NO_TEAM
        return self.teams[child_id]

    def _event_rows(self, challenge: Challenge, first_seq: int) -> list[dict[str, Any]]:
        now = utc_now()
        team = self._team(challenge.child_id)
        numbers = self.numbers
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
                "team_id": team.team_id,
                "service_area": team.service_area,
                "working_day": numbers.working_day(e.occurred_at) if numbers else None,
                "day_zero": numbers.day_zero(e.occurred_at) if numbers else None,
            }
            for i, e in enumerate(challenge.pending_events)
        ]
        return rows

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


def challenge_from_row(row: Any) -> Challenge:
    """A domain challenge from a plain `challenge` row (no ORM object, no identity map)."""
    mapping = row._mapping  # a Core row's, or a `PreparedRead`'s dict: no attribute look-ups
    values: dict[str, Any] = {name: mapping[name] for name in CHALLENGE_FIELDS}
    values["state"] = State(row.state)
    values["paused_from"] = State(row.paused_from) if row.paused_from else None
    review_date = values.get("review_date")
    assert review_date is None or isinstance(review_date, date)
    return Challenge(**values)
