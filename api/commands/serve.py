"""`iro-disputes serve`: the web service, with the worker in-process unless --no-worker.

SIGTERM or Ctrl+C stops it cleanly at any moment: while it starts (the app being
built, the worker starting), while it serves (uvicorn finishes the requests in
flight), and the worker then finishes its batch and stops.

`--workers N` serves from N web processes sharing the port (uvicorn's supervisor
restarts one that dies); the default is one per CPU (up to 4): one Python process uses
one core. That holds on SQLite too: in WAL mode several processes read the same file at
once, and writers queue on its lock (every write transaction begins IMMEDIATE, with a
30 s busy timeout) as threads in one process already do; sessions, CSRF, idempotency
keys and the cached filter lists' versions all live in the database or in signed
cookies, not in a process. Only an in-memory SQLite database serves from one process.
The deadline worker and mail then run once, in the supervising process, never in each
web process; /metrics adds up the request counts of every web process (Prometheus'
multi-process mode, files in a fresh folder).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn

from api.commands._common import refuse_broken_start
from api.logs import configure_from_settings, get_logger

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.worker import Worker
    from workflow.runtime import Runtime

log = get_logger("iro_disputes.serve")


class Shutdown:
    """Remembers a stop signal and passes it to the server once there is one."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.server: uvicorn.Server | None = None

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.handle)

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        # uvicorn installs its own handlers while it serves and, when it stops, raises
        # the signal it caught again for this one: then this only records it.
        self.requested.set()
        if self.server is not None:
            self.server.should_exit = True


def register(cli: typer.Typer) -> None:
    @cli.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
        worker: Annotated[
            bool, typer.Option("--worker/--no-worker", help="Also run the deadline worker and mail")
        ] = True,
        workers: Annotated[
            int | None,
            typer.Option(
                min=1,
                max=64,
                help="Web processes sharing the port (the deadline worker still runs once); "
                "default: one per CPU, up to 4",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Serve the web pages and the JSON API (and, by default, the scheduled jobs)."""
        shutdown = Shutdown()
        shutdown.install()
        configure_from_settings("web+worker" if worker else "web")
        settings = refuse_broken_start()
        in_memory = in_memory_sqlite(settings.workflow.resolved_database_url)
        if workers is None:
            workers = 1 if in_memory else default_workers()
        if workers > 1 and in_memory:
            typer.echo(
                "Error: --workers needs a database file (DATABASE_URL): an in-memory SQLite "
                "database lives inside one process, so it serves from one.",
                err=True,
            )
            raise typer.Exit(code=2)
        if workers > 1:
            _prepare_metrics_folder()
            # Made here, once, before the web processes start: each would otherwise make
            # its own development secret and refuse the others' cookies.
            settings.web.signing_secret()
            with _worker_once_serving(_built_runtime if worker else None, host, port, shutdown):
                _serve_processes(host, port, workers, shutdown)
            return
        from api.app import create_app

        app = create_app(operations=settings.operations)
        app.state.run_worker = worker
        with _worker_once_serving(
            (lambda: app.state.runtime) if worker else None, host, port, shutdown
        ):
            _serve(app, host, port, shutdown)


# Each web process holds its own pool and ~140 MB: more than four rarely pays on one host.
MOST_DEFAULT_WORKERS = 4


def in_memory_sqlite(url: str) -> bool:
    """An SQLite database with no file behind it (each process would have its own)."""
    if not url.startswith("sqlite"):
        return False
    path = url.split(":///", 1)[-1] if ":///" in url else ""
    return path in ("", ":memory:") or "mode=memory" in url


def default_workers() -> int:
    """One web process per CPU this process may run on, up to MOST_DEFAULT_WORKERS."""
    return max(1, min(len(os.sched_getaffinity(0)), MOST_DEFAULT_WORKERS))


def _built_runtime() -> Runtime:
    from api.wiring import build

    return build()


class WorkerOnceServing(threading.Thread):
    """Starts the deadline worker and mail once the service answers /healthz.

    Building the runtime and starting the scheduler (its first sweep and jobs included)
    take about a second of CPU; on a small host that second, taken while the web
    processes import and build the app, delays the moment people can use the service.
    The worker's work is due within its sweep interval, so it waits for the web instead
    (at most WAIT_SECONDS, then it starts anyway). A worker refused (another one runs
    against the same SQLite file) stops the service, which then exits 2.
    """

    WAIT_SECONDS = 60.0
    POLL_SECONDS = 0.05

    def __init__(self, make_runtime: Callable[[], Runtime], host: str, port: int) -> None:
        super().__init__(name="worker-once-serving", daemon=True)
        self.make_runtime = make_runtime
        self.address = (_local_address(host), port)
        self.cancelled = threading.Event()
        self.worker: Worker | None = None
        self.failed: Exception | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.WAIT_SECONDS
        while not _answers(*self.address) and time.monotonic() < deadline:
            if self.cancelled.wait(self.POLL_SECONDS):
                return
        from api.worker import Worker

        try:
            worker = Worker(self.make_runtime())
            if self.cancelled.is_set():
                return
            worker.start()
        except Exception as error:  # refused, or the database unreachable: serve no more
            self.failed = error
            os.kill(os.getpid(), signal.SIGTERM)  # the server's own handler stops it cleanly
            return
        self.worker = worker

    def stop(self) -> None:
        self.cancelled.set()
        self.join()  # a worker being built finishes starting first, then stops here
        if self.worker is not None:
            self.worker.stop()


@contextmanager
def _worker_once_serving(
    make_runtime: Callable[[], Runtime] | None, host: str, port: int, shutdown: Shutdown
) -> Iterator[None]:
    """The deadline worker and mail in this process, once it serves, until the block ends."""
    background = None
    if make_runtime is not None and not shutdown.requested.is_set():
        background = WorkerOnceServing(make_runtime, host, port)
        background.start()
    try:
        yield
    finally:
        if background is not None:
            background.stop()
    failed = background.failed if background is not None else None
    if failed is None:
        return
    from api.worker import WorkerRefused

    if isinstance(failed, WorkerRefused):
        typer.echo(f"Error: {failed}", err=True)
        raise typer.Exit(code=2) from failed
    raise failed


def _local_address(host: str) -> str:
    """Where this host reaches a server listening on `host`."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104


def _answers(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _prepare_metrics_folder() -> None:
    """Prometheus' multi-process mode: every web process writes its counts to files in one
    folder, which /metrics adds up. The folder starts empty (old files would add old counts)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="iro-disputes-metrics-")


def _serve_processes(host: str, port: int, workers: int, shutdown: Shutdown) -> None:
    if shutdown.requested.is_set():
        log.info("stop requested before serving; not starting")
        return
    from uvicorn.supervisors import Multiprocess

    from api import web_process

    config = uvicorn.Config(
        web_process.FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_config=None,
        access_log=False,
        log_level="info",
        # A web process that does not answer the supervisor's ping in this time is killed
        # and replaced; on a busy host starting one takes longer than uvicorn's 5 s.
        timeout_worker_healthcheck=60,
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    if shutdown.requested.is_set():  # a signal before the supervisor took the handlers over
        return
    log.info("serving", workers=workers)
    supervisor.run()


def _serve(app: FastAPI, host: str, port: int, shutdown: Shutdown) -> None:
    if shutdown.requested.is_set():
        log.info("stop requested before serving; not starting")
        return
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        log_config=None,
        access_log=False,
        log_level="info",
    )
    shutdown.server = uvicorn.Server(config)
    shutdown.server.run()
