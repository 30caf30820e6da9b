"""The monthly SMT report: from 07:00 London on the 1st, last month's report, with its PDF
attached, goes to every SMT reader through the mail outbox (see api/reports/monthly.py).

Checked on start and every quarter of an hour rather than by a cron job: APScheduler 3's
cron does not catch up a moment missed while the worker was down. Once due, each check
costs one query until every reader has the month (the outbox's dedupe key per month)."""

from __future__ import annotations

import logging

from api.jobs import JobContext, JobRegistry
from api.reports.monthly import queue_monthly_report
from notifications.attachments import AttachmentRefused
from notifications.schedule import monthly_moment

log = logging.getLogger("iro_disputes.reports")


def register(registry: JobRegistry) -> None:
    registry.every("smt-monthly-report", seconds=900, run=monthly_report, run_at_start=True)


def monthly_report(ctx: JobContext) -> None:
    if ctx.now < monthly_moment(ctx.now, day=1, hour=7):
        return  # 1st of the month before 07:00: last month's figures may still be coming in
    try:
        added = queue_monthly_report(ctx.runtime, ctx.now)
    except AttachmentRefused as error:
        # Nothing was queued (one transaction); the next run after the limit is raised sends it.
        log.error("reports: monthly SMT report not queued: %s", error)
        raise
    log.info("reports: monthly SMT report queued for %s reader(s)", added)
