"""The benchmarks' seeding by copies: every copied challenge is a new one, with its rows."""

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
