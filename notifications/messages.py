"""Messages from workflow events, written to the outbox in the event's transaction.

`on_events` is the listener `api.wiring` registers with the unit of work. For
each event it decides who must hear about it, renders the message for each
recipient and adds one outbox row per recipient. Each row's `dedupe_key`
(challenge, event number, kind, recipient) is unique, so a listener that runs
twice for the same events writes nothing the second time.

Child details: only IROs see the child's name; everyone else sees the case
reference (the case-management number), which is all a manager needs to find
the record. The subject carries only the challenge reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlmodel import Session, select

from escalation_rules.loader import parse_ladder
from escalation_rules.model import Ladder, Role
from notifications.attachments import Attachment, add_attachments, check_attachments
from notifications.links import LINK, REPLY, expire_ended_stage_tokens, issue_token
from notifications.rendering import render
from notifications.settings import MailSettings, get_mail_settings
from notifications.tables import MailAlert, OutboxMessage, OutboxStatus
from workflow.directory import Directory
from workflow.domain import Challenge, NewEvent
from workflow.states import Action, State
from workflow.tables import ChallengeEvent, Child, LadderVersion, Person, Theme, utc_now

# Event kinds the deadlines part records for reminders and the overall cap. Either an
# event kind of its own or a system action with these names is handled the same way.
# (workflow.states.Action.REMIND and Action.ALERT_CAP, recorded by workflow.sweep.)
REMINDER_KINDS = frozenset({"remind"})
CAP_KINDS = frozenset({"alert_cap"})


@dataclass
class Recipient:
    person: Person
    copied: bool = False
    answers: bool = False  # gets an answer link and a reply address


@dataclass
class Outgoing:
    kind: str
    recipients: list[Recipient]
    extra: dict[str, Any] = field(default_factory=dict)


def on_events(session: Session, appended: list[tuple[Challenge, list[NewEvent]]]) -> None:
    """The unit of work's listener: add the outbox rows for what was just appended."""
    settings = get_mail_settings()
    for challenge, events in appended:
        # The event's own clock when it is ahead of ours (a test, a sweep catching up).
        now = max([utc_now(), *(e.occurred_at for e in events)])
        if _may_end_a_stage(events):
            expire_ended_stage_tokens(session, challenge, now)
        first_seq = challenge.version - len(events) + 1
        for offset, event in enumerate(events):
            compose(session, settings, challenge, first_seq + offset, event, now)


def _may_end_a_stage(events: list[NewEvent]) -> bool:
    """A new challenge has no tokens yet; a recording action moves nothing."""
    return any(
        e.from_state != State.NEW and (e.from_state != e.to_state or "stage_key" in e.changes
                                       or "stage_started_at" in e.changes)
        for e in events
    )  # fmt: skip


def compose(
    session: Session,
    settings: MailSettings,
    challenge: Challenge,
    seq: int,
    event: NewEvent,
    now: datetime,
) -> list[OutboxMessage]:
    outgoing = plan(session, challenge, event)
    if outgoing is None:
        return []
    written = []
    for recipient in _unique(outgoing.recipients):
        assert challenge.id is not None and recipient.person.id is not None
        key = f"c{challenge.id}:{seq}:{outgoing.kind}:{recipient.person.id}"
        if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
            continue
        try:
            row = _write(session, settings, challenge, seq, event, outgoing, recipient, key, now)
        except TemplateError as error:
            # A council's broken template must not stop the challenge: tell an admin instead.
            session.add(
                MailAlert(
                    kind="template_error",
                    message=f"Could not render '{outgoing.kind}' for {recipient.person.email} "
                    f"on {challenge.reference}: {error}",
                    challenge_id=challenge.id,
                    created_at=now,
                )
            )
            continue
        written.append(row)
    return written


def plan(session: Session, challenge: Challenge, event: NewEvent) -> Outgoing | None:
    """Who hears about `event`, and with which template. None: nobody."""
    planner = _PLANNERS.get(event.kind)
    if planner is None:
        if event.kind in REMINDER_KINDS:
            return _to_responder(session, challenge, event, "reminder")
        if event.kind in CAP_KINDS:
            return _cap_passed(session, challenge, event)
        return None
    return planner(session, challenge, event)


