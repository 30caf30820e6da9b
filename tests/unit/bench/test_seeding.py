"""The benchmarks' seeding by copies: every copied challenge is a new one, with its rows."""

import json
from pathlib import Path

import sqlalchemy as sa

from bench.seeding import grow


def _block(engine: sa.Engine, size: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE challenge (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, state TEXT)"
        )
        conn.exec_driver_sql("CREATE INDEX ix_challenge_state ON challenge (state)")
        conn.exec_driver_sql(
            "CREATE TABLE deadline (id INTEGER PRIMARY KEY, challenge_id INTEGER, kind TEXT)"
        )
        conn.execute(sa.text("INSERT INTO challenge VALUES (:id, :ref, :state)"),
                     [{"id": i + 1, "ref": f"IRO-2026-{i:06d}", "state": "open" if i % 2 else "closed"}
                      for i in range(size)])  # fmt: skip
        conn.execute(sa.text("INSERT INTO deadline VALUES (:id, :c, :kind)"),
                     [{"id": 2 * c - 1 + k, "c": c, "kind": ("timeout", "cap")[k]}
                      for c in range(1, size + 1) for k in (0, 1)])  # fmt: skip


def test_copies_renumber_challenges_references_and_their_rows(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'seed.sqlite3'}")
    _block(engine, 4)
    grow(engine, 4, 11, {"deadline": "challenge_id"})
    with engine.connect() as conn:
        challenges = conn.execute(
            sa.text("SELECT id, reference, state FROM challenge ORDER BY id")
        ).all()
        deadlines = conn.execute(
            sa.text("SELECT id, challenge_id, kind FROM deadline ORDER BY id")
        ).all()
        indexes = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")).scalars().all()  # fmt: skip
    assert [c.id for c in challenges] == list(range(1, 12))
    assert [c.reference for c in challenges] == [f"IRO-2026-{i:06d}" for i in range(11)]
    assert [c.state for c in challenges] == [("closed", "open")[(i % 4) % 2] for i in range(11)]
    assert [(d.id, d.challenge_id, d.kind) for d in deadlines] == [
        (2 * c - 1 + k, c, ("timeout", "cap")[k]) for c in range(1, 12) for k in (0, 1)
    ]
    assert indexes == ["ix_challenge_state"]  # dropped for the copies, built again


def _council_block(engine: sa.Engine) -> None:
    """One council (a team, a manager and a worker, two children) and three challenges."""
    with engine.begin() as conn:
        for ddl in (
            "CREATE TABLE team (id INTEGER PRIMARY KEY, name TEXT UNIQUE)",
            "CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT UNIQUE, team_id INTEGER, "
            "manager_id INTEGER, deputy_id INTEGER)",
            "CREATE TABLE child (id INTEGER PRIMARY KEY, case_reference TEXT UNIQUE, "
            "team_id INTEGER, social_worker_id INTEGER, iro_id INTEGER)",
            "CREATE TABLE challenge (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, "
            "child_id INTEGER, raised_by_id INTEGER, responder_id INTEGER)",
            "CREATE TABLE challenge_event (id INTEGER PRIMARY KEY, challenge_id INTEGER, "
            "actor_id INTEGER, team_id INTEGER, details TEXT)",
        ):
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql("INSERT INTO team VALUES (1, 'Team')")
        conn.exec_driver_sql("INSERT INTO person VALUES (1, 'tm@x', 1, NULL, NULL), "
                             "(2, 'sw@x', 1, 1, 1)")  # fmt: skip
        conn.exec_driver_sql("INSERT INTO child VALUES (1, 'LL1', 1, 2, 1), (2, 'LL2', 1, 2, NULL)")
        conn.exec_driver_sql("INSERT INTO challenge VALUES (1, 'IRO-2026-000000', 1, 1, 2), "
                             "(2, 'IRO-2026-000001', 2, 1, NULL), (3, 'IRO-2026-000002', 1, 1, 2)")  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO challenge_event VALUES (1, 1, 1, 1, '{\"responder_id\": 2}'), "
            "(2, 2, 1, 1, '{\"responder_id\": null}'), (3, 3, 2, 1, '{}')"
        )


def test_copies_as_councils_bring_their_own_people_and_children(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'councils.sqlite3'}")
    _council_block(engine)
    grow(engine, 3, 8, {"challenge_event": "challenge_id"}, councils=True)
    with engine.connect() as conn:
        teams = conn.execute(sa.text("SELECT id, name FROM team ORDER BY id")).all()
        people = conn.execute(sa.text("SELECT * FROM person ORDER BY id")).all()
        children = conn.execute(sa.text("SELECT * FROM child ORDER BY id")).all()
        challenges = conn.execute(sa.text("SELECT * FROM challenge ORDER BY id")).all()
        events = conn.execute(sa.text("SELECT * FROM challenge_event ORDER BY id")).all()
    # 8 challenges are 3 councils: the block, its copy, and the first challenges of a third.
    assert [tuple(t) for t in teams] == [(1, "Team"), (2, "team-2"), (3, "team-3")]
    assert [tuple(p) for p in people] == [
        (1, "tm@x", 1, None, None), (2, "sw@x", 1, 1, 1),
        (3, "person-3", 2, None, None), (4, "person-4", 2, 3, 3),
        (5, "person-5", 3, None, None), (6, "person-6", 3, 5, 5),
    ]  # fmt: skip
    assert [tuple(c) for c in children] == [
        (1, "LL1", 1, 2, 1), (2, "LL2", 1, 2, None),
        (3, "child-3", 2, 4, 3), (4, "child-4", 2, 4, None),
        (5, "child-5", 3, 6, 5), (6, "child-6", 3, 6, None),
    ]  # fmt: skip
    assert [(c.id, c.child_id, c.raised_by_id, c.responder_id) for c in challenges] == [
        (1, 1, 1, 2), (2, 2, 1, None), (3, 1, 1, 2),
        (4, 3, 3, 4), (5, 4, 3, None), (6, 3, 3, 4),
        (7, 5, 5, 6), (8, 6, 5, None),
    ]  # fmt: skip
    assert [(e.challenge_id, e.actor_id, e.team_id) for e in events] == [
        (1, 1, 1), (2, 1, 1), (3, 2, 1), (4, 3, 2), (5, 3, 2), (6, 4, 2), (7, 5, 3), (8, 5, 3),
    ]  # fmt: skip
    responders = [json.loads(e.details).get("responder_id") for e in events]
    assert responders == [2, None, None, 4, None, None, 6, None]
