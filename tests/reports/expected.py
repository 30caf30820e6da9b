"""Every figure of the November 2026 report, worked out by hand from the scenario in conftest.py.

Letters are the scenario's challenges; each count names the ones it counts.
"""

from __future__ import annotations

from typing import Any

from workflow.report_definitions import NO_DATA

CASELOAD_RATE = ("IRO caseload per full-time post (looked-after children and full-time IROs "
                 "at the end of the period)")  # fmt: skip

# Raised in November: A, F, G informally; B, C, I formally. October: D, H informally; E formally.
# Went formal: H (raised in October, escalated Mon 2 Nov).
RAISED = [
    ["Raised informally", 3, 2],
    ["Raised formally", 3, 1],
    ["Total raised", 6, 3],
    ["Went formal after informal resolution", 1, 0],
    ["Raised formally where risk is high (informal resolution skipped)", 0, 0],
]
# November: health A, F; permanence C, I; drift B; placement G. October: health D, H; drift E.
# Sorted by this period's count, then by name.
BY_THEME = [
    ["Health assessments", 2, 2],
    ["Permanence planning", 2, 0],
    ["Drift and delay", 1, 1],
    ["Placement stability or suitability (including out of area)", 1, 0],
    ["Total", 6, 3],
]
# LL1001/LL1002 are Sam's (team 1): A, B, F now, D, E, H before; LL1003 is Sue's: C, G, I.
BY_TEAM = [
    ["Care Leavers Team (Leaving Care)", 3, 0],
    ["Children in Care Team 1 (Children Looked After)", 3, 3],
    ["Total", 6, 3],
]
BY_IRO = [["Imogen Reviewer", 3, 3], ["Omar Reviewer", 3, 0], ["Total", 6, 3]]
# Raised in November: A, F, G never formal; B reached team manager; C Head of Service; I senior
# manager. October: D informal; E social worker; H social worker (escalated in November).
HIGHEST_STAGE = [
    ["Informal", 3, 1],
    ["Social worker", 0, 2],
    ["Team manager", 1, 0],
    ["Head of Service", 1, 0],
    ["Senior manager", 1, 0],
    ["Total", 6, 3],
]
# Accepted in November: A (informal), B (team manager), I (senior manager); October: E (SW).
RESOLVED_AT_STAGE = [
    ["Informal", 1, 0],
    ["Social worker", 0, 1],
    ["Team manager", 1, 0],
    ["Head of Service", 0, 0],
    ["Senior manager", 1, 0],
    ["Total", 3, 1],
]
# November: A informally, B and I formally, D withdrawn; CAFCASS: B. October: E formally.
OUTCOMES = [
    ["Resolved informally", 1, 0],
    ["Resolved at a formal stage", 2, 1],
    ["Withdrawn", 1, 0],
    ["Total ended", 4, 1],
    ["CAFCASS referrals", 1, 0],
]
# Responses in November: B/social worker 3 days on time; B/team manager 7 late; C/team manager
# 5 on time; I/senior manager 7 late (I timed out first). Median of [5, 7] = 6.0; nearest-rank
# 90th percentile of two values is the second, 7. All stages [3, 5, 7, 7]: median 6.0, p90 7.
# October: E/social worker 2 days on time.
RESPONSE_TIMES: list[list[Any]] = [
    ["Social worker", 5, 1, 1, 100.0, 3.0, 3.0, 0, 1, 100.0, 2.0],
    ["Team manager", 5, 2, 1, 50.0, 6.0, 7.0, 0, 0, None, None],
    ["Head of Service", 5, 0, 0, None, None, None, 0, 0, None, None],
    ["Senior manager", 5, 1, 0, 0.0, 7.0, 7.0, 1, 0, None, None],
    ["All formal stages", None, 4, 2, 50.0, 6.0, 7.0, 1, 1, 100.0, 2.0],
]
# Formal challenges ended in November: I after 8 working days, B after 12, both within 20.
# October: E after 3. D was withdrawn but never went formal.
CAP = [
    ["Formal challenges ended (cap 20 working days)", 2, 1],
    ["Ended within the cap", 2, 1],
    ["% within the cap", 100.0, 100.0],
    ["Median working days", 10.0, 3.0],
    ["90th percentile working days", 12.0, 3.0],
    ["Cap alerts sent", 0, 0],
]
# Rebuilt from the log at the end of November (Tue 1 Dec 00:00) and at Wed 2 Dec 10:00: F and G
# informal, C awaiting a response, H paused. Stuck: G (agreed by Fri 6 Nov) at both; C (due Tue
# 1 Dec 17:00) only at the report time. No cap has passed (C's runs to mid-December); H is paused.
# Looked after: LL1001 and LL1003 (LL1002 is a child in need). Children challenged for:
# November LL1001 (A, B), LL1002 (F), LL1003 (C, G, I); October LL1001 (E, H), LL1002 (D).
# Resolved: November A informal, B team manager, I senior manager (2 of 3 low); October E at
# social worker (1 of 1). Raise to end, working days: A 6 (Tue 3 .. Tue 10 Nov), I 8, B 12
# (Thu 5 .. Fri 20 Nov), D 18 (Tue 13 Oct .. Thu 5 Nov): median 10; October E 3. Two IROs.
# Looked after at the end of each period: LL1001 and LL1003 (no start dates are recorded, so
# their legal status counts; LL1002 is a child in need). IRO caseload per full-time post: both
# looked-after children have an active IRO; two full-time IROs: 2 / 2 = 1.0.
RATES = [
    ["Looked-after children at the end of the period", 2, 2],
    ["Challenges raised per 100 looked-after children", 300.0, 150.0],
    ["Children with at least one challenge raised", 3, 2],
    ["% resolved at social worker or team manager level (informal included)", 66.7, 100.0],
    ["Median working days from raise to end (informal included)", 10.0, 3.0],
    [CASELOAD_RATE, 1.0, 1.0],
]
# One quarter has challenges: October to December 2026 (everything in the fixture). Raised:
# A-I (9); resolved A, B, E, I; withdrawn D; one CAFCASS referral (B).
TREND = [["October to December 2026", 9, 4, 1, 1]]
PLAN = "Care plan updated"
LEAVING_CARE = "Care Leavers Team (Leaving Care)"
OPEN_NOW = [
    ["Informal resolution", 2, 2],
    ["Awaiting response", 1, 1],
    ["Response received", 0, 0],
    ["Awaiting IRO decision", 0, 0],
    ["Paused", 1, 1],
    ["Total open", 4, 4],
    ["Stage out of time", 1, 2],
    ["Past the overall cap", 0, 0],
    ["Response target date passed", 0, 0],
    ["Stuck (any reason)", 1, 2],
]
CAFCASS = [["Failed to prepare the care plan", 1, 0], ["Total", 1, 0]]
# Accepted in November: B and I "plan updated", A "service provided"; October: E "decision
# made". Every kind on the council's list is shown, in the list's order.
OUTCOME_KINDS = [
    ["Care plan updated", 2, 0],
    ["Decision made", 0, 1],
    ["Service or placement provided", 1, 0],
    ["Contact arranged", 0, 0],
    ["No change", 0, 0],
    ["Total", 3, 1],
]
GOOD_PRACTICE = [["Imogen Reviewer", 1, 1], ["Total", 1, 1]]
# Imogen: LL1001 visit + phone, LL1002 text = 2 children, 3 contacts; midway review LL1002.
# Omar: LL1003 video = 1 child, 1 contact; 1 consultation. October: Imogen visited LL1001.
CONTACTS = [
    ["Imogen Reviewer", 2, 3, 1, 0, 1],
    ["Omar Reviewer", 1, 1, 0, 1, 0],
    ["All IROs", 3, 4, 1, 1, 1],
]
# Looked-after children only: Imogen has LL1001 (LL1002 is a child in need), Omar LL1003; both
# full time.
CASELOADS = [["Imogen Reviewer", 1, 1.0, 1.0, "below"], ["Omar Reviewer", 1, 1.0, 1.0, "below"]]
# Nothing is recorded without a challenge in the fixture.
GOOD_PRACTICE_RECORDED = [
    ["About a child", 0, 0],
    ["About a worker", 0, 0],
    ["About a team", 0, 0],
    ["Total", 0, 0],
]

