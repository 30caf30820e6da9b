"""One logging set-up for every process (web, worker, commands).

structlog renders every line, ours and the libraries' (through the standard
`logging` module): JSON lines in production, readable text in development. Lines
written while a request is handled carry its `request_id`; lines from the worker
carry `worker` and `job`. Libraries that chatter are held at WARNING.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

QUIET = (
    "apscheduler",
    "transitions",  # a line per callback of every action: the events log says what happened
    "uvicorn.access",  # our request middleware logs each request once, with its id
    "httpx",
    "httpcore",
    "multipart",
    "python_multipart",
    "asyncio",
    "mail.log",  # aiosmtpd
    "alembic.runtime.migration",
    "fontTools",
    "weasyprint",
    "matplotlib",
    "PIL",
)

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(*, json: bool, level: str = "INFO", process: str = "") -> None:
    """Send every logger's lines through one structlog formatter on stderr."""
    exc: Any = structlog.processors.format_exc_info if json else _keep_exc_info
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Lines from the standard library keep their `extra={...}` fields as keys.
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exc,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        # uvicorn's own handlers would print a second, differently shaped line.
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()
    if process:
        structlog.contextvars.bind_contextvars(process=process)


def _through_stdlib() -> None:
    # Always, even before `configure_logging` (tests, library use): our lines go through
    # the standard `logging` module, so whoever configured it decides where they go.
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


_through_stdlib()


def _keep_exc_info(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    # The console renderer prints the traceback itself.
    return event


def configure_from_settings(process: str) -> None:
    """Configure logging from the operations settings (a bad setting falls back to text)."""
    from api.settings import OperationsSettings

    ops = OperationsSettings()
    configure_logging(json=ops.json_logs, level=ops.log_level, process=process)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
