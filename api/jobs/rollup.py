"""The SMT report's rollup of closed London days, kept up to date by the worker.

A report brings the rollup up to date itself (`workflow.report_queries.rollup`), but then
the first report after an upgrade, a `report renumber-working-days` or a retention delete
counts every closed day inside someone's request: seconds for a council, a minute or more
for a shared service of a million challenges. So the worker builds it on start and every
quarter of an hour rolls up what has closed since (the London day that ended, days marked
dirty). When nothing has changed a run is one read, with no write transaction. Safe in
several workers at once: builds queue on the rollup's state row (PostgreSQL) or the
write lock (SQLite), and the second finds nothing left to do.
"""

from __future__ import annotations

import logging

from api.jobs import JobContext, JobRegistry
from workflow.db import read_only_engine
from workflow.report_queries.rollup import Built, roll_up

log = logging.getLogger("iro_disputes.reports")


def register(registry: JobRegistry) -> None:
    registry.every("report-rollup", seconds=900, run=roll_up_closed_days, run_at_start=True)


def roll_up_closed_days(ctx: JobContext) -> Built:
    engine = ctx.runtime.engine
    built = roll_up(engine, ctx.now, reader=read_only_engine(engine))
    if built.skipped:
        # Reports stay right (they count live what is not rolled up); the next run retries.
        log.warning("reports: rollup not built: writes to the event log did not end in time")
    elif built.days:
        log.info("reports: rolled up %s closed day(s), %s row(s)", built.days, built.rows)
    return built
