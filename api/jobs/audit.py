"""Seal new rows of the challenge log and the access log into their hash chains."""

from __future__ import annotations

from api.jobs import JobContext, JobRegistry
from workflow.audit_chain import seal


def register(registry: JobRegistry) -> None:
    registry.every("audit-seal", seconds=60, run=seal_logs, run_at_start=True)


def seal_logs(ctx: JobContext) -> None:
    seal(ctx.runtime.engine, ctx.now)
