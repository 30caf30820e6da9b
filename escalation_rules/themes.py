"""The default taxonomy of challenge themes, shipped as themes.toml beside this file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from escalation_rules._toml_table import SLUG


@dataclass(frozen=True, slots=True)
class Theme:
    key: str  # stored on challenges: stable
    label: str  # shown to people


def default_themes() -> list[Theme]:
    """The default themes, in the order they are offered."""
    return list(_load())


@cache
def _load() -> tuple[Theme, ...]:
    text = resources.files("escalation_rules").joinpath("themes.toml").read_text("utf-8")
    themes = tuple(Theme(t["key"], t["label"]) for t in tomllib.loads(text)["themes"])
    keys = [t.key for t in themes]
    # A shipped file, so a mistake is a bug: fail loudly at first use.
    if len(set(keys)) != len(keys) or not all(SLUG.match(k) for k in keys):
        raise ValueError(f"themes.toml: theme keys must be unique slugs: {keys}")
    return themes
