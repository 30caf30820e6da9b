"""One root settings object for every process, and the production start check.

Each layer keeps the settings beside what they configure (`workflow.settings`,
`workflow.deadline_settings`, `notifications.settings`, `api.web_settings`);
`Settings` reads them all at once so a process sees one consistent set, and
`production_problems` says, setting by setting, why a production start is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.web_settings import WebSettings
from notifications.settings import MailSettings
from workflow.deadline_settings import DeadlineSettings
from workflow.settings import WorkflowSettings

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", ""})  # noqa: S104


class OperationsSettings(BaseSettings):
    """How the processes run: logs, metrics and readiness."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = Field(default="development", validation_alias="IRO_DISPUTES_ENV")
    # "json" or "text"; empty means JSON in production and text elsewhere.
    log_format: str = Field(default="", validation_alias="IRO_DISPUTES_LOG_FORMAT")
    log_level: str = Field(default="INFO", validation_alias="IRO_DISPUTES_LOG_LEVEL")
    # A bearer token Prometheus sends to /metrics; required outside development.
    metrics_token: str = Field(default="", validation_alias="IRO_DISPUTES_METRICS_TOKEN")
    # What a 503 tells clients to wait before trying again.
    retry_after_seconds: int = Field(
        default=30, ge=1, validation_alias="IRO_DISPUTES_RETRY_AFTER_SECONDS"
    )

    @property
    def is_development(self) -> bool:
        return self.environment.lower() in {"development", "dev", "test"}

    @property
    def json_logs(self) -> bool:
        if self.log_format:
            return self.log_format.lower() == "json"
        return not self.is_development


class SettingsRefused(RuntimeError):
    """The settings cannot run this process; the message names each setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "Refusing to start: " + "; ".join(problems) if problems else "Refusing to start"
        )


@dataclass(frozen=True)
class Settings:
    web: WebSettings
    mail: MailSettings
    workflow: WorkflowSettings
    deadlines: DeadlineSettings
    operations: OperationsSettings

    @property
    def is_production(self) -> bool:
        return self.operations.environment.lower() == "production"


def load_settings() -> Settings:
    """Every setting, from the environment and `.env`; a bad one is refused by name."""
    try:
        return Settings(
            web=WebSettings(),
            mail=MailSettings(),
            workflow=WorkflowSettings(),
            deadlines=DeadlineSettings(),
            operations=OperationsSettings(),
        )
    except ValidationError as error:
        raise SettingsRefused([_explain(e) for e in error.errors()]) from None


def _explain(error: object) -> str:
    assert isinstance(error, dict)
    where = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def production_problems(settings: Settings) -> list[str]:
    """Why these settings must not run a production service (empty when they may)."""
    if not settings.is_production:
        return []
    mail = settings.mail
    problems = []
    if _is_local(urlsplit(mail.base_url).hostname or ""):
        problems.append(
            f"IRO_DISPUTES_BASE_URL is {mail.base_url!r}: links in emails would point at "
            "this machine; set the service's public address, e.g. https://iro.example.gov.uk"
        )
    if _is_local(mail.reply_domain):
        problems.append(
            f"IRO_DISPUTES_REPLY_DOMAIN is {mail.reply_domain!r}: replies could never arrive; "
            "set the council's mail domain that delivers to the service"
        )
    if _is_local(mail.smtp_host):
        problems.append(
            f"IRO_DISPUTES_SMTP_HOST is {mail.smtp_host!r}: set the council's mail relay"
        )
    if _is_local(mail.mail_from.rpartition("@")[2].rstrip(">").strip()):
        problems.append(
            f"IRO_DISPUTES_MAIL_FROM is {mail.mail_from!r}: use an address in the "
            "council's mail domain"
        )
    if mail.mail_sink:
        problems.append(
            "IRO_DISPUTES_MAIL_SINK is on: the development mail sink must not run in "
            "production; set IRO_DISPUTES_MAIL_SINK=false"
        )
    if not settings.operations.metrics_token:
        problems.append(
            "IRO_DISPUTES_METRICS_TOKEN is not set: /metrics needs a token in production "
            "(any long random value; give Prometheus the same one)"
        )
    return problems


def _is_local(host: str) -> bool:
    host = host.strip().lower().strip("[]")
    return host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")


def checked_settings() -> Settings:
    """The settings, or `SettingsRefused` when a production start would be broken."""
    settings = load_settings()
    problems = production_problems(settings)
    if problems:
        raise SettingsRefused(problems)
    return settings
