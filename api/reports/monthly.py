"""The monthly SMT report by email: last month's report, as a PDF attachment, to every
active SMT reader.

The message (templates `smt_report.*` in notifications/templates) carries the
annual-report prose with the month's figures and a link to the report page; the
PDF for the SMT pack (api/reports/pdf.py) is attached. One message per reader per
month (dedupe key `smt_report:YYYY-MM:person`), so the job is safe to run again or
in several workers; the PDF is only built when some reader still needs it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from api.reports.pdf import report_pdf
from api.reports.prose import annual_report_section
from escalation_rules.model import Role
from notifications.attachments import Attachment
from notifications.messages import queue_message
from notifications.settings import get_mail_settings
from notifications.tables import OutboxMessage
from workflow.db import read_only_engine
from workflow.report_definitions import LONDON, Period
from workflow.report_queries import smt_report
from workflow.runtime import Runtime
from workflow.tables import Person

KIND = "smt_report"


def last_month(now: datetime) -> Period:
    first_of_this = now.astimezone(LONDON).date().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return Period.month(last.year, last.month)


def report_url(base_url: str, period: Period) -> str:
    query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"
    return f"{base_url.rstrip('/')}/reports?{query}"


def pdf_filename(period: Period) -> str:
    return f"IRO-challenge-report-SMT-{_month(period.start)}.pdf"


def dedupe_key(period: Period, reader_id: int | None) -> str:
    return f"{KIND}:{_month(period.start)}:{reader_id}"


def queue_monthly_report(runtime: Runtime, now: datetime) -> int:
    """Queue last month's report for every active SMT reader; returns how many were new."""
    settings = get_mail_settings()
    period = last_month(now)
    if not _readers_waiting(runtime, period):
        return 0  # everyone has it: don't spend seconds on a PDF nobody gets
    report = smt_report(
        read_only_engine(runtime.engine),
        runtime.ladders.current,
        period,
        now,
        roll_with=runtime.engine,
    )
    pdf = Attachment(pdf_filename(period), "application/pdf", report_pdf(report))
    context = {
        "period": {"month": f"{period.start:%B %Y}", "dates": period.label()},
        "paragraphs": annual_report_section(report),
        "report_url": report_url(settings.base_url, period),
        "attachment_name": pdf.filename,
    }
    added = 0
    with runtime.uow() as uow:
        for reader in _active_readers(uow.session):
            who = {"name": reader.name, "role": reader.role, "is_iro": False}
            row = queue_message(uow.session, settings, kind=KIND, key=dedupe_key(period, reader.id),
                                to=reader, context={**context, "recipient": who}, now=now,
                                attachments=[pdf])  # fmt: skip
            added += row is not None
        uow.commit()
    return added


def _active_readers(session: Session) -> list[Person]:
    query = select(Person).where(Person.role == Role.SMT_READER.value, col(Person.active))
    return list(session.exec(query.order_by(col(Person.id))))


def _readers_waiting(runtime: Runtime, period: Period) -> bool:
    with Session(runtime.engine) as session:
        keys = [dedupe_key(period, r.id) for r in _active_readers(session)]
        if not keys:
            return False
        query = select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(keys))
        return len(set(session.exec(query))) < len(keys)


def _month(day: date) -> str:
    return f"{day:%Y-%m}"
