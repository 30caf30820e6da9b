"""The use cases: raise a challenge, and act on one. Each is one transaction.

Callers (web, API, email replies, the deadline sweep) pass plain values and
a clock reading; nothing here knows about HTTP or SMTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from escalation_rules.model import LegalStatus, Role
from workflow.challenge_dates import date_problems
from workflow.child_access import check_may_raise_for, london_today
from workflow.directory import PeopleAlongside
from workflow.domain import Challenge, NewEvent
from workflow.errors import ConcurrentUpdate, NoResponder, NotFound, NotPermitted, RuleViolation
from workflow.event_facts import TEAM_COLUMNS, join_team, team_of
from workflow.lifecycle import ActionContext, Lifecycle, lifecycle_for
from workflow.outcome_kinds import check_outcome_kind
from workflow.prepared import PreparedRead
from workflow.repository import CHALLENGE, challenge_from_row
from workflow.routing import raiser_check, responder_finder
from workflow.rows import (
    ChildFacts,
    child_row,
    connection_of,
    remember_children,
    remember_outcome_kind,
    remember_responders,
)
from workflow.states import SYSTEM_ACTIONS, Action
from workflow.tables import ChallengeEvent, Child, OutcomeKind, Person, Theme
from workflow.unit_of_work import UnitOfWork

_LONDON = ZoneInfo("Europe/London")
_RESPONDER_ACTIONS = frozenset({Action.RESPOND})


@dataclass(frozen=True)
class InformalDiscussion:
    discussed_with: str
    discussed_on: date
    agreed_actions: str
    agreed_by: date

    def summary(self) -> str:
        return (
            f"{self.discussed_on.isoformat()} with {self.discussed_with}: {self.agreed_actions} "
            f"(agreed by {self.agreed_by.isoformat()})"
        )


@dataclass(frozen=True)
class NewChallenge:
    child_reference: str
    theme_key: str
    what_is_wrong: str
    impact_on_child: str
    outcome_wanted: str
    review_date: date | None = None
    formal: bool = False
    stage: str | None = None
    informal: InformalDiscussion | None = None
    # Why informal resolution is skipped, where the ladder allows it for high risk.
    high_risk_reason: str | None = None


def raise_challenge(uow: UnitOfWork, new: NewChallenge, iro_id: int, now: datetime) -> Challenge:
    """Record a new challenge, informal or formal, and commit it with its first event."""
    iro_name, child, theme_active = _raise_facts(uow, iro_id, new)
    check_may_raise_for(uow.session, iro_id, iro_name, child, now)
    held = new.informal
    for problem in date_problems(
        london_today(now),
        new.review_date,
        held.discussed_on if held else None,
        held.agreed_by if held else None,
    ):
        raise problem
    if not theme_active:
        raise RuleViolation("(new)", "raise", f"there is no theme '{new.theme_key}'", "theme_key")
    ladder = uow.ladders.current
    uow.ladders.record_current(uow.session)
    challenge = Challenge(
        reference=uow.challenges.next_reference(now.astimezone(_LONDON).year),
        child_id=_id(child.id),
        raised_by_id=iro_id,
        theme_key=new.theme_key,
        ladder_id=ladder.id,
        ladder_hash=ladder.content_hash,
        raised_at=now,
        what_is_wrong=_required(new.what_is_wrong, "what_is_wrong", "what is wrong"),
        review_date=new.review_date,
        impact_on_child=_required(
            new.impact_on_child, "impact_on_child", "the impact on the child"
        ),
        outcome_wanted=_required(new.outcome_wanted, "outcome_wanted", "the outcome wanted"),
    )
    ctx = _context(uow, challenge, child, iro_id, now, _raise_params(new))
    action = Action.RAISE_FORMAL if new.formal else Action.RAISE_INFORMAL
    try:
        lifecycle_for(ladder).apply(challenge, action, ctx)
    except NoResponder as error:  # nothing was created: quote no reference
        raise NoResponder(
            "(new)", error.stage, error.stage_name, error.missing, error.role
        ) from None
    uow.challenges.add(challenge)
    uow.commit()
    return challenge


def take_action(
    uow: UnitOfWork,
    reference: str,
    action: Action | str,
    actor_id: int | None,
    params: Mapping[str, Any],
    now: datetime,
    expected_version: int | None = None,
) -> Challenge:
    """Apply one action to one challenge and commit it with its event, or change nothing."""
    action = _action(reference, action)
    challenge, child = _challenge_and_child(uow, reference, action, params.get("outcome_kind"))
    if expected_version is not None and expected_version != challenge.version:
        raise ConcurrentUpdate(reference, expected_version)
    act(uow, challenge, child, action, actor_id, params, now)
    uow.commit()
    return challenge


def act(
    uow: UnitOfWork,
    challenge: Challenge,
    child: ChildFacts,
    action: Action,
    actor_id: int | None,
    params: Mapping[str, Any],
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> NewEvent:
    """The one path of every action on an existing challenge, whoever takes it.

    Checks who may act, applies the transition and saves the challenge with its version
    check, in `uow`'s transaction; the listeners write their rows when the caller
    publishes or commits. `take_action` commits one action; the deadline sweep fires a
    batch in one transaction (passing the challenge and child it read for the whole
    batch, and the deadline's `details` for the event) and publishes each once it has
    closed the deadline's row.
    """
    _check_permission(uow, challenge, child, action, actor_id)
    if action is Action.ACCEPT:
        check_outcome_kind(uow.session, challenge.reference, params.get("outcome_kind"))
    ctx = _context(uow, challenge, child, actor_id, now, params, details)
    event = lifecycle(uow, challenge).apply(challenge, action, ctx)
    uow.challenges.save(challenge)
    return event


def lifecycle(uow: UnitOfWork, challenge: Challenge) -> Lifecycle:
    """The machine for the ladder version this challenge started under."""
    ladder = uow.ladders.version(uow.session, challenge.reference, challenge.ladder_hash)
    return lifecycle_for(ladder)


def may_raise_above(uow: UnitOfWork, challenge: Challenge, person_id: int) -> bool:
    """Whether the person holds a post the ladder lets raise a stage above the current one."""
    ladder = lifecycle(uow, challenge).ladder
    posts = {p for s in ladder.higher_stages(challenge.stage_key) for p in s.raised_by}
    return any(uow.directory.holds(person_id, p) for p in posts - {"iro"})


def allowed_actions(uow: UnitOfWork, challenge: Challenge) -> list[Action]:
    child = uow.session.get(Child, challenge.child_id)
    status = LegalStatus(child.legal_status) if child else None
    return lifecycle(uow, challenge).allowed_actions(challenge, status)


# -- helpers ---------------------------------------------------------------


def _context(
    uow: UnitOfWork,
    challenge: Challenge,
    child: ChildFacts,
    actor_id: int | None,
    now: datetime,
    params: Mapping[str, Any],
    details: Mapping[str, Any] | None = None,
) -> ActionContext:
    ladder = lifecycle(uow, challenge).ladder
    iros = (challenge.raised_by_id, child.iro_id)
    return ActionContext(
        at=now,
        actor_id=actor_id,
        params=params,
        find_responder=responder_finder(
            uow.directory, ladder, challenge.reference, child, challenge.raised_by_id
        ),
        may_raise=raiser_check(uow.directory, ladder, child, iros, actor_id),
        child_legal_status=LegalStatus(child.legal_status),
        details=dict(details or {}),
    )


def _check_permission(
    uow: UnitOfWork, challenge: Challenge, child: ChildFacts, action: Action, actor_id: int | None
) -> None:
    if action in SYSTEM_ACTIONS:
        if actor_id is not None:
            raise NotPermitted(_person(uow, actor_id).name, action.value, challenge.reference)
        return
    if actor_id is None:
        raise NotPermitted("The system", action.value, challenge.reference)
    if action in _RESPONDER_ACTIONS:
        responder = challenge.responder_id
        if responder is not None and uow.directory.may_answer_for(actor_id, responder):
            return
    elif actor_id in (challenge.raised_by_id, child.iro_id):
        return
    elif action is Action.ESCALATE and may_raise_above(uow, challenge, actor_id):
        return  # the ladder's `raised_by` post holders; the lifecycle checks the stage
    raise NotPermitted(_person(uow, actor_id).name, action.value, challenge.reference)


def _raise_params(new: NewChallenge) -> dict[str, Any]:
    if new.formal:
        held = new.informal.summary() if new.informal else None
        return {
            "stage": new.stage,
            "informal_discussion": held,
            "high_risk_reason": new.high_risk_reason,
        }
    if new.informal is None:
        raise RuleViolation("(new)", "raise_informal", "record the informal discussion", "informal")
    return {
        "discussed_with": new.informal.discussed_with,
        "discussed_on": new.informal.discussed_on,
        "agreed_actions": new.informal.agreed_actions,
        "agreed_by": new.informal.agreed_by,
    }


def _action(reference: str, action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise RuleViolation(reference, str(action), "there is no such action") from None


_PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
_PERSON_BY_ID = sa.select(_PERSON.c.name, _PERSON.c.role).where(_PERSON.c.id == sa.bindparam("id"))


def _person(uow: UnitOfWork, person_id: int) -> Any:
    """The person's name and role, as a plain row."""
    row = connection_of(uow.session).execute(_PERSON_BY_ID, {"id": person_id}).first()
    if row is None:
        raise NotFound("person", person_id)
    return row


_CHILD: sa.Table = Child.__table__  # type: ignore[attr-defined]
_THEME: sa.Table = Theme.__table__  # type: ignore[attr-defined]
_KIND: sa.Table = OutcomeKind.__table__  # type: ignore[attr-defined]
_RAISE_PEOPLE = PeopleAlongside(worker=_CHILD.c.social_worker_id)
# What a raise checks first, in one read: the IRO, the child, whether the theme is active.
_RAISE_FACTS = PreparedRead(
    sa.select(
        _PERSON.c.name.label("iro__name"),
        _PERSON.c.role.label("iro__role"),
        _THEME.c.active.label("theme__active"),
        *(c.label(f"child__{c.name}") for c in _CHILD.columns),
        *TEAM_COLUMNS,  # the team of the child's social worker, recorded on the events
        *_RAISE_PEOPLE.columns,
    )
    .select_from(_RAISE_PEOPLE.join(join_team(_CHILD)))
    .outerjoin(_PERSON, _PERSON.c.id == sa.bindparam("iro"))
    .outerjoin(_THEME, _THEME.c.key == sa.bindparam("theme"))
    .where(_CHILD.c.case_reference == sa.bindparam("ref"))
)


def _raise_facts(uow: UnitOfWork, iro_id: int, new: NewChallenge) -> tuple[str, ChildFacts, bool]:
    """The IRO's name, the child, and whether the theme may be chosen; refusing a person
    who is not an IRO before saying the child is not found, as one would in person."""
    params = {"iro": iro_id, "theme": new.theme_key, "ref": new.child_reference}
    row = _RAISE_FACTS.first(connection_of(uow.session), params)
    if row is None or row.iro__role is None:  # which is missing, in that order
        iro = _person(uow, iro_id)
        if iro.role != Role.IRO:
            raise NotPermitted(iro.name, "raise", "a new challenge")
        raise NotFound("child", new.child_reference)
    if row.iro__role != Role.IRO:
        raise NotPermitted(row.iro__name, "raise", "a new challenge")
    child = child_row(row, "child__")
    remember_children(uow.session, [child])
    uow.challenges.note_team(child.id, team_of(row))
    uow.directory.note(row, _RAISE_PEOPLE)
    return str(row.iro__name), child, bool(row.theme__active)


# The challenge and its child (with its team, and the people an action most often asks
# about) in one read: plain rows, no ORM objects.
_ACTION_PEOPLE = PeopleAlongside(worker=_CHILD.c.social_worker_id, raiser=CHALLENGE.c.raised_by_id)
_CHALLENGE_AND_CHILD = (
    sa.select(CHALLENGE, *(c.label(f"child__{c.name}") for c in _CHILD.columns), *TEAM_COLUMNS,
              *_ACTION_PEOPLE.columns)
    .select_from(_ACTION_PEOPLE.join(
        join_team(CHALLENGE.join(_CHILD, _CHILD.c.id == CHALLENGE.c.child_id))))
    .where(CHALLENGE.c.reference == sa.bindparam("reference"))
)  # fmt: skip


# An ending (accept, withdraw) tells everyone who has responded on the challenge: their
# ids, from the events' details, come with the same read (comma-separated).
_EVENT: sa.Table = ChallengeEvent.__table__  # type: ignore[attr-defined]
_RESPONDER_ID = _EVENT.c.details["responder_id"].as_string()
_RESPONDERS_SO_FAR = (
    sa.select(sa.func.aggregate_strings(_RESPONDER_ID, ","))
    .where(_EVENT.c.challenge_id == CHALLENGE.c.id, _RESPONDER_ID.is_not(None))
    .scalar_subquery()
)
# And whether the kind of outcome an acceptance picked is on the council's list (NULL for
# a withdrawal, or a kind not on it): checked in the same read, not a round trip of its own.
_OUTCOME_KIND_ACTIVE = (
    sa.select(_KIND.c.active).where(_KIND.c.key == sa.bindparam("outcome_kind")).scalar_subquery()
)
_CHALLENGE_CHILD_AND_RESPONDERS = _CHALLENGE_AND_CHILD.add_columns(
    _RESPONDERS_SO_FAR.label("responders_so_far"),
    _OUTCOME_KIND_ACTIVE.label("outcome_kind_active"),
)
# Compiled once and run on the driver (`workflow.prepared`): the read is an action's
# largest statement, and Core's cache key and result set-up for it cost more than SQLite
# takes to run it.
_READ_FOR_ACTION = PreparedRead(_CHALLENGE_AND_CHILD)
_READ_FOR_ENDING = PreparedRead(_CHALLENGE_CHILD_AND_RESPONDERS)
_ENDINGS = frozenset({Action.ACCEPT, Action.WITHDRAW})


def _challenge_and_child(
    uow: UnitOfWork, reference: str, action: Action | None = None, outcome_kind: object = None
) -> tuple[Challenge, ChildFacts]:
    ending = action in _ENDINGS
    kind = None if outcome_kind in (None, "") else str(outcome_kind)
    if ending:
        values = {"reference": reference, "outcome_kind": kind}
        row = _READ_FOR_ENDING.first(connection_of(uow.session), values)
    else:
        row = _READ_FOR_ACTION.first(connection_of(uow.session), {"reference": reference})
    if row is None:
        raise NotFound("challenge", reference)
    if ending:
        remember_responders(uow.session, row.id, row.responders_so_far)
        if kind is not None:
            remember_outcome_kind(uow.session, kind, bool(row.outcome_kind_active))
    child = child_row(row, "child__")
    remember_children(uow.session, [child])
    uow.challenges.note_team(child.id, team_of(row))
    uow.directory.note(row, _ACTION_PEOPLE)
    challenge = challenge_from_row(row)
    uow.challenges.note_read([challenge])  # its save sets what the action changes
    return challenge, child


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RuleViolation("(new)", "raise", f"enter {label}", field)
    return value


def _id(value: int | None) -> int:
    assert value is not None
    return value
