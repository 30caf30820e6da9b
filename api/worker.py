"""The worker: APScheduler wakes the jobs; the database holds the work.

Deadlines are never stored in APScheduler (its job store must not be shared by two
schedulers, and a one-shot job due while the process was down is dropped): the
scheduler only wakes `workflow.sweep.sweep` every `IRO_DISPUTES_SWEEP_SECONDS`,
and each module in `api.jobs` may add jobs of its own.

On PostgreSQL any number of workers may run. On SQLite one is the supported setup:
a second is refused (an OS file lock beside the database file, released by the
kernel even if the worker is killed).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from api.heartbeat import Heartbeat
from api.jobs import JobContext, JobRegistry, JobSpec, discover
from workflow.deadline_settings import DeadlineSettings, get_deadline_settings
from workflow.runtime import Runtime
from workflow.sweep import sweep, worker_name

log = logging.getLogger("iro_disputes.worker")
Clock = Callable[[], datetime]
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


class WorkerRefused(RuntimeError):
    """Another worker already runs against this SQLite database."""


class SingleWorkerLock:
    """An exclusive, non-blocking `flock` on `<database>.worker-lock`."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".worker-lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise WorkerRefused(
                f"Another iro-disputes worker ({holder}) is already running against the "
                f"SQLite database {self.path.with_suffix('')}. SQLite supports one worker: "
                "stop the other one (or run `serve --no-worker` beside it), or use "
                "PostgreSQL (DATABASE_URL) to run several."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def sqlite_path(runtime: Runtime) -> Path | None:
    url = runtime.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


class Worker:
    def __init__(
        self,
        runtime: Runtime,
        settings: DeadlineSettings | None = None,
        clock: Clock | None = None,
        registry: JobRegistry | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = settings or get_deadline_settings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.name = worker_name()
        self.registry = registry or discover(JobRegistry())
        self.registry.every(
            "deadline-sweep", seconds=self.settings.sweep_seconds, run=self.sweep_deadlines,
            run_at_start=True,
        )  # fmt: skip
        path = sqlite_path(runtime)
        self._lock = SingleWorkerLock(path) if path else None
        self._scheduler: BackgroundScheduler | None = None
        self.heartbeat = Heartbeat(runtime.engine, self.name)

    def sweep_deadlines(self, ctx: JobContext) -> None:
        try:
            for fired in sweep(ctx.runtime, ctx.now, worker=self.name, settings=self.settings):
                log.info(
                    "deadline %s %s (%s): %s, %ss late, %s", fired.reference, fired.kind,
                    fired.label, fired.outcome, fired.late_seconds, fired.reason,
                )  # fmt: skip
        except Exception as error:
            self.heartbeat.swept(error=f"{type(error).__name__}: {error}")
            raise
        self.heartbeat.swept()

    def start(self) -> None:
        if self._lock is not None:
            self._lock.acquire()
        scheduler = BackgroundScheduler(timezone="Europe/London", job_defaults=JOB_DEFAULTS)
        for spec in self.registry.jobs.values():
            scheduler.add_job(self._runner(spec), self._trigger(spec), id=spec.name,
                              name=spec.name, **self._first_run(spec))  # fmt: skip
        self.heartbeat.started()
        scheduler.start()
        self._scheduler = scheduler
        log.info("worker %s started: %s", self.name, ", ".join(self.registry.jobs))

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)  # lets a running sweep finish its batch
            self._scheduler = None
            self.heartbeat.stopped()
        if self._lock is not None:
            self._lock.release()
        log.info("worker %s stopped", self.name)

    def _runner(self, spec: JobSpec) -> Callable[[], None]:
        def run() -> None:
            with structlog.contextvars.bound_contextvars(worker=self.name, job=spec.name):
                try:
                    spec.run(JobContext(self.runtime, self.clock()))
                except Exception:
                    log.exception("job %s failed", spec.name)

        return run

    @staticmethod
    def _trigger(spec: JobSpec) -> IntervalTrigger | CronTrigger:
        if spec.trigger == "interval":
            return IntervalTrigger(**spec.options)
        return CronTrigger(timezone="Europe/London", **spec.options)

    @staticmethod
    def _first_run(spec: JobSpec) -> dict[str, Any]:
        return {"next_run_time": datetime.now(UTC)} if spec.run_at_start else {}


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is London time. Returns aware UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 date and time: {text!r} (e.g. 2027-01-15T17:05)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
    return moment.astimezone(UTC)
