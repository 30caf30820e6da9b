"""`iro-disputes serve`: the web service, with the worker in-process unless --no-worker.

SIGTERM or Ctrl+C stops it cleanly at any moment: while it starts (the app being
built, the worker starting), while it serves (uvicorn finishes the requests in
flight), and the worker then finishes its batch and stops.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from api.commands._common import refuse_broken_start
from api.logs import configure_from_settings, get_logger

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
    ) -> None:
        """Serve the web pages and the JSON API (and, by default, the scheduled jobs)."""
        shutdown = Shutdown()
        shutdown.install()
        configure_from_settings("web+worker" if worker else "web")
        settings = refuse_broken_start()
        from api.app import create_app
        from api.worker import Worker, WorkerRefused

        app = create_app(operations=settings.operations)
        app.state.run_worker = worker
        background = Worker(app.state.runtime) if worker else None
        try:
            if background is not None and not shutdown.requested.is_set():
                try:
                    background.start()
                except WorkerRefused as refused:
                    typer.echo(f"Error: {refused}", err=True)
                    raise typer.Exit(code=2) from refused
            _serve(app, host, port, shutdown)
        finally:
            if background is not None:
                background.stop()


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
