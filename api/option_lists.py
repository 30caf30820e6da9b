"""The log's filter menus as HTML, made once per version of their lists.

The team, IRO, responder and theme menus hold a few hundred options and were escaped
and written out on every log page, though they change only when an admin edits people,
teams or themes. `workflow.list_cache.ChoicesCache` hands out the same `LogChoices`
object until its trigger-kept version moves, so the menus made from one object stay
right for as long as it is handed out; a new object (a change, or no version row) is
made afresh. Only the `selected` mark depends on the request, and it is set per page.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from markupsafe import Markup

from workflow.queries import LogChoices


@dataclass(frozen=True)
class OptionList:
    """A select's `<option>`s, the first being "any" (value ""), escaped once: `plain`
    with none selected, and where in it each value's `selected` mark would go."""

    plain: Markup
    marks: dict[Hashable, int]

    @classmethod
    def of(cls, any_text: str, pairs: Iterable[tuple[Hashable, str]]) -> OptionList:
        parts: list[Markup] = []
        marks: dict[Hashable, int] = {}
        at = 0
        for value, text in [("", any_text), *pairs]:
            head = Markup('<option value="{}"').format(value)  # escapes what it is given
            marks.setdefault(value, at + len(head))
            option = head + Markup(">{}</option>\n").format(text)
            parts.append(option)
            at += len(option)
        return cls(Markup("").join(parts), marks)

    def html(self, current: Hashable | None) -> Markup:
        """Every option, the first whose value equals `current` marked selected."""
        at = self.marks.get(current) if current is not None else None
        if at is None:
            return self.plain
        return self.plain[:at] + Markup(" selected") + self.plain[at:]


@dataclass(frozen=True)
class LogMenus:
    themes: OptionList
    teams: OptionList
    iros: OptionList
    responders: OptionList


class MenuCache:
    """The menus of the last `LogChoices` object seen, made again for any other."""

    def __init__(self) -> None:
        self._held: tuple[LogChoices, LogMenus] | None = None
        self._lock = threading.Lock()

    def menus(self, choices: LogChoices) -> LogMenus:
        held = self._held
        if held is not None and held[0] is choices:
            return held[1]
        made = LogMenus(
            themes=OptionList.of("Any theme", choices.themes),
            teams=OptionList.of("Any team", choices.teams),
            iros=OptionList.of("Any IRO", choices.iros),
            responders=OptionList.of("Any responder", choices.responders),
        )
        with self._lock:
            self._held = (choices, made)
        return made
