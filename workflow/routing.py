"""Routing a challenge to people: the responder at a stage, who may raise it, a preview.

One place for the rules every way in uses: the pages, the API, email links and the
deadline sweep all build their `ActionContext` lookups here, so a stage goes to the same
person whoever opens it. `preview` answers "who will it go to, and when is it due"
before anything is written, for the check-your-answers page and the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from escalation_rules.model import Ladder, Route, Stage, Who
from workflow.deadline_planner import ladder_for
from workflow.directory import Directory
from workflow.errors import NoResponder
from workflow.lifecycle import lifecycle_for
from workflow.rows import ChildFacts
from workflow.states import OPEN_STATES
from workflow.tables import ChallengeRecord, Child, LadderVersion, Person, PersonPost

_OPEN = [s.value for s in OPEN_STATES]

_WHERE = {
    Route.SOCIAL_WORKER_LINE: "in the line management of the child's social worker",
    Route.IRO_LINE: "in the IRO's line management",
    Route.CHILD_TEAM: "in the child's team",
    Route.SERVICE_AREA: "in the child's service area",
    Route.COUNCIL: "in the council",
}


def responder_finder(
    directory: Directory, ladder: Ladder, reference: str, child: ChildFacts, iro_id: int
) -> Callable[[Stage], int]:
    """The lookup `Lifecycle` calls to open a stage; raises `NoResponder` naming who is missing."""

    def find(stage: Stage) -> int:
        found = directory.route(ladder, stage, child, iro_id)
        if found is None:
            raise NoResponder(reference, stage.key, stage.name, missing(ladder, stage, child),
                              stage.responder.posts[0])  # fmt: skip
        return found.responder_id

    return find


def raiser_check(
    directory: Directory, ladder: Ladder, child: ChildFacts, iro_ids: tuple[int | None, ...],
    actor_id: int | None,
) -> Callable[[Stage], bool]:  # fmt: skip
    """Whether the actor may move a challenge into a stage (the stage's `raised_by`)."""

    def may_raise(stage: Stage) -> bool:
        if actor_id is None:  # the deadline sweep: a timeout escalates on the ladder's terms
            return True
        for post in stage.raised_by:
            if post == "iro" and actor_id in iro_ids:
                return True
            if post != "iro" and directory.holds(actor_id, post):
                return True
        return False

    return may_raise


def missing(ladder: Ladder, stage: Stage, child: ChildFacts) -> tuple[str, ...]:
    """Who was looked for, in the council's words, for the error an IRO reads."""
    return tuple(_describe(ladder, who, child) for who in stage.finders)


def _describe(ladder: Ladder, who: Who, child: ChildFacts) -> str:
    parts = []
    for post in who.posts:
        route = who.route or ladder.post(post).route
        where = _WHERE[route]
        if route is Route.SOCIAL_WORKER_LINE and child.social_worker_id is None:
            where = "(the child has no allocated social worker)"
        parts.append(f"{ladder.post_name(post).lower()} {where}")
    return " or ".join(parts)


@dataclass(frozen=True)
class Preview:
    """Where a new formal challenge would go: the stage, who answers, when it is due."""

    stage: Stage
    responder_id: int | None  # None: nobody can be found, see `problem`
    acting_id: int | None
    due_at: datetime | None  # None: a stage with no timescale
    fallback_used: bool
    problem: NoResponder | None


def preview(
    directory: Directory, ladder: Ladder, stage: Stage, child: ChildFacts, iro_id: int, at: datetime
) -> Preview:
    """Who a challenge raised at `stage` now would go to, or who is missing; writes nothing."""
    found = directory.route(ladder, stage, child, iro_id)
    deadline = lifecycle_for(ladder).rules.stage_deadline(stage, at)
    due = deadline.due_at if deadline else None
    if found is None:
        problem = NoResponder("(new)", stage.key, stage.name, missing(ladder, stage, child),
                              stage.responder.posts[0])  # fmt: skip
        return Preview(stage, None, None, due, False, problem)
    return Preview(stage, found.responder_id, found.acting_id, due, found.fallback > 0, None)


def preview_new(
    directory: Directory, ladder: Ladder, stage_key: str | None, child: ChildFacts, iro_id: int,
    at: datetime,
) -> Preview:  # fmt: skip
    """`preview` for a challenge about to be raised at `stage_key` (the first stage if None)."""
    stage = ladder.stage(stage_key) if stage_key else ladder.starting_stages[0]
    return preview(directory, ladder, stage, child, iro_id, at)


@dataclass(frozen=True)
class Reach:
    """The open challenges a person reaches through a post rather than as IRO or responder:
    those whose current stage copies them or tells them it opened, and those below a stage
    the ladder lets them raise (a QA service manager, the Head of QA)."""

    copied: frozenset[int] = frozenset()  # challenge ids
    may_raise: dict[int, tuple[str, ...]] = field(default_factory=dict)  # id: stage names

    @property
    def ids(self) -> frozenset[int]:
        return self.copied | frozenset(self.may_raise)

    def what(self, challenge_id: int) -> str:
        """What the person can do on the challenge, in words."""
        raise_into = self.may_raise.get(challenge_id)
        if raise_into:
            return "Escalate to " + " or ".join(raise_into)
        return "Read it: you are copied on this stage" if challenge_id in self.copied else ""


# What one session has worked out about whom posts reach: a page asks it twice (its list's
# condition, then what the person may do on the rows shown), and a request's session does
# not outlive the request, so posts and ladder versions cannot change under it.
_ANSWERED = "iro_disputes.request.reach"


def _answers(session: Session) -> dict[Any, Any]:
    found: dict[Any, Any] = session.info.setdefault(_ANSWERED, {})
    return found


# A person's role, whether active, and the posts they hold (a row a post, or one with none),
# in one statement built once: every restricted list asks it, and an ORM look-up of the
# person then a select of their posts cost about a fifteenth of such a page's CPU.
_PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]
_PERSON_POST: sa.Table = PersonPost.__table__  # type: ignore[attr-defined]
_ROLE_AND_POSTS = (
    sa.select(_PERSON.c.role, _PERSON.c.active, _PERSON_POST.c.post)
    .select_from(_PERSON.outerjoin(_PERSON_POST, _PERSON_POST.c.person_id == _PERSON.c.id))
    .where(_PERSON.c.id == sa.bindparam("person"))
)
_LADDER_VERSIONS = sa.select(LadderVersion.__table__.c.content_hash)  # type: ignore[attr-defined]