_BY_PERIOD: dict[str, list[list[Any]]] = {
    "raised": RAISED,
    "by_theme": BY_THEME,
    "by_team": BY_TEAM,
    "by_iro": BY_IRO,
    "highest_stage": HIGHEST_STAGE,
    "resolved_at_stage": RESOLVED_AT_STAGE,
    "outcomes": OUTCOMES,
    "response_times": RESPONSE_TIMES,
    "cap": CAP,
    "rates": RATES,
    "trend": TREND,
    "open_now": OPEN_NOW,
    "cafcass": CAFCASS,
    "outcome_kinds": OUTCOME_KINDS,
    "good_practice": GOOD_PRACTICE,
    "good_practice_recorded": GOOD_PRACTICE_RECORDED,
    "contacts": CONTACTS,
    "caseloads": CASELOADS,
}


# November 2025, the same period a year earlier, is before anything was recorded: every
# year-earlier cell says so (response times have three year-earlier columns).
YEAR_COLUMNS = {"response_times": 3, "contacts": 1, "impact": 0, "trend": 0, "open_now": 0,
                "stuck": 0, "caseloads": 0}  # fmt: skip


def with_year_earlier(
    key: str, rows: list[list[Any]], year: list[Any] | None = None
) -> list[list[Any]]:
    """The rows with their year-earlier cells: `year` per row, or "no data" throughout."""
    n = YEAR_COLUMNS.get(key, 1)
    if not n:
        return rows
    return [[*row, *([NO_DATA] * n if year is None else year[i])] for i, row in enumerate(rows)]


