"""Build the runtime every process uses (web, worker, command line), with the
parts that react to workflow events installed: each writes its rows in the
same transaction as the event that causes them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from notifications.messages import on_events as queue_mail
from workflow.deadline_planner import plan_deadlines
from workflow.runtime import Runtime, build_runtime
from workflow.settings import WorkflowSettings
from workflow.unit_of_work import listen_for_events


def install_extensions() -> None:
    """Register the event listeners of notifications and deadlines (idempotent)."""
    listen_for_events(plan_deadlines)
    listen_for_events(queue_mail)


def build(settings: WorkflowSettings | None = None, engine: Engine | None = None) -> Runtime:
    install_extensions()
    return build_runtime(settings, engine)
