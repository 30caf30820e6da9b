"""The "annual report section": plain prose with the period's figures filled in,
ready to paste into the IRO annual report. Every number is read from the report's tables.
"""

from __future__ import annotations

from api.reports.tables import shown
from workflow.report_queries import Cell, SmtReport, Table


def _n(value: Cell) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _top(table: Table, limit: int = 3) -> str:
    rows = [r for r in table.rows if r[0] != "Total" and _n(r[1]) > 0][:limit]
    return "; ".join(f"{r[0]} ({r[1]})" for r in rows) or "none"


def annual_report_section(report: SmtReport) -> list[str]:
    t = report.table
    raised, outcomes = t("raised"), t("outcomes")
    total, before = _n(raised.row("Total raised")[1]), _n(raised.row("Total raised")[2])
    informal, formal = _n(raised.row("Raised informally")[1]), _n(raised.row("Raised formally")[1])
    went = _n(raised.row("Went formal after informal resolution")[1])
    risk = _n(raised.row("Raised formally where risk is high (informal resolution skipped)")[1])
    high_risk = f" ({risk} where risk was high, skipping informal resolution)" if risk else ""
    paragraphs = [
        f"From {report.period.label()}, IROs raised {_plural(total, 'challenge')} "
        f"({_previous(report, before)}): {informal} informally "
        f"and {formal} formally{high_risk}; {_plural(went, 'challenge')} raised informally went on to the "
        "formal process.",
        f"The most common themes were: {_top(t('by_theme'))}. By team: {_top(t('by_team'))}.",
        _stages(report),
        _timeliness(report),
        "What changed for children, by the kind of outcome the IRO recorded on accepting: "
        f"{_top(t('outcome_kinds'), 5)}.",
        f"{_plural(_n(outcomes.row('CAFCASS referrals')[1]), 'referral')} to CAFCASS "
        f"{'was' if _n(outcomes.row('CAFCASS referrals')[1]) == 1 else 'were'} made "
        f"({_top(t('cafcass'))}), and {_plural(_n(t('good_practice').row('Total')[1]), 'good-practice alert')} "
        "recognised good work.",
        _contacts(report),
        _open(report),
    ]  # fmt: skip
    return paragraphs


def _previous(report: SmtReport, before: int) -> str:
    if not report.previous_has_data:
        return f"no data for the previous period, from {report.previous.label()}"
    return f"{before} in the previous period, from {report.previous.label()}"


def _stages(report: SmtReport) -> str:
    resolved = report.table("resolved_at_stage")
    total = _n(resolved.row("Total")[1])
    parts = [f"{r[0].lower() if r[0] == 'Informal' else r[0]} {r[1]}"
             for r in resolved.rows if r[0] != "Total" and _n(r[1]) > 0]  # fmt: skip
    out = report.table("outcomes")
    withdrawn = _n(out.row("Withdrawn")[1])
    return (f"{_plural(total, 'challenge was', 'challenges were')} resolved in the period, by the "
            f"stage at which they were resolved: {', '.join(parts) or 'none'}; "
            f"{_plural(withdrawn, 'challenge was', 'challenges were')} withdrawn.")  # fmt: skip


def _timeliness(report: SmtReport) -> str:
    row = report.table("response_times").row("All formal stages")
    cap = report.table("cap")
    ended, within = cap.rows[0][1], cap.row("Ended within the cap")[1]
    inside = "the ladder sets no overall cap" if within is None else \
        f"{within} ended within the overall cap"  # fmt: skip
    return (f"Managers gave {_plural(_n(row[2]), 'response')} to formal challenges; "
            f"{shown(row[4])}% came on time, with a median of {shown(row[5])} working days "
            f"(90th percentile {shown(row[6])}); {_plural(_n(row[7]), 'stage')} ran out of time "
            f"without a response. Of {_plural(_n(ended), 'formal challenge')} that ended, "
            f"{inside} (median {shown(cap.row('Median working days')[1])} working days).")  # fmt: skip


def _contacts(report: SmtReport) -> str:
    row = report.table("contacts").row("All IROs")
    return (f"Between reviews, IROs saw or contacted {_plural(_n(row[1]), 'child', 'children')} "
            f"({_plural(_n(row[2]), 'contact')}), held {_plural(_n(row[3]), 'midway review')} and "
            f"consulted social workers {_plural(_n(row[4]), 'time')} after a significant change.")  # fmt: skip


def _open(report: SmtReport) -> str:
    open_now = report.table("open_now")
    loads = [_n(r[1]) for r in report.table("caseloads").rows]
    average = f"{sum(loads) / len(loads):.1f}" if loads else "—"
    total, stuck = open_now.row("Total open"), open_now.row("Stuck (any reason)")
    return (f"At the end of the period {_plural(_n(total[1]), 'challenge')} {_were(total[1])} "
            f"open and {_n(stuck[1])} stuck; when this report was produced "
            f"{_plural(_n(total[2]), 'challenge')} {_were(total[2])} open and {_n(stuck[2])} "
            f"stuck. IROs' caseloads averaged "
            f"{average} children each (the IRO Handbook recommends 50 to 70).")  # fmt: skip


def _were(count: Cell) -> str:
    return "was" if count == 1 else "were"
