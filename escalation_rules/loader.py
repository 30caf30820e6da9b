"""Load a ladder from TOML and refuse anything doubtful, naming the file and key.

The format is documented in LADDERS.md beside this file. A ladder decides deadlines
for children's cases, so a typo must stop the load rather than fall back to a default.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from datetime import date, time
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalation_rules._toml_table import SLUG, LadderProblem, Table
from escalation_rules._who import WhoReader
from escalation_rules.model import (
    CafcassGuards,
    CountedFrom,
    DayOne,
    InformalRules,
    Ladder,
    LegalStatus,
    Reminder,
    Stage,
    TimeoutAction,
)

__all__ = [
    "LadderError",
    "LadderProblem",
    "bundled_ladders",
    "load_ladder",
    "load_ladder_setting",
    "parse_ladder",
]

_TOP_KEYS = (
    "id",
    "name",
    "description",
    "informal_first",
    "overall_cap_working_days",
    "day_one",
    "end_of_day",
    "timezone",
    "closure_days",
    "reminders",
    "cafcass",
    "stages",
    "posts",
    "informal",
    "high_risk_may_skip_informal",
    "cap_counted_from",
)
_STAGE_KEYS = (
    "key",
    "name",
    "responder",
    "working_days",
    "may_start_here",
    "copy",
    "on_timeout",
    "fallback",
    "notify",
    "raised_by",
)
_INFORMAL_KEYS = ("working_days", "counted_from", "on_timeout")
_REMINDER_KEYS = ("working_days_before", "at")
_CAFCASS_KEYS = ("legal_statuses", "requires_formal_process")


class LadderError(ValueError):
    """A ladder file that cannot be used, with every problem found in it."""

    def __init__(
        self,
        file: str,
        key: str = "",
        problem: str = "",
        *,
        problems: Iterable[LadderProblem] = (),
    ) -> None:
        first = [LadderProblem(key, problem)] if problem else []
        self.file = file
        self.problems = (*first, *problems)
        super().__init__(str(self))

    @property
    def key(self) -> str:
        return self.problems[0].key if self.problems else ""

    @property
    def problem(self) -> str:
        return self.problems[0].problem if self.problems else ""

    def __str__(self) -> str:
        return "\n".join(self._line(p) for p in self.problems)

    def _line(self, p: LadderProblem) -> str:
        return f"{self.file}: {p.key}: {p.problem}" if p.key else f"{self.file}: {p.problem}"


def load_ladder(path: Path | str) -> Ladder:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LadderError(path.name, problem=f"cannot read {path}: {exc.strerror}") from exc
    return parse_ladder(data, path.name)


def load_ladder_setting(value: str) -> Ladder:
    """A bundled ladder by id (such as "handbook"), or else a ladder file by path."""
    if SLUG.match(value) and value in bundled_ladders():
        resource = _bundled_dir().joinpath(f"{value}.toml")
        return parse_ladder(resource.read_bytes(), f"{value}.toml")
    if not Path(value).is_file():
        bundled = ", ".join(bundled_ladders())
        raise LadderError(value, problem=f"no such file, nor a bundled ladder ({bundled})")
    return load_ladder(value)


def bundled_ladders() -> list[str]:
    """Ids of the ladders shipped in escalation_rules/ladders, sorted."""
    names = (r.name for r in _bundled_dir().iterdir())
    return sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml"))


def _bundled_dir() -> resources.abc.Traversable:
    return resources.files("escalation_rules").joinpath("ladders")


def parse_ladder(data: bytes, file: str) -> Ladder:
    """Build a ladder from the bytes of a TOML file; `file` names it in errors."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LadderError(file, problem=f"not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LadderError(file, problem=f"not valid TOML: {_toml_problem(exc, data)}") from exc
    sink: list[LadderProblem] = []
    ladder = _read_ladder(Table(document, "", sink), hashlib.sha256(data).hexdigest())
    if sink:
        raise LadderError(file, problems=sink)
    return ladder


def _toml_problem(exc: tomllib.TOMLDecodeError, data: bytes) -> str:
    """tomllib says "Cannot overwrite a value" without the key: name it from the line."""
    where = re.search(r"at line (\d+)", str(exc))
    if not str(exc).startswith("Cannot overwrite") or where is None:
        return str(exc)
    lines = data.decode("utf-8").splitlines()
    number = int(where[1])
    line = lines[number - 1] if 0 < number <= len(lines) else ""
    key = re.match(r"\s*([^=\s]+)\s*=", line)
    name = key[1] if key else "a key"
    return f"duplicate key {name!r} at line {number} (each key may be given once per table)"


def _read_ladder(top: Table, content_hash: str) -> Ladder:
    top.check_keys(_TOP_KEYS)
    who = WhoReader(top)
    posts = who.posts
    informal_first = top.flag("informal_first", True)
    return Ladder(
        id=top.slug("id"),
        name=top.text("name", required=True),
        description=top.text("description"),
        stages=_read_stages(top, who),
        content_hash=content_hash,
        informal_first=informal_first,
        overall_cap_working_days=top.days_or_none("overall_cap_working_days", 20),
        cap_counted_from=_read_cap_from(top),
        day_one=top.choice("day_one", DayOne, DayOne.NEXT_WORKING_DAY, "day_one value"),
        end_of_day=top.clock("end_of_day", time(17, 0)),
        timezone=_read_timezone(top),
        closure_days=_read_closure_days(top),
        reminders=tuple(_read_reminder(t) for t in top.tables("reminders")),
        cafcass=_read_cafcass(top.table("cafcass")),
        posts=posts,
        informal=_read_informal(top.table("informal")),
        high_risk_may_skip_informal=_read_high_risk(top, informal_first),
    )


