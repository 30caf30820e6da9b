"""Who hears about a workflow event, and with which template.

Read in the event's transaction by `notifications.messages.on_events`: people are
read once per call (`Lookup`), and nothing is rendered here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from escalation_rules.loader import parse_ladder
from escalation_rules.model import Ladder, Role
from workflow.directory import Directory
from workflow.domain import Challenge, NewEvent
from workflow.rows import ChildFacts, known_responders, read_children
from workflow.states import Action, State
from workflow.tables import ChallengeEvent, LadderVersion

# Event kinds the deadlines part records for reminders and the overall cap. Either an
# event kind of its own or a system action with these names is handled the same way.
# (workflow.states.Action.REMIND and Action.ALERT_CAP, recorded by workflow.sweep.)
REMINDER_KINDS = frozenset({"remind"})
CAP_KINDS = frozenset({"alert_cap"})
_PERSON = SQLModel.metadata.tables["person"]
_ADDRESSEES = sa.select(_PERSON.c.id, _PERSON.c.email, _PERSON.c.active, _PERSON.c.absent)
_PEOPLE = _ADDRESSEES.where(_PERSON.c.id.in_(sa.bindparam("ids", expanding=True)))
_PERSON_ONE = _ADDRESSEES.where(_PERSON.c.id == sa.bindparam("id"))


@dataclass(frozen=True)
class Addressee:
    id: int
    email: str
    absent: bool = False


@dataclass
class Recipient:
    person: Addressee
    copied: bool = False
    answers: bool = False  # gets an answer link and a reply address


@dataclass
class Outgoing:
    kind: str
    recipients: list[Recipient]
    extra: dict[str, Any] = field(default_factory=dict)


class Lookup:
    """The session, with the people and children one listener call needs read once each.

    `child_ids`: the children of every challenge in the call, read in one query the
    first time any is asked for (a sweep's batch asks for hundreds)."""

    def __init__(self, session: Session, child_ids: Iterable[int] = ()) -> None:
        self.session = session
        self.directory = Directory.of(session)
        self._people: dict[int, Addressee | None] = {}
        self._child_ids = set(child_ids)
        self._children: dict[int, ChildFacts] = {}

    def recipients(self, ids: Iterable[Any]) -> list[Recipient]:
        """Active people with an email address, in order, once each."""
        wanted = list(dict.fromkeys(int(i) for i in ids if i is not None))
        missing = []
        for i in (i for i in wanted if i not in self._people):
            known = self.directory.address(i)  # read by the action's routing
            if known is None:
                missing.append(i)
            else:
                email, active, absent = known
                self._people[i] = Addressee(i, email, absent) if active and email else None
        if missing:
            self._people.update(dict.fromkeys(missing))
            query, params = (
                (_PERSON_ONE, {"id": missing[0]})
                if len(missing) == 1
                else (_PEOPLE, {"ids": missing})
            )  # an expanding IN costs more than the query itself
            for row in self.session.connection().execute(query, params):
                if row.active and row.email:
                    self._people[row.id] = Addressee(row.id, row.email, bool(row.absent))
        return [Recipient(person) for i in wanted if (person := self._people[i]) is not None]

    def child(self, child_id: int) -> ChildFacts | None:
        """The child, as the action read it in this unit of work, or read with the rest."""
        if child_id not in self._children:
            wanted = (self._child_ids | {child_id}) - self._children.keys()
            self._children.update(read_children(self.session, wanted))
        return self._children.get(child_id)


def plan(lookup: Lookup, challenge: Challenge, event: NewEvent) -> Outgoing | None:
    """Who hears about `event`, and with which template. None: nobody."""
    planner = _PLANNERS.get(event.kind)
    if planner is None:
        if event.kind in REMINDER_KINDS:
            return _to_responder(lookup, challenge, event, "reminder")
        if event.kind in CAP_KINDS:
            return _cap_passed(lookup, challenge, event)
        return None
    return planner(lookup, challenge, event)


def _stage_opened(lookup: Lookup, c: Challenge, event: NewEvent) -> Outgoing | None:
    opened = "stage" in event.details and "responder_id" in event.details  # see _open_stage
    if event.to_state != State.AWAITING_RESPONSE or not opened:
        if event.kind == Action.TIME_OUT and event.to_state == State.AWAITING_IRO_DECISION:
            return Outgoing("decision_awaited", lookup.recipients([c.raised_by_id]))
        return None
    outgoing = _to_responder(lookup, c, event, "stage_opened")
    if outgoing is None:
        return None
    outgoing.recipients += _copied(lookup, c, notify=True)
    outgoing.extra["escalated"] = event.kind != Action.RAISE_FORMAL.value
    outgoing.extra["reason"] = str(event.details.get("reason") or "")
    return outgoing


def _copied(lookup: Lookup, c: Challenge, notify: bool) -> list[Recipient]:
    """The stage's copies (every message), and its notices (told once it opened)."""
    ladder = ladder_for(lookup.session, c.ladder_hash)
    child = lookup.child(c.child_id)
    if ladder is None or child is None or c.stage_key is None:
        return []
    stage = ladder.stage(c.stage_key)
    found = []
    for who in (*stage.copy, *(stage.notify if notify else ())):
        holder = lookup.directory.holder_of(ladder, who, child, c.raised_by_id)
        found += [Recipient(r.person, copied=True) for r in lookup.recipients([holder])]
    return found


def _to_responder(lookup: Lookup, c: Challenge, event: NewEvent, kind: str) -> Outgoing | None:
    responder = event.details.get("responder_id") or c.responder_id
    people = lookup.recipients([responder])
    if people and people[0].person.absent:
        # While the responder is away their deputy acts for them, and hears instead.
        people = lookup.recipients([lookup.directory.acting_for(people[0].person.id)])
    if not people:
        return None
    people[0].answers = c.state in (State.AWAITING_RESPONSE, State.AWAITING_IRO_DECISION)
    if kind == "reminder":
        people += _copied(lookup, c, notify=False)
    return Outgoing(kind, people)


def _response_received(lookup: Lookup, c: Challenge, event: NewEvent) -> Outgoing:
    return Outgoing("response_received", lookup.recipients([c.raised_by_id]))


def _closed(kind: str) -> Callable[[Lookup, Challenge, NewEvent], Outgoing]:
    def planner(lookup: Lookup, c: Challenge, event: NewEvent) -> Outgoing:
        return Outgoing(kind, lookup.recipients(involved(lookup, c)))

    return planner


def _cap_passed(lookup: Lookup, c: Challenge, event: NewEvent) -> Outgoing:
    head = event.details.get("head_of_service_id")
    child = lookup.child(c.child_id)
    if head is None and child is not None:
        head = lookup.directory.holder(Role.HEAD_OF_SERVICE, child, c.raised_by_id)
    cap_days = event.details.get("cap_working_days") or 20
    people = lookup.recipients([head, c.raised_by_id])
    return Outgoing("cap_passed", people, {"cap_days": cap_days})


_PLANNERS: dict[str, Callable[[Lookup, Challenge, NewEvent], Outgoing | None]] = {
    Action.RAISE_FORMAL.value: _stage_opened,
    Action.ESCALATE.value: _stage_opened,
    Action.REJECT.value: _stage_opened,
    Action.TIME_OUT.value: _stage_opened,
    Action.RESPOND.value: _response_received,
    Action.ACCEPT.value: _closed("resolved"),
    Action.WITHDRAW.value: _closed("withdrawn"),
}


def involved(lookup: Lookup, c: Challenge) -> list[int | None]:
    """The IRO, the child's IRO, and everyone who has been a responder on the challenge."""
    ids: list[int | None] = [c.raised_by_id, c.responder_id]
    child = lookup.child(c.child_id)
    if child is not None:
        ids.append(child.iro_id)
    if c.id is None:
        return ids
    known = known_responders(lookup.session, c.id)  # read with the challenge
    if known is not None:
        return ids + list(known)
    for details in lookup.session.connection().execute(_DETAILS, {"id": c.id}).scalars():
        ids.append(details.get("responder_id") if isinstance(details, dict) else None)
    return ids


_EVENT = SQLModel.metadata.tables[ChallengeEvent.__tablename__]
_DETAILS = sa.select(_EVENT.c.details).where(_EVENT.c.challenge_id == sa.bindparam("id"))


def unique(recipients: list[Recipient]) -> list[Recipient]:
    """One message per person: the responder's copy wins over a courtesy copy."""
    seen: dict[int, Recipient] = {}
    for r in recipients:
        seen.setdefault(r.person.id, r)
    return list(seen.values())


_LADDERS: dict[str, Ladder] = {}  # by content hash: a ladder version never changes


def ladder_for(session: Session, content_hash: str) -> Ladder | None:
    if content_hash in _LADDERS:
        return _LADDERS[content_hash]
    row = session.get(LadderVersion, content_hash)
    if row is None:
        return None
    ladder = parse_ladder(row.content.encode("utf-8"), f"{row.ladder_id}@{content_hash[:12]}")
    if len(_LADDERS) < 64:
        _LADDERS[content_hash] = ladder
    return ladder
