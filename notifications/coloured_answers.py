"""Answers typed into the quoted message in coloured text, as Outlook users write them.

Classic Outlook (Windows) and new Outlook quote the message being answered without `>`
marks, below a separator (`divRplyFwdMsg`, or Word's `border-top:solid #E1E1E1` rule
over the From:/Sent: block). A manager answering point by point types into that quoted
text in a colour of their own, often after their name in brackets ("[Sam Worker] ..."
from Outlook's "Mark my comments with", or "[Sam: ...]" typed by hand). The plain-text
part Outlook generates cannot tell the two apart, so this reads the HTML: after the
separator, text in a colour (not black or grey, not a link) is the manager's; the rest
is quoted and comes out marked `> `, as a plain-text client would have marked it, for
`reply_cleaning` to keep each answer with the question above it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SEPARATOR_IDS = ("divrplyfwdmsg", "appendonsend", "x_divrplyfwdmsg")
# Word's rule above the quoted From:/Sent: block (Outlook 2013 on; 2007-2010's blue).
_WORD_RULE = re.compile(r"border-top:\s*solid\s+#(e1e1e1|b5c4df)", re.IGNORECASE)
_COLOUR = re.compile(r"(?:^|;)\s*color\s*:\s*([^;!]+)", re.IGNORECASE)
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "wbr", "base"})
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "blockquote", "hr", "pre"})
_NEUTRAL_NAMES = frozenset({"black", "windowtext", "auto", "inherit", "initial", "currentcolor",
                            "gray", "grey", "dimgray", "dimgrey", "darkgray", "darkgrey",
                            "silver", "white", "unset", "transparent"})  # fmt: skip
# How far apart the red, green and blue of a colour must be for it to be a colour
# rather than a black or grey (GOV.UK's #0b0c0c text, #505a5f hints, Outlook's greys).
_CHROMA = 60
_NAME_FIRST = re.compile(r"^\[[A-Z][\w.'\u2019-]*(?:\s+[\w.'\u2019-]+){0,3}\]\s*")
_NAME_COLON = re.compile(r"^\[[A-Z][\w.'\u2019-]*(?:\s+[\w.'\u2019-]+){0,3}:\s*")


def is_answer_colour(value: str) -> bool:
    """True for a colour a person picks to stand out: not black, grey or white."""
    value = value.strip().lower()
    if value in _NEUTRAL_NAMES:
        return False
    rgb = _rgb(value)
    if rgb is None:
        return value.isalpha()  # a named colour: red, blue, navy, purple, ...
    return max(rgb) - min(rgb) >= _CHROMA


def _rgb(value: str) -> tuple[int, int, int] | None:
    if m := re.fullmatch(r"#([0-9a-f]{6})", value):
        h = m.group(1)
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    if m := re.fullmatch(r"#([0-9a-f]{3})", value):
        return tuple(int(c * 2, 16) for c in m.group(1))  # type: ignore[return-value]
    if m := re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+).*\)", value):
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[tuple[bool, str]]] = [[]]  # (is the manager's, text) runs
        self.after_separator = False
        self.answered = False
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, coloured, inside a link)
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        marks = f"{found.get('id') or ''} {found.get('class') or ''}".lower()
        if any(m in marks for m in _SEPARATOR_IDS) or _WORD_RULE.search(found.get("style") or ""):
            self.after_separator = True
        if tag in ("style", "script", "head", "title"):
            self._skip += 1
        if tag in _BLOCKS:
            self.lines.append([])
        if tag not in _VOID:
            self._stack.append((tag, *self._colour(tag, found)))

    def _colour(self, tag: str, attrs: dict[str, str | None]) -> tuple[bool, bool]:
        coloured, in_link = self._stack[-1][1:] if self._stack else (False, False)
        if tag == "a" or in_link:
            return coloured, True  # a link's own blue is not an answer
        colour = attrs.get("color") if tag == "font" else None
        if m := _COLOUR.search(attrs.get("style") or ""):
            colour = m.group(1)
        return (is_answer_colour(colour) if colour else coloured), False

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip = max(0, self._skip - 1)
        if tag in _BLOCKS:
            self.lines.append([])
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        coloured = bool(self._stack and self._stack[-1][1])
        own = not self.after_separator or coloured
        if self.after_separator and coloured and data.strip():
            self.answered = True
        # A line end in HTML source is a space; lines end only at blocks and <br>.
        self.lines[-1].append((own, re.sub(r"\s+", " ", data)))


def coloured_answers(html: str) -> str | None:
    """The reply as text with the quoted message marked `> `, when the manager answered
    in colour inside it; None when there is no such answer (read the usual way)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    if not reader.answered:
        return None
    lines: list[tuple[bool, str]] = []
    for runs in reader.lines:
        lines.extend(_split(runs))
    return "\n".join(_without_names(lines))


def _split(runs: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    """One line of runs into lines that are wholly the manager's or wholly quoted."""
    out: list[tuple[bool, str]] = []
    for own, text in runs:
        text = text.replace("\xa0", " ")
        if not text.strip():
            if out:
                out[-1] = (out[-1][0], out[-1][1] + text)
            continue
        if out and out[-1][0] == own:
            out[-1] = (own, out[-1][1] + text)
        else:
            out.append((own, text))
    return [(own, " ".join(text.split())) for own, text in out] or [(True, "")]


def _without_names(lines: list[tuple[bool, str]]) -> list[str]:
    """Quoted lines marked `> `; "[Sam Worker]" or "[Sam: ...]" taken off each answer."""
    out: list[str] = []
    open_bracket = False
    for index, (own, text) in enumerate(lines):
        if not own:
            out.append(f"> {text}")
            continue
        starts = index == 0 or not lines[index - 1][0] or not lines[index - 1][1]
        if starts and _NAME_COLON.match(text):
            text, open_bracket = _NAME_COLON.sub("", text), True
        elif starts:
            text = _NAME_FIRST.sub("", text)
        following = lines[index + 1] if index + 1 < len(lines) else (False, "")
        if open_bracket and (not following[0] or not following[1]) and text.endswith("]"):
            text, open_bracket = text[:-1].rstrip(), False
        out.append(text)
    return out
