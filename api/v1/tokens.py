"""Your own API tokens: list (never the secret), create (the secret shown once), revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import CurrentPerson, RuntimeDep
from api.tokens import DEFAULT_DAYS, MAX_DAYS, create_own_token, own_tokens, revoke
from workflow.errors import NotPermitted

router = APIRouter(tags=["tokens"])
TokenId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The token's id")]


class TokenPublic(BaseModel):
    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(BaseModel):
    label: str = Field(min_length=1, max_length=200, description="What the token is for")
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Days until it expires")


class TokenIssued(TokenPublic):
    token: str = Field(description="The secret: shown this once, never stored")


def _owner(person: CurrentPerson) -> int:
    if person.id is None:
        raise NotPermitted(person.name, "manage", "personal tokens")
    return person.id


@router.get("/tokens")
def list_tokens(person: CurrentPerson, runtime: RuntimeDep) -> list[TokenPublic]:
    return [TokenPublic.model_validate(t, from_attributes=True)
            for t in own_tokens(runtime.engine, _owner(person))]  # fmt: skip


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, person: CurrentPerson, runtime: RuntimeDep) -> TokenIssued:
    owner = _owner(person)
    with Session(runtime.engine) as session:
        secret = create_own_token(session, owner, body.label, datetime.now(UTC), body.days)
        session.commit()
    newest = own_tokens(runtime.engine, owner)[0]
    return TokenIssued(
        token=secret, **TokenPublic.model_validate(newest, from_attributes=True).model_dump()
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: TokenId, person: CurrentPerson, runtime: RuntimeDep) -> Response:
    revoke(runtime.engine, token_id, datetime.now(UTC), owner_id=_owner(person))
    return Response(status_code=204)