def _read_cap_from(top: Table) -> CountedFrom:
    value = top.choice("cap_counted_from", CountedFrom, CountedFrom.FORMAL_START, "starting point")
    if value is CountedFrom.REVIEW_DATE:
        top.fail("cap_counted_from", "the cap counts from 'formal_start' or 'raised'")
    return value


def _read_informal(table: Table | None) -> InformalRules:
    if table is None:
        return InformalRules()
    table.check_keys(_INFORMAL_KEYS)
    counted_from = table.choice("counted_from", CountedFrom, CountedFrom.RAISED, "starting point")
    if counted_from is CountedFrom.FORMAL_START:
        table.fail("counted_from", "informal resolution counts from 'raised' or 'review_date'")
    return InformalRules(
        working_days=table.count("working_days", 0, minimum=1) or None,
        counted_from=counted_from,
        on_timeout=table.choice("on_timeout", TimeoutAction, TimeoutAction.ASK_IRO,
                                "on_timeout value"),
    )  # fmt: skip


def _read_high_risk(top: Table, informal_first: bool) -> bool:
    allowed = top.flag("high_risk_may_skip_informal", False)
    if allowed and not informal_first:
        top.fail("high_risk_may_skip_informal",
                 "only meaningful with informal_first = true (this ladder is formal from the start)")  # fmt: skip
    return allowed


def _read_timezone(top: Table) -> str:
    name = top.text("timezone", "Europe/London")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        top.fail("timezone", f"unknown time zone {name!r} (such as 'Europe/London')")
        return "Europe/London"
    return name


def _read_closure_days(top: Table) -> frozenset[date]:
    days = (top.day(key, value) for key, value in top.items("closure_days"))
    return frozenset(d for d in days if d is not None)


def _read_reminder(table: Table) -> Reminder:
    table.check_keys(_REMINDER_KEYS)
    return Reminder(
        working_days_before=table.count("working_days_before", 0, minimum=0, required=True),
        at=table.clock("at", time(9, 0)),
    )


def _read_cafcass(table: Table | None) -> CafcassGuards:
    if table is None:
        return CafcassGuards()
    table.check_keys(_CAFCASS_KEYS)
    items = table.items("legal_statuses")
    if "legal_statuses" in table.data and isinstance(table.data["legal_statuses"], list):
        if not items:
            table.fail("legal_statuses", "must name at least one legal status")
        found = (table.member(k, LegalStatus, v, "legal status") for k, v in items)
        statuses = frozenset(s for s in found if s is not None)
    else:
        statuses = frozenset(LegalStatus)
    return CafcassGuards(statuses, table.flag("requires_formal_process", False))


def _read_stages(top: Table, who: WhoReader) -> tuple[Stage, ...]:
    tables = top.tables("stages", required=True)
    if "stages" in top.data and not tables and isinstance(top.data["stages"], list):
        top.fail("stages", "must have at least one stage ([[stages]])")
    stages = tuple(_read_stage(t, who, is_top=i == len(tables) - 1) for i, t in enumerate(tables))
    _check_stage_keys(top, stages)
    if stages and not any(s.may_start_here for s in stages):
        top.fail("stages", "no stage has may_start_here = true, so no challenge could start")
    return stages


def _read_stage(table: Table, who: WhoReader, is_top: bool) -> Stage:
    table.check_keys(_STAGE_KEYS)
    may_start_here = table.flag("may_start_here", True)
    raised_by = who.raisers(table)
    if may_start_here and "iro" not in raised_by:
        table.fail("raised_by", "a stage where a challenge may start must include 'iro': only "
                   "IROs raise new challenges (or set may_start_here = false)")  # fmt: skip
    return Stage(
        key=table.slug("key"),
        name=table.text("name", required=True),
        responder=who.responder(table),
        working_days=table.days_or_none("working_days", 1, required=True),
        may_start_here=may_start_here,
        copy=who.people(table, "copy"),
        on_timeout=_read_on_timeout(table, is_top),
        fallbacks=who.fallbacks(table),
        notify=who.people(table, "notify"),
        raised_by=raised_by,
    )


def _read_on_timeout(table: Table, is_top: bool) -> TimeoutAction:
    # The top stage has nowhere to escalate to, so it defaults to asking the IRO.
    default = TimeoutAction.ASK_IRO if is_top else TimeoutAction.ESCALATE
    action = table.choice("on_timeout", TimeoutAction, default, "on_timeout value")
    if is_top and action is TimeoutAction.ESCALATE:
        table.fail("on_timeout", "the top stage has no higher stage to escalate to: use 'ask_iro'")
    return action


def _check_stage_keys(top: Table, stages: tuple[Stage, ...]) -> None:
    first_use: dict[str, int] = {}
    for i, stage in enumerate(stages):
        if stage.key and stage.key in first_use:
            where = f"stages[{first_use[stage.key]}]"
            top.fail(f"stages[{i}].key", f"duplicate stage key {stage.key!r} (also {where})")
        first_use.setdefault(stage.key, i)
