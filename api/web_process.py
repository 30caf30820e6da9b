"""The app of each web process `serve --workers N` starts: uvicorn, in every process it
spawns, imports this module by name and calls `create()`.

Kept apart from `api.commands.serve` so that a web process imports what serving needs
and nothing of the command line, the supervisor or the deadline worker (those run once,
in the supervising process). Importing this module costs nothing; `create()` imports
and builds the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

FACTORY = f"{__name__}:create"


def create() -> FastAPI:
    """The app of one of several web processes: no worker here."""
    from api.logs import configure_from_settings

    configure_from_settings("web")
    from api.app import create_app

    return create_app()
