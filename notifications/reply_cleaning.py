"""What the manager wrote, and nothing else: quoted history, attribution lines,
signatures, client taglines, legal disclaimers and external-mail banners removed.

Pure functions over plain text (HTML is turned into text first, with quoted blocks
marked `>` so both paths look alike). Answers typed between the quoted lines are
kept with the question each answers, the question marked `> `.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

# Lines that start the quoted history in the clients councils use.
_HISTORY = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-{2,}\s*original message\s*-{2,}$",  # classic Outlook, Outlook for Mac (older)
        r"^_{10,}$",  # Outlook on the web and new Outlook draw a rule above the header block
        r"^on .{0,200}\d.{0,200}\b(wrote|a écrit|schrieb)\s*:?$",  # Gmail, Apple Mail
        r"^-{2,}\s*forwarded message\s*-{2,}$",
        r"^begin forwarded message:$",
    )
]
# One line that only says which client sent it.
_TAGLINES = re.compile(
    r"^(sent from (my )?(iphone|ipad|android|samsung|galaxy|mobile|blackberry|phone|"
    r"outlook|mail for windows|yahoo)\b.*|get outlook for (ios|android)\b.*|"
    r"sent from outlook for (ios|android)\b.*|sent with .{0,40}|"
    r"sent from my .{0,40}|download outlook for .{0,40})$",
    re.IGNORECASE,
)
# Valedictions: from here on is a signature when little follows.
_SIGN_OFF = re.compile(
    r"^(kind(est)? regards|warm(est)? regards|best regards|regards|many thanks|thanks( again)?|"
    r"thank you|best wishes|best|cheers|all the best|with thanks|yours sincerely|"
    r"yours faithfully|yours|thanks and regards|speak soon)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^--\s?$")
# Legal disclaimers and external-mail warnings, recognised by what they say.
_BOILERPLATE = re.compile(
    r"(this (e-?mail|message)( and any (files|attachments)[^.]*)? (is|are|may be) "
    r"(confidential|intended solely|private)|intended (solely|only) for the (use of the )?"
    r"(addressee|individual|named recipient|person)|if you have received this "
    r"(e-?mail|message|communication) in error|if you are not the intended recipient|"
    r"views (or opinions )?expressed in this|may be monitored|e-?mails? (sent|received) "
    r"(to|by) (the council|us) may be|gcsx|freedom of information act|"
    r"originated from outside (of )?(the|your|this) organi[sz]ation|"
    r"do not click (on )?(any )?links or open attachments|"
    r"you don't often get email from|learn why this is important|"
    r"^\[?(external|caution|warning)\]?\s*[:\-!]|external (e-?mail|sender)|"
    r"think before you print|please consider the environment)",
    re.IGNORECASE,
)
_FROM = re.compile(r"^\*?(from|van|de|von)\s?:\*?\s*\S", re.IGNORECASE)
_SENT = re.compile(r"^\*?(sent|date|verzonden|envoyé|gesendet)\s?:\*?\s*\S", re.IGNORECASE)
# Byte-order marks and zero-width spaces Outlook for Mac and phones leave in the text.
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")
_QUOTED = re.compile(r"^\s*>")
MAX_SIGNATURE_LINES = 8


def clean_reply(body: str) -> str:
    """The newest text of a reply, with inline answers kept beside their questions."""
    body = _INVISIBLE.sub("", body.replace("\r\n", "\n").replace("\r", "\n"))
    lines = body.split("\n")
    lines = _drop_boilerplate(lines)
    inline = _inline_answers(lines)
    if inline is not None:
        return inline
    lines = _before_history(lines)
    text = "\n".join(lines)
    parsed = EmailReplyParser(languages=["en"]).read(text)
    if parsed.replies and str(parsed.replies[0].body or "").strip():
        text = str(parsed.replies[0].body)
    return _tidy(_drop_signature(text.split("\n")))


def _drop_boilerplate(lines: list[str]) -> list[str]:
    """Remove each paragraph that is a disclaimer or an external-mail banner."""
    kept: list[str] = []
    paragraph: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            paragraph.append(line)
            continue
        if paragraph and not _BOILERPLATE.search(" ".join(s.strip() for s in paragraph)):
            kept.extend(paragraph)
        paragraph = []
        kept.append(line)
    return kept[:-1]


def _before_history(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        stripped = line.strip().strip("*").strip()
        # Gmail wraps a long attribution onto a second line.
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else ""
        if any(p.match(stripped) or p.match(joined) for p in _HISTORY):
            return lines[:index]
        if _header_block(lines, index):
            return lines[:index]
        if _QUOTED.match(line) and index > 0:
            return lines[:index]
    return lines


def _header_block(lines: list[str], index: int) -> bool:
    """Outlook's quoted header: a From: line with Sent: or Date: within the next lines."""
    if not _FROM.match(lines[index].strip()):
        return False
    return any(_SENT.match(line.strip()) for line in lines[index + 1 : index + 5])


def _inline_answers(lines: list[str]) -> str | None:
    """Answers typed between quoted lines: each kept after the question it answers.

    Only when new text follows a quoted block (a top-posted reply over a quote has
    nothing after the quote but the quote's own end)."""
    blocks: list[tuple[bool, list[str]]] = []
    for line in lines:
        quoted = bool(_QUOTED.match(line))
        if not line.strip() and blocks:
            blocks[-1][1].append(line)
            continue
        if not blocks or blocks[-1][0] != quoted:
            blocks.append((quoted, []))
        blocks[-1][1].append(line)
    own = [
        i
        for i, (quoted, block) in enumerate(blocks)
        if not quoted and _drop_signature(block) and _tidy(_drop_signature(block))
    ]
    if not any(i > 0 and blocks[i - 1][0] for i in own):
        return None
    parts: list[str] = []
    for i in own:
        answer = _tidy(_drop_signature(_without_attribution(blocks[i][1])))
        if not answer:
            continue
        if i > 0 and blocks[i - 1][0]:
            question = _question(blocks[i - 1][1])
            if question:
                parts.append(question)
        parts.append(answer)
    return "\n\n".join(parts).strip()


def _question(block: list[str]) -> str:
    """The last paragraph of a quoted block: the question the answer below it is about."""
    text = [re.sub(r"^\s*(>\s?)+", "", line).rstrip() for line in block]
    paragraphs = "\n".join(text).strip().split("\n\n")
    last = paragraphs[-1].strip() if paragraphs else ""
    return "\n".join(f"> {line}" for line in last.split("\n")) if last else ""


def _without_attribution(block: list[str]) -> list[str]:
    return [line for line in block if not any(p.match(line.strip()) for p in _HISTORY[2:3])]


def _drop_signature(lines: list[str]) -> list[str]:
    kept = [line for line in lines if not _TAGLINES.match(line.strip())]
    for index, line in enumerate(kept):
        if _SIGNATURE_DELIMITER.match(line):
            return kept[:index]
    for index, line in enumerate(kept):
        before = any(s.strip() for s in kept[:index])
        rest = [s for s in kept[index + 1 :] if s.strip()]
        if before and _SIGN_OFF.match(line.strip()) and len(rest) <= MAX_SIGNATURE_LINES:
            return kept[:index]
    return kept


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
