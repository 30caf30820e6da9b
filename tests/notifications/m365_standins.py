"""Local stand-ins for Microsoft 365 on 127.0.0.1: the Entra ID token endpoint (HTTPS),
SMTP submission and IMAP that accept only XOAUTH2 with a token it issued.

They speak the protocols as Microsoft documents them (the OAuth 2.0 client-credentials
grant; SASL XOAUTH2 `user=...^Aauth=Bearer ...^A^A`), so the code under test is the
code a council runs against Exchange Online."""

from __future__ import annotations

import base64
import secrets
import socketserver
import ssl
import threading
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from tests.notifications.conftest import free_port
from tests.notifications.standin_servers import JsonHandler, serving

TENANT, CLIENT_ID, SECRET = "contoso-tenant-id", "11111111-2222-3333-4444-555555555555", "s3cr3t"
MAILBOX = "disputes@council.test"


@dataclass
class Tenant:
    """What the token endpoint issued and who asked."""

    issued: list[str] = field(default_factory=list)
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    down: bool = False

    def valid(self, response: bytes | str) -> str | None:
        """The mailbox a XOAUTH2 response signs in as, if its token is one we issued."""
        text = response.decode() if isinstance(response, bytes) else response
        parts = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        token = parts.get("auth", "").removeprefix("Bearer ")
        return parts.get("user") if token in self.issued else None


def _token_handler(tenant: Tenant, base: str) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path.endswith("/.well-known/openid-configuration"):
                self._json(200, {
                    "token_endpoint": f"{base}/{TENANT}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/{TENANT}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/{TENANT}/v2.0",
                })  # fmt: skip
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            form = urllib.parse.parse_qs(self._body().decode())
            tenant.requests.append(form)
            if tenant.down:
                self._json(503, {"error": "temporarily_unavailable",
                                 "error_description": "AADSTS90033: A transient error."})  # fmt: skip
                return
            if form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [SECRET]:
                self._json(401, {"error": "invalid_client",
                                 "error_description": "AADSTS7000215: Invalid client secret provided."})  # fmt: skip
                return
            token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(900)
            tenant.issued.append(token)
            self._json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    return Handler


@contextmanager
def token_endpoint(cert_file: Path, context: ssl.SSLContext) -> Iterator[tuple[str, Tenant]]:
    tenant = Tenant()
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    server = ThreadingHTTPServer(("127.0.0.1", port), _token_handler(tenant, base))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield base, tenant


class XOAuthSmtpHandler:
    """SMTP submission that accepts only XOAUTH2 (as smtp.office365.com does for apps)."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant, self.received, self.signed_in = tenant, [], []

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802
        encoded = args[1] if len(args) > 1 else (await server.challenge_auth("")).decode()
        user = self.tenant.valid(base64.b64decode(encoded))
        if user is None:
            return AuthResult(success=False, handled=False,
                              message="535 5.7.3 Authentication unsuccessful")  # fmt: skip
        self.signed_in.append(user)
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not session.authenticated:
            return "530 5.7.57 Client not authenticated to send mail"
        self.received.append(envelope)
        return "250 2.0.0 OK <queued@office365.test>"


class _LongAuthSMTP(SMTP):
    """AUTH lines as long as RFC 4954 allows (12,288 octets): a bearer token is ~2 KB."""

    line_length_limit = 12288
    command_size_limits = defaultdict(lambda: SMTP.command_size_limit, AUTH=12288)


class _LongAuthController(Controller):
    def factory(self) -> SMTP:
        server = _LongAuthSMTP(self.handler, **self.SMTP_kwargs)
        server.command_size_limits["AUTH"] = 12288  # SMTP.__init__ clears the table
        return server


@contextmanager
def smtp_submission(tenant: Tenant) -> Iterator[tuple[int, XOAuthSmtpHandler]]:
    handler = XOAuthSmtpHandler(tenant)
    port = free_port()
    controller = _LongAuthController(handler, hostname="127.0.0.1", port=port,
                                     auth_require_tls=False,
                                     auth_exclude_mechanism=["LOGIN", "PLAIN"])  # fmt: skip
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[int, bytes, set[str]]] = []
        self.lock = threading.Lock()

    def deliver(self, raw: bytes) -> None:
        with self.lock:
            self.messages.append((len(self.messages) + 1, raw, set()))


def _imap_handler(tenant: Tenant, box: Mailbox) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def send(self, line: str | bytes) -> None:
            self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

        def handle(self) -> None:
            self.send("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR] stand-in ready")
            user = None
            while line := self.rfile.readline():
                tag, command, *rest = line.decode().rstrip("\r\n").split(" ", 2)
                arg = rest[0] if rest else ""
                command = command.upper()
                if command == "CAPABILITY":
                    self.send("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR")
                    self.send(f"{tag} OK CAPABILITY completed")
                elif command == "AUTHENTICATE" and arg.upper().startswith("XOAUTH2"):
                    self.send("+ ")
                    response = base64.b64decode(self.rfile.readline().strip())
                    user = tenant.valid(response)
                    self.send(f"{tag} OK AUTHENTICATE completed" if user
                              else f"{tag} NO AUTHENTICATE failed.")  # fmt: skip
                elif command == "LOGIN":
                    self.send(f"{tag} NO LOGIN failed (basic authentication is disabled)")
                elif command == "LOGOUT":
                    self.send("* BYE")
                    self.send(f"{tag} OK LOGOUT completed")
                    return
                elif user is None:
                    self.send(f"{tag} BAD not authenticated")
                elif command == "SELECT":
                    self.send(f"* {len(box.messages)} EXISTS")
                    self.send(f"{tag} OK [READ-WRITE] SELECT completed")
                elif command == "UID":
                    self.uid(tag, arg)
                else:
                    self.send(f"{tag} BAD unknown command")

        def uid(self, tag: str, arg: str) -> None:
            verb, _, rest = arg.partition(" ")
            if verb.upper() == "SEARCH":
                unseen = [str(u) for u, _r, flags in box.messages if "\\Seen" not in flags]
                self.send("* SEARCH " + " ".join(unseen))
            elif verb.upper() == "FETCH":
                uid = int(rest.split(" ", 1)[0])
                for u, raw, _flags in box.messages:
                    if u == uid:
                        self.send(f"* {u} FETCH (UID {u} BODY[] {{{len(raw)}}}".encode())
                        self.wfile.write(raw + b")\r\n")
            elif verb.upper() == "STORE":
                uid = int(rest.split(" ", 1)[0])
                for u, _raw, flags in box.messages:
                    if u == uid:
                        flags.add("\\Seen")
            self.send(f"{tag} OK UID completed")

    return Handler


@contextmanager
def imap_mailbox(tenant: Tenant) -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_port()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _imap_handler(tenant, box))
    server.daemon_threads = True
    with serving(server):
        yield port, box
