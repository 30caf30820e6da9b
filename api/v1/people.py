"""The JSON API for posts: the posts the ladder in use defines and who holds each, a
person's posts, and (administrators) setting them.

Setting a person's posts goes through `workflow.people_records.set_posts`: the same rules
and the same change history as the admin person page and the people import.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from api.auth import CurrentPerson, ReadSession, RuntimeDep
from escalation_rules.model import Ladder, Role
from workflow.errors import DomainError, NotFound, NotPermitted
from workflow.people_records import posts_held, set_posts
from workflow.read_scope import end_reads
from workflow.tables import Person, PersonPost

router = APIRouter(tags=["people"])
PersonId = Annotated[int, Path(ge=1, le=2_147_483_647)]
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API token", **_PROBLEM},
    403: {"description": "Not permitted", **_PROBLEM},
}
NO_PERSON: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"description": "No such person", **_PROBLEM},
}


class AdministratorsOnly(NotPermitted):
    def __init__(self, person: str) -> None:
        self.person, self.action, self.reference = person, "change", "posts"
        DomainError.__init__(self, f"{person} may not change people's posts: only "
                             "administrators may")  # fmt: skip


class Holder(BaseModel):
    id: int
    name: str


class PostPublic(BaseModel):
    key: str = Field(description="As people hold it and as the ladder's stages name it")
    name: str = Field(description="In the council's words: 'Head of Quality Assurance'")
    route: str = Field(description="Where its holder is looked for unless a stage says otherwise")
    holders: list[Holder] = Field(description="Active people who hold the post")


class PostList(BaseModel):
    ladder: str
    items: list[PostPublic]


class HeldPost(BaseModel):
    key: str
    name: str | None = Field(description="The post's name, or null if the ladder does not name it")


class PersonPosts(BaseModel):
    id: int
    name: str
    posts: list[HeldPost]


class PostsUpdate(BaseModel):
    posts: list[str] = Field(
        max_length=50,
        description="Every post the person holds from now on (an empty list takes them all away)",
    )


def _holders(session: Session) -> dict[str, list[Holder]]:
    rows = session.exec(
        select(PersonPost.post, Person.id, Person.name)
        .join(Person, col(Person.id) == PersonPost.person_id)
        .where(col(Person.active))
        .order_by(Person.name)
    ).all()
    found: dict[str, list[Holder]] = {}
    for post, person_id, name in rows:
        assert person_id is not None
        found.setdefault(post, []).append(Holder(id=person_id, name=name))
    return found


def _person_posts(session: Session, ladder: Ladder, person: Person) -> PersonPosts:
    assert person.id is not None
    names = {p.key: p.name for p in ladder.posts}
    held = [HeldPost(key=k, name=names.get(k)) for k in posts_held(session, person.id)]
    return PersonPosts(id=person.id, name=person.name, posts=held)


@router.get("/posts", response_model=PostList, responses=ERRORS)
def list_posts(person: CurrentPerson, session: ReadSession, runtime: RuntimeDep) -> PostList:
    """The posts the ladder in use defines (beyond the built-in roles), and who holds each."""
    ladder = runtime.ladders.current
    holders = _holders(session)
    items = [
        PostPublic(key=p.key, name=p.name, route=p.route.value, holders=holders.get(p.key, []))
        for p in ladder.posts
    ]
    return PostList(ladder=ladder.id, items=items)


@router.get("/people/{person_id}/posts", response_model=PersonPosts, responses=NO_PERSON)
def person_posts(
    person_id: PersonId, person: CurrentPerson, session: ReadSession, runtime: RuntimeDep
) -> PersonPosts:
    """The posts a person holds."""
    target = session.get(Person, person_id)
    if target is None:
        raise NotFound("person", person_id)
    return _person_posts(session, runtime.ladders.current, target)


@router.put(
    "/people/{person_id}/posts",
    response_model=PersonPosts,
    responses={**NO_PERSON, 422: {"description": "A post key is not valid", **_PROBLEM}},
)
def change_person_posts(
    person_id: PersonId, body: PostsUpdate, person: CurrentPerson, runtime: RuntimeDep
) -> PersonPosts:
    """Set the posts a person holds (administrators only); recorded in the person's change
    history like a change on the admin person page."""
    if Role(person.role) is not Role.ADMIN or person.id is None:
        raise AdministratorsOnly(person.name)
    end_reads()  # one connection per request: the token check's reads give theirs back
    with Session(runtime.engine) as session:
        saved = set_posts(session, person_id, body.posts, person.id, datetime.now(UTC))
        session.commit()
        return _person_posts(session, runtime.ladders.current, saved)
