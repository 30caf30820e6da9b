"""The children behind a report figure (contacts, caseloads), for the drill-down page and API.

The same rule as every drill-down: SMT readers see reports only, so the children are not
named to them (the page numbers the rows; the API gives how many, not which); those who may
open any child's record (Head of Service, senior managers, admins) see each child's
reference, and each child shown is logged in the access log."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth import record_access
from escalation_rules.model import Role
from workflow.db import read_only_engine
from workflow.page_queries import ChildRow, child_rows
from workflow.queries import SEE_ALL_ROLES
from workflow.tables import Person

CHILDREN_FIGURES = ("contacts", "caseloads")


def may_name_children(person: Person) -> bool:
    return Role(person.role) in SEE_ALL_ROLES


def children_behind(
    engine: Engine, person: Person, references: list[str], via: str, cell: str
) -> list[ChildRow]:
    """The children behind a cell; each one shown to someone who may open it is logged."""
    with Session(read_only_engine(engine)) as session:
        rows = child_rows(session, references)
    if may_name_children(person):
        assert person.id is not None
        for row in rows:
            record_access(engine, person.id, via, child_id=row.child_id,
                          what=f"child {row.case_reference} (report drill-down {cell})")  # fmt: skip
    return rows
