"""Mail jobs for the worker: send the outbox, poll IMAP, the weekly digest.

Each job calls a use case that owns its transactions; all are safe to run in
several workers at once (the outbox is claimed row by row, inbound mail is
deduplicated by its hash, the digest by its ISO week).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from api.jobs import JobContext, JobRegistry
from notifications.digest import queue_weekly_digests
from notifications.imap_poller import ImapError, poll
from notifications.quarantine import queue_admin_digest
from notifications.schedule import weekly_moment
from notifications.sender import send_pending
from notifications.settings import get_mail_settings
from notifications.sink import SinkPortTaken, ensure_sink_running

log = logging.getLogger("iro_disputes.mail")


def register(registry: JobRegistry) -> None:
    settings = get_mail_settings()
    registry.every("mail-send", seconds=settings.mail_send_seconds, run=send_outbox,
                   run_at_start=True)  # fmt: skip
    if settings.imap_host:
        registry.every("mail-poll-imap", seconds=settings.imap_poll_seconds, run=poll_imap)
    # Checked on start and every quarter of an hour, not a cron job: APScheduler's cron does
    # not catch up a moment missed while the worker was down (notifications/schedule.py).
    weekly_moment(datetime.now(UTC), settings.digest_day_of_week, settings.digest_hour)
    registry.every("mail-weekly-digest", seconds=900, run=weekly_digest, run_at_start=True)
    # Checked every quarter of an hour; the digest itself goes at most once an hour.
    registry.every("mail-quarantine-digest", seconds=900, run=quarantine_digest)


def send_outbox(ctx: JobContext) -> None:
    try:
        ensure_sink_running()
    except SinkPortTaken as error:
        log.error("mail: not sending: %s", error)  # never into someone else's sink
        return
    report = send_pending(ctx.runtime.engine, now=ctx.now)
    if report.sent or report.retrying or report.failed or report.deferred or report.cancelled:
        log.info("mail: %s sent, %s to retry, %s failed, %s waiting for the server, "
                 "%s stale reminders cancelled %s", report.sent, report.retrying, report.failed,
                 report.deferred, report.cancelled, "; ".join(report.errors[:3]))  # fmt: skip


def poll_imap(ctx: JobContext) -> None:
    try:
        report = poll(ctx.runtime, ctx.now)
    except ImapError as error:
        log.warning("mail: %s", error)
        return
    for result in report.results:
        log.info("mail in: #%s %s: %s", result.inbound_id, result.status.value, result.reason)


def weekly_digest(ctx: JobContext) -> None:
    settings = get_mail_settings()
    if ctx.now < weekly_moment(ctx.now, settings.digest_day_of_week, settings.digest_hour):
        return  # not yet this week: last week's went (or was missed long enough ago)
    with ctx.runtime.uow() as uow:
        added = queue_weekly_digests(uow, ctx.now)
    log.info("mail: %s weekly digest(s) queued", added)


def quarantine_digest(ctx: JobContext) -> None:
    with ctx.runtime.uow() as uow:
        added = queue_admin_digest(uow.session, ctx.now)
    if added:
        log.info("mail: quarantine digest queued for %s admin(s)", added)
