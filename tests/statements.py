"""What a piece of work sends to the database, as the driver sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def sent(target: Any, run: Callable[[], object]) -> list[str]:
    """Each statement `run` sends through `target` (an engine, or `Engine` for every
    engine: pages read through their own), in order."""
    seen: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    sa.event.listen(target, "before_cursor_execute", note)
    try:
        run()
    finally:
        sa.event.remove(target, "before_cursor_execute", note)
    return seen


def challenge_updates(engine: Engine, run: Callable[[], object]) -> list[str]:
    """Each `UPDATE challenge` statement `run` sends, in order."""
    return [s for s in sent(engine, run) if s.lstrip().upper().startswith("UPDATE CHALLENGE ")]


def set_columns(update: str) -> frozenset[str]:
    """The columns an UPDATE statement sets."""
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    return frozenset(part.split("=")[0].strip() for part in assigned.split(","))
