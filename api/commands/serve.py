"""`iro-disputes serve`: the web service, with the worker in-process unless --no-worker."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import typer
import uvicorn


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
        from api.app import create_app
        from api.worker import Worker, WorkerRefused

        app = create_app()
        app.state.run_worker = worker
        background = Worker(app.state.runtime) if worker else None
        if background is not None:
            logging.getLogger("iro_disputes").setLevel(logging.INFO)
            try:
                background.start()
            except WorkerRefused as refused:
                typer.echo(f"Error: {refused}", err=True)
                raise typer.Exit(code=2) from refused
        # uvicorn shuts down gracefully on SIGTERM or SIGINT, then raises the signal again
        # for the previous handler: make that a no-op so the worker is stopped cleanly too.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _after_shutdown)
        try:
            uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")
        finally:
            if background is not None:
                background.stop()


def _after_shutdown(signum: int, frame: FrameType | None) -> None:
    """Reached only when uvicorn re-raises the signal it already handled."""
