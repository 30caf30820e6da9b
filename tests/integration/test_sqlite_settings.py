"""Every writing SQLite connection gets the settings the app and the sweep rely on."""

from __future__ import annotations

from pathlib import Path

from workflow.db import WAL_CHECKPOINT_PAGES, make_engine


def test_a_writing_connection_is_in_wal_mode_and_checkpoints_every_ten_thousand_pages(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    try:
        with engine.connect() as connection:
            read = connection.exec_driver_sql
            assert read("PRAGMA journal_mode").scalar_one() == "wal"
            assert read("PRAGMA synchronous").scalar_one() == 1  # NORMAL
            assert read("PRAGMA foreign_keys").scalar_one() == 1
            assert WAL_CHECKPOINT_PAGES == 10_000
            assert read("PRAGMA wal_autocheckpoint").scalar_one() == WAL_CHECKPOINT_PAGES
            assert read("PRAGMA journal_size_limit").scalar_one() == 64 * 1024 * 1024
    finally:
        engine.dispose()
