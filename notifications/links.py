"""Signed links: opaque random tokens, stored hashed, bound and single-use.

A token names one person, one challenge, one stage (by its start time) and one
action. It stops working when the stage ends (the event listener expires it,
and every use checks the challenge is still at that stage), when it has been
used once, or at a hard expiry. Opening a link only reads: mail scanners open
every link, so nothing changes until the person submits the form.
"""

from __future__ import annotations

import hashlib
import secrets
from base64 import b32encode
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, select

from notifications.tables import LinkToken
from workflow.domain import Challenge
from workflow.errors import DomainError
from workflow.prepared import Prepared
from workflow.rows import connection_of
from workflow.services import take_action
from workflow.states import Action, State
from workflow.tables import Child, Person
from workflow.unit_of_work import UnitOfWork

# States in which the stage's responder can still answer.
ANSWERABLE_STATES = frozenset({State.AWAITING_RESPONSE, State.AWAITING_IRO_DECISION})
HARD_EXPIRY = timedelta(days=90)
LINK, REPLY = "link", "reply"


class LinkError(DomainError):
    """A link that cannot be used; the page offers sign-in instead."""


class LinkInvalid(LinkError):
    def __init__(self) -> None:
        super().__init__("This link is not recognised. Sign in to see the challenge.")


class LinkExpired(LinkError):
    def __init__(self, reference: str, why: str) -> None:
        self.reference = reference
        super().__init__(f"This link for challenge {reference} has expired: {why}.")


class LinkUsed(LinkError):
    def __init__(self, reference: str, used_at: datetime) -> None:
        self.reference, self.used_at = reference, used_at
        super().__init__(f"This link for challenge {reference} has already been used.")


@dataclass(frozen=True)
class LinkView:
    """What the answer page shows. Reading it changes nothing."""

    reference: str
    action: str
    person_id: int
    person_name: str
    case_reference: str
    stage_key: str | None
    what_is_wrong: str
    impact_on_child: str
    outcome_wanted: str
    due_at: datetime | None
    version: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(purpose: str) -> str:
    if purpose == REPLY:
        # Lower-case base32: survives mail systems that fold the case of addresses.
        return b32encode(secrets.token_bytes(15)).decode("ascii").lower()
    return secrets.token_urlsafe(32)


class Staged(Protocol):
    """A challenge at a stage: the challenge itself, or the stage an email was due for."""

    @property
    def id(self) -> int | None: ...
    @property
    def stage_key(self) -> str | None: ...
    @property
    def stage_started_at(self) -> datetime | None: ...


def issue_token(
    session: Session,
    purpose: str,
    person_id: int,
    challenge: Staged,
    action: Action,
    now: datetime,
) -> str:
    """Record a token and return it raw; only its hash is kept."""
    assert challenge.id is not None
    token = new_token(purpose)
    session.add(
        LinkToken(
            token_hash=hash_token(token),
            purpose=purpose,
            person_id=person_id,
            challenge_id=challenge.id,
            stage_key=challenge.stage_key,
            stage_started_at=challenge.stage_started_at,
            action=action.value,
            created_at=now,
            expires_at=now + HARD_EXPIRY,
        )
    )
    return token


def expire_ended_stage_tokens(session: Session, challenge: Challenge, now: datetime) -> None:
    """The stage ended (or moved on): its tokens stop working now."""
    expire_ended_stages(session, [(challenge, now)])


def expire_ended_stages(session: Session, moved: list[tuple[Challenge, datetime]]) -> None:
    """`expire_ended_stage_tokens` for many challenges: one set-based UPDATE for each group
    of challenges that keep the same stage's tokens (a sweep's batch of escalations, all
    moved to their next stage at the same moment, is one group)."""
    groups: dict[tuple[datetime, str | None, datetime | None], list[int]] = {}
    for challenge, now in moved:
        assert challenge.id is not None
        key: tuple[datetime, str | None, datetime | None]
        if challenge.state in ANSWERABLE_STATES and challenge.stage_started_at is not None:
            key = (now, challenge.stage_key, challenge.stage_started_at)
        else:
            key = (now, None, None)
        groups.setdefault(key, []).append(challenge.id)
    connection = connection_of(session)
    for (now, stage, started), ids in groups.items():
        # One action's challenge: `=` (an expanding IN costs more than the UPDATE itself).
        one = len(ids) == 1
        params: dict[str, Any] = {"challenge": ids[0]} if one else {"challenges": ids}
        params["now"] = now
        if started is None:
            if one:
                _EXPIRE_ALL_ONE.run(connection, params)
            else:
                connection.execute(_EXPIRE_ALL, params)
        else:
            params.update(stage=stage, started=started)
            if one:
                _EXPIRE_OTHER_STAGES_ONE.run(connection, params)
            else:
                connection.execute(_EXPIRE_OTHER_STAGES, params)


