"""A worker's heartbeat: when it started, when it last finished a deadline sweep.

`/readyz` and the metrics read it to say whether deadlines are being swept at all.
Writing it never stops a worker: a failed write is logged and the next one tries again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.logs import get_logger
from api.ops_tables import WorkerHeartbeat

log = get_logger("iro_disputes.worker")


class Heartbeat:
    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name

    def started(self) -> None:
        now = datetime.now(UTC)
        self._write(started_at=now, stopped_at=None, last_swept_at=None, last_sweep_error=None)

    def swept(self, error: str | None = None) -> None:
        if error is None:
            self._write(last_swept_at=datetime.now(UTC), last_sweep_error=None)
        else:
            self._write(last_sweep_error=error[:2000])

    def stopped(self) -> None:
        self._write(stopped_at=datetime.now(UTC))

    def _write(self, **values: object) -> None:
        try:
            with Session(self.engine) as session:
                row = session.get(WorkerHeartbeat, self.name)
                if row is None:
                    row = WorkerHeartbeat(name=self.name, started_at=datetime.now(UTC))
                for field, value in values.items():
                    setattr(row, field, value)
                session.add(row)
                session.commit()
        except sa.exc.SQLAlchemyError as error:
            log.warning("worker heartbeat not written", error=str(error).splitlines()[0])
