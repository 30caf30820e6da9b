"""Composing a due email when the sender takes it, outside the user's request.

An action's transaction only records that an email is due (`notifications.messages`),
with the challenge as the event left it. The sender calls `compose_due` on each row
before sending: it reads what stays put (the child, theme and people), issues the
answer link and reply tokens for the stage the event opened, renders the templates and
stores subject, bodies and the link's secret in the row. The caller commits that before
sending, so a send retried after a crash sends the same text with the same links.
An email composed after its stage has ended goes without an answer link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlmodel import Session

from escalation_rules.model import Role
from notifications.links import ANSWERABLE_STATES, LINK, REPLY, issue_token
from notifications.recipients import ladder_for
from notifications.rendering import render
from notifications.settings import MailSettings
from notifications.tables import MailAlert, OutboxMessage, OutboxStatus
from workflow.replay import decode
from workflow.states import Action, State
from workflow.tables import ChallengeRecord, Child, Person, Theme


@dataclass(frozen=True)
class StageAt:
    """The stage a link answers, as the event that opened it left the challenge."""

    id: int
    stage_key: str | None
    stage_started_at: datetime | None


def compose_due(
    session: Session, row: OutboxMessage, settings: MailSettings, now: datetime
) -> bool:
    """Fill in `row` (whose `due` is set) in `session`; the caller commits.

    False when a council's template is broken: the row is marked failed and an admin
    alerted, and the challenge itself is untouched."""
    due = row.due
    assert due is not None and row.challenge_id is not None and row.recipient_id is not None
    record = session.get(ChallengeRecord, row.challenge_id)
    person = session.get(Person, row.recipient_id)
    assert record is not None and person is not None
    snap = decode(due["challenge"])
    context = challenge_context(session, settings, record, snap, person)
    link = reply = None
    if due.get("answers") and _still_at(record, snap):
        stage = StageAt(row.challenge_id, snap.get("stage_key"), snap.get("stage_started_at"))
        link = issue_token(session, LINK, row.recipient_id, stage, Action.RESPOND, now)
        reply = issue_token(session, REPLY, row.recipient_id, stage, Action.RESPOND, now)
    event = due["event"]
    context.update(
        kind=row.kind,
        event={"kind": event["kind"], "details": event["details"],
               "occurred_at": datetime.fromisoformat(event["occurred_at"])},
        copied=row.copied,
        answer_url=f"{settings.base_url.rstrip('/')}/respond/{link}" if link else None,
        reply_by_email=reply is not None,
        **due.get("extra", {}),
    )  # fmt: skip
    try:
        rendered = render(row.kind, context, settings.mail_templates_dir)
    except TemplateError as error:
        _template_broken(session, row, person, record.reference, error, now)
        return False
    row.subject, row.body_text, row.body_html = rendered.subject[:400], rendered.text, rendered.html
    row.secrets = [link] if link else []
    if reply:
        row.headers = {**row.headers, "Reply-To": settings.reply_address(reply)}
    row.due = None
    session.add(row)
    return True


def _still_at(record: ChallengeRecord, snap: dict[str, Any]) -> bool:
    """The challenge is still at the stage the email was due for: a link may go out.
    (Once the stage has ended its links are dead; better none than one that fails.)"""
    return (
        record.state in _ANSWERABLE
        and record.stage_key == snap.get("stage_key")
        and record.stage_started_at == snap.get("stage_started_at")
    )


_ANSWERABLE = frozenset(s.value for s in ANSWERABLE_STATES)


def _template_broken(
    session: Session,
    row: OutboxMessage,
    person: Person,
    reference: str,
    error: TemplateError,
    now: datetime,
) -> None:
    message = f"Could not render '{row.kind}' for {person.email} on {reference}: {error}"
    session.add(
        MailAlert(kind="template_error", message=message, outbox_id=row.id,
                  challenge_id=row.challenge_id, created_at=now)
    )  # fmt: skip
    row.status, row.last_error, row.lease_until = OutboxStatus.FAILED.value, message, None
    session.add(row)


def challenge_context(
    session: Session,
    settings: MailSettings,
    c: ChallengeRecord,
    snap: dict[str, Any],
    person: Person,
) -> dict[str, Any]:
    """What every challenge template may use (docs/mail.md): what changes as the event
    left it (`snap`), what stays put as it is now."""
    child = session.get(Child, c.child_id)
    theme = session.get(Theme, c.theme_key)
    iro = session.get(Person, c.raised_by_id)
    responder_id = snap.get("responder_id")
    responder = session.get(Person, responder_id) if responder_id else None
    stage_key = snap.get("stage_key")
    ladder = ladder_for(session, c.ladder_hash)
    stage_name = stage_key or "informal resolution"
    if ladder is not None and stage_key:
        stage_name = ladder.stage(stage_key).name
    is_iro = person.role == Role.IRO.value
    return {
        "recipient": {"name": person.name, "role": person.role, "is_iro": is_iro},
        "c": {
            "reference": c.reference,
            "case_reference": child.case_reference if child else "",
            "child_name": child.display_name if (child and is_iro) else None,
            "theme": theme.label if theme else c.theme_key,
            "stage_name": stage_name,
            "state": State(snap["state"]).label,
            "due_at": snap.get("due_at"),
            "cap_due_at": snap.get("cap_due_at"),
            "what_is_wrong": c.what_is_wrong,
            "impact_on_child": c.impact_on_child,
            "outcome_wanted": c.outcome_wanted,
            "outcome": snap.get("outcome") or "",
        },
        "iro": {"name": iro.name if iro else "", "email": iro.email if iro else ""},
        "responder": {"name": responder.name if responder else ""},
        "challenge_url": f"{settings.base_url.rstrip('/')}/challenges/{c.reference}",
        "sign_in_url": f"{settings.base_url.rstrip('/')}/sign-in",
    }
