"""Admin pages for the council's keyed lists: the kinds of outcome ("what changed for the
child") at /admin/outcome-kinds and the challenge themes at /admin/themes. Add, rename,
retire, bring back, and delete only an entry nothing uses; each change in the history. The
rules live in `workflow.keyed_lists`, shared with the `outcome-kinds` and `themes` commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.auth import ReadSession, RuntimeDep, require_roles
from api.forms import FormFields, rule_error
from api.templating import flash, render
from escalation_rules.model import Role
from workflow.change_history import history
from workflow.keyed_lists import (
    OUTCOME_KINDS,
    THEMES,
    KeyedList,
    ListRefused,
    delete,
    entries,
    key_from,
    rename,
    save,
    set_offered,
)
from workflow.read_scope import end_reads
from workflow.tables import Person

router = APIRouter(include_in_schema=False, prefix="/admin")
Admin = Annotated[Person, require_roles(Role.ADMIN)]
Key = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,59}$")]


class _Words:
    def __init__(self, lst: KeyedList, path: str, title: str, purpose: str) -> None:
        self.lst, self.path, self.title, self.purpose = lst, path, title, purpose
        self.noun = lst.noun


LISTS = (
    _Words(OUTCOME_KINDS, "outcome-kinds", "Kinds of outcome",
           "What changed for the child: the list an IRO picks from when accepting a response, "
           "counted in the report to the Senior Management Team."),
    _Words(THEMES, "themes", "Challenge themes",
           "The themes an IRO picks from when raising a challenge."),
)  # fmt: skip


def _list_page(request: Request, session: Session, w: _Words, a: dict[str, str],
               errors: dict[str, str]) -> Response:  # fmt: skip
    rows = [(row, w.lst.uses(session, row.key)) for row in entries(session, w.lst)]
    context = {"w": w, "rows": rows, "a": a, "errors": errors}
    return render(request, "admin/keyed_list.html", context, status_code=422 if errors else 200)


def _entry_page(request: Request, session: Session, w: _Words, key: str, a: dict[str, str],
                errors: dict[str, str]) -> Response:  # fmt: skip
    row = next((r for r in entries(session, w.lst) if r.key == key), None)
    if row is None:
        return render(request, "errors/error.html", {"status": 404, "title": "Page not found",
                      "detail": f"There is no {w.noun} '{key}'"}, status_code=404)  # fmt: skip
    context = {"w": w, "row": row, "uses": w.lst.uses(session, key), "a": a or {"label": row.label},
               "errors": errors, "changes": history(session, w.lst.record_kind, 0, key)}  # fmt: skip
    return render(request, "admin/keyed_entry.html", context, status_code=422 if errors else 200)


def _change(request: Request, runtime: Any, admin: Person, w: _Words, act: Callable[..., Any],
            done: str, back: str, page: Callable[..., Response], form: dict[str, str]) -> Response:  # fmt: skip
    """Run one change in its own transaction; a refusal shows the page again with the error."""
    end_reads()  # one connection per request: the sign-in check's reads give theirs back
    with Session(runtime.engine) as session:
        try:
            act(session, admin.id, datetime.now(UTC))
            session.commit()
        except ListRefused as refused:
            session.rollback()
            return page(session, form, rule_error(refused))
    flash(request, done, "Saved")
    return RedirectResponse(back, status_code=303)


def _routes(w: _Words) -> None:
    base = f"/{w.path}"

    @router.get(base, name=f"{w.path}_list")
    def show_list(request: Request, admin: Admin, session: ReadSession) -> Response:
        return _list_page(request, session, w, {}, {})

    @router.post(f"{base}/new", name=f"{w.path}_new")
    def add_entry(
        request: Request, admin: Admin, runtime: RuntimeDep, form: FormFields
    ) -> Response:
        label = form.get("label", "").strip()
        return _change(request, runtime, admin, w,
                       lambda s, by, at: save(s, w.lst, key_from(label), label, by, at, new_only=True),
                       f"'{label}' added", f"/admin{base}",
                       lambda s, a, e: _list_page(request, s, w, a, e), form)  # fmt: skip

    @router.get(f"{base}/{{key}}", name=f"{w.path}_entry")
    def show_entry(request: Request, key: Key, admin: Admin, session: ReadSession) -> Response:
        return _entry_page(request, session, w, key, {}, {})

    @router.post(f"{base}/{{key}}/{{action}}", name=f"{w.path}_action")
    def change_entry(request: Request, key: Key, action: str, admin: Admin, runtime: RuntimeDep,
                     form: FormFields) -> Response:  # fmt: skip
        label = form.get("label", "").strip()
        acts: dict[str, tuple[Callable[..., Any], str]] = {
            "rename": (lambda s, by, at: rename(s, w.lst, key, label, by, at), f"Renamed '{label}'"),
            "retire": (lambda s, by, at: set_offered(s, w.lst, key, False, by, at),
                       "Retired: no longer offered"),
            "offer": (lambda s, by, at: set_offered(s, w.lst, key, True, by, at), "Offered again"),
            "delete": (lambda s, by, at: delete(s, w.lst, key, by, at), "Deleted"),
        }  # fmt: skip
        if action not in acts:
            return Response(status_code=404)
        act, done = acts[action]
        back = f"/admin{base}" if action == "delete" else f"/admin{base}/{key}"
        return _change(request, runtime, admin, w, act, done, back,
                       lambda s, a, e: _entry_page(request, s, w, key, a, e), form)  # fmt: skip


for _w in LISTS:
    _routes(_w)