def _posts_of(session: Session, person_id: int) -> set[str]:
    answers = _answers(session)
    key = ("posts", person_id)
    if key not in answers:
        rows = session.connection().execute(_ROLE_AND_POSTS, {"person": person_id}).all()
        if not rows or not rows[0].active:
            answers[key] = frozenset()
        else:
            held = {row.post for row in rows if row.post is not None} | {rows[0].role}
            answers[key] = frozenset(held - {"iro"})  # IROs reach as IROs
    return set(answers[key])


def _reaching_versions(session: Session, posts: set[str]) -> list[str]:
    """The recorded ladder versions in which these posts may raise or are copied on some
    stage: only their challenges can be reached (none, for most people)."""
    answers = _answers(session)
    key = ("versions", frozenset(posts))
    if key not in answers:
        every = list(session.connection().execute(_LADDER_VERSIONS).scalars())
        answers[key] = [found[0] for found in _reaching_stages(session, posts, every)]
    found: list[str] = answers[key]
    return found


def reach(
    session: Session,
    person_id: int,
    reference: str | None = None,
    among: Iterable[int] | None = None,
) -> Reach:
    """The person's `Reach`: over every open challenge, or only the one with `reference`, or
    only the challenges with the ids `among` (the rows a list is about to show).

    Candidates are picked in SQL by ladder version and stage; a copy or notice is then
    resolved for the child exactly as the mail to it was (`Directory.holder_of`)."""
    among = None if among is None else sorted(set(among))
    if among == []:  # a list with no rows
        return Reach()
    posts = _posts_of(session, person_id)
    versions = _reaching_versions(session, posts) if posts else []
    if not versions:  # most people: their posts reach no stage of any ladder version
        return Reach()
    base = select(ChallengeRecord).where(col(ChallengeRecord.state).in_(_OPEN))
    if reference is not None:
        base = base.where(ChallengeRecord.reference == reference)
    if among is not None:
        base = base.where(col(ChallengeRecord.id).in_(among))
    copied: set[int] = set()
    may_raise: dict[int, tuple[str, ...]] = {}
    directory = Directory(session)
    for content_hash, ladder, raisable, copying, wanted in _reaching_stages(
        session, posts, versions
    ):
        found = list(session.exec(base.where(ChallengeRecord.ladder_hash == content_hash, wanted)))
        children = _children_of(
            session, [c.child_id for c in found if copying.get(c.stage_key or "")]
        )
        for c in found:
            assert c.id is not None
            if raisable[c.stage_key]:
                may_raise[c.id] = raisable[c.stage_key]
            whos = copying.get(c.stage_key or "", [])
            child = children.get(c.child_id)
            if child is not None and any(
                directory.holder_of(ladder, w, child, c.raised_by_id) == person_id for w in whos
            ):
                copied.add(c.id)
    return Reach(frozenset(copied), may_raise)