def _stage_opened(session: Session, c: Challenge, event: NewEvent) -> Outgoing | None:
    opened = "stage" in event.details and "responder_id" in event.details  # see _open_stage
    if event.to_state != State.AWAITING_RESPONSE or not opened:
        if event.kind == Action.TIME_OUT and event.to_state == State.AWAITING_IRO_DECISION:
            return Outgoing("decision_awaited", _people(session, [c.raised_by_id]))
        return None
    outgoing = _to_responder(session, c, event, "stage_opened")
    if outgoing is None:
        return None
    outgoing.recipients += _copied(session, c, notify=True)
    outgoing.extra["escalated"] = event.kind != Action.RAISE_FORMAL.value
    outgoing.extra["reason"] = str(event.details.get("reason") or "")
    return outgoing


def _copied(session: Session, c: Challenge, notify: bool) -> list[Recipient]:
    """The stage's copies (every message), and its notices (told once it opened)."""
    ladder = ladder_for(session, c.ladder_hash)
    child = session.get(Child, c.child_id)
    if ladder is None or child is None or c.stage_key is None:
        return []
    stage = ladder.stage(c.stage_key)
    directory = Directory(session)
    found = []
    for who in (*stage.copy, *(stage.notify if notify else ())):
        holder = directory.holder_of(ladder, who, child, c.raised_by_id)
        found += [Recipient(r.person, copied=True) for r in _people(session, [holder])]
    return found


def _to_responder(session: Session, c: Challenge, event: NewEvent, kind: str) -> Outgoing | None:
    responder = event.details.get("responder_id") or c.responder_id
    # While the responder is away their deputy acts for them, and hears instead.
    acting = Directory(session).acting_for(int(responder)) if responder else None
    people = _people(session, [acting or responder])
    if not people:
        return None
    people[0].answers = c.state in (State.AWAITING_RESPONSE, State.AWAITING_IRO_DECISION)
    if kind == "reminder":
        people += _copied(session, c, notify=False)
    return Outgoing(kind, people)


def _response_received(session: Session, c: Challenge, event: NewEvent) -> Outgoing:
    return Outgoing("response_received", _people(session, [c.raised_by_id]))


def _closed(kind: str) -> Callable[[Session, Challenge, NewEvent], Outgoing]:
    def planner(session: Session, c: Challenge, event: NewEvent) -> Outgoing:
        return Outgoing(kind, _people(session, involved(session, c)))

    return planner


def _cap_passed(session: Session, c: Challenge, event: NewEvent) -> Outgoing:
    head = event.details.get("head_of_service_id")
    child = session.get(Child, c.child_id)
    if head is None and child is not None:
        head = Directory(session).holder(Role.HEAD_OF_SERVICE, child, c.raised_by_id)
    cap_days = event.details.get("cap_working_days") or 20
    return Outgoing("cap_passed", _people(session, [head, c.raised_by_id]), {"cap_days": cap_days})


_PLANNERS: dict[str, Callable[[Session, Challenge, NewEvent], Outgoing | None]] = {
    Action.RAISE_FORMAL.value: _stage_opened,
    Action.ESCALATE.value: _stage_opened,
    Action.REJECT.value: _stage_opened,
    Action.TIME_OUT.value: _stage_opened,
    Action.RESPOND.value: _response_received,
    Action.ACCEPT.value: _closed("resolved"),
    Action.WITHDRAW.value: _closed("withdrawn"),
}


def involved(session: Session, c: Challenge) -> list[int | None]:
    """The IRO, the child's IRO, and everyone who has been a responder on the challenge."""
    ids: list[int | None] = [c.raised_by_id, c.responder_id]
    child = session.get(Child, c.child_id)
    if child is not None:
        ids.append(child.iro_id)
    if c.id is not None:
        for details in session.exec(
            select(ChallengeEvent.details).where(ChallengeEvent.challenge_id == c.id)
        ):
            ids.append(details.get("responder_id") if isinstance(details, dict) else None)
    return ids


def _people(session: Session, ids: Iterable[int | None]) -> list[Recipient]:
    found: list[Recipient] = []
    for person_id in dict.fromkeys(i for i in ids if i is not None):
        person = session.get(Person, int(person_id))
        if person is not None and person.active and person.email:
            found.append(Recipient(person))
    return found


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    """One message per person: the responder's copy wins over a courtesy copy."""
    seen: dict[int | None, Recipient] = {}
    for r in recipients:
        if r.person.id not in seen:
            seen[r.person.id] = r
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


# -- writing one message ---------------------------------------------------


