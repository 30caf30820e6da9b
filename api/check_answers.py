"""What the check-your-answers page shows before a challenge is raised: the child, so a
typo in the case reference cannot raise a challenge about the wrong child; where the
challenge will go and when it will be due; and every answer with a way to change it.

Rows are (question, answer, field id to return to, or None)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from api.templating import london_time, long_date
from escalation_rules.model import Ladder, LegalStatus
from workflow.directory import Directory
from workflow.routing import Preview, preview_new
from workflow.services import NewChallenge
from workflow.tables import Child, Person, Theme

Row = tuple[str, str, str | None]
NO_SOCIAL_WORKER = "No allocated social worker"
LEGAL_STATUS_LABELS = {status: status.label for status in LegalStatus}


def legal_status_label(value: str) -> str:
    try:
        return LEGAL_STATUS_LABELS[LegalStatus(value)]
    except ValueError:
        return value


def _name(session: Session, person_id: int | None, missing: str) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else missing


def child_rows(session: Session, child: Child) -> list[Row]:
    return [
        ("Child's case reference", child.case_reference, "child_reference"),
        ("Child's name", child.display_name, "child_reference"),
        ("Legal status", legal_status_label(child.legal_status), None),
        ("Allocated social worker", _name(session, child.social_worker_id, NO_SOCIAL_WORKER), None),
    ]


def where_it_goes(
    session: Session, ladder: Ladder, new: NewChallenge, child: Child, iro_id: int, now: datetime
) -> tuple[list[Row], str | None]:
    """Who it will go to and when it will be due, and what is missing if nobody can answer.

    `workflow.routing.preview` is the lookup raising uses: the ladder's route, "any of",
    fallbacks and deputies, so the page says what raising will do.
    """
    if not new.formal or new.stage is None:
        informal = new.informal
        by = f"End of {long_date(informal.agreed_by)}" if informal else "Not given"
        return [("Route", "Informal resolution", "route"), ("Actions due", by, None)], None
    seen = preview_new(Directory(session), ladder, new.stage, child, iro_id, now)
    stage = seen.stage
    due = "No timescale: the challenge is reported to this level"
    if seen.due_at is not None:
        due = f"{london_time(seen.due_at)} ({stage.working_days} working days)"
    rows: list[Row] = [
        ("Route", f"Formal challenge, starting at {stage.name}", "route"),
        ("It will go to", _responder(session, ladder, seen), None),
        ("Response due", due, None),
    ]
    return rows, str(seen.problem) if seen.problem else None


def _responder(session: Session, ladder: Ladder, seen: Preview) -> str:
    if seen.responder_id is None:
        return "Nobody found"
    holder = _name(session, seen.responder_id, "Unknown")
    post = " or ".join(ladder.post_name(p) for p in seen.stage.responder.posts)
    if seen.acting_id not in (None, seen.responder_id):
        acting = _name(session, seen.acting_id, "Unknown")
        return f"{acting} (deputy for {holder}, who is away)"
    return f"{holder} ({'fallback for ' if seen.fallback_used else ''}{post})"


def answer_rows(session: Session, new: NewChallenge) -> list[Row]:
    theme = session.exec(select(Theme).where(Theme.key == new.theme_key)).first()
    rows: list[Row] = [
        ("Theme", theme.label if theme else new.theme_key, "theme_key"),
        *(
            [("Informal resolution skipped because", new.high_risk_reason, "high_risk_reason")]
            if new.high_risk_reason
            else []
        ),
        ("What is wrong", new.what_is_wrong, "what_is_wrong"),
        ("Date of the review", long_date(new.review_date), "review_date-day"),
        ("Impact on the child", new.impact_on_child, "impact_on_child"),
        ("Outcome wanted", new.outcome_wanted, "outcome_wanted"),
    ]
    if new.informal:
        i = new.informal
        rows += [
            ("Informal discussion with", i.discussed_with, "discussed_with"),
            ("Discussed on", long_date(i.discussed_on), "discussed_on-day"),
            ("Actions agreed", i.agreed_actions, "agreed_actions"),
            ("Actions due by", long_date(i.agreed_by), "agreed_by-day"),
        ]
    return rows