def reach_condition(session: Session, person_id: int) -> sa.ColumnElement[bool] | None:
    """The SQL condition on `challenge` for every open challenge the person's posts reach
    (None: none). Being below a stage they may raise is a condition on the ladder version and
    stage, so a list filters on it without reading those challenges; only copies and notices,
    which depend on who holds a post for each child, are resolved challenge by challenge."""
    posts = _posts_of(session, person_id)
    if not posts:
        return None
    open_now = col(ChallengeRecord.state).in_(_OPEN)
    raising: list[sa.ColumnElement[bool]] = []
    copying_keys: list[sa.ColumnElement[bool]] = []
    # Every recorded ladder version the posts reach, not those in use among the open
    # challenges: finding those read every open challenge (0.3 s on PostgreSQL, 2.9 s on
    # SQLite at 1,000,000), and a version none is open under only adds a condition that
    # matches nothing.
    versions = _reaching_versions(session, posts)
    for content_hash, _ladder, raisable, copying, _ in _reaching_stages(session, posts, versions):
        of_ladder = col(ChallengeRecord.ladder_hash) == content_hash
        keys = [k for k, names in raisable.items() if names and k is not None]
        stage_in: sa.ColumnElement[bool] = col(ChallengeRecord.stage_key).in_(keys)
        if raisable[None]:
            stage_in = sa.or_(stage_in, col(ChallengeRecord.stage_key).is_(None))
        if keys or raisable[None]:
            raising.append(sa.and_(of_ladder, stage_in))
        copy_keys = [k for k, whos in copying.items() if whos]
        if copy_keys:
            copying_keys.append(sa.and_(of_ladder, col(ChallengeRecord.stage_key).in_(copy_keys)))
    copied: frozenset[int] = frozenset()
    if copying_keys:
        ids = session.exec(select(ChallengeRecord.id).where(open_now, sa.or_(*copying_keys))).all()
        copied = reach(session, person_id, among=[i for i in ids if i is not None]).copied
    parts = list(raising)
    if copied:
        parts.append(col(ChallengeRecord.id).in_(sorted(copied)))
    if not parts:
        return None
    return sa.and_(open_now, sa.or_(*parts))


Reaching = tuple[str, Ladder, dict[str | None, tuple[str, ...]], dict[str, list[Who]], Any]


def _reaching_stages(
    session: Session, posts: set[str], hashes: Iterable[str]
) -> Iterable[Reaching]:
    """For each of the ladder versions `hashes` in which the posts reach some stage: the
    stage names each stage may be raised into by these posts, the copies and notices per
    stage that name them, and the SQL condition on the stage for the challenges they reach."""
    for content_hash in hashes:
        ladder = ladder_for(session, content_hash)
        above = {None, *ladder.stage_keys}
        raisable = {k: tuple(s.name for s in ladder.higher_stages(k) if posts & set(s.raised_by))
                    for k in above}  # fmt: skip
        copying = {s.key: [w for w in (*s.copy, *s.notify) if posts & set(w.posts)]
                   for s in ladder.stages}  # fmt: skip
        keys = [k for k, names in raisable.items() if names and k is not None]
        keys += [k for k, whos in copying.items() if whos]
        if not keys and not raisable[None]:
            continue
        wanted: Any = col(ChallengeRecord.stage_key).in_(keys)
        if raisable[None]:
            wanted = wanted | col(ChallengeRecord.stage_key).is_(None)
        yield content_hash, ladder, raisable, copying, wanted


def _children_of(session: Session, ids: list[int]) -> dict[int, Child]:
    if not ids:
        return {}
    return {c.id: c for c in session.exec(select(Child).where(col(Child.id).in_(sorted(set(ids)))))
            if c.id is not None}  # fmt: skip


def may_raise_on(session: Session, person_id: int, reference: str) -> bool:
    """Whether the person holds a post the ladder lets raise a stage above where the open
    challenge is now (a QA service manager, the Head of QA): they see it and may escalate."""
    return bool(reach(session, person_id, reference).may_raise)
