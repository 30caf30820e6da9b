"""The vocabulary of the lifecycle: states a challenge can be in and actions on it."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    NEW = "new"  # only in memory, before the raise is recorded
    INFORMAL = "informal"
    AWAITING_RESPONSE = "awaiting_response"
    RESPONSE_RECEIVED = "response_received"
    AWAITING_IRO_DECISION = "awaiting_iro_decision"
    PAUSED = "paused"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    State.NEW: "New",
    State.INFORMAL: "Informal resolution",
    State.AWAITING_RESPONSE: "Awaiting response",
    State.RESPONSE_RECEIVED: "Response received",
    State.AWAITING_IRO_DECISION: "Awaiting IRO decision",
    State.PAUSED: "Paused",
    State.RESOLVED: "Resolved",
    State.WITHDRAWN: "Withdrawn",
    State.CLOSED: "Closed",
}

OPEN_STATES = frozenset(
    {
        State.INFORMAL,
        State.AWAITING_RESPONSE,
        State.RESPONSE_RECEIVED,
        State.AWAITING_IRO_DECISION,
        State.PAUSED,
    }
)
# States whose deadline is running: the clock the sweep watches.
CLOCK_RUNNING_STATES = frozenset({State.INFORMAL, State.AWAITING_RESPONSE})


class Action(StrEnum):
    RAISE_INFORMAL = "raise_informal"
    RAISE_FORMAL = "raise_formal"
    ESCALATE = "escalate"
    RESPOND = "respond"
    ACCEPT = "accept"
    REJECT = "reject"
    EXTEND = "extend"
    PAUSE = "pause"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    CLOSE = "close"
    TIME_OUT = "time_out"
    REMIND = "remind"  # the deadline sweep: a reminder point passed (records only)
    ALERT_CAP = "alert_cap"  # the deadline sweep: the overall cap passed (records only)
    REFER_CAFCASS = "refer_cafcass"
    RECORD_GOOD_PRACTICE = "record_good_practice"


# Actions the system takes by itself; people never see them as buttons.
SYSTEM_ACTIONS = frozenset({Action.TIME_OUT, Action.REMIND, Action.ALERT_CAP})


class CafcassGround(StrEnum):
    """The four grounds of reg 45 of the Care Planning, Placement and Case Review Regs 2010."""

    CARE_PLAN_NOT_PREPARED = "care_plan_not_prepared"
    CASE_NOT_REVIEWED = "case_not_reviewed"
    REVIEW_DECISIONS_NOT_IMPLEMENTED = "review_decisions_not_implemented"
    OTHER_BREACH_OF_DUTY = "other_breach_of_duty"

    @property
    def label(self) -> str:
        return {
            "care_plan_not_prepared": "Failed to prepare the care plan",
            "case_not_reviewed": "Failed to review the case",
            "review_decisions_not_implemented": "Failed to implement decisions taken at a review",
            "other_breach_of_duty": "Otherwise in breach of its duties to the child",
        }[self.value]
