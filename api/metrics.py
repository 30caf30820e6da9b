"""Prometheus metrics: requests from this process, the work waiting in the database.

Request counts and latencies are counted in the process (scrape each web replica).
The figures about deadlines, mail and workers are read from the database at scrape
time, so every replica reports the same, true numbers and none is lost on restart.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from api.logs import get_logger
from workflow.tables import UTCDateTime

log = get_logger("iro_disputes.metrics")
REQUESTS = CollectorRegistry(auto_describe=True)
REQUEST_COUNT = Counter(
    "iro_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["method", "route", "status"],
    registry=REQUESTS,
)
REQUEST_SECONDS = Histogram(
    "iro_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REQUESTS,
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_COUNT.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)


# Each query returns rows of (label value or None, number). Written in plain SQL over
# the tables' documented columns, so a scrape costs a handful of indexed counts.
_QUERIES: dict[str, tuple[str, str, str]] = {
    "iro_deadlines": (
        "Deadlines by status (pending, done, cancelled, stuck)",
        "status",
        "SELECT status, COUNT(*) FROM deadline GROUP BY status",
    ),
    "iro_deadlines_due": (
        "Pending deadlines already due, waiting for a sweep",
        "",
        "SELECT NULL, COUNT(*) FROM deadline WHERE status = 'pending' AND due_at <= :now",
    ),
    "iro_deadlines_late": (
        "Pending deadlines more than two sweep intervals past due",
        "",
        "SELECT NULL, COUNT(*) FROM deadline WHERE status = 'pending' AND due_at <= :late",
    ),
    "iro_deadlines_fired_late": (
        "Deadlines fired more than a minute after they were due (since the start)",
        "",
        "SELECT NULL, COUNT(*) FROM deadline WHERE status = 'done' AND late_seconds > 60",
    ),
    "iro_outbox": (
        "Outgoing emails by status (pending, sending, sent, failed)",
        "status",
        "SELECT status, COUNT(*) FROM mail_outbox GROUP BY status",
    ),
    "iro_quarantine_size": (
        "Incoming emails waiting in quarantine for an admin",
        "",
        "SELECT NULL, COUNT(*) FROM mail_inbound WHERE status = 'quarantined'",
    ),
}
_OLDEST_UNSENT = "SELECT MIN(created_at) FROM mail_outbox WHERE status IN ('pending', 'sending')"
_HEARTBEATS = "SELECT name, last_swept_at FROM worker_heartbeat WHERE stopped_at IS NULL"


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine, late_seconds: float = 60) -> None:
        self.engine = engine
        self.late_seconds = late_seconds

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        try:
            with self.engine.connect() as conn:
                yield from self._counts(conn, now)
                yield self._oldest_unsent(conn, now)
                yield self._heartbeats(conn, now)
            yield GaugeMetricFamily("iro_database_up", "1 when the database answered", value=1)
        except sa.exc.SQLAlchemyError as error:
            log.warning("metrics: database not readable", error=str(error).splitlines()[0])
            yield GaugeMetricFamily("iro_database_up", "1 when the database answered", value=0)

    def _counts(self, conn: sa.Connection, now: datetime) -> Iterator[Metric]:
        late = now.timestamp() - self.late_seconds
        params = {"now": now, "late": datetime.fromtimestamp(late, UTC)}
        for name, (doc, label, sql) in _QUERIES.items():
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            typed = [sa.bindparam(k, type_=UTCDateTime) for k in used]
            rows = conn.execute(sa.text(sql).bindparams(*typed), used).all()
            family = GaugeMetricFamily(name, doc, labels=[label] if label else None)
            for value, count in rows:
                family.add_metric([str(value)] if label else [], float(count))
            yield family

    def _oldest_unsent(self, conn: sa.Connection, now: datetime) -> Metric:
        oldest = conn.execute(sa.text(_OLDEST_UNSENT)).scalar()
        age = (now - _aware(oldest)).total_seconds() if oldest is not None else 0.0
        return GaugeMetricFamily(
            "iro_outbox_oldest_unsent_seconds", "Age of the oldest email not yet sent", value=age
        )

    def _heartbeats(self, conn: sa.Connection, now: datetime) -> Metric:
        family = GaugeMetricFamily(
            "iro_worker_last_sweep_seconds",
            "Seconds since each running worker last finished a deadline sweep",
            labels=["worker"],
        )
        for name, swept in conn.execute(sa.text(_HEARTBEATS)).all():
            age = (now - _aware(swept)).total_seconds() if swept is not None else float("inf")
            family.add_metric([name], age)
        return family


def _aware(value: datetime | str) -> datetime:
    # SQLite hands raw text back to plain SQL; PostgreSQL an aware datetime.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def exposition(engine: Engine, late_seconds: float) -> bytes:
    """Every metric, in Prometheus' text format."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(engine, late_seconds))
    return generate_latest(_requests()) + generate_latest(database)


def _requests() -> CollectorRegistry:
    """This process's request counts; with `serve --workers N` (Prometheus' multi-process
    mode, PROMETHEUS_MULTIPROC_DIR set) those of every web process, added up."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return REQUESTS
    from prometheus_client import multiprocess

    every = CollectorRegistry()
    multiprocess.MultiProcessCollector(every, path=folder)  # type: ignore[no-untyped-call]
    return every
