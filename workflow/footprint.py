"""A child's footprint: every challenge step, IRO activity and good practice recognised
without a challenge, for one child, in date order.

Read from `challenge_event`, `iro_activity` and `good_practice` with SQL queries; nothing is
loaded as ORM objects. Only the kinds in `KIND_LABELS` are part of the footprint:
reminders and cap alerts written by the deadline sweep, and any kind added later,
are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from escalation_rules.model import Ladder
from workflow.activity_tables import ActivityKind
from workflow.errors import NotFound
from workflow.report_definitions import LONDON, last_day_before
from workflow.report_queries import ACT, CH, CHILD, EV, PERSON, THEME
from workflow.report_queries.schema import GP, OUTCOME_KIND
from workflow.states import Action, CafcassGround

KIND_LABELS = {
    Action.RAISE_INFORMAL: "Informal discussion",
    Action.RAISE_FORMAL: "Challenge raised",
    Action.ESCALATE: "Escalated",
    Action.RESPOND: "Response",
    Action.ACCEPT: "Resolved",
    Action.REJECT: "Response not accepted",
    Action.EXTEND: "Extension agreed",
    Action.PAUSE: "Clock paused",
    Action.RESUME: "Clock resumed",
    Action.WITHDRAW: "Withdrawn",
    Action.CLOSE: "Closed",
    Action.TIME_OUT: "Time ran out",
    Action.REFER_CAFCASS: "CAFCASS referral",
    Action.RECORD_GOOD_PRACTICE: "Good-practice alert",
}
# What the footprint shows: people's actions and the time-outs that moved a challenge. Other
# kinds (the sweep's reminders and cap alerts, anything added later) are left out.
FOOTPRINT_KINDS = tuple(a.value for a in KIND_LABELS)
_NOON = time(12, 0)
GOOD_PRACTICE = "good_practice"  # the footprint entry of good practice recorded without a challenge
GOOD_PRACTICE_LABEL = "Good practice recognised"
NO_IRO = "No IRO named"
NO_SOCIAL_WORKER = "No allocated social worker"


@dataclass(frozen=True)
class FootprintEntry:
    on: date  # the London date
    at: datetime | None  # the moment, for challenge events; activities have a date only
    kind: str
    what: str
    challenge: str | None
    who: str
    detail: str

    @property
    def sort_key(self) -> tuple[date, time]:
        return self.on, self.at.astimezone(LONDON).time() if self.at else _NOON


@dataclass
class Footprint:
    child_reference: str
    child_name: str
    iro: str
    social_worker: str
    entries: list[FootprintEntry] = field(default_factory=list)


def child_footprint(engine: Engine, ladder: Ladder, child_reference: str,
                    as_at: datetime | None = None) -> Footprint:  # fmt: skip
    """The child's footprint; `as_at`: only what had happened by then (events before that
    moment, activity dated on or before its London date)."""
    until = [] if as_at is None else [EV.c.occurred_at < as_at]
    dated = _dated_on(ACT.c.occurred_on, as_at)
    with engine.connect() as conn:
        child = conn.execute(
            sa.select(
                CHILD.c.id, CHILD.c.display_name, CHILD.c.iro_id, CHILD.c.social_worker_id
            ).where(CHILD.c.case_reference == child_reference)
        ).first()
        if child is None:
            raise NotFound("child", child_reference)
        names = {int(i): str(n) for i, n in conn.execute(sa.select(PERSON.c.id, PERSON.c.name))}
        themes = {str(k): str(v) for k, v in conn.execute(sa.select(THEME.c.key, THEME.c.label))}
        kinds = {str(k): str(v)
                 for k, v in conn.execute(sa.select(OUTCOME_KIND.c.key, OUTCOME_KIND.c.label))}  # fmt: skip
        events = conn.execute(
            sa.select(EV.c.kind, EV.c.occurred_at, EV.c.actor_id, EV.c.stage_key, EV.c.details,
                      CH.c.reference, CH.c.theme_key, CH.c.what_is_wrong)
            .select_from(EV.join(CH, EV.c.challenge_id == CH.c.id))
            .where(CH.c.child_id == child.id, EV.c.kind.in_(FOOTPRINT_KINDS), *until)
            .order_by(EV.c.occurred_at, EV.c.id)
        ).all()  # fmt: skip
        activities = conn.execute(
            sa.select(ACT.c.occurred_on, ACT.c.kind, ACT.c.iro_id, ACT.c.note)
            .where(ACT.c.child_id == child.id, *dated)
            .order_by(ACT.c.occurred_on, ACT.c.id)
        ).all()
        good = conn.execute(
            sa.select(GP.c.occurred_on, GP.c.recorded_by_id, GP.c.what)
            .where(GP.c.child_id == child.id, *_dated_on(GP.c.occurred_on, as_at))
            .order_by(GP.c.occurred_on, GP.c.id)
        ).all()
    describe = _Describer(ladder, names, themes, kinds)
    entries = [describe.event(*row) for row in events]
    entries += [describe.activity(*row) for row in activities]
    entries += [FootprintEntry(on, None, GOOD_PRACTICE, GOOD_PRACTICE_LABEL, None,
                               describe.person(by), what) for on, by, what in good]  # fmt: skip
    entries.sort(key=lambda e: e.sort_key)  # stable: same-moment rows keep their order
    return Footprint(child_reference, str(child.display_name), names.get(child.iro_id, NO_IRO),
                     names.get(child.social_worker_id, NO_SOCIAL_WORKER), entries)  # fmt: skip


def _dated_on(column: Any, as_at: datetime | None) -> list[Any]:
    return [] if as_at is None else [column <= last_day_before(as_at)]


class _Describer:
    def __init__(self, ladder: Ladder, names: dict[int, str], themes: Mapping[str, str],
                 kinds: Mapping[str, str]):  # fmt: skip
        self.ladder, self.names, self.themes, self.kinds = ladder, names, themes, kinds

    def outcome_kind(self, details: dict[str, Any]) -> str:
        """The kind of outcome as a sentence start ("Care plan updated. "); none before kinds."""
        key = details.get("outcome_kind")
        return f"{self.kinds.get(str(key), str(key))}. " if key else ""

    def person(self, person_id: Any) -> str:
        return self.names.get(int(person_id), f"person {person_id}") if person_id else "The system"

    def stage(self, key: Any) -> str:
        try:
            return self.ladder.stage(str(key)).name
        except KeyError:
            return str(key) if key else "Informal"

    def event(self, kind: str, at: datetime, actor: int | None, stage: str | None,
              details: dict[str, Any], reference: str, theme: str, what: str) -> FootprintEntry:  # fmt: skip
        action = Action(kind)
        text = _DETAILS[action](self, details or {}, self.themes.get(theme, theme), what)
        return FootprintEntry(at.astimezone(LONDON).date(), at, kind, KIND_LABELS[action],
                              reference, self.person(actor), text)  # fmt: skip

    def activity(self, on: date, kind: str, iro: int, note: str) -> FootprintEntry:
        try:
            label = ActivityKind(kind).label
        except ValueError:
            label = kind
        return FootprintEntry(on, None, kind, label, None, self.person(iro), note)

    def opened(self, d: dict[str, Any]) -> str:
        return f"{self.stage(d.get('stage'))}, to {self.person(d.get('responder_id'))}"


def _g(d: dict[str, Any], key: str) -> str:
    value = d.get(key)
    return "" if value is None else str(value)


def _day(d: dict[str, Any], key: str) -> str:
    """A stored ISO date or moment as words (2 December 2026), in London."""
    value = _g(d, key)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    day = moment.astimezone(LONDON).date() if moment.tzinfo else moment.date()
    return f"{day.day} {day:%B %Y}"


def _ground(d: dict[str, Any]) -> str:
    try:
        return CafcassGround(str(d.get("ground"))).label
    except ValueError:
        return _g(d, "ground")


Describe = Callable[[_Describer, dict[str, Any], str, str], str]
_DETAILS: dict[Action, Describe] = {
    Action.RAISE_INFORMAL: lambda s, d, theme, what: (
        f"{theme}: {what} Discussed with {_g(d, 'discussed_with')} on {_day(d, 'discussed_on')}; "
        f"agreed: {_g(d, 'agreed_actions')} by {_day(d, 'agreed_by')}."),
    Action.RAISE_FORMAL: lambda s, d, theme, what: f"{theme}: {what} Raised at {s.opened(d)}.",
    Action.ESCALATE: lambda s, d, t, w: f"To {s.opened(d)}. {_g(d, 'reason')}".strip(),
    Action.REJECT: lambda s, d, t, w: f"{_g(d, 'reason')} Escalated to {s.opened(d)}.",
    Action.RESPOND: lambda s, d, t, w: (
        f"{_g(d, 'response')} Actions: {_g(d, 'actions')} "
        + (f"by {_day(d, 'target_date')}." if d.get("target_date") else "(no target date given).")
        + (" (after the due time)" if d.get("late") else "")),
    Action.ACCEPT: lambda s, d, t, w: (
        f"{s.outcome_kind(d)}Outcome: {_g(d, 'outcome')} Impact for the child: {_g(d, 'impact')}"),
    Action.EXTEND: lambda s, d, t, w: (
        f"{_g(d, 'working_days')} working days: {_g(d, 'reason')}"),
    Action.PAUSE: lambda s, d, t, w: _g(d, "reason"),
    Action.RESUME: lambda s, d, t, w: (
        f"After {_g(d, 'paused_working_days')} working days paused. {_g(d, 'reason')}".strip()),
    Action.WITHDRAW: lambda s, d, t, w: _g(d, "reason"),
    Action.CLOSE: lambda s, d, t, w: _g(d, "note"),
    Action.TIME_OUT: lambda s, d, t, w: (
        f"No response at {s.stage(d.get('timed_out_stage'))} by {_day(d, 'due_at')}"
        + (f"; escalated to {s.opened(d)}" if d.get("stage") else "; the IRO decides")),
    Action.REFER_CAFCASS: lambda s, d, t, w: (
        f"Referred on {_day(d, 'referred_on')}: {_ground(d)}. {_g(d, 'note')}".strip()),
    Action.RECORD_GOOD_PRACTICE: lambda s, d, t, w: (
        _g(d, "note") + (f" (recognising {s.person(d['recognised_person_id'])})"
                         if d.get("recognised_person_id") else "")),
}  # fmt: skip
