"""A local stand-in of GOV.UK Notify's API on 127.0.0.1: POST /v2/notifications/email
with the JWT Notify's clients send (HS256, `iss` the service id, signed with the key's
secret), answering 201 with the notification or Notify's error bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import jwt

from tests.notifications.conftest import free_port
from tests.notifications.standin_servers import JsonHandler, serving

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"iro_disputes_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
REPLY_TO_ID = "8e222534-7f05-4972-86e3-17c5d9f894e2"


@dataclass
class Notify:
    base_url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    # What to answer next, in order: a status code (429, 400, 500) or None for 201.
    answers: list[int | None] = field(default_factory=list)


def _handler(notify: Notify) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def _error(self, status: int, kind: str, message: str) -> None:
            self._json(status, {"status_code": status,
                                "errors": [{"error": kind, "message": message}]})  # fmt: skip

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self._body())
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            try:
                claims = jwt.decode(bearer, SECRET, algorithms=["HS256"])
            except jwt.PyJWTError:
                self._error(403, "AuthError", "Invalid token: signature, api token not found")
                return
            if self.path != "/v2/notifications/email" or claims.get("iss") != SERVICE_ID:
                self._error(403, "AuthError", "Invalid token: service not found")
                return
            answer = notify.answers.pop(0) if notify.answers else None
            if answer == 429:
                self._error(429, "RateLimitError", "Exceeded rate limit for key type LIVE")
                return
            if answer == 400 or body.get("template_id") != TEMPLATE_ID:
                self._error(400, "BadRequestError", "Template not found")
                return
            if answer == 500:
                self._error(500, "Exception", "Internal server error")
                return
            notify.received.append(body)
            personalisation = body.get("personalisation", {})
            self._json(201, {
                "id": str(uuid.uuid4()), "reference": body.get("reference"),
                "content": {"subject": personalisation.get("subject"),
                            "body": personalisation.get("body"),
                            "from_email": "northmoor.council@notifications.service.gov.uk"},
                "uri": f"{notify.base_url}/v2/notifications/x",
                "template": {"id": TEMPLATE_ID, "version": 1, "uri": "x"},
            })  # fmt: skip

    return Handler


@contextmanager
def notify_api() -> Iterator[Notify]:
    port = free_port()
    notify = Notify(f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(notify))
    with serving(server):
        yield notify
