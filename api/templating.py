"""Jinja2 for every page: our templates beside the GOV.UK Frontend macros.

`render(request, name, context)` adds what every page needs: the signed-in
person, the CSRF token, the council's name and colour, the navigation for the
person's role and any flash messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from contextlib import suppress
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    BytecodeCache,
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from api.pagination import pagination
from api.web_settings import WebSettings, get_web_settings
from escalation_rules.model import Role
from workflow.states import Action, State
from workflow.tables import Person

TEMPLATES_DIR = Path(__file__).parent / "templates"
LONDON = ZoneInfo("Europe/London")
FLASH_KEY = "_flash"


class _PageEnvironment(Environment):
    """Jinja's environment, with each template's globals a plain dict.

    Jinja keeps them as a `ChainMap` over the environment's own, and every `import` of a
    macro file (the GOV.UK macros import theirs inside each macro, so once per cell of the
    log's table) compares its keys with the page's in Python, one ChainMap look-up at a
    time: a twentieth of a log page's CPU. A plain dict is compared in C. The globals are
    all set in `environment()` before any template loads, so a copy misses nothing."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


@lru_cache
def environment() -> Environment:
    env = _PageEnvironment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(["html", "htm", "xml", "njk"], default_for_string=True),
        # The GOV.UK macros read optional keys of optional dicts.
        undefined=ChainableUndefined,
        trim_blocks=True,
        auto_reload=False,  # templates ship with the code: no stat() of every file per page
        lstrip_blocks=True,
        bytecode_cache=compiled_templates(),
    )
    env.filters.update(
        london=london_time,
        day=long_date,
        state_label=state_label,
        role_label=role_label,
        action_label=action_label,
    )
    env.globals["challenge_rows"] = challenge_rows
    env.globals["pagination"] = pagination
    return env


def compiled_templates(directory: str | None = None) -> BytecodeCache | None:
    """Compiled templates kept on disk, so each new web process loads them rather than
    compiling them again: the pages' 95 templates took 1.1 s of CPU to compile and 33 ms to
    load, paid on the first pages of every process after every start (the first log page
    240 ms, then 23). By default Jinja's own directory for this user (created private to
    them, refused if anyone else could write to it); a template whose source changed is
    compiled again. None where no such directory can be made (a read-only filesystem):
    templates are then compiled in memory as before."""
    try:
        if directory is not None:
            Path(directory).mkdir(mode=0o700, parents=True, exist_ok=True)
        return _CompiledTemplates(directory)
    except (OSError, RuntimeError):
        return None


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's cache on disk, where a file that cannot be read or written (the directory
    cleared away by a temporary-files cleaner, a full disk) means compiling the template
    in memory, never a failed page: Jinja's own lets the error through to the page."""

    def load_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


def london_time(value: datetime | None) -> str:
    """Such as "2 December 2026 at 5:00pm", in London time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local.strftime('%p').lower()}"


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return _day_text(value)


# The log shows two dates on each of its fifty rows, and strftime's month name cost more
# than the rest of a cell. A day's words never change; 4,096 days are eleven years.
@lru_cache(maxsize=4096)
def _day_text(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def challenge_rows(
    rows: Iterable[Any],
    now: datetime,
    stage_name: Callable[[str | None], str],
    tag: Callable[[str], str],
    wide: bool = False,
    what: Callable[[Any], Any] | None = None,
) -> Markup:
    """The body rows of `components/challenge_table.html`, byte for byte what its loop wrote.

    Written here because the log shows fifty rows of a dozen cells: as a Jinja loop each
    cell is a lookup, a call and a Markup object, about a third of the page's rendering."""
    nowrap = " app-nowrap" if wide else ""
    cell = '      <td class="govuk-table__cell">'
    out: list[str] = []
    add = out.append
    for row in rows:
        reference = escape(row.reference)
        add(f'    <tr class="govuk-table__row">\n      <td class="govuk-table__cell{nowrap}">'
            f'<a class="govuk-link" href="/challenges/{reference}">{reference}</a></td>\n'
            f"{cell}{escape(row.child_reference)}</td>\n"
            f'{cell}<strong class="govuk-tag {escape(tag(row.state))}">'
            f"{escape(state_label(row.state))}</strong>")  # fmt: skip
        if row.overdue(now):
            add(' <strong class="govuk-tag govuk-tag--red">Overdue</strong>')
        add(f"</td>\n{cell}{escape(stage_name(row.stage_key))}</td>\n")
        if wide:
            add(f"{cell}{escape(row.theme)}</td>\n{cell}{escape(row.team_name or 'No team')}</td>\n"
                f"{cell}{escape(row.iro_name)}</td>\n{cell}{escape(row.responder_name or 'Nobody')}"
                f'</td>\n      <td class="govuk-table__cell{nowrap}">{escape(long_date(row.raised_at))}</td>\n')  # fmt: skip
        else:
            add(f"{cell}{escape(row.responder_name or '')}</td>\n")
        add(f'      <td class="govuk-table__cell{nowrap}">{escape(long_date(row.due_at))}</td>\n')
        if what:
            add(f'<td class="govuk-table__cell" data-testid="what">{escape(what(row))}</td>')
        add("    </tr>\n")
    return Markup("".join(out))  # noqa: S704  (every value above went through escape)