# Every figure about the periods, with its year-earlier cells ("no data" for November 2025).
FIXED: dict[str, list[list[Any]]] = {
    k: with_year_earlier(k, rows) for k, rows in _BY_PERIOD.items()
}


def expected_tables(refs: dict[str, str]) -> dict[str, list[list[Any]]]:
    """All tables, with the two that list challenges filled in with the real references."""
    r = refs
    return {
        **FIXED,
        # Stuck longest first: G (18 working days after Fri 6 Nov), C (1 day after Tue 1 Dec).
        "stuck": [
            [
                r["G"],
                "LL1003",
                LEAVING_CARE,
                "Informal",
                "Omar Reviewer (IRO)",
                "2026-11-06",
                18,
                "Stage out of time",
            ],
            [
                r["C"],
                "LL1003",
                LEAVING_CARE,
                "Head of Service",
                "Hugh Service",
                "2026-12-01",
                1,
                "Stage out of time",
            ],
        ],
        # Most recent resolution first: B (20 Nov), I (12 Nov), A (10 Nov).
        "impact": [
            [r["B"], "2026-11-20", "Team manager", PLAN, "Outcome B", "Impact for the child of B"],
            [
                r["I"],
                "2026-11-12",
                "Senior manager",
                PLAN,
                "Outcome I",
                "Impact for the child of I",
            ],
            [
                r["A"],
                "2026-11-10",
                "Informal",
                "Service or placement provided",
                "Outcome A",
                "Impact for the child of A",
            ],
            [
                "Resolved with impact recorded",
                3,
                None,
                None,
                None,
                f"previous period: 1; same period a year earlier: {NO_DATA}",
            ],
        ],
    }


def drilldowns(refs: dict[str, str]) -> dict[str, list[str]]:
    """Cells and the challenges (or children) behind them, by hand."""

    def refs_of(letters: str) -> list[str]:
        return sorted(refs[x] for x in letters)

    return {
        "raised:informal": refs_of("AFG"),
        "raised:formal": refs_of("BCI"),
        "raised:*": refs_of("ABCFGI"),
        "went_formal:went_formal": refs_of("H"),
        "by_theme:health_assessments": refs_of("AF"),
        "highest_stage:informal": refs_of("AFG"),
        "highest_stage:senior_manager": refs_of("I"),
        "resolved_at_stage:team_manager": refs_of("B"),
        "outcomes:withdrawn": refs_of("D"),
        "outcomes:*": refs_of("ABDI"),
        "response_times:team_manager": refs_of("BC"),
        "response_times:*": refs_of("BCI"),
        "cap:*": refs_of("BI"),
        "cap:within": refs_of("BI"),
        "cafcass:care_plan_not_prepared": refs_of("B"),
        "outcome_kinds:plan_updated": refs_of("BI"),
        "outcome_kinds:*": refs_of("ABI"),
        "impact:*": refs_of("ABI"),
        "good_practice:*": refs_of("B"),
        "open_now:*": [refs[x] for x in "HGCF"],  # oldest raised first
        "open_now:stuck": [refs["G"], refs["C"]],
        "open_now:out_of_time": [refs["G"], refs["C"]],
        "open_end:stuck": [refs["G"]],
        "open_end:*": [refs[x] for x in "HGCF"],
        "contacts:*": ["LL1001", "LL1002", "LL1003"],
    }
