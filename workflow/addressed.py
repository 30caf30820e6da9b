"""Who a challenge was addressed to: the events that address it, and the responder each
names in `details.responder_id`, in the words of their indexes (migration 0024).

A responder sees every challenge addressed to them now or earlier. Read from each event's
JSON, that grew with the event log (1.2-1.7 s a count at 1,000,000 challenges); two partial
indexes over the addressing events answer it by look-up. An index on an expression serves
only a query that writes the same expression, with the same literals (no bound parameter),
so the condition and the index are both built from here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# Events that address a challenge to someone (details.responder_id names them).
ADDRESSING_KINDS = ("raise_formal", "escalate", "reject", "time_out")
ADDRESSING_SQL = f"kind IN ({', '.join(repr(k) for k in ADDRESSING_KINDS)})"
# The responder an event names, per database, as the index `ix_challenge_event_addressed_to`
# holds it.
RESPONDER_SQL = {
    "postgresql": "CAST(({at}details ->> 'responder_id') AS INTEGER)",
    "sqlite": "json_extract({at}details, '$.responder_id')",
}


class event_responder_id(FunctionElement[int]):  # noqa: N801  (used like a SQL function)
    """An event's `details.responder_id`, in the words of its index."""

    type = sa.Integer()
    inherit_cache = True


def _written(dialect: str, kw: dict[str, Any]) -> str:
    # In CREATE INDEX the column stands alone; in a query it names its table.
    at = "challenge_event." if kw.get("include_table", True) else ""
    return RESPONDER_SQL[dialect].format(at=at)


@compiles(event_responder_id)
def _on_postgresql(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
    return _written("postgresql", kw)


@compiles(event_responder_id, "sqlite")
def _on_sqlite(element: Any, compiler: SQLCompiler, **kw: Any) -> str:
    return _written("sqlite", kw)


def addressing(kind: Any) -> sa.ColumnElement[bool]:
    """`kind` is an addressing event's, written as the partial indexes' condition is."""
    return kind.in_([sa.literal_column(repr(k)) for k in ADDRESSING_KINDS])  # type: ignore[no-any-return]
