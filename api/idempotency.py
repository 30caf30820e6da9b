"""`Idempotency-Key` on the JSON API: a retried request never acts twice.

A client sends `Idempotency-Key: <its own unique value>` with a POST, PUT, PATCH or
DELETE under /api/v1. The first request with that key (for that caller) runs and
its answer is kept; a retry with the same key and the same request gets the kept
answer back, marked `Idempotent-Replayed: true`. The same key with a different
request is refused (422); a retry while the first is still running gets 409. An
answer of 5xx is not kept, so the client may try again. Keys are kept for
`KEEP_FOR` (a day), after which they may be reused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from anyio import to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.ops_tables import IdempotencyRecord
from workflow.read_scope import end_reads

HEADER = b"idempotency-key"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY = 255
MAX_KEPT_BODY = 1024 * 1024
KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    """What the store says about a key: run it, replay an answer, or refuse."""

    record: IdempotencyRecord | None = None
    refusal: tuple[int, str] | None = None


class IdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, credential: str, key: str, request_hash: str, now: datetime) -> Outcome:
        """Claim `key` for this request, or say what to answer instead."""
        end_reads()  # one connection at a time (none are held yet; this keeps it so)
        with Session(self.engine, expire_on_commit=False) as session:
            found = self._find(session, credential, key)
            if found is not None and found.created_at < now - KEEP_FOR:
                session.delete(found)
                session.flush()
                found = None
            if found is None:
                session.add(IdempotencyRecord(credential_hash=credential, key=key,
                                              request_hash=request_hash, created_at=now))  # fmt: skip
                try:
                    session.commit()
                except sa.exc.IntegrityError:
                    return Outcome(refusal=(409, "A request with this Idempotency-Key is still "
                                                "being handled; try again in a moment"))  # fmt: skip
                return Outcome()
        return self._existing(found, request_hash)

    @staticmethod
    def _existing(found: IdempotencyRecord, request_hash: str) -> Outcome:
        if found.request_hash != request_hash:
            return Outcome(refusal=(422, "This Idempotency-Key was already used for a different "
                                         "request; use a new key for a new request"))  # fmt: skip
        if found.status_code is None:
            return Outcome(refusal=(409, "A request with this Idempotency-Key is still being "
                                         "handled; try again in a moment"))  # fmt: skip
        return Outcome(record=found)

    def keep(self, credential: str, key: str, answer: dict[str, Any]) -> None:
        end_reads()
        with Session(self.engine) as session:
            found = self._find(session, credential, key)
            if found is None:
                return
            if answer["status"] >= 500 or len(answer["body"]) > MAX_KEPT_BODY:
                session.delete(found)  # not kept: the client may try again
            else:
                found.status_code = answer["status"]
                found.content_type = answer["content_type"]
                found.body = answer["body"]
                found.location = answer["location"]
                session.add(found)
            session.commit()

    @staticmethod
    def _find(session: Session, credential: str, key: str) -> IdempotencyRecord | None:
        return session.exec(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.credential_hash == credential)
            .where(IdempotencyRecord.key == key)
        ).first()


class IdempotentApi:
    """ASGI middleware applying the store to unsafe /api/v1 requests that carry the header."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.store = IdempotencyStore(engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY:
            await _refuse(send, 400, f"Idempotency-Key must be 1 to {MAX_KEY} characters")
            return
        body = await _read_body(receive)
        credential = _credential(scope)
        outcome = await to_thread.run_sync(
            self.store.claim, credential, key, _request_hash(scope, body), datetime.now(UTC)
        )
        if outcome.refusal is not None:
            await _refuse(send, *outcome.refusal)
        elif outcome.record is not None:
            await _replay(send, outcome.record)
        else:
            await self._run(scope, body, send, credential, key)

    async def _run(self, scope: Scope, body: bytes, send: Send, credential: str, key: str) -> None:
        answer: dict[str, Any] = {
            "status": 500,
            "content_type": None,
            "location": None,
            "body": b"",
        }
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = dict(message.get("headers", []))
                answer["content_type"] = _text(headers.get(b"content-type"))
                answer["location"] = _text(headers.get(b"location"))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            await to_thread.run_sync(self.store.keep, credential, key, answer)


def _key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope.get("method") not in UNSAFE:
        return None
    if not str(scope.get("path", "")).startswith("/api/"):
        return None
    for name, value in scope.get("headers", []):
        if name == HEADER:
            return str(value.decode("latin-1").strip())
    return None


def _credential(scope: Scope) -> str:
    auth = next((v for n, v in scope.get("headers", []) if n == b"authorization"), b"")
    return hashlib.sha256(auth).hexdigest()


def _request_hash(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope.get("method", ""), scope.get("path", ""), scope.get("query_string", b"")):
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None


async def _refuse(send: Send, status: int, detail: str) -> None:
    titles = {400: "Bad request", 409: "Conflict", 422: "Idempotency-Key reused"}
    body = json.dumps({"type": "about:blank", "title": titles.get(status, "Error"),
                       "status": status, "detail": detail}).encode()  # fmt: skip
    await _send(send, status, b"application/problem+json", body, None, replayed=False)


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    content_type = (record.content_type or "application/json").encode("latin-1")
    location = record.location.encode("latin-1") if record.location else None
    assert record.status_code is not None
    await _send(send, record.status_code, content_type, record.body or b"", location, replayed=True)


async def _send(
    send: Send, status: int, content_type: bytes, body: bytes, location: bytes | None,
    replayed: bool,
) -> None:  # fmt: skip
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if location is not None:
        headers.append((b"location", location))
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
