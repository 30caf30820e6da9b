"""Mail settings, read from the environment (IRO_DISPUTES_*) and `.env`.

The defaults are for development: outgoing mail goes to the built-in sink on
127.0.0.1:8025, which keeps everything under IRO_DISPUTES_DATA_DIR/mail.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP (the local sink, a relay on localhost)
    STARTTLS = "starttls"  # connect in clear, then upgrade (port 587)
    TLS = "tls"  # TLS from the first byte (port 465)


class MailTransport(StrEnum):
    SMTP = "smtp"  # a relay, or Microsoft 365 with mail_auth=m365
    NOTIFY = "notify"  # GOV.UK Notify (sends only; replies go to notify_reply_to_id's mailbox)


class MailAuth(StrEnum):
    PASSWORD = "password"  # noqa: S105 (the kind of sign-in, not a secret)
    M365 = "m365"  # Microsoft 365: OAuth 2.0 app-only tokens (XOAUTH2) for SMTP and IMAP


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IRO_DISPUTES_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    # The same IRO_DISPUTES_ENV the web uses: the sink only ever starts in development.
    env: str = "development"

    # Outgoing
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = 30.0
    # A CA bundle to trust for the relay's certificate (an internal CA); the system's otherwise
    smtp_ca_file: Path | None = None
    mail_from: str = "IRO disputes <disputes@localhost>"
    # Replies go to <reply_local>+TOKEN@<reply_domain>
    reply_local: str = "disputes"
    reply_domain: str = "localhost"
    # Where links in the emails point
    base_url: str = "http://127.0.0.1:8000"
    # A folder whose templates replace the bundled ones, file by file
    mail_templates_dir: Path | None = None
    # Sending discipline
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_lease_seconds: int = Field(default=300, ge=10)
    mail_batch_size: int = Field(default=50, ge=1)
    # The most a message's attachments may hold together, in bytes before encoding. Base64
    # adds a third on the wire: 7 MiB of files is about 9.8 MB, under the common 10 MB limit.
    mail_max_attachment_bytes: int = Field(default=7 * 1024 * 1024, ge=1)

    mail_transport: MailTransport = MailTransport.SMTP
    # GOV.UK Notify: an API key, one email template with subject ((subject)) and body
    # ((body)), and the id of the reply-to address set up for the council's mailbox
    notify_api_key: SecretStr = SecretStr("")
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_template_id: str = ""
    notify_reply_to_id: str = ""
    # How SMTP and IMAP sign in. With m365, smtp_username and imap_user are the mailbox
    # address and the password settings are unused.
    mail_auth: MailAuth = MailAuth.PASSWORD
    m365_tenant_id: str = ""
    m365_client_id: str = ""
    m365_client_secret: SecretStr = SecretStr("")
    m365_authority_host: str = "https://login.microsoftonline.com"
    m365_scope: str = "https://outlook.office365.com/.default"
    # A CA bundle for the token endpoint (a proxy that inspects TLS); the system's otherwise
    m365_ca_file: Path | None = None

    # Incoming: a larger message is refused before its body is stored (25 MB, as
    # Exchange Online's default receive limit)
    mail_max_inbound_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Incoming over IMAP (unset host: no polling)
    imap_host: str = ""
    imap_port: int = 993
    imap_ssl: bool = True
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"

    # Built-in SMTP receiver for councils that forward replies to the service
    receiver_host: str = "127.0.0.1"
    receiver_port: int = 2525

    # Development sink. With mail_sink on (the default), the worker starts the sink
    # itself whenever the SMTP settings point at it, so `make run` needs no mail server.
    sink_host: str = "127.0.0.1"
    sink_port: int = 8025
    mail_sink: bool = True

    # Worker schedule
    mail_send_seconds: float = Field(default=5, gt=0)
    imap_poll_seconds: float = Field(default=60, gt=0)
    digest_day_of_week: str = "mon"
    digest_hour: int = Field(default=8, ge=0, le=23)

    @property
    def sends_to_sink(self) -> bool:
        return (
            self.mail_sink
            and self.env.lower() in {"development", "dev", "test"}
            and self.smtp_host in ("127.0.0.1", "localhost")
            and self.smtp_port == self.sink_port
        )

    @property
    def sink_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def message_id_domain(self) -> str:
        return self.reply_domain or "localhost"

    def reply_address(self, token: str) -> str:
        return f"{self.reply_local}+{token}@{self.reply_domain}"


@lru_cache
def _from_environment() -> MailSettings:
    return MailSettings()


_override: list[MailSettings] = []


def get_mail_settings() -> MailSettings:
    """The settings in force: those given to `use_settings`, else the environment's."""
    return _override[-1] if _override else _from_environment()


def use_settings(settings: MailSettings | None) -> None:
    """Put explicit settings in force (tests, the CLI); None goes back to the environment."""
    _override.clear()
    if settings is not None:
        _override.append(settings)
