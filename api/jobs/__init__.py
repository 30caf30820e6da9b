"""Scheduled jobs, found by discovery: every module in this package with a
`register(registry: JobRegistry) -> None` function adds its jobs.

    # api/jobs/outbox.py
    from api.jobs import JobContext, JobRegistry

    def register(registry: JobRegistry) -> None:
        registry.every("send-outbox", seconds=15, run=send_outbox)
        registry.cron("weekly-digest", run=send_digest, day_of_week="mon", hour=8)

    def send_outbox(ctx: JobContext) -> None:
        with ctx.runtime.uow() as uow:
            ...  # call a use case that owns its unit of work; pass ctx.now

Jobs run in the worker (`iro-disputes worker`, or in-process with `serve --worker`),
never at import. Every job runs with `coalesce=True, max_instances=1,
misfire_grace_time=None`: a run missed while the process was down happens once on
start, and never two at a time. Cron fields are London time. A job must be safe to
run in several workers at once (PostgreSQL allows several): claim rows, don't assume.
Durable work (deadlines, mail to send) lives in the database; jobs only wake it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.runtime import Runtime


@dataclass(frozen=True)
class JobContext:
    """What a job gets at each run: the runtime and the time the run started (aware UTC)."""

    runtime: Runtime
    now: datetime


Job = Callable[[JobContext], Any]


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Job
    trigger: str  # "interval" or "cron"
    options: dict[str, Any] = field(default_factory=dict)
    run_at_start: bool = False


class JobRegistry:
    def __init__(self) -> None:
        self.jobs: dict[str, JobSpec] = {}

    def every(self, name: str, *, seconds: float, run: Job, run_at_start: bool = False) -> None:
        """Run `run` every `seconds`; with `run_at_start`, also as soon as the worker starts."""
        self._add(JobSpec(name, run, "interval", {"seconds": seconds}, run_at_start))

    def cron(self, name: str, *, run: Job, **fields: Any) -> None:
        """Run `run` on a cron schedule (APScheduler CronTrigger fields, London time)."""
        self._add(JobSpec(name, run, "cron", fields))

    def _add(self, spec: JobSpec) -> None:
        if spec.name in self.jobs:
            raise ValueError(f"a job named {spec.name!r} is already registered")
        self.jobs[spec.name] = spec


def discover(registry: JobRegistry) -> JobRegistry:
    """Let every module in `api.jobs` register its jobs."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(registry)
    return registry
