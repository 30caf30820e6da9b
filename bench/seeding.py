"""Seeding a million challenges in minutes: a block built in Python, then copied in SQL.

A benchmark seeds its first `block` challenges row by row as it likes (ids 1 to `block`,
each table's rows numbered densely in challenge order), then `grow` copies them with
`INSERT ... SELECT` until there are as many as asked, doubling each time: challenge `b`
of a copy is challenge `b` of the block with its id, its children's ids and its reference
moved on. The database does the work; nothing crosses the driver row by row.

With `councils`, each copy is also another council: the block's teams, people and children
are copied with it (ids moved on by as many as the copied councils hold, names kept unique)
and the copied rows name the copies. A person's caseload then stays a council's as the table
grows, as in a shared service for many councils; without it, one council's 4,000 children
gather ever more challenges (at 1,000,000, 250 each: a stress of a caseload, not a council).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

BLOCK = 10_000
CACHE_KB = 256_000  # SQLite's page cache while copying, in KiB
# A council's own tables, copied first (each names only those before it), and the columns
# of every copied table that name a council's row: moved on with the copy.
COUNCIL_TABLES = ("team", "person", "child")
COUNCIL_LINKS = {
    "person": {"team_id": "team", "manager_id": "person", "deputy_id": "person"},
    "child": {"team_id": "team", "social_worker_id": "person", "iro_id": "person"},
    "challenge": {"child_id": "child", "raised_by_id": "person", "responder_id": "person"},
    "challenge_event": {"actor_id": "person", "team_id": "team"},
}
# Unique names: a copy's is its table's name and its id.
COUNCIL_UNIQUE = {"team": "name", "person": "email", "child": "case_reference"}


def grow(
    engine: Engine, block: int, target: int, children: dict[str, str], councils: bool = False
) -> None:
    """Copy challenges 1..`block` (and their rows in `children`: table -> its column naming
    the challenge) until there are `target` challenges; with `councils`, each copy of the
    block as another council (see the module's docstring)."""
    if target <= block:
        return
    pg = engine.dialect.name == "postgresql"
    council = COUNCIL_TABLES if councils else ()
    # Columns only: SQLite cannot read back an index on an expression (migration 0024's).
    metadata, inspector = sa.MetaData(), sa.inspect(engine)
    tables = {name: sa.Table(name, metadata, *(sa.Column(c["name"], c["type"])
                                               for c in inspector.get_columns(name)))
              for name in (*council, "challenge", *children)}  # fmt: skip
    with engine.connect() as conn:
        # A council's rows per block of challenges: all of each table's (ids 1..n).
        own = {name: _rows_per_challenge(conn, name, 1) for name in council}
        per = {name: _rows_per_challenge(conn, name, block) for name in tables if name not in own}
        if (
            not pg
        ):  # room for the indexes' pages: a small cache spills them into the WAL again and again
            conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KB}")
        indexes = _drop_indexes(conn, list(tables), pg)
        have = block
        while have < target:  # a commit per doubling: the WAL is checkpointed between them
            take = min(have, target - have)
            copied = have // block  # councils so far: a copy's own rows follow theirs
            shift = {name: copied * rows for name, rows in own.items()}
            links = COUNCIL_LINKS if councils else {}
            for name, table in tables.items():
                if name in own:  # the councils the copied challenges belong to
                    statement = _copy_council(table, own[name], shift, -(-take // block), pg)
                else:
                    key = "id" if name == "challenge" else children[name]
                    statement = _copy(table, key, per[name], have, take, pg,
                                      links.get(name, {}), shift)  # fmt: skip
                conn.execute(sa.text(statement))
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


def _copy(
    table: sa.Table,
    key: str,
    per: int,
    offset: int,
    take: int,
    pg: bool,
    links: dict[str, str] | None = None,
    shift: dict[str, int] | None = None,
) -> str:
    """One INSERT ... SELECT: the first `take` challenges' rows, moved on by `offset`; the
    columns in `links` (column -> the council table it names) moved on by that table's
    `shift`, and so the responder an event's details name."""
    links, shift = links or {}, shift or {}
    names, values = [], []
    for column in table.columns:
        names.append(column.name)
        if column.name == "id":
            values.append(f"id + {per * offset}")
        elif column.name == key:
            values.append(f"{key} + {offset}")
        elif table.name == "challenge" and column.name == "reference":
            values.append(_reference(f"id + {offset} - 1", pg))
        elif column.name in links:
            values.append(f"{column.name} + {shift[links[column.name]]}")
        elif table.name == "challenge_event" and column.name == "details" and "person" in shift:
            values.append(_responder_moved(shift["person"], pg))
        else:
            values.append(column.name)
    return (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM {table.name} WHERE {key} <= {take}")  # fmt: skip


def _copy_council(
    table: sa.Table, rows: int, shift: dict[str, int], councils: int, pg: bool
) -> str:
    """One INSERT ... SELECT: the first `councils` councils' rows of a council table, as
    new councils' (ids and links moved on by `shift`, unique names made unique)."""
    links = COUNCIL_LINKS.get(table.name, {})
    unique = COUNCIL_UNIQUE.get(table.name)
    names, values = [], []
    for column in table.columns:
        names.append(column.name)
        if column.name == "id":
            values.append(f"id + {shift[table.name]}")
        elif column.name in links:
            values.append(f"{column.name} + {shift[links[column.name]]}")
        elif column.name == unique:
            # From the new id alone: a copy of a copy would otherwise grow a name per doubling.
            values.append(f"'{table.name}-' || CAST(id + {shift[table.name]} AS TEXT)")
        else:
            values.append(column.name)
    return (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM {table.name} WHERE id <= {councils * rows}")  # fmt: skip


def _responder_moved(by: int, pg: bool) -> str:
    """An event's details with the responder it names moved on by `by` (the index of
    migration 0024 reads it there)."""
    if pg:
        return ("CASE WHEN details ->> 'responder_id' IS NULL THEN details ELSE jsonb_set("
                f"details, '{{responder_id}}', to_jsonb((details ->> 'responder_id')::int + {by})) END")  # fmt: skip
    return ("CASE WHEN json_extract(details, '$.responder_id') IS NULL THEN details ELSE "
            f"json_set(details, '$.responder_id', json_extract(details, '$.responder_id') + {by}) END")  # fmt: skip


def _reference(number: str, pg: bool) -> str:
    """The block's reference with its six-digit number replaced by `number` (as `{n:06d}`)."""
    if pg:
        digits = f"CASE WHEN {number} < 1000000 THEN lpad(({number})::text, 6, '0') ELSE ({number})::text END"
        return f"left(reference, length(reference) - 6) || {digits}"
    return f"substr(reference, 1, length(reference) - 6) || printf('%06d', {number})"
