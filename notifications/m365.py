"""Microsoft 365 (Exchange Online) with OAuth 2.0 app-only credentials.

Exchange Online refuses passwords for IMAP and is switching them off for SMTP
submission. We keep SMTP and IMAP and sign in with XOAUTH2, a token for an Entra ID
app registration obtained by `msal` (client credentials). Chosen over the Graph API
because SMTP keeps the Message-ID we set, which the reply matching threads on, and
the raw message we read over IMAP is byte for byte what arrived; the sender's fault
handling and the IMAP poller stay one path for every council. docs/mail.md lists the
app registration and the permissions an IT team grants.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import msal
import requests

from notifications.settings import MailSettings
from notifications.transport import PermanentFailure, TemporaryFailure

# Exchange Online's resource for SMTP.SendAsApp and IMAP.AccessAsApp.
OUTLOOK_SCOPE = "https://outlook.office365.com/.default"
# Errors the token endpoint gives for wrong credentials: retrying will not help.
_PERMANENT = {"invalid_client", "unauthorized_client", "invalid_scope", "invalid_request"}


class TokenError(TemporaryFailure):
    """No token now (the endpoint is unreachable or busy): try again later."""


class TokenRefused(PermanentFailure):
    """The credentials are wrong or not consented: an administrator must act."""


_apps: dict[tuple[str, ...], msal.ConfidentialClientApplication] = {}
_lock = threading.Lock()


def _app(settings: MailSettings) -> msal.ConfidentialClientApplication:
    """One msal application per credential set: msal caches the token until it expires."""
    authority = f"{settings.m365_authority_host.rstrip('/')}/{settings.m365_tenant_id}"
    key = (authority, settings.m365_client_id, settings.m365_client_secret.get_secret_value())
    with _lock:
        if key not in _apps:
            custom_host = "login.microsoftonline.com" not in authority
            _apps[key] = msal.ConfidentialClientApplication(
                settings.m365_client_id,
                client_credential=settings.m365_client_secret.get_secret_value(),
                authority=authority,
                # A sovereign cloud or a test stand-in is not in Microsoft's instance list.
                instance_discovery=not custom_host,
                http_client=_http_client(settings),
            )
        return _apps[key]


def _http_client(settings: MailSettings) -> requests.Session:
    """requests with our CA bundle on every call: a Session's own `verify` loses to
    REQUESTS_CA_BUNDLE in the environment, so it is passed per request. Proxies from
    the environment (HTTPS_PROXY) still apply."""
    session = requests.Session()
    verify: str | bool = str(settings.m365_ca_file) if settings.m365_ca_file else True
    session.request = functools.partial(  # type: ignore[method-assign]
        session.request, verify=verify, timeout=settings.smtp_timeout_seconds
    )
    return session


def access_token(settings: MailSettings) -> str:
    try:
        result: dict[str, Any] = _app(settings).acquire_token_for_client(
            scopes=[settings.m365_scope]
        )
    except (ValueError, OSError, requests.RequestException) as error:  # endpoint unreachable
        raise TokenError(f"cannot reach the Microsoft token endpoint: {error}") from error
    if "access_token" in result:
        return str(result["access_token"])
    code = str(result.get("error", "unknown_error"))
    detail = str(result.get("error_description", "")).splitlines()[0:1]
    message = f"Microsoft 365 refused a token ({code}): {' '.join(detail)}"
    if code in _PERMANENT:
        raise TokenRefused(message)
    raise TokenError(message)


def xoauth2(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response, before base64 (smtplib and imaplib encode it)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"