def _write(
    session: Session,
    settings: MailSettings,
    challenge: Challenge,
    seq: int,
    event: NewEvent,
    outgoing: Outgoing,
    recipient: Recipient,
    key: str,
    now: datetime,
) -> OutboxMessage:
    person = recipient.person
    assert person.id is not None
    secrets: list[str] = []
    reply_token = None
    answer_url = None
    if recipient.answers and not recipient.copied:
        link = issue_token(session, LINK, person.id, challenge, Action.RESPOND, now)
        reply_token = issue_token(session, REPLY, person.id, challenge, Action.RESPOND, now)
        answer_url = f"{settings.base_url.rstrip('/')}/respond/{link}"
        secrets.append(link)
    context = challenge_context(session, settings, challenge, person)
    context.update(
        kind=outgoing.kind,
        event={"kind": event.kind, "details": event.details, "occurred_at": event.occurred_at},
        copied=recipient.copied,
        answer_url=answer_url,
        reply_by_email=reply_token is not None,
        **outgoing.extra,
    )
    rendered = render(outgoing.kind, context, settings.mail_templates_dir)
    reply_to = settings.reply_address(reply_token) if reply_token else None
    return add_message(
        session,
        settings,
        kind=outgoing.kind,
        key=key,
        to=person,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        now=now,
        challenge=challenge,
        seq=seq,
        copied=recipient.copied,
        reply_to=reply_to,
        secrets=secrets,
    )


def add_message(
    session: Session,
    settings: MailSettings,
    *,
    kind: str,
    key: str,
    to: Person,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    challenge: Challenge | None = None,
    seq: int | None = None,
    copied: bool = False,
    reply_to: str | None = None,
    secrets: list[str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage:
    """Add one message to the outbox in `session`: the caller's transaction commits it.

    Attachments are checked first (`AttachmentRefused`, `AttachmentTooLarge`), so a
    refused message writes nothing."""
    check_attachments(key, attachments, settings)
    message_id = f"<iro-disputes.{uuid.uuid4().hex}@{settings.message_id_domain}>"
    headers: dict[str, str] = {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "Reply-To": reply_to or f"{settings.reply_local}@{settings.reply_domain}",
    }
    if challenge is not None:
        headers["X-IRO-Disputes-Reference"] = challenge.reference
    row = OutboxMessage(
        message_id=message_id,
        dedupe_key=key,
        kind=kind,
        challenge_id=challenge.id if challenge else None,
        event_seq=seq,
        recipient_id=to.id,
        to_address=to.email,
        copied=copied,
        subject=subject[:400],
        body_text=text,
        body_html=html,
        headers=headers,
        secrets=secrets or [],
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    add_attachments(session, row, attachments)
    return row


def queue_message(
    session: Session,
    settings: MailSettings,
    *,
    kind: str,
    key: str,
    to: Person,
    context: dict[str, Any],
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage | None:
    """Render `kind`'s templates with `context` and queue the message with its attachments,
    in the caller's session and transaction. None when `key` is already in the outbox: one
    message per cause, however often the caller runs."""
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
        return None
    rendered = render(kind, context, settings.mail_templates_dir)
    return add_message(session, settings, kind=kind, key=key, to=to, subject=rendered.subject,
                       text=rendered.text, html=rendered.html, now=now,
                       attachments=attachments)  # fmt: skip


def challenge_context(
    session: Session, settings: MailSettings, c: Challenge, person: Person
) -> dict[str, Any]:
    """What every challenge template may use. Documented in docs/mail.md."""
    child = session.get(Child, c.child_id)
    theme = session.get(Theme, c.theme_key)
    iro = session.get(Person, c.raised_by_id)
    responder = session.get(Person, c.responder_id) if c.responder_id else None
    ladder = ladder_for(session, c.ladder_hash)
    stage_name = c.stage_key or "informal resolution"
    if ladder is not None and c.stage_key:
        stage_name = ladder.stage(c.stage_key).name
    is_iro = person.role == Role.IRO.value
    return {
        "recipient": {"name": person.name, "role": person.role, "is_iro": is_iro},
        "c": {
            "reference": c.reference,
            "case_reference": child.case_reference if child else "",
            "child_name": child.display_name if (child and is_iro) else None,
            "theme": theme.label if theme else c.theme_key,
            "stage_name": stage_name,
            "state": c.state.label,
            "due_at": c.due_at,
            "cap_due_at": c.cap_due_at,
            "what_is_wrong": c.what_is_wrong,
            "impact_on_child": c.impact_on_child,
            "outcome_wanted": c.outcome_wanted,
            "outcome": c.outcome or "",
        },
        "iro": {"name": iro.name if iro else "", "email": iro.email if iro else ""},
        "responder": {"name": responder.name if responder else ""},
        "challenge_url": f"{settings.base_url.rstrip('/')}/challenges/{c.reference}",
        "sign_in_url": f"{settings.base_url.rstrip('/')}/sign-in",
    }
