"""The one state machine that drives every challenge under a ladder.

A `transitions.Machine` is built once per ladder version (cached by content
hash) with no model bound: challenges are plain objects passed to each
trigger, so there is no machine per row and nothing for pydantic to refuse.
The machine decides which actions the current state allows; the callbacks
here check the ladder's rules and apply the effects, and `apply` restores the
object if anything fails, so no half-done transition survives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from transitions import EventData, Machine, MachineError

from escalation_rules.deadlines import DeadlineRules
from escalation_rules.model import CountedFrom, Ladder, LegalStatus, Stage, TimeoutAction
from workflow.domain import Challenge, NewEvent
from workflow.errors import RuleViolation, TransitionNotAllowed
from workflow.params import (
    optional_text,
    required_date,
    required_ground,
    required_text,
    required_working_days,
)
from workflow.states import SYSTEM_ACTIONS, Action, State

S, A = State, Action
_OPEN = [S.INFORMAL, S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED, S.AWAITING_IRO_DECISION, S.PAUSED]


@dataclass
class ActionContext:
    """Everything an action needs from outside the challenge itself."""

    at: datetime
    actor_id: int | None
    params: Mapping[str, Any] = field(default_factory=dict)
    # The responder for a stage (raises NoResponder naming the stage and the posts tried).
    find_responder: Callable[[Stage], int] | None = None
    # Whether the actor may move the challenge into a stage (the ladder's `raised_by`).
    may_raise: Callable[[Stage], bool] | None = None
    child_legal_status: LegalStatus | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Lifecycle:
    def __init__(self, ladder: Ladder) -> None:
        self.ladder = ladder
        self.rules = DeadlineRules(ladder)
        self._zone = ZoneInfo(ladder.timezone)
        self.machine = Machine(
            model=None,
            states=State,
            transitions=self._transitions(),
            initial=None,
            model_attribute="state",
            auto_transitions=False,
            send_event=True,
        )
        # `_fire` runs the transitions itself: it relies on these being all there is.
        assert not (self.machine.prepare_event or self.machine.before_state_change
                    or self.machine.after_state_change or self.machine.finalize_event
                    or any(t.prepare or t.after for e in self.machine.events.values()
                           for ts in e.transitions.values() for t in ts))  # fmt: skip

    # -- the public face -------------------------------------------------

    def apply(self, challenge: Challenge, action: Action, ctx: ActionContext) -> NewEvent:
        """Carry out `action`, or raise and leave `challenge` exactly as it was."""
        before, from_state = challenge.tracked(), challenge.state
        if action not in self.machine.events:
            raise TransitionNotAllowed(challenge.reference, action, from_state, "unknown action")
        try:
            done = self._fire(challenge, action, ctx)
        except MachineError as exc:
            raise TransitionNotAllowed(challenge.reference, action, from_state) from exc
        except Exception:
            _restore(challenge, before)
            raise
        if not done:  # every candidate's condition refused it, e.g. respond while informal
            raise TransitionNotAllowed(challenge.reference, action, from_state)
        after = challenge.tracked()
        event = NewEvent(
            kind=action.value,
            occurred_at=ctx.at,
            actor_id=ctx.actor_id,
            from_state=from_state.value,
            to_state=challenge.state.value,
            stage_key=challenge.stage_key,
            changes={k: v for k, v in after.items() if before[k] != v},
            details=ctx.details,
        )
        challenge.pending_events.append(event)
        return event

    def _fire(self, challenge: Challenge, action: Action, ctx: ActionContext) -> bool:
        """Run the machine's transitions for `action` from the challenge's state, as its
        `trigger` would: the first whose conditions pass runs its `before` callback and
        moves the state. Without `trigger`'s per-call dispatch (event queue, logging,
        exit/enter/after hooks this machine has none of), which cost several times the
        callbacks themselves. MachineError when the state has no such transition."""
        event = self.machine.events[action]
        candidates = event.transitions.get(challenge.state.name)
        if candidates is None:
            raise MachineError(f"Can't trigger event {action} from state {challenge.state.name}!")
        machine = self.machine
        ev = EventData(machine.get_state(challenge.state.name), event, machine, challenge,
                       args=(ctx,), kwargs={})  # fmt: skip
        for transition in candidates:
            ev.transition = transition
            if all(condition.check(ev) for condition in transition.conditions):
                for callback in transition.before:
                    machine.resolve_callable(callback, ev)(ev)
                if transition.dest is not None:
                    challenge.state = State[transition.dest]
                return True
        return False

    def allowed_actions(
        self, challenge: Challenge, child_legal_status: LegalStatus | None = None
    ) -> list[Action]:
        """The actions a person may take now: what a page shows as buttons."""
        triggers = self.machine.get_triggers(challenge.state)
        allowed = [Action(t) for t in triggers if Action(t) not in SYSTEM_ACTIONS]
        return [a for a in allowed if self._offered(challenge, a, child_legal_status)]

    def target_stages(self, challenge: Challenge) -> tuple[Stage, ...]:
        """Stages the IRO may escalate to from where the challenge is."""
        if challenge.stage_key is None:
            return self.ladder.starting_stages
        return self.ladder.higher_stages(challenge.stage_key)

    def end_of_day(self, day: date) -> datetime:
        return datetime.combine(day, self.ladder.end_of_day, self._zone).astimezone(ZoneInfo("UTC"))

    def london_date(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()

    # -- the machine -------------------------------------------------------

    def _transitions(self) -> list[dict[str, Any]]:
        running = [S.INFORMAL, S.AWAITING_RESPONSE]
        escalable = [S.INFORMAL, S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED, S.AWAITING_IRO_DECISION]
        return [
            _t(A.RAISE_INFORMAL, S.NEW, S.INFORMAL, self._raise_informal),
            _t(A.RAISE_FORMAL, S.NEW, S.AWAITING_RESPONSE, self._raise_formal),
            _t(A.ESCALATE, escalable, S.AWAITING_RESPONSE, self._escalate),
            _t(A.RESPOND, S.AWAITING_RESPONSE, S.RESPONSE_RECEIVED, self._respond),
            _t(A.RESPOND, S.AWAITING_IRO_DECISION, S.RESPONSE_RECEIVED, self._respond,
               conditions=_is_formal),
            _t(A.ACCEPT, [S.INFORMAL, S.RESPONSE_RECEIVED, S.AWAITING_IRO_DECISION], S.RESOLVED,
               self._accept),
            _t(A.REJECT, S.RESPONSE_RECEIVED, S.AWAITING_RESPONSE, self._reject),
            _t(A.EXTEND, running, None, self._extend),
            _t(A.EXTEND, S.AWAITING_IRO_DECISION, S.AWAITING_RESPONSE, self._extend,
               conditions=_is_formal),
            _t(A.EXTEND, S.AWAITING_IRO_DECISION, S.INFORMAL, self._extend, unless=_is_formal),
            _t(A.PAUSE, running, S.PAUSED, self._pause),
            _t(A.RESUME, S.PAUSED, S.INFORMAL, self._resume, unless=_is_formal),
            _t(A.RESUME, S.PAUSED, S.AWAITING_RESPONSE, self._resume, conditions=_is_formal),
            _t(A.WITHDRAW, _OPEN, S.WITHDRAWN, self._withdraw),
            _t(A.CLOSE, [S.RESOLVED, S.WITHDRAWN], S.CLOSED, self._close),
            _t(A.TIME_OUT, [S.INFORMAL, S.AWAITING_RESPONSE], S.AWAITING_RESPONSE,
               self._time_out, conditions=self._escalates_on_timeout),
            _t(A.TIME_OUT, [S.INFORMAL, S.AWAITING_RESPONSE], S.AWAITING_IRO_DECISION,
               self._time_out, unless=self._escalates_on_timeout),
            _t(A.REMIND, running, None, self._record_deadline),
            _t(A.ALERT_CAP, _OPEN, None, self._record_deadline),
            _t(A.REFER_CAFCASS, [*_OPEN, S.RESOLVED], None, self._refer_cafcass),
            _t(A.RECORD_GOOD_PRACTICE, [*_OPEN, S.RESOLVED, S.WITHDRAWN, S.CLOSED], None,
               self._record_good_practice),
        ]  # fmt: skip

    def _offered(self, c: Challenge, action: Action, status: LegalStatus | None) -> bool:
        if action in (A.ESCALATE, A.REJECT):
            return bool(self.target_stages(c))
        if action is A.RESPOND:
            return c.is_formal
        if action is A.EXTEND and c.is_formal and c.due_at is None:
            return c.state is S.AWAITING_IRO_DECISION  # a report-to level has no time to add
        if action is A.REFER_CAFCASS:
            return self._cafcass_problem(c, status) is None
        return True

    def _escalates_on_timeout(self, ev: EventData) -> bool:
        c = _model(ev)
        if c.state is S.INFORMAL:
            return self.ladder.informal.on_timeout is TimeoutAction.ESCALATE
        if c.state is not S.AWAITING_RESPONSE or c.stage_key is None:
            return False
        stage = self.ladder.stage(c.stage_key)
        nxt = self.ladder.next_stage(c.stage_key)
        return stage.on_timeout is TimeoutAction.ESCALATE and nxt is not None

    # -- callbacks: each checks its input, then applies its effects ------------

    def _raise_informal(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        p = ctx.params
        discussed_on = required_date(c, ev, p, "discussed_on", not_after=self.london_date(ctx.at))
        agreed_by = required_date(c, ev, p, "agreed_by", not_before=discussed_on)
        ctx.details.update(
            discussed_with=required_text(c, ev, p, "discussed_with"),
            discussed_on=discussed_on.isoformat(),
            agreed_actions=required_text(c, ev, p, "agreed_actions"),
            agreed_by=agreed_by.isoformat(),
        )
        c.informal_recorded = True
        c.due_at = self._informal_due(c, ev, agreed_by)
        c.stage_started_at = ctx.at
        if self.ladder.cap_counted_from is CountedFrom.RAISED:
            c.cap_due_at = self._cap_due(c.raised_at)

    def _informal_due(self, c: Challenge, ev: EventData, agreed_by: date) -> datetime:
        """The agreed date, or the ladder's informal timescale if that ends sooner."""
        agreed, terms = self.end_of_day(agreed_by), self.ladder.informal
        if terms.working_days is None:
            return agreed
        start = c.raised_at
        if terms.counted_from is CountedFrom.REVIEW_DATE:
            if c.review_date is None:
                _refuse(c, ev, "enter the date of the review: this ladder counts informal "
                        "resolution from it", "review_date")  # fmt: skip
            start = datetime.combine(c.review_date, time(0, 0), self._zone)
        return min(agreed, self.rules.deadline(start, terms.working_days).due_at)

    def _cap_due(self, start: datetime) -> datetime | None:
        cap = self.rules.cap_deadline(start)
        return cap.due_at if cap else None

    def _raise_formal(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        key = ctx.params.get("stage") or self.ladder.starting_stages[0].key
        stage = self._stage_or_refuse(c, ev, key)
        if not stage.may_start_here:
            starts = ", ".join(s.key for s in self.ladder.starting_stages)
            _refuse(c, ev, f"a challenge may not start at '{key}' (it may start at: {starts})",
                    "stage")  # fmt: skip
        informal = ctx.params.get("informal_discussion")
        high_risk = optional_text(ctx.params, "high_risk_reason")
        if high_risk and not self.ladder.high_risk_may_skip_informal:
            _refuse(c, ev, "this ladder does not allow skipping informal resolution where risk "
                    "is high", "high_risk_reason")  # fmt: skip
        if self.ladder.informal_first and not informal and not high_risk:
            _refuse(c, ev, self._informal_needed(), "informal_discussion")
        if high_risk:
            ctx.details["high_risk_reason"] = high_risk
        if informal:
            ctx.details["informal_discussion"] = str(informal)
            c.informal_recorded = True
        self._open_stage(c, ctx, stage)

    def _informal_needed(self) -> str:
        if self.ladder.high_risk_may_skip_informal:
            return ("this ladder needs informal resolution first: record the informal "
                    "discussion already held, or why the risk is too high to wait")  # fmt: skip
        return ("this ladder needs informal resolution first: "
                "record the informal discussion already held")  # fmt: skip

    def _escalate(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        stage = self._escalation_target(c, ev)
        ctx.details["reason"] = optional_text(ctx.params, "reason")
        self._open_stage(c, ctx, stage)

    def _reject(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        stage = self._escalation_target(c, ev)
        ctx.details["reason"] = required_text(c, ev, ctx.params, "reason")
        self._open_stage(c, ctx, stage)

    def _respond(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        p = ctx.params
        # A reply by email may give no date; it is recorded as such, never guessed.
        no_date = bool(p.get("no_target_date_given")) and not p.get("target_date")
        target = None if no_date else required_date(
            c, ev, p, "target_date", not_before=self.london_date(ctx.at))  # fmt: skip
        ctx.details.update(
            response=required_text(c, ev, p, "response"),
            actions=required_text(c, ev, p, "actions"),
            target_date=target.isoformat() if target else None,
            **({"no_target_date_given": True} if no_date else {}),
            responder_id=c.responder_id,
            late=c.due_at is not None and ctx.at > c.due_at,
        )

    def _accept(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        outcome = required_text(c, ev, ctx.params, "outcome")
        ctx.details.update(
            outcome_kind=required_text(c, ev, ctx.params, "outcome_kind"),
            outcome=outcome,
            impact=required_text(c, ev, ctx.params, "impact"),
        )
        c.outcome, c.resolved_at, c.due_at = outcome, ctx.at, None

    def _extend(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        if c.is_formal and c.due_at is None and c.state is not S.AWAITING_IRO_DECISION:
            _refuse(c, ev, "this stage has no timescale, so there is nothing to extend")
        days = required_working_days(c, ev, ctx.params, "working_days")
        ctx.details.update(working_days=days, reason=required_text(c, ev, ctx.params, "reason"))
        ctx.details["previous_due_at"] = c.due_at.isoformat() if c.due_at else None
        fresh = self.rules.deadline(ctx.at, days).due_at
        shifted = self.rules.shift(c.due_at, days) if c.due_at else fresh
        # A stage already out of time gets its days from today, not from the past due date.
        c.due_at = max(shifted, fresh) if c.state is S.AWAITING_IRO_DECISION else shifted

    def _pause(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        ctx.details["reason"] = required_text(c, ev, ctx.params, "reason")
        c.paused_at, c.paused_from = ctx.at, c.state

    def _resume(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        assert c.paused_at is not None
        days = self.rules.calendar.working_days_between(
            self.london_date(c.paused_at), self.london_date(ctx.at)
        )
        ctx.details.update(reason=optional_text(ctx.params, "reason"), paused_working_days=days)
        # No working day lost, nothing to move: shift(d, 0) would roll a due day that
        # falls on a weekend (an agreed informal date) on to the next working day.
        if days and c.due_at is not None:
            c.due_at = self.rules.shift(c.due_at, days)
        if days and c.cap_due_at is not None:
            c.cap_due_at = self.rules.shift(c.cap_due_at, days)
        c.paused_at, c.paused_from = None, None

    def _withdraw(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        ctx.details["reason"] = required_text(c, ev, ctx.params, "reason")
        c.due_at, c.paused_at, c.paused_from = None, None, None

    def _close(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        ctx.details["note"] = optional_text(ctx.params, "note")
        c.closed_at = ctx.at

    def _time_out(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        if c.due_at is None or ctx.at < c.due_at:
            raise RuleViolation(c.reference, ev.event.name, f"it is not due until {c.due_at}")
        ctx.details.update(
            due_at=c.due_at.isoformat(),
            late_seconds=int((ctx.at - c.due_at).total_seconds()),
            timed_out_stage=c.stage_key,
        )
        if ev.transition is not None and ev.transition.dest == S.AWAITING_RESPONSE.name:
            nxt = (
                self.ladder.next_stage(c.stage_key)
                if c.stage_key
                else self.ladder.starting_stages[0]
            )
            assert nxt is not None
            # No working day lost: the next stage's day 1 is the working day after the
            # last day of this one, however late the sweep fires.
            self._open_stage(c, ctx, nxt, after=c.due_at)

    def _record_deadline(self, ev: EventData) -> None:
        """A reminder or cap alert from the deadline sweep: recorded, nothing moves."""
        c, ctx = _unpack(ev)
        for key, value in ctx.params.items():
            ctx.details.setdefault(key, value)
        ctx.details.setdefault("stage", c.stage_key)

    def _refer_cafcass(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        problem = self._cafcass_problem(c, ctx.child_legal_status)
        if problem:
            _refuse(c, ev, problem)
        p = ctx.params
        ground = required_ground(c, ev, p, "ground")
        referred_on = required_date(c, ev, p, "referred_on", not_after=self.london_date(ctx.at))
        ctx.details.update(
            ground=ground.value,
            referred_on=referred_on.isoformat(),
            note=optional_text(p, "note"),
            raised_with=optional_text(p, "raised_with"),
        )

    def _record_good_practice(self, ev: EventData) -> None:
        c, ctx = _unpack(ev)
        ctx.details["note"] = required_text(c, ev, ctx.params, "note")
        person = ctx.params.get("recognised_person_id")
        try:
            ctx.details["recognised_person_id"] = int(person) if person else None
        except (TypeError, ValueError):
            _refuse(c, ev, "choose the person from the list", "recognised_person_id")

    # -- helpers -------------------------------------------------------------

    def _open_stage(
        self, c: Challenge, ctx: ActionContext, stage: Stage, after: datetime | None = None
    ) -> None:
        if ctx.find_responder is None:  # pragma: no cover - services always pass one
            raise RuntimeError("opening a stage needs a responder lookup")
        c.responder_id = ctx.find_responder(stage)
        c.stage_key, c.stage_started_at = stage.key, ctx.at
        deadline = self.rules.stage_deadline(stage, ctx.at, after=after)
        c.due_at = deadline.due_at if deadline else None
        c.paused_at, c.paused_from = None, None
        if c.formal_started_at is None:
            c.formal_started_at = ctx.at
            if c.cap_due_at is None:
                raised = self.ladder.cap_counted_from is CountedFrom.RAISED
                c.cap_due_at = self._cap_due(c.raised_at if raised else ctx.at)
        if c.highest_stage_key is None or self.ladder.index_of(stage.key) > self.ladder.index_of(
            c.highest_stage_key
        ):
            c.highest_stage_key = stage.key
        ctx.details.update(stage=stage.key, responder_id=c.responder_id)

    def _escalation_target(self, c: Challenge, ev: EventData) -> Stage:
        _, ctx = _unpack(ev)
        targets = self.target_stages(c)
        if not targets:
            _refuse(c, ev, f"'{c.stage_key}' is the top stage of the ladder; "
                    "accept the response, withdraw, or refer to CAFCASS", "stage")  # fmt: skip
        key = ctx.params.get("stage")
        stage = self._stage_or_refuse(c, ev, key) if key else targets[0]
        if stage not in targets:
            allowed = ", ".join(s.key for s in targets)
            _refuse(c, ev, f"cannot go to '{key}' from here (choose one of: {allowed})", "stage")
        if ctx.may_raise is not None and not ctx.may_raise(stage):
            who = " or ".join(self.ladder.post_name(p) for p in stage.raised_by)
            _refuse(c, ev, f"only the {who} may move a challenge into '{stage.name}'", "stage")
        return stage

    def _stage_or_refuse(self, c: Challenge, ev: EventData, key: str) -> Stage:
        try:
            return self.ladder.stage(key)
        except KeyError:
            keys = ", ".join(self.ladder.stage_keys)
            _refuse(c, ev, f"there is no stage '{key}' in ladder '{self.ladder.id}' ({keys})",
                    "stage")  # fmt: skip

    def _cafcass_problem(self, c: Challenge, status: LegalStatus | None) -> str | None:
        guards = self.ladder.cafcass
        if status is not None and status not in guards.legal_statuses:
            allowed = ", ".join(sorted(s.value for s in guards.legal_statuses))
            return f"this ladder allows CAFCASS referral only for children who are: {allowed}"
        if guards.requires_formal_process and c.formal_started_at is None:
            return "this ladder allows CAFCASS referral only once the formal process has started"
        return None


def _t(
    trigger: Action,
    source: State | list[State],
    dest: State | None,
    before: Callable[[EventData], None],
    **extra: Any,
) -> dict[str, Any]:
    return {"trigger": trigger.value, "source": source, "dest": dest, "before": before, **extra}


def _unpack(ev: EventData) -> tuple[Challenge, ActionContext]:
    ctx = ev.kwargs["ctx"] if "ctx" in ev.kwargs else next(iter(ev.args))
    return _model(ev), ctx


def _model(ev: EventData) -> Challenge:
    model = ev.model
    assert isinstance(model, Challenge)
    return model


def _is_formal(ev: EventData) -> bool:
    c = _model(ev)
    return c.stage_key is not None


def _refuse(c: Challenge, ev: EventData, problem: str, field: str | None = None) -> NoReturn:
    raise RuleViolation(c.reference, ev.event.name, problem, field)


def _restore(c: Challenge, snapshot: Mapping[str, Any]) -> None:
    for name, value in snapshot.items():
        setattr(c, name, value)


_MACHINES: dict[str, Lifecycle] = {}


def lifecycle_for(ladder: Ladder) -> Lifecycle:
    """One machine per ladder version, built once and shared by every challenge.

    Found by the version's content hash: hashing the whole ladder, as a cache keyed on
    the ladder itself would, costs more than the rest of the look-up."""
    found = _MACHINES.get(ladder.content_hash)
    if found is None:
        if len(_MACHINES) >= 64:  # a long-lived process meeting many test ladders
            _MACHINES.clear()
        found = _MACHINES[ladder.content_hash] = Lifecycle(ladder)
    return found
