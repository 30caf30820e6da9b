"""Settings for the web service: the council's branding, secrets and sign-in options.

Read from the environment (or `.env`). Outside development the secret must be a
real one: the placeholders below are refused, so nobody ships a guessable key.
In development a random secret is made once and kept in the data folder.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections import Counter
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from escalation_rules.model import Role

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
MIN_SECRET_DISTINCT = 8
MIN_SECRET_BITS = 80.0
MIN_SECRET_GUESSES_LOG10 = 24  # about 2^80 guesses
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def secret_weakness(key: str) -> str | None:
    """Why `key` would be a guessable signing secret, or None when it looks random.

    Length alone lets "k" * 48 through. A random key of 32 or more characters has many
    distinct characters and at least MIN_SECRET_BITS of Shannon entropy (in 100,000 draws
    the least was 9 distinct and 92 bits for token_hex(16), 300 bits for
    token_urlsafe(48)); zxcvbn catches the patterned rest
    (alphabet runs, keyboard walks, words repeated)."""
    if key.strip().lower() in PLACEHOLDER_SECRETS:
        return "is empty or a placeholder"
    if len(key) < 32:
        return f"is {len(key)} characters long"
    if len(set(key)) < MIN_SECRET_DISTINCT:
        return f"uses only {len(set(key))} different characters"
    if _shannon_bits(key) < MIN_SECRET_BITS:
        return "is too repetitive to be random"
    from zxcvbn import zxcvbn  # on first use: its word lists take a while to load

    if zxcvbn(key[:72])["guesses_log10"] < MIN_SECRET_GUESSES_LOG10:
        return "follows a pattern (a sequence, a keyboard walk or words)"
    return None


def parse_group_roles(setting: str) -> dict[str, str]:
    """`IRO_DISPUTES_OIDC_GROUP_ROLES` as {group id: role}, in the order written."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in setting.split(","))):
        group, _, role = (part.strip() for part in pair.partition("="))
        if not group or role not in {r.value for r in Role}:
            raise ValueError(
                f"IRO_DISPUTES_OIDC_GROUP_ROLES: {pair!r} must be group-object-id=role, the "
                f"role one of {', '.join(r.value for r in Role)}"
            )
        mapping.setdefault(group, role)
    return mapping


def _shannon_bits(key: str) -> float:
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values())


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = Field(default="development", validation_alias="IRO_DISPUTES_ENV")
    secret_key: str = Field(default="", validation_alias="IRO_DISPUTES_SECRET_KEY")
    data_dir: Path = Field(
        default=Path("data"), validation_alias=AliasChoices("IRO_DISPUTES_DATA_DIR")
    )
    council_name: str = Field(
        default="Example Council", validation_alias="IRO_DISPUTES_COUNCIL_NAME"
    )
    council_colour: str = Field(default="#1d70b8", validation_alias="IRO_DISPUTES_COUNCIL_COLOUR")
    service_name: str = Field(
        default="Challenges and escalations", validation_alias="IRO_DISPUTES_SERVICE_NAME"
    )
    max_failed_sign_ins: int = Field(default=5, validation_alias="IRO_DISPUTES_MAX_FAILED_SIGN_INS")
    lockout_minutes: int = Field(default=15, validation_alias="IRO_DISPUTES_LOCKOUT_MINUTES")
    session_hours: int = Field(default=10, ge=1, validation_alias="IRO_DISPUTES_SESSION_HOURS")
    idle_minutes: int = Field(default=30, ge=2, validation_alias="IRO_DISPUTES_IDLE_MINUTES")
    require_second_factor: bool = Field(
        default=False, validation_alias="IRO_DISPUTES_REQUIRE_SECOND_FACTOR"
    )
    oidc_metadata_url: str = Field(default="", validation_alias="IRO_DISPUTES_OIDC_METADATA_URL")
    oidc_client_id: str = Field(default="", validation_alias="IRO_DISPUTES_OIDC_CLIENT_ID")
    oidc_client_secret: str = Field(default="", validation_alias="IRO_DISPUTES_OIDC_CLIENT_SECRET")
    # "group-object-id=role,..." (first listed wins); empty means roles are set here only.
    oidc_group_roles: str = Field(default="", validation_alias="IRO_DISPUTES_OIDC_GROUP_ROLES")
    oidc_label: str = Field(
        default="Sign in with your council account", validation_alias="IRO_DISPUTES_OIDC_LABEL"
    )

    @field_validator("council_colour")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError("IRO_DISPUTES_COUNCIL_COLOUR must look like #1d70b8")
        return value.lower()

    @field_validator("oidc_group_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        parse_group_roles(value)
        return value

    @model_validator(mode="after")
    def _real_secret_outside_development(self) -> WebSettings:
        if self.is_development:
            return self
        weakness = secret_weakness(self.secret_key)
        if weakness:
            raise ValueError(
                f"IRO_DISPUTES_SECRET_KEY {weakness}: outside development it must be a random "
                "value of at least 32 characters (for example: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment.lower() in {"development", "dev", "test"}

    @property
    def group_roles(self) -> dict[str, str]:
        return parse_group_roles(self.oidc_group_roles)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_metadata_url and self.oidc_client_id)

    def signing_secret(self) -> str:
        """The configured secret, or in development one made once and kept on disk."""
        if self.secret_key.strip().lower() not in PLACEHOLDER_SECRETS:
            return self.secret_key
        path = self.data_dir / "web-secret.txt"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a file of its own, then linked into place: a process starting
        # at the same moment either links first (and this one reads its secret) or finds
        # nothing, never a half-written file; every process signs with the same secret.
        made = path.with_name(f".web-secret-{secrets.token_hex(8)}")
        made.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        made.chmod(0o600)
        try:
            os.link(made, path)
        except FileExistsError:
            pass
        finally:
            made.unlink()
        return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_web_settings() -> WebSettings:
    return WebSettings()
