"""Mail jobs for the worker: send the outbox, poll IMAP, the weekly digest.

Each job calls a use case that owns its transactions; all are safe to run in
several workers at once (the outbox is claimed row by row, inbound mail is
deduplicated by its hash, the digest by its ISO week).
"""

from __future__ import annotations

import logging

from api.jobs import JobContext, JobRegistry
from notifications.digest import queue_weekly_digests
from notifications.imap_poller import ImapError, poll
from notifications.quarantine import queue_admin_digest
from notifications.sender import send_pending
from notifications.settings import get_mail_settings
from notifications.sink import ensure_sink_running

log = logging.getLogger("iro_disputes.mail")


def register(registry: JobRegistry) -> None:
    settings = get_mail_settings()
    registry.every("mail-send", seconds=settings.mail_send_seconds, run=send_outbox,
                   run_at_start=True)  # fmt: skip
    if settings.imap_host:
        registry.every("mail-poll-imap", seconds=settings.imap_poll_seconds, run=poll_imap)
    registry.cron("mail-weekly-digest", run=weekly_digest,
                  day_of_week=settings.digest_day_of_week, hour=settings.digest_hour)  # fmt: skip
    # Checked every quarter of an hour; the digest itself goes at most once an hour.
    registry.every("mail-quarantine-digest", seconds=900, run=quarantine_digest)


def send_outbox(ctx: JobContext) -> None:
    ensure_sink_running()
    report = send_pending(ctx.runtime.engine, now=ctx.now)
    if report.sent or report.retrying or report.failed:
        log.info("mail: %s sent, %s to retry, %s failed %s", report.sent, report.retrying,
                 report.failed, "; ".join(report.errors[:3]))  # fmt: skip


def poll_imap(ctx: JobContext) -> None:
    try:
        report = poll(ctx.runtime, ctx.now)
    except ImapError as error:
        log.warning("mail: %s", error)
        return
    for result in report.results:
        log.info("mail in: #%s %s: %s", result.inbound_id, result.status.value, result.reason)


def weekly_digest(ctx: JobContext) -> None:
    with ctx.runtime.uow() as uow:
        added = queue_weekly_digests(uow, ctx.now)
    log.info("mail: %s weekly digest(s) queued", added)


def quarantine_digest(ctx: JobContext) -> None:
    with ctx.runtime.uow() as uow:
        added = queue_admin_digest(uow.session, ctx.now)
    if added:
        log.info("mail: quarantine digest queued for %s admin(s)", added)
