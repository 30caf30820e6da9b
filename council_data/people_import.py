"""Load people, teams, line management and children from CSV files an admin keeps.

Both imports are all or nothing: every row is checked first and every problem is
reported with its line number and column; if any row is bad, nothing is written.
A good file is written in one transaction and committed here, so the caller passes
a `Session` and never commits for us. Re-importing updates people by email and
children by case reference (upsert), so the same spreadsheet can be kept current.
The format is documented in docs/people-import.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from escalation_rules.model import LegalStatus, Role
from workflow.change_history import record_changes
from workflow.people_records import (
    POST_KEY,
    child_shown,
    fte_from,
    fte_problem,
    looked_after_problem,
    person_shown,
)
from workflow.record_history import (
    keep_child_iro,
    keep_person_facts,
    note_child_iro,
    note_person_facts,
)
from workflow.tables import Child, Person, PersonPost, Team

PEOPLE_REQUIRED = ("email", "name", "role")
PEOPLE_OPTIONAL = (
    "team", "service_area", "manager_email", "deputy_email", "absent", "active", "posts", "fte",
)  # fmt: skip
CHILDREN_REQUIRED = ("case_reference", "display_name", "legal_status")
CHILDREN_OPTIONAL = ("social_worker_email", "iro_email", "date_of_birth", "team",
                     "looked_after_from", "looked_after_until")  # fmt: skip
_POST = POST_KEY

_EMAIL = re.compile(r"^[^@\s,;<>()\"']+@[^@\s,;<>()\"'.]+(\.[^@\s,;<>()\"'.]+)+$")
_CASE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/\-]*$")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_MAX_NAME = 200
_LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.problem}"


@dataclass
class ImportResult:
    """What an import did; `errors` non-empty means it wrote nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    teams_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    cells: dict[str, str]  # only the columns the header names

    def has(self, column: str) -> bool:
        return column in self.cells

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


class _Problems:
    def __init__(self) -> None:
        self.found: list[RowError] = []

    def add(self, line: int, column: str, problem: str) -> None:
        self.found.append(RowError(line, column, problem))

    def sorted(self) -> list[RowError]:
        return sorted(set(self.found))


# -- reading the file ------------------------------------------------------


def _read(
    text: str, required: tuple[str, ...], optional: tuple[str, ...], problems: _Problems
) -> list[_Row]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.add(
            1,
            "header",
            f"the file is empty: the first line must name the columns "
            f"({', '.join(required)} at least)",
        )
        return []
    except csv.Error as error:
        problems.add(1, "header", f"cannot read the line as CSV ({error})")
        return []
    columns = [_column_name(c) for c in header]
    if not _header_ok(columns, required, optional, problems):
        return []
    rows: list[_Row] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.add(start, "row", f"cannot read the line as CSV ({error})")
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            problems.add(start, "row", f"expected {len(columns)} cells, found {len(cells)}")
            continue
        rows.append(_Row(start, {c: v.strip() for c, v in zip(columns, cells, strict=True)}))
    return rows


