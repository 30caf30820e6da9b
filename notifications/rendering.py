"""Jinja2 templates for every message, plain text and HTML.

Each kind of message has `<kind>.subject.txt`, `<kind>.txt` and `<kind>.html`
in `notifications/templates/`. A council replaces any of them by putting a file
of the same name in the folder IRO_DISPUTES_MAIL_TEMPLATES_DIR names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

_LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def london(value: datetime | None, with_time: bool = True) -> str:
    """A UTC moment as council staff read it: 'Monday 4 January 2027, 5:00pm'."""
    if value is None:
        return ""
    local = value.astimezone(_LONDON)
    day = f"{local:%A} {local.day} {local:%B %Y}"
    if not with_time:
        return day
    hour = local.hour % 12 or 12
    return f"{day}, {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


@lru_cache(maxsize=8)
def environment(override_dir: Path | None) -> Environment:
    loaders: list[Any] = []
    if override_dir is not None:
        loaders.append(FileSystemLoader(str(override_dir)))
    loaders.append(PackageLoader("notifications", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["london"] = london
    env.filters["london_date"] = lambda v: london(v, with_time=False)
    return env


def render(kind: str, context: dict[str, Any], override_dir: Path | None = None) -> Rendered:
    env = environment(override_dir)
    subject = env.get_template(f"{kind}.subject.txt").render(context)
    return Rendered(
        subject=" ".join(subject.split()),
        text=env.get_template(f"{kind}.txt").render(context),
        html=env.get_template(f"{kind}.html").render(context),
    )
