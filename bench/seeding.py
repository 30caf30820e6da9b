"""Seeding a million challenges in minutes: a block built in Python, then copied in SQL.

A benchmark seeds its first `block` challenges row by row as it likes (ids 1 to `block`,
each table's rows numbered densely in challenge order), then `grow` copies them with
`INSERT ... SELECT` until there are as many as asked, doubling each time: challenge `b`
of a copy is challenge `b` of the block with its id, its children's ids and its reference
moved on. The database does the work; nothing crosses the driver row by row.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

BLOCK = 10_000
CACHE_KB = 256_000  # SQLite's page cache while copying, in KiB


def grow(engine: Engine, block: int, target: int, children: dict[str, str]) -> None:
    """Copy challenges 1..`block` (and their rows in `children`: table -> its column naming
    the challenge) until there are `target` challenges."""
    if target <= block:
        return
    pg = engine.dialect.name == "postgresql"
    # Columns only: SQLite cannot read back an index on an expression (migration 0024's).
    metadata, inspector = sa.MetaData(), sa.inspect(engine)
    tables = {name: sa.Table(name, metadata, *(sa.Column(c["name"], c["type"])
                                               for c in inspector.get_columns(name)))
              for name in ("challenge", *children)}  # fmt: skip
    with engine.connect() as conn:
        per = {name: _rows_per_challenge(conn, name, block) for name in tables}
        if (
            not pg
        ):  # room for the indexes' pages: a small cache spills them into the WAL again and again
            conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KB}")
        indexes = _drop_indexes(conn, list(tables), pg)
        have = block
        while have < target:  # a commit per doubling: the WAL is checkpointed between them
            take = min(have, target - have)
            for name, table in tables.items():
                key = "id" if name == "challenge" else children[name]
                conn.execute(sa.text(_copy(table, key, per[name], have, take, pg)))
            conn.commit()
            have += take
        for definition in indexes:  # built once at the end: far cheaper than row by row
            conn.exec_driver_sql(definition)
        conn.commit()
        if not pg:
            conn.exec_driver_sql("PRAGMA cache_size = -2000")  # back to SQLite's default
    with engine.begin() as conn:
        if pg:
            for name in tables:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT max(id) FROM {name}))"))  # fmt: skip


def _drop_indexes(conn: Connection, tables: list[str], pg: bool) -> list[str]:
    """Drop the tables' plain indexes (not those behind a key or unique constraint);
    returns the statements that create them again."""
    names = ", ".join(f"'{t}'" for t in tables)
    if pg:
        query = ("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND "
                 f"tablename IN ({names}) AND indexname NOT IN (SELECT conname FROM pg_constraint)")  # fmt: skip
    else:
        query = ("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                 f"AND tbl_name IN ({names})")  # fmt: skip
    found = [(str(n), str(d)) for n, d in conn.exec_driver_sql(query)]
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.commit()
    return [definition for _, definition in found]


def _rows_per_challenge(conn: Connection, table: str, block: int) -> int:
    count, top = conn.execute(sa.text(f"SELECT count(*), max(id) FROM {table}")).one()
    if count != top or count % block:
        raise SystemExit(f"{table}: ids must run 1..n, the same number for each challenge")
    return int(count // block)


def _copy(table: sa.Table, key: str, per: int, offset: int, take: int, pg: bool) -> str:
    """One INSERT ... SELECT: the first `take` challenges' rows, moved on by `offset`."""
    names, values = [], []
    for column in table.columns:
        names.append(column.name)
        if column.name == "id":
            values.append(f"id + {per * offset}")
        elif column.name == key:
            values.append(f"{key} + {offset}")
        elif table.name == "challenge" and column.name == "reference":
            values.append(_reference(f"id + {offset} - 1", pg))
        else:
            values.append(column.name)
    return (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM {table.name} WHERE {key} <= {take}")  # fmt: skip


def _reference(number: str, pg: bool) -> str:
    """The block's reference with its six-digit number replaced by `number` (as `{n:06d}`)."""
    if pg:
        digits = f"CASE WHEN {number} < 1000000 THEN lpad(({number})::text, 6, '0') ELSE ({number})::text END"
        return f"left(reference, length(reference) - 6) || {digits}"
    return f"substr(reference, 1, length(reference) - 6) || printf('%06d', {number})"
