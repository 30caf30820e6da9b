"""Dates a new challenge cannot carry, judged on London's date.

One rule for the pages, the API and the command line: a review or an informal
discussion that has not happened yet is a mistake in the record. "Today" is the
date in Europe/London, so at 23:30 UTC in summer (00:30 in London) tomorrow's UTC
date is already today.
"""

from __future__ import annotations

from datetime import date

from workflow.errors import RuleViolation


def date_problems(
    today: date,
    review_date: date | None = None,
    discussed_on: date | None = None,
    agreed_by: date | None = None,
) -> list[RuleViolation]:
    """Each date that cannot be right, as a refusal naming its field."""
    problems = []
    if review_date and review_date > today:
        problems.append(
            _refuse("the date of the review must be today or in the past", "review_date")
        )
    if discussed_on and discussed_on > today:
        problems.append(
            _refuse(
                "the date of the informal discussion must be today or in the past", "discussed_on"
            )
        )
    if discussed_on and agreed_by and agreed_by < discussed_on:
        problems.append(
            _refuse("the date the actions were due must be on or after the discussion", "agreed_by")
        )
    return problems


def _refuse(problem: str, field: str) -> RuleViolation:
    return RuleViolation("(new)", "raise", problem, field)