def _column_name(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def _header_ok(
    columns: list[str], required: tuple[str, ...], optional: tuple[str, ...], problems: _Problems
) -> bool:
    ok = True
    known = (*required, *optional)
    for name in required:
        if name not in columns:
            problems.add(1, "header", f"missing required column '{name}'")
            ok = False
    seen: set[str] = set()
    for name in columns:
        if name not in known:
            problems.add(1, "header", f"unknown column '{name}' (expected: {', '.join(known)})")
            ok = False
        elif name in seen:
            problems.add(1, "header", f"column '{name}' appears twice")
            ok = False
        seen.add(name)
    return ok


# -- cell checks -----------------------------------------------------------


def _text(row: _Row, column: str, problems: _Problems, required: bool = True) -> str:
    value = row.get(column)
    if required and not value:
        problems.add(row.line, column, f"enter the {column.replace('_', ' ')}")
    elif len(value) > _MAX_NAME:
        problems.add(row.line, column, f"must be {_MAX_NAME} characters or fewer")
    return value


def _email(row: _Row, column: str, problems: _Problems, required: bool = False) -> str:
    value = row.get(column).lower()
    if required and not value:
        problems.add(row.line, column, f"enter the {column.replace('_', ' ')}")
    if value and not _EMAIL.match(value):
        problems.add(row.line, column, f"'{row.get(column)}' is not an email address")
        return ""
    if len(value) > 320:
        problems.add(row.line, column, "must be 320 characters or fewer")
        return ""
    return value


def _flag(row: _Row, column: str, default: bool, problems: _Problems) -> bool:
    value = row.get(column).lower()
    if not value:
        return default
    if value in _YES or value in _NO:
        return value in _YES
    problems.add(row.line, column, f"'{row.get(column)}' must be yes or no")
    return default


def _choice(row: _Row, column: str, choices: Iterable[str], problems: _Problems) -> str:
    # "Head of Service" and "head-of-service" both mean head_of_service.
    value, allowed = _column_name(row.get(column)), list(choices)
    if not value:
        problems.add(row.line, column, f"enter the {column.replace('_', ' ')}")
    elif value not in allowed:
        problems.add(
            row.line,
            column,
            f"unknown {column.replace('_', ' ')} '{row.get(column)}' "
            f"(expected one of: {', '.join(allowed)})",
        )
    return value


def _duplicates(
    rows: list[_Row], key: Callable[[_Row], str], column: str, problems: _Problems
) -> None:
    first: dict[str, int] = {}
    for row in rows:
        value = key(row)
        if not value:
            continue
        if value in first:
            problems.add(
                row.line,
                column,
                f"duplicate {column.replace('_', ' ')} '{value}' (already on line {first[value]})",
            )
        else:
            first[value] = row.line


# -- people ----------------------------------------------------------------


@dataclass
class _PersonIn:
    line: int
    email: str
    name: str
    role: str
    team: str | None  # None: the column is not in the file, keep what is stored
    service_area: str | None
    manager: str | None
    deputy: str | None
    absent: bool | None
    active: bool | None
    posts: tuple[str, ...] | None = None
    fte: float | None = None


def import_people(session: Session, csv_text: str, by_id: int | None = None) -> ImportResult:
    """Upsert people, teams, managers and deputies from `csv_text`, all or nothing.

    Commits `session` when every row is good; otherwise rolls back, writes nothing and
    returns every problem in `ImportResult.errors`, sorted by line. Every changed field
    goes into the person's change history, as made by `by_id` (None: on the server).
    """
    problems = _Problems()
    rows = _read(csv_text, PEOPLE_REQUIRED, PEOPLE_OPTIONAL, problems)
    people = [_person_in(row, problems) for row in rows]
    _duplicates(rows, lambda r: r.get("email").lower(), "email", problems)
    stored = {p.email.lower(): p for p in session.exec(select(Person))}
    _check_teams(people, problems)
    _check_line(people, stored, problems)
    if problems.found:
        session.rollback()
        return ImportResult(errors=problems.sorted())
    return _write_people(session, people, stored, by_id)


def _person_in(row: _Row, problems: _Problems) -> _PersonIn:
    opt = row.has
    return _PersonIn(
        line=row.line,
        email=_email(row, "email", problems, required=True),
        name=_text(row, "name", problems),
        role=_choice(row, "role", (r.value for r in Role), problems),
        team=_text(row, "team", problems, required=False) if opt("team") else None,
        service_area=_text(row, "service_area", problems, False) if opt("service_area") else None,
        manager=_email(row, "manager_email", problems) if opt("manager_email") else None,
        deputy=_email(row, "deputy_email", problems) if opt("deputy_email") else None,
        absent=_flag(row, "absent", False, problems) if opt("absent") else None,
        active=_flag(row, "active", True, problems) if opt("active") else None,
        posts=_posts(row, problems) if opt("posts") else None,
        fte=_fte(row, problems) if opt("fte") else None,
    )


def _fte(row: _Row, problems: _Problems) -> float:
    """The share of a full-time post: 0.6, 60% or 3/5; empty is full time."""
    fte = fte_from(row.get("fte"))
    if problem := fte_problem(fte):
        problems.add(row.line, "fte", f"'{row.get('fte')}': {problem}")
    return fte


def _posts(row: _Row, problems: _Problems) -> tuple[str, ...]:
    """The posts the ladder names that this person holds: `head_of_qa; iro_manager`."""
    found: list[str] = []
    roles = {r.value for r in Role}
    for raw in row.get("posts").split(";"):
        post = raw.strip().lower()
        if not post:
            continue
        if not _POST.match(post) or len(post) > 60:
            problems.add(
                row.line, "posts", f"'{raw.strip()}' is not a post key (such as head_of_qa)"
            )
        elif post in roles:
            problems.add(row.line, "posts", f"'{post}' is a role: put it in the role column")
        elif post not in found:
            found.append(post)
    return tuple(found)


def _check_teams(people: list[_PersonIn], problems: _Problems) -> None:
    areas: dict[str, tuple[str, int]] = {}
    for p in people:
        if p.service_area and not p.team:
            problems.add(p.line, "service_area", "a service area needs a team on the same row")
        if not (p.team and p.service_area):
            continue
        known = areas.setdefault(p.team.lower(), (p.service_area, p.line))
        if known[0] != p.service_area:
            problems.add(
                p.line,
                "service_area",
                f"team '{p.team}' is in service area '{known[0]}' on line {known[1]}",
            )


def _final(
    people: list[_PersonIn], stored: Mapping[str, Person], attr: str, default: Any
) -> dict[str, Any]:
    """Each person's value of `attr` once the file is loaded: the file's, else the stored one."""
    by_id = {p.id: email for email, p in stored.items()}
    values: dict[str, Any] = {}
    for email, person in stored.items():
        value = getattr(person, f"{attr}_id" if attr in ("manager", "deputy") else attr)
        values[email] = by_id.get(value) if attr in ("manager", "deputy") else value
    for p in people:
        mine = getattr(p, attr)
        if mine is not None:
            values[p.email] = default if mine == "" else mine
        elif p.email not in stored:
            values[p.email] = default
    return values


def _check_line(people: list[_PersonIn], stored: Mapping[str, Person], problems: _Problems) -> None:
    known = {p.email for p in people if p.email} | set(stored)
    managers = _final(people, stored, "manager", None)
    deputies = _final(people, stored, "deputy", None)
    active = _final(people, stored, "active", True)
    for p in people:
        if not p.email:
            continue
        for column, other, noun in (
            ("manager_email", p.manager, "manage"),
            ("deputy_email", p.deputy, "deputise for"),
        ):
            if not other:
                continue
            if other == p.email:
                problems.add(p.line, column, f"a person cannot {noun} themself")
            elif other not in known:
                problems.add(
                    p.line, column, f"nobody with email '{other}' in this file or already imported"
                )
        if p.deputy and p.deputy in known and p.deputy != p.email and not active[p.deputy]:
            problems.add(p.line, "deputy_email", f"deputy '{p.deputy}' is inactive")
        cycle = _cycle_from(p.email, managers)
        if cycle and p.manager not in (None, p.email):  # managing oneself is said above
            problems.add(p.line, "manager_email", "management cycle: " + " -> ".join(cycle))
        if p.active is False:
            covering = sorted(
                e
                for e in stored
                if deputies.get(e) == p.email
                and active.get(e)
                and e not in {q.email for q in people}
            )
            if covering:
                problems.add(
                    p.line,
                    "active",
                    f"cannot be inactive while deputy for "
                    f"{', '.join(covering)}: give them another deputy first",
                )


def _cycle_from(start: str, managers: Mapping[str, str | None]) -> list[str] | None:
    path, seen = [start], {start}
    current = managers.get(start)
    while current is not None:
        if current == start:
            return [*path, start]
        if current in seen:
            return None  # a loop further up that does not pass through `start`
        path.append(current)
        seen.add(current)
        current = managers.get(current)
    return None


def _write_people(
    session: Session, people: list[_PersonIn], stored: dict[str, Person], by_id: int | None
) -> ImportResult:
    result = ImportResult()
    shown = {e: person_shown(session, person) for e, person in stored.items()}
    teams = {t.name.lower(): t for t in session.exec(select(Team))}
    for p in people:
        if p.team and p.team.lower() not in teams:
            teams[p.team.lower()] = Team(name=p.team, service_area=p.service_area or "")
            session.add(teams[p.team.lower()])
            result.teams_created += 1
        elif p.team and p.service_area:
            teams[p.team.lower()].service_area = p.service_area
    session.flush()
    before = {e: _snapshot(person) for e, person in stored.items()}
    for known in stored.values():
        keep_person_facts(session, known)
    for p in people:
        person = stored.get(p.email)
        if person is None:
            person = stored[p.email] = Person(email=p.email, name=p.name, role=p.role)
        person.name, person.role = p.name, p.role
        if p.team is not None:
            person.team_id = teams[p.team.lower()].id if p.team else None
        if p.absent is not None:
            person.absent = p.absent
        if p.active is not None:
            person.active = p.active
        if p.fte is not None:
            person.fte = p.fte
        session.add(person)
    session.flush()
    for p in people:
        person = stored[p.email]
        if p.manager is not None:
            person.manager_id = stored[p.manager].id if p.manager else None
        if p.deputy is not None:
            person.deputy_id = stored[p.deputy].id if p.deputy else None
    session.flush()
    posts_before = _write_posts(session, people, stored)
    for p in people:
        old = before.get(p.email)
        moved = p.posts is not None and set(p.posts) != posts_before.get(p.email, set())
        if old is None:
            result.created += 1
        elif moved or old != _snapshot(stored[p.email]):
            result.updated += 1
        else:
            result.unchanged += 1
    _history(session, people, stored, shown, by_id)
    session.commit()
    return result


def _history(
    session: Session, people: list[_PersonIn], stored: dict[str, Person],
    shown: dict[str, dict[str, str]], by_id: int | None,
) -> None:  # fmt: skip
    at = datetime.now(UTC)
    for p in people:
        person = stored[p.email]
        assert person.id is not None
        after = person_shown(session, person)
        record_changes(session, "person", person.id, shown.get(p.email, {}), after, by_id, at)
        note_person_facts(session, person, at)


def _write_posts(
    session: Session, people: list[_PersonIn], stored: dict[str, Person]
) -> dict[str, set[str]]:
    """Replace the posts of everyone whose row has a posts cell; the posts held before."""
    before: dict[str, set[str]] = {}
    for p in people:
        person_id = stored[p.email].id
        if p.posts is None or person_id is None:
            continue
        rows = session.exec(select(PersonPost).where(PersonPost.person_id == person_id)).all()
        before[p.email] = {r.post for r in rows}
        for row in rows:
            if row.post not in p.posts:
                session.delete(row)
        for post in p.posts:
            if post not in before[p.email]:
                session.add(PersonPost(person_id=person_id, post=post))
    session.flush()
    return before


def _snapshot(person: Person) -> tuple[Any, ...]:
    return (
        person.name,
        person.role,
        person.team_id,
        person.manager_id,
        person.deputy_id,
        person.absent,
        person.active,
        person.fte,
    )


# -- children --------------------------------------------------------------


def import_children(session: Session, csv_text: str, by_id: int | None = None) -> ImportResult:
    """Upsert children by case reference, all or nothing, like `import_people`.

    Social workers and IROs must already be imported (run the people import first).
    """
    problems = _Problems()
    rows = _read(csv_text, CHILDREN_REQUIRED, CHILDREN_OPTIONAL, problems)
    _duplicates(rows, lambda r: r.get("case_reference"), "case_reference", problems)
    people = {p.email.lower(): p for p in session.exec(select(Person))}
    teams = {t.name.lower(): t for t in session.exec(select(Team))}
    children = [_child_in(row, people, teams, problems) for row in rows]
    if problems.found:
        session.rollback()
        return ImportResult(errors=problems.sorted())
    result, at = ImportResult(), datetime.now(UTC)
    stored = {c.case_reference: c for c in session.exec(select(Child))}
    written: list[tuple[Child, dict[str, str]]] = []
    for values in children:
        child = stored.get(values["case_reference"])
        written.append((child or Child(**values), child_shown(session, child) if child else {}))
        if child is None:
            result.created += 1
            continue
        keep_child_iro(session, child)
        changed = any(getattr(child, k) != v for k, v in values.items())
        for key, value in values.items():
            setattr(child, key, value)
        result.updated += changed
        result.unchanged += not changed
    session.add_all([child for child, _ in written])
    session.flush()  # new children get their ids for the history
    for child, before in written:
        assert child.id is not None
        record_changes(session, "child", child.id, before, child_shown(session, child), by_id, at)
        note_child_iro(session, child, at)
    session.commit()
    return result


def _child_in(
    row: _Row, people: Mapping[str, Person], teams: Mapping[str, Team], problems: _Problems
) -> dict[str, Any]:
    reference = row.get("case_reference")
    if not reference:
        problems.add(row.line, "case_reference", "enter the case reference")
    elif len(reference) > 40 or not _CASE_REFERENCE.match(reference):
        problems.add(
            row.line,
            "case_reference",
            f"'{reference}' must be up to 40 letters, "
            "digits, / or - (the number in the case management system)",
        )
    values: dict[str, Any] = {
        "case_reference": reference,
        "display_name": _text(row, "display_name", problems),
        "legal_status": _choice(row, "legal_status", (s.value for s in LegalStatus), problems),
    }
    for column, role, attr in (
        ("social_worker_email", Role.SOCIAL_WORKER, "social_worker_id"),
        ("iro_email", Role.IRO, "iro_id"),
    ):
        if row.has(column):
            values[attr] = _holder(row, column, role, people, problems)
    if row.has("date_of_birth"):
        values["date_of_birth"] = _birth_date(row, problems)
    for column in ("looked_after_from", "looked_after_until"):
        if row.has(column):
            values[column] = _date(row, column, problems)
    today = datetime.now(_LONDON).date()
    if wrong := looked_after_problem(values.get("looked_after_from"),
                                     values.get("looked_after_until"), today):  # fmt: skip
        problems.add(row.line, wrong[1], wrong[0])
    if row.has("team"):
        values["team_id"] = _team(row, teams, problems)
    return values


def _date(row: _Row, column: str, problems: _Problems) -> date | None:
    """A date as 2011-03-27 or 27/03/2011 (how spreadsheets in England write it)."""
    text = row.get(column)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=_LONDON).date()
        except ValueError:
            continue
    problems.add(row.line, column, f"'{text}' must be a date like 27/03/2011 or 2011-03-27")
    return None


