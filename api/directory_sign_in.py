"""Who a single sign-on is, and with which role (Entra ID or another OpenID provider).

A person is found by the directory object id (`oid`) stored at an earlier sign-in, or
else by an email the provider vouches for; the first such match stores the `oid`. An
unverified email, `preferred_username` or an `oid` never linked by a verified email
never finds anyone. When the council maps directory groups to roles, the role follows
the groups at every sign-in, and someone in none of them is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from workflow.change_history import record_changes
from workflow.people_records import person_shown
from workflow.tables import Person

log = logging.getLogger(__name__)
NOT_SET_UP = "Your account is not set up for this service. Ask an administrator."


class DirectorySignInRefused(Exception):
    """The sign-in cannot be matched to one active person; the message is for them."""


def verified_email(claims: Mapping[str, Any]) -> str:
    """The email to match on, only when the provider vouches for it: `email_verified`, or
    Entra ID's `xms_edov` (the email's domain is verified by the tenant). Never
    `preferred_username` or an unverified `email`: anyone can set those to a colleague's."""
    vouched = claims.get("email_verified") is True or claims.get("xms_edov") in (True, "1", 1)
    return str(claims.get("email") or "") if vouched else ""


def directory_person(
    engine: Engine, claims: Mapping[str, Any], group_roles: Mapping[str, str]
) -> Person:
    """The active person this sign-in is, with the role their groups give (if mapped)."""
    object_id = str(claims.get("oid") or "")
    with Session(engine, expire_on_commit=False) as session:
        person = _by_object_id(session, object_id) or _by_verified_email(session, claims)
        if person is None or not person.active:
            raise DirectorySignInRefused(NOT_SET_UP)
        if person.directory_object_id != (object_id or None):
            _link(person, object_id)
        if group_roles:
            _apply_group_role(session, person, claims, group_roles)
        session.add(person)
        session.commit()
        return person


def _by_object_id(session: Session, object_id: str) -> Person | None:
    if not object_id:
        return None
    return session.exec(select(Person).where(Person.directory_object_id == object_id)).first()


def _by_verified_email(session: Session, claims: Mapping[str, Any]) -> Person | None:
    email = verified_email(claims).strip().lower()
    if not email:
        return None
    return session.exec(select(Person).where(sa.func.lower(Person.email) == email)).first()


def _link(person: Person, object_id: str) -> None:
    # Found by email but already linked to another directory account (or this sign-in has
    # none): the address has passed to someone else, so it proves nothing.
    if person.directory_object_id:
        log.warning("sign-in refused: %s is linked to another directory account", person.email)
        raise DirectorySignInRefused(
            "This email belongs to a different council account here. Ask an administrator."
        )
    if object_id:
        person.directory_object_id = object_id


def _apply_group_role(
    session: Session, person: Person, claims: Mapping[str, Any], group_roles: Mapping[str, str]
) -> None:
    if "groups" in (claims.get("_claim_names") or {}):
        raise DirectorySignInRefused(
            "You are in too many directory groups for sign-in to list them. Ask IT to send "
            "only the groups assigned to this application."
        )
    groups = set(claims.get("groups") or ())
    role = next((r for group, r in group_roles.items() if group in groups), None)
    if role is None:
        raise DirectorySignInRefused(
            "You are not in a directory group that gives access to this service. "
            "Ask an administrator."
        )
    if person.role != role:
        log.info("role of %s set from directory groups: %s -> %s", person.email, person.role, role)
        before = person_shown(session, person)
        person.role = role
        assert person.id is not None
        # In the person's change history, made by no one (the directory, at sign-in).
        record_changes(session, "person", person.id, before, person_shown(session, person),
                       None, datetime.now(UTC))  # fmt: skip