_STATE_LABELS = {state.value: state.label for state in State}


def state_label(value: str) -> str:
    return _STATE_LABELS.get(value, value)


def role_label(value: str) -> str:
    try:
        return Role(value).label
    except ValueError:
        return value


ACTION_LABELS = {
    Action.ACCEPT: "Accept the response",
    Action.REJECT: "Reject and escalate",
    Action.ESCALATE: "Escalate to a stage",
    Action.EXTEND: "Extend the deadline",
    Action.PAUSE: "Pause",
    Action.RESUME: "Resume",
    Action.WITHDRAW: "Withdraw",
    Action.CLOSE: "Close",
    Action.REFER_CAFCASS: "Refer to CAFCASS",
    Action.RECORD_GOOD_PRACTICE: "Record a good-practice alert",
    Action.RESPOND: "Answer the challenge",
    Action.RAISE_FORMAL: "Raise formally",
    Action.RAISE_INFORMAL: "Record informal resolution",
    Action.TIME_OUT: "Timed out",
}


def action_label(value: str, state: str | None = None) -> str:
    """The button's words; accepting only accepts a response when there is one."""
    try:
        action = Action(value)
    except ValueError:
        return value.replace("_", " ").capitalize()
    if action is Action.ACCEPT and state is not None and state != State.RESPONSE_RECEIVED:
        return "Mark as resolved"
    return ACTION_LABELS[action]


def navigation(person: Person | None, path: str) -> list[dict[str, Any]]:
    """The service navigation links for a role, with the current one marked."""
    if person is None:
        return []
    role = Role(person.role)
    links: list[tuple[str, str]] = []
    if role is Role.IRO:
        links += [("Your challenges", "/"), ("All your challenges", "/challenges")]
        links += [("Raise a challenge", "/challenges/new")]
        links += [("Record good practice", "/good-practice/new")]
    elif role is Role.SMT_READER:
        links += [("Reports", "/reports")]
    elif role in (Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN):
        links += [("Your challenges", "/")]
    else:
        links += [("Your challenges", "/"), ("All your challenges", "/challenges")]
    if role in (Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN):
        links += [("Challenge log", "/log")]
    if role in (Role.HEAD_OF_SERVICE, Role.SENIOR_MANAGER, Role.ADMIN):
        links += [("Reports", "/reports")]
    if role is Role.ADMIN:
        links += [("Admin", "/admin")]
    return [
        {
            "text": text,
            "href": href,
            "active": path == href or (href not in ("/", "/challenges") and path.startswith(href)),
        }
        for text, href in links
    ]


def flash(request: Request, message: str, heading: str = "Success") -> None:
    """Show a notification banner on the next page this person sees."""
    request.session.setdefault(FLASH_KEY, []).append({"heading": heading, "message": message})
    request.session[FLASH_KEY] = list(request.session[FLASH_KEY])


def _pop_flashes(request: Request) -> list[dict[str, str]]:
    if "session" not in request.scope:
        return []
    messages: list[dict[str, str]] = request.session.pop(FLASH_KEY, [])
    return messages


def csrf_token(request: Request) -> str:
    getter = request.scope.get("csrftoken")
    return str(getter()) if callable(getter) else ""


def page_context(request: Request, settings: WebSettings | None = None) -> dict[str, Any]:
    settings = settings or getattr(request.app.state, "web_settings", None) or get_web_settings()
    person = getattr(request.state, "person", None)
    return {
        "request": request,
        "current_person": person,
        "current_role": Role(person.role) if person is not None else None,
        "csrf_token": csrf_token(request),
        "council_name": settings.council_name,
        "council_colour": settings.council_colour,
        "service_name": settings.service_name,
        "idle_seconds": settings.idle_minutes * 60,
        "navigation": navigation(person, request.url.path),
        "flashes": _pop_flashes(request),
    }


def render(
    request: Request,
    template_name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    template = environment().get_template(template_name)
    html = template.render({**page_context(request), **(context or {})})
    return HTMLResponse(html, status_code=status_code)
