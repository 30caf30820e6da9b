"""Bootstrap: build the runtime every process uses (web, worker, command line) with
the parts that react to workflow events handed in. Each listener writes its rows in
the same transaction as the event that causes them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from notifications.messages import on_events as queue_mail
from workflow.deadline_planner import plan_deadlines
from workflow.runtime import Runtime, build_runtime
from workflow.settings import WorkflowSettings
from workflow.unit_of_work import EventListener

# The real system: every unit of work a built runtime opens plans deadlines and
# queues mail. A runtime without them (workflow.runtime.build_runtime) is the bare
# workflow, for tools that must not send anything.
LISTENERS: tuple[EventListener, ...] = (plan_deadlines, queue_mail)


def build(settings: WorkflowSettings | None = None, engine: Engine | None = None) -> Runtime:
    return build_runtime(settings, engine, LISTENERS)
