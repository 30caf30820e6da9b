"""The monthly SMT report: at 07:00 London on the 1st, last month's report, with its PDF
attached, goes to every SMT reader through the mail outbox (see api/reports/monthly.py)."""

from __future__ import annotations

import logging

from api.jobs import JobContext, JobRegistry
from api.reports.monthly import queue_monthly_report
from notifications.attachments import AttachmentRefused

log = logging.getLogger("iro_disputes.reports")


def register(registry: JobRegistry) -> None:
    # 07:00 London on the 1st; a run missed while the worker was down happens once on start.
    registry.cron("smt-monthly-report", run=monthly_report, day=1, hour=7, minute=0)


def monthly_report(ctx: JobContext) -> None:
    try:
        added = queue_monthly_report(ctx.runtime, ctx.now)
    except AttachmentRefused as error:
        # Nothing was queued (one transaction); the next run after the limit is raised sends it.
        log.error("reports: monthly SMT report not queued: %s", error)
        raise
    log.info("reports: monthly SMT report queued for %s reader(s)", added)
