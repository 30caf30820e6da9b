"""`iro-disputes serve`: the web service."""

from __future__ import annotations

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
        """Serve the web pages and the JSON API."""
        from api.app import create_app

        app = create_app()
        app.state.run_worker = worker
        uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")