_TOKEN: sa.Table = LinkToken.__table__  # type: ignore[attr-defined]
# Built once: run on every action that moves a challenge.
_EXPIRE_ALL = (
    sa.update(_TOKEN)
    .where(_TOKEN.c.challenge_id.in_(sa.bindparam("challenges", expanding=True)))
    .where(_TOKEN.c.expires_at > sa.bindparam("now"))
    .values(expires_at=sa.bindparam("now"))
)
_OTHER_STAGES = sa.or_(
    _TOKEN.c.stage_key.is_distinct_from(sa.bindparam("stage")),
    _TOKEN.c.stage_started_at.is_distinct_from(sa.bindparam("started")),
)
_EXPIRE_OTHER_STAGES = _EXPIRE_ALL.where(_OTHER_STAGES)
_ONE = (
    sa.update(_TOKEN)
    .where(_TOKEN.c.challenge_id == sa.bindparam("challenge"))
    .where(_TOKEN.c.expires_at > sa.bindparam("now"))
    .values(expires_at=sa.bindparam("now"))
)
# One action's: on the driver, compiled once (`workflow.prepared`).
_EXPIRE_ALL_ONE = Prepared(_ONE)
_EXPIRE_OTHER_STAGES_ONE = Prepared(_ONE.where(_OTHER_STAGES))


def find_token(session: Session, token: str, purpose: str) -> LinkToken | None:
    if not token or len(token) > 200:
        return None
    return session.exec(
        select(LinkToken).where(
            LinkToken.token_hash == hash_token(token), LinkToken.purpose == purpose
        )
    ).first()


def check_token(uow: UnitOfWork, row: LinkToken, now: datetime) -> Challenge:
    """The challenge the token is for, if the token may still be used at `now`."""
    challenge = _challenge_by_id(uow, row.challenge_id)
    if row.used_at is not None:
        raise LinkUsed(challenge.reference, row.used_at)
    if row.expires_at <= now:
        raise LinkExpired(challenge.reference, "the stage it was sent for has ended")
    if challenge.state not in ANSWERABLE_STATES:
        raise LinkExpired(challenge.reference, f"the challenge is now '{challenge.state.label}'")
    if challenge.stage_key != row.stage_key or challenge.stage_started_at != row.stage_started_at:
        raise LinkExpired(challenge.reference, "the challenge has moved to another stage")
    responder = challenge.responder_id
    if responder is None or not uow.directory.may_answer_for(row.person_id, responder):
        raise LinkExpired(challenge.reference, "someone else now answers at this stage")
    return challenge


def open_link(uow: UnitOfWork, token: str, now: datetime) -> LinkView:
    """What the link shows. Never writes: safe for GET and for mail scanners."""
    row = find_token(uow.session, token, LINK)
    if row is None:
        raise LinkInvalid()
    challenge = check_token(uow, row, now)
    person = uow.session.get(Person, row.person_id)
    child = uow.session.get(Child, challenge.child_id)
    assert person is not None and child is not None
    return LinkView(
        reference=challenge.reference,
        action=row.action,
        person_id=row.person_id,
        person_name=person.name,
        case_reference=child.case_reference,
        stage_key=challenge.stage_key,
        what_is_wrong=challenge.what_is_wrong,
        impact_on_child=challenge.impact_on_child,
        outcome_wanted=challenge.outcome_wanted,
        due_at=challenge.due_at,
        version=challenge.version,
    )


def answer_via_link(
    uow: UnitOfWork, token: str, form: Mapping[str, Any], now: datetime
) -> Challenge:
    """Record the answer as the bound person and use the token, in one transaction."""
    row = find_token(uow.session, token, LINK)
    if row is None:
        raise LinkInvalid()
    challenge = check_token(uow, row, now)
    claimed = form.get("reference")
    if claimed is not None and claimed != challenge.reference:
        raise LinkInvalid()
    used = uow.session.execute(
        sa.update(LinkToken)
        .where(LinkToken.id == row.id, LinkToken.used_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkUsed(challenge.reference, now)
    version = form.get("version")
    params = {k: form.get(k) for k in ("response", "actions", "target_date")}
    return take_action(
        uow,
        challenge.reference,
        Action(row.action),
        actor_id=row.person_id,
        params=params,
        now=now,
        expected_version=int(version) if version not in (None, "") else None,
    )


def _challenge_by_id(uow: UnitOfWork, challenge_id: int) -> Challenge:
    from workflow.tables import ChallengeRecord

    reference = uow.session.exec(
        select(ChallengeRecord.reference).where(ChallengeRecord.id == challenge_id)
    ).one()
    return uow.challenges.get(reference)