def _birth_date(row: _Row, problems: _Problems) -> date | None:
    text = row.get("date_of_birth")
    born = _date(row, "date_of_birth", problems)
    if born is None:
        return None
    if born > datetime.now(_LONDON).date():
        problems.add(row.line, "date_of_birth", f"'{text}' is in the future")
        return None
    return born


def _team(row: _Row, teams: Mapping[str, Team], problems: _Problems) -> int | None:
    """The team the child's case sits with: where fallbacks look when no worker is allocated."""
    name = row.get("team")
    if not name:
        return None
    team = teams.get(name.lower())
    if team is None:
        problems.add(row.line, "team", f"no team called '{name}' (import the people file first)")
        return None
    return team.id


def _holder(
    row: _Row, column: str, role: Role, people: Mapping[str, Person], problems: _Problems
) -> int | None:
    email = _email(row, column, problems)
    if not email:
        return None
    person = people.get(email)
    if person is None:
        problems.add(
            row.line,
            column,
            f"nobody with email '{email}' has been imported (import the people file first)",
        )
        return None
    if person.role != role.value:
        problems.add(row.line, column, f"'{email}' has the role '{person.role}', not '{role}'")
    elif not person.active:
        problems.add(row.line, column, f"'{email}' is inactive")
    return person.id
