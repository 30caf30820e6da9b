"""Reading one TOML table while collecting every problem instead of stopping at the first.

Each getter returns a value of the right type: the real one, or a harmless fallback
after noting a problem. The loader checks for problems once at the end, so an admin
sees every mistake in a ladder file in one go.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

SLUG = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True, slots=True)
class LadderProblem:
    key: str  # dotted path such as "stages[2].responder"; "" for the file as a whole
    problem: str


def expected(values: Collection[str]) -> str:
    return "expected one of: " + ", ".join(values)


class Table:
    def __init__(self, data: Mapping[str, object], where: str, sink: list[LadderProblem]):
        self.data = data
        self.where = where
        self.sink = sink

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> None:
        self.sink.append(LadderProblem(self.path(key), problem))

    def check_keys(self, allowed: Collection[str]) -> None:
        """Refuse keys the format does not know: almost always a typo."""
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else expected(sorted(allowed))
                self.fail(key, f"unknown key ({hint})")

    def fetch(self, key: str, kind: type[T], what: str, required: bool = False) -> T | None:
        """The value at `key` if present with the right type, else None (noting why)."""
        if key not in self.data:
            if required:
                self.fail(key, "missing required key")
            return None
        value = self.data[key]
        # bool is an int in Python; TOML `true` must not pass for a number.
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        self.fail(key, f"must be {what}, got {value!r}")
        return None

    def text(self, key: str, default: str = "", required: bool = False) -> str:
        value = self.fetch(key, str, "a string", required)
        if value is not None and required and not value.strip():
            self.fail(key, "must not be empty")
        return default if value is None else value

    def slug(self, key: str, required: bool = True) -> str:
        value = self.text(key, required=required)
        if key in self.data and isinstance(self.data[key], str) and not SLUG.match(value):
            self.fail(key, f"must be a slug (lower-case letters, digits, '-' or '_'): {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.fetch(key, bool, "true or false")
        return default if value is None else value

    def count(self, key: str, default: int, minimum: int, required: bool = False) -> int:
        value = self.fetch(key, int, "a whole number", required)
        if value is None:
            return default
        if value < minimum:
            bound = "greater than 0" if minimum == 1 else f"{minimum} or more"
            self.fail(key, f"must be {bound}, got {value}")
            return default
        return value

    def days_or_none(self, key: str, default: int, required: bool = False) -> int | None:
        """A whole number of working days greater than 0, or the string "none"."""
        if self.data.get(key) == "none":
            return None
        value = self.data.get(key)
        if isinstance(value, str):
            self.fail(key, f'must be a whole number of working days or "none", got {value!r}')
            return default
        return self.count(key, default, minimum=1, required=required)

    def clock(self, key: str, default: time) -> time:
        value = self.fetch(key, str, 'a time such as "17:00"')
        if value is None:
            return default
        match = _CLOCK.match(value)
        if match is None:
            self.fail(key, f'must be a 24-hour time "HH:MM" such as "17:00", got {value!r}')
            return default
        return time(int(match[1]), int(match[2]))

    def choice(self, key: str, enum: type[E], default: E, what: str) -> E:
        value = self.fetch(key, str, f"a string naming a {what}", required=False)
        if value is None:
            return default
        return self.member(key, enum, value, what) or default

    def member(self, key: str, enum: type[E], value: object, what: str) -> E | None:
        """`value` as a member of `enum`, or None after noting an unknown value."""
        for option in enum:
            if option.value == value:
                return option
        self.fail(key, f"unknown {what} {value!r} ({expected([e.value for e in enum])})")
        return None

    def day(self, key: str, value: object) -> date | None:
        # TOML has its own date literal; a quoted "2026-12-29" is accepted too.
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _ISO_DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(key, f"must be a date such as 2026-12-29, got {value!r}")
        return None

    def items(self, key: str, required: bool = False) -> list[tuple[str, object]]:
        """The items of the list at `key`, each with its own key such as "copy[1]"."""
        values = self.fetch(key, list, "a list", required)
        return [(f"{key}[{i}]", v) for i, v in enumerate(values or [])]

    def tables(self, key: str, required: bool = False) -> list[Table]:
        """The tables in the array of tables at `key` (`[[key]]` in TOML)."""
        found: list[Table] = []
        for item_key, value in self.items(key, required):
            if isinstance(value, dict):
                found.append(Table(value, self.path(item_key), self.sink))
            else:
                self.fail(item_key, f"must be a table ([[{key}]]), got {value!r}")
        return found

    def table(self, key: str) -> Table | None:
        value = self.fetch(key, dict, f"a table ([{key}])")
        return None if value is None else Table(value, self.path(key), self.sink)
