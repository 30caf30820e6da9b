"""A reply read as an answer: the response, the actions and a target date if one is given.

The email suggests lines starting `Actions:` and `Target date:`; managers are free
to ignore it. Without `Actions:` the whole reply is the actions. The target date is
the `Target date:` line's when there is one, else the date the reply commits to in
any common UK form (`29/01/2027`, `29 January 2027`, `by Friday 29 Jan`, bold or
not): a date after "by", "before", "deadline" or "target" first, else the first
date that is not in the past. Failing any date, a weekday alone after such a word
("by Friday", "before end of play Thursday") is the next such day in London after the
day the reply came, but only when that cannot be read two ways: not "next Friday" or
"Friday week" (people mean different weeks by them), not the weekday of the day the
reply came (today, or a week today?), and not two different weekdays. None when the
reply gives no date; the response is then recorded as "no target date given" rather
than a date the manager never wrote.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_ACTIONS = re.compile(r"^\s*[*_]*actions?[*_]*\s*[:\-]\s*(.*)$", re.IGNORECASE)
_TARGET = re.compile(r"^\s*[*_]*target\s+date[*_]*\s*[:\-]\s*(.*)$", re.IGNORECASE)
_MONTH_NAMES = (
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december"),
)  # fmt: skip
_MONTHS = {name: i + 1 for i, names in enumerate(_MONTH_NAMES) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?"
# Each form, with named groups; days first (UK), years optional where people omit them.
_FORMS = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b"),
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<mn>{_MONTH})\.?,?(?:\s+(?P<y>\d{{4}}))?\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<y>\d{{4}}))?\b",
        re.IGNORECASE,
    ),
)
_COMMITMENT = re.compile(
    rf"\b(by|before|no later than|deadline|target|due|complete[ds]? on|until)\b[:\s]*"
    rf"(?:{_WEEKDAY}\s+)?(?:the\s+)?$",
    re.IGNORECASE,
)
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = (
    r"mon(?:day)?|tues?(?:day)?|wed(?:s|nesday)?|thu(?:rs?|rsday)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?"
)
_SPOKEN_WEEKDAY = re.compile(
    r"\b(?P<before>by|before|no later than|until|till|deadline|due|target)\b"
    r"(?:\s+(?:the\s+)?(?:end|close)\s+of(?:\s+(?:play|day|business))?(?:\s+on)?)?"
    r"(?:\s+(?P<which>this|next|coming|the))?\s+"
    rf"(?P<day>{_DAY})\b\.?(?P<week>\s+week\b)?(?P<rest>[^.!?\n]*)",
    re.IGNORECASE,
)
_ANY_DAY = re.compile(rf"\b({_DAY})\b", re.IGNORECASE)


def answer_params(reply: str, now: datetime) -> dict[str, Any]:
    """Split a reply into response, actions and target date (None when none is given)."""
    response_lines: list[str] = []
    actions: list[str] = []
    target: date | None = None
    in_actions = False
    for line in reply.splitlines():
        if m := _TARGET.match(line):
            target, in_actions = target or first_date(m.group(1), now), False
        elif m := _ACTIONS.match(line):
            in_actions = True
            if m.group(1).strip():
                actions.append(m.group(1).strip())
        elif in_actions and line.strip():
            actions.append(line.strip())
        else:
            in_actions = False
            response_lines.append(line)
    response = "\n".join(response_lines).strip() or "\n".join(actions)
    target = target or committed_date(reply, now) or spoken_weekday(reply, now)
    return {
        "response": response,
        "actions": "\n".join(actions) or response,
        "target_date": target.isoformat() if target else None,
    }


def parse_uk_date(text: str, now: datetime) -> date | None:
    """A date written alone (a form field, a `Target date:` line), UK day first."""
    cleaned = re.sub(rf"^\s*{_WEEKDAY}\s*", "", text.strip().strip("*_").rstrip("."), flags=re.I)
    found = _dates(cleaned, now)
    if len(found) == 1 and found[0][1] == 0 and found[0][2] >= len(cleaned.strip()) - 1:
        return found[0][0]
    return None


def first_date(text: str, now: datetime) -> date | None:
    found = _dates(text, now)
    return found[0][0] if found else None


def committed_date(text: str, now: datetime) -> date | None:
    """The date a free-text reply commits to, if any (see the module's docstring)."""
    quoted = re.compile(r"^\s*>.*$", re.MULTILINE)
    own = quoted.sub("", text)  # a date in the question quoted above an answer is not theirs
    found = _dates(own, now)
    for value, start, _end in found:
        if _COMMITMENT.search(own[max(0, start - 40) : start]) and value >= now.date():
            return value
    # A yearless date already past this year ("1 November" in December) is more likely a
    # reference to the past than a commitment a year away: it comes last.
    future = sorted(
        (value for value, _s, _e in found if value >= now.date()),
        key=lambda value: value.year > now.year and not _written_year(own, value),
    )
    return future[0] if future else None


def spoken_weekday(text: str, now: datetime) -> date | None:
    """A weekday alone ("by Friday"): the next such day in London, when unambiguous."""
    own = re.sub(r"^\s*>.*$", "", text, flags=re.MULTILINE)
    named = list(_SPOKEN_WEEKDAY.finditer(re.sub(r"[*_]", " ", own)))
    # "by Monday or Tuesday": every weekday in the rest of the sentence counts too.
    spoken = [m["day"] for m in named] + [d for m in named for d in _ANY_DAY.findall(m["rest"])]
    days = {_DAY_NAMES.index(day.lower()[:3]) for day in spoken}
    if len(days) != 1 or any(_two_readings(m) for m in named):
        return None
    today = now.astimezone(LONDON).date()
    ahead = (days.pop() - today.weekday()) % 7
    return today + timedelta(days=ahead) if ahead else None


def _two_readings(m: re.Match[str]) -> bool:
    return bool(m["week"]) or (m["which"] or "").lower() == "next"


def _written_year(text: str, value: date) -> bool:
    return str(value.year) in text


def _dates(text: str, now: datetime) -> list[tuple[date, int, int]]:
    plain = re.sub(r"[*_]", " ", text)  # bold and underline markers from plain-text clients
    found: dict[int, tuple[date, int, int]] = {}
    for form in _FORMS:
        for m in form.finditer(plain):
            if any(s <= m.start() < e for _v, s, e in found.values()):
                continue
            value = _from_match(m, now)
            if value is not None:
                found[m.start()] = (value, m.start(), m.end())
    return [found[k] for k in sorted(found)]


def _from_match(m: re.Match[str], now: datetime) -> date | None:
    parts = m.groupdict()
    month = _MONTHS[parts["mn"].lower()] if parts.get("mn") else int(parts["m"])
    day = int(parts["d"])
    if parts.get("y"):
        year = int(parts["y"]) + (2000 if len(parts["y"]) == 2 else 0)
        return _date(year, month, day)
    found = _date(now.year, month, day)
    if found is not None and found < now.date():  # "9 Jan" written in December is next year's
        found = _date(now.year + 1, month, day)
    return found


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
