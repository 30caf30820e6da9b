"""Counts of challenges and events by subject: how raised, theme, team, IRO, stage, outcome."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.report_definitions import INFORMAL
from workflow.report_queries.context import (
    COMPARED,
    ReportContext,
    grouped,
    names_of,
    person_names,
    stage_names,
    team_label,
    team_names,
)
from workflow.report_queries.model import Table
from workflow.report_queries.schema import THEME
from workflow.report_queries.slices import (
    NO_TEAM_KEY,
    highest_stage_as_at,
)
from workflow.states import CafcassGround


def raised_table(conn: Connection, ctx: ReportContext) -> Table:
    counts = ctx.counts(conn, "raised")
    went = ctx.counts(conn, "went_formal").get("went_formal", (0, 0))
    table = Table("raised", ["How raised", *COMPARED], chart_columns=(1, 2))
    informal, formal = counts.get("informal", (0, 0)), counts.get("formal", (0, 0))
    table.add(["Raised informally", *informal], "raised:informal")
    table.add(["Raised formally", *formal], "raised:formal")
    table.add(["Total raised", informal[0] + formal[0], informal[1] + formal[1]], "raised:*")
    table.add(["Went formal after informal resolution", *went], "went_formal:went_formal")
    risk = ctx.counts(conn, "high_risk").get("high_risk", (0, 0))
    table.add(["Raised formally where risk is high (informal resolution skipped)", *risk],
              "high_risk:high_risk")  # fmt: skip
    return table


def theme_table(conn: Connection, ctx: ReportContext) -> Table:
    names = names_of(conn, sa.select(THEME.c.key, THEME.c.label))
    return grouped(conn, ctx, "by_theme", "Theme", names)


def team_table(conn: Connection, ctx: ReportContext) -> Table:
    """By the team and service area recorded when each challenge was raised."""
    teams = team_names(conn)

    def name_of(key: str) -> str:  # a `TEAM_KEY`: "<team id>:<service area>" or "none"
        if key == NO_TEAM_KEY:
            return team_label(teams, None, None)
        team_id, _, area = key.partition(":")
        return team_label(teams, int(team_id), area)

    return grouped(conn, ctx, "by_team", "Team (service area)", {}, name_of=name_of)


def iro_table(conn: Connection, ctx: ReportContext) -> Table:
    return grouped(conn, ctx, "by_iro", "IRO", person_names(conn))


def highest_table(conn: Connection, ctx: ReportContext) -> Table:
    keys = ctx.ladder.stage_keys
    counted = highest_stage_as_at(keys, ctx.now) if ctx.rebuilt else None
    return grouped(conn, ctx, "highest_stage", "Highest stage", stage_names(ctx),
                   order=ctx.stage_order, every=[INFORMAL, *keys], counted=counted)  # fmt: skip


def resolved_table(conn: Connection, ctx: ReportContext) -> Table:
    return grouped(conn, ctx, "resolved_at_stage", "Resolved at stage", stage_names(ctx),
                    order=ctx.stage_order, every=[INFORMAL, *ctx.ladder.stage_keys])  # fmt: skip


_OUTCOMES = {"resolved_informally": "Resolved informally",
             "resolved_formally": "Resolved at a formal stage", "withdrawn": "Withdrawn"}  # fmt: skip


def outcomes_table(conn: Connection, ctx: ReportContext) -> Table:
    counts = ctx.counts(conn, "outcomes")
    table = Table("outcomes", ["Outcome", *COMPARED], chart_columns=(1, 2))
    for k, label in _OUTCOMES.items():
        table.add([label, *counts.get(k, (0, 0))], f"outcomes:{k}")
    ended = [sum(c[i] for c in counts.values()) for i in (0, 1)]
    table.add(["Total ended", *ended], "outcomes:*")
    cafcass = ctx.counts(conn, "cafcass").values()
    table.add(["CAFCASS referrals", sum(c[0] for c in cafcass), sum(c[1] for c in cafcass)],
              "cafcass:*")  # fmt: skip
    return table


def cafcass_table(conn: Connection, ctx: ReportContext) -> Table:
    names = {g.value: g.label for g in CafcassGround}
    return grouped(conn, ctx, "cafcass", "Ground (reg 45)", names)


def good_practice_table(conn: Connection, ctx: ReportContext) -> Table:
    return grouped(conn, ctx, "good_practice", "Recorded by", person_names(conn))
