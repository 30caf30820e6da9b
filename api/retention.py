"""Retention: what goes once its period is over, listed first (`--dry-run`) and then
removed one kind per transaction, each run recorded in `retention_record`.

- raw inbound mail: the raw message is blanked; what it said (the reply text recorded on
  the challenge), who sent it and when stay, and so does its digest (a resent copy is
  still recognised). Quarantined messages wait for an admin and are never blanked.
- sent-mail bodies: the text, HTML and attachments of mail that is finished (sent, failed
  or cancelled); who it went to, the subject and when stay as the record that it went.
- the access log: its oldest rows, as a prefix in id order (a row is never removed while
  an older one stays). The hash chain's links stay, so `audit verify` still checks the
  whole chain and accepts exactly the rows the retention record says went.
- challenges follow the child's record, kept until the child's 75th birthday: then the
  child's challenges, their log, mail, deadlines, links and the child's own record go, one
  transaction per child (see `api.retention_children`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Connection, Engine

from api import retention_children as children
from api.retention_children import ChildRows, Stamp
from api.tables import AccessLogEntry
from notifications.tables import InboundMail, InboundStatus, OutboxAttachment, OutboxMessage
from notifications.tables import OutboxStatus as Sent
from workflow.access_tables import AuditLink, RetentionPass, RetentionRecord
from workflow.audit_chain import seal
from workflow.report_definitions import LONDON


class RetentionSettings(BaseSettings):
    """How long each kind is kept, in days (the child's record: years of age)."""

    model_config = SettingsConfigDict(env_prefix="IRO_DISPUTES_RETAIN_", env_file=".env",
                                      extra="ignore")  # fmt: skip

    raw_mail_days: int = Field(default=365, ge=1)
    sent_mail_days: int = Field(default=365, ge=1)
    access_log_days: int = Field(default=6 * 365, ge=1)
    child_record_age: int = Field(default=75, ge=18)


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


INBOUND, OUTBOX, ATTACHED = _t(InboundMail), _t(OutboxMessage), _t(OutboxAttachment)
ACCESS, LINK = _t(AccessLogEntry), _t(AuditLink)
FINISHED = [Sent.SENT.value, Sent.FAILED.value, Sent.CANCELLED.value]


class RetentionRaced(RuntimeError):
    def __init__(self, kind: str, planned: int, found: int) -> None:
        super().__init__(f"{kind}: planned {planned} rows but found {found}; nothing removed, "
                         "run again")  # fmt: skip


@dataclass
class KindPlan:
    kind: str
    cut_off: datetime
    ids: list[Any] = field(default_factory=list)  # row ids (children: case references)
    through_row_id: int | None = None
    children: list[ChildRows] = field(default_factory=list)  # child_record: what goes
    held: list[str] = field(default_factory=list)  # child_record: kept, a challenge is open


def _raw_mail(conn: Connection, cut: datetime) -> KindPlan:
    q = sa.select(INBOUND.c.id).where(
        INBOUND.c.received_at < cut, INBOUND.c.status != InboundStatus.QUARANTINED.value,
        sa.func.length(INBOUND.c.raw) > 0,
    ).order_by(INBOUND.c.id)  # fmt: skip
    return KindPlan("raw_mail", cut, list(conn.execute(q).scalars()))


def _sent_mail(conn: Connection, cut: datetime) -> KindPlan:
    q = sa.select(OUTBOX.c.id).where(
        OUTBOX.c.created_at < cut, OUTBOX.c.status.in_(FINISHED),
        sa.or_(OUTBOX.c.body_text != "", OUTBOX.c.body_html != ""),
    ).order_by(OUTBOX.c.id)  # fmt: skip
    return KindPlan("sent_mail_bodies", cut, list(conn.execute(q).scalars()))


def _access_log(conn: Connection, cut: datetime, sealed_only: bool) -> KindPlan:
    """The longest prefix of the log (id order) that is older than the cut-off and sealed:
    a row that must stay, or is not yet in the chain, ends the prefix. A dry run, which
    seals nothing, counts rows as a run would after sealing them."""
    stays = sa.select(sa.func.min(ACCESS.c.id)).where(ACCESS.c.viewed_at >= cut)
    if sealed_only:
        sealed = sa.select(LINK.c.row_id).where(LINK.c.log == "access_log")
        stays = sa.select(sa.func.min(ACCESS.c.id)).where(
            sa.or_(ACCESS.c.viewed_at >= cut, ACCESS.c.id.not_in(sealed))
        )
    first_kept = conn.execute(stays).scalar()
    q = sa.select(ACCESS.c.id).order_by(ACCESS.c.id)
    if first_kept is not None:
        q = q.where(ACCESS.c.id < first_kept)
    ids = list(conn.execute(q).scalars())
    return KindPlan("access_log", cut, ids, through_row_id=ids[-1] if ids else None)


def _born_before(today: date, age: int) -> date:
    """Whoever was born before this date has had their `age`th birthday (29 February:
    the birthday is 1 March in other years)."""
    try:
        return today.replace(year=today.year - age)
    except ValueError:
        return date(today.year - age, 3, 1)


def _children(conn: Connection, today: date, age: int) -> KindPlan:
    born_before = _born_before(today, age)
    cut = datetime.combine(born_before, datetime.min.time(), LONDON).astimezone(UTC)
    going, held = children.due(conn, born_before)
    found = [children.rows_of(conn, child_id, ref) for child_id, ref in going]
    return KindPlan(children.RULE, cut, [c.case_reference for c in found], children=found,
                    held=held)  # fmt: skip


def plan(
    engine: Engine, settings: RetentionSettings, now: datetime, sealed_only: bool = False
) -> list[KindPlan]:
    """What a run at `now` would remove, by kind; changes nothing."""
    days = timedelta(days=1)
    today = now.astimezone(LONDON).date()
    with engine.connect() as conn:
        return [
            _raw_mail(conn, now - settings.raw_mail_days * days),
            _sent_mail(conn, now - settings.sent_mail_days * days),
            _access_log(conn, now - settings.access_log_days * days, sealed_only),
            _children(conn, today, settings.child_record_age),
        ]


def _blank_raw(conn: Connection, p: KindPlan) -> None:
    conn.execute(INBOUND.update().where(INBOUND.c.id.in_(p.ids)).values(raw=b""))


def _blank_sent(conn: Connection, p: KindPlan) -> None:
    conn.execute(OUTBOX.update().where(OUTBOX.c.id.in_(p.ids)).values(body_text="", body_html=""))
    conn.execute(ATTACHED.update().where(ATTACHED.c.outbox_id.in_(p.ids)).values(content=b""))


def _delete_access(conn: Connection, p: KindPlan) -> None:
    marker = _t(RetentionPass)
    conn.execute(marker.insert().values(started_at=datetime.now(UTC)))
    sealed = sa.select(LINK.c.row_id).where(LINK.c.log == "access_log")
    gone = conn.execute(ACCESS.delete().where(
        ACCESS.c.id <= p.through_row_id, ACCESS.c.viewed_at < p.cut_off, ACCESS.c.id.in_(sealed)
    )).rowcount  # fmt: skip
    conn.execute(marker.delete())
    if gone != len(p.ids):  # a late write landed inside the prefix: leave it for next time
        raise RetentionRaced(p.kind, len(p.ids), gone)


# Each kind: how it is applied, and which table it changes (for the record).
_APPLY: dict[str, tuple[Callable[[Connection, KindPlan], None], str]] = {
    "raw_mail": (_blank_raw, "mail_inbound"),
    "sent_mail_bodies": (_blank_sent, "mail_outbox"),
    "access_log": (_delete_access, "access_log"),
}


def run(engine: Engine, settings: RetentionSettings, now: datetime, by: str) -> list[KindPlan]:
    """Remove what is past its period, one transaction per kind (per child for the
    child's record), each with its record; every record of the run shares a `run_id`."""
    seal(engine, now)  # every log row is in its chain before any goes
    plans = plan(engine, settings, now, sealed_only=True)
    run_id = uuid.uuid4().hex
    for p in plans:
        if p.kind == children.RULE:
            _remove_children(engine, p, Stamp(now, by[:200], run_id, _born_before(
                now.astimezone(LONDON).date(), settings.child_record_age), p.cut_off))  # fmt: skip
            continue
        if not p.ids:
            continue
        apply, what = _APPLY[p.kind]
        with engine.begin() as conn:
            apply(conn, p)
            conn.execute(_t(RetentionRecord).insert().values(
                ran_at=now, kind=p.kind, rows=len(p.ids), cut_off=p.cut_off,
                through_row_id=p.through_row_id, run_by=by[:200], what=what, run_id=run_id,
            ))  # fmt: skip
    return plans


def _remove_children(engine: Engine, p: KindPlan, stamp: Stamp) -> None:
    """One transaction per child; `p` ends up saying what went."""
    went = []
    for planned in p.children:
        with engine.begin() as conn:
            gone = children.remove(conn, planned.child_id, planned.case_reference, stamp)
        if gone is not None:
            went.append(gone)
    p.children, p.ids = went, [c.case_reference for c in went]
