"""Admin pages: people, teams, line management and deputies, the CSV import, the ladder
in use (read only, explained), API tokens and the access log."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from api.admin_needs import admin_needs
from api.auth import ReadSession, RuntimeDep, require_roles, revoke_api_token
from api.forms import FormFields, rule_error
from api.security import check_form_csrf
from api.tables import ApiToken
from api.templating import flash, render
from api.tokens import SCOPES, BadToken, create_service_token
from escalation_rules.explain import explain
from escalation_rules.model import Role
from workflow.tables import Person, Team

router = APIRouter(include_in_schema=False, prefix="/admin")
Admin = Annotated[Person, require_roles(Role.ADMIN)]
MAX_UPLOAD = 2_000_000


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


@router.get("")
def admin_home(request: Request, person: Admin, session: ReadSession) -> Response:
    return render(request, "admin/index.html", {"needs": admin_needs(session)})


@router.get("/people")
def people(request: Request, person: Admin, session: ReadSession) -> Response:
    p, t = _table(Person), _table(Team)
    manager, deputy = p.alias("manager"), p.alias("deputy")
    rows = session.execute(
        sa.select(
            p.c.id,
            p.c.name,
            p.c.email,
            p.c.role,
            p.c.absent,
            p.c.active,
            t.c.name.label("team"),
            manager.c.name.label("manager"),
            deputy.c.name.label("deputy"),
        )
        .select_from(
            p.outerjoin(t, t.c.id == p.c.team_id)
            .outerjoin(manager, manager.c.id == p.c.manager_id)
            .outerjoin(deputy, deputy.c.id == p.c.deputy_id)
        )
        .order_by(p.c.name)
    ).all()
    teams = session.exec(select(Team).order_by(_table(Team).c.name)).all()
    return render(request, "admin/people.html", {"people": rows, "teams": teams})


@router.get("/import")
def import_page(request: Request, person: Admin) -> Response:
    return render(
        request,
        "admin/import.html",
        {"errors": {}, "result": None, "available": _importer() is not None},
    )


def _importer() -> Any:
    try:
        module = importlib.import_module("council_data.people_import")
    except ModuleNotFoundError:
        return None
    return module


@router.post("/import")
def import_upload(
    request: Request,
    person: Admin,
    runtime: RuntimeDep,
    form: FormFields,
    kind: str = Form("people"),
    file: UploadFile | None = None,
) -> Response:
    check_form_csrf(request, form)
    module = _importer()
    errors: dict[str, str] = {}
    data = file.file.read(MAX_UPLOAD + 1) if file is not None else b""
    if module is None:
        errors["file"] = "The import is not available in this version"
    elif not data:
        errors["file"] = "Select a CSV file"
    elif len(data) > MAX_UPLOAD:
        errors["file"] = "The file must be smaller than 2MB"
    result = None
    if not errors:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors["file"] = "The selected file must be a CSV saved as UTF-8"
        else:
            use = module.import_children if kind == "children" else module.import_people
            with Session(runtime.engine) as session:
                result = use(session, text, person.id)
            if result.errors:
                errors["file"] = (
                    f"The file has {len(result.errors)} problem(s): nothing was imported"
                )
    status = 422 if errors else 200
    return render(
        request,
        "admin/import.html",
        {"errors": errors, "result": result, "available": module is not None},
        status_code=status,
    )


@router.get("/ladder")
def ladder(request: Request, person: Admin, runtime: RuntimeDep) -> Response:
    current = runtime.ladders.current
    return render(
        request,
        "admin/ladder.html",
        {"ladder": current, "expl": explain(current, datetime.now(UTC))},
    )


@router.get("/tokens")
def tokens(request: Request, person: Admin, session: ReadSession) -> Response:
    return _tokens_page(request, session, {}, None)


def _tokens_page(
    request: Request, session: Session, errors: dict[str, str], issued: str | None
) -> Response:
    tok, p = _table(ApiToken), _table(Person)
    rows = session.execute(
        sa.select(tok.c.id, tok.c.label, tok.c.created_at, tok.c.revoked_at, tok.c.expires_at,
                  tok.c.last_used_at, tok.c.scope, sa.func.coalesce(p.c.name, tok.c.service_name)
                  .label("name"))
        .select_from(tok.outerjoin(p, p.c.id == tok.c.person_id))
        .order_by(tok.c.created_at.desc())
    ).all()  # fmt: skip
    context = {"tokens": rows, "scopes": list(SCOPES), "errors": errors, "issued": issued}
    return render(request, "admin/tokens.html", context, status_code=400 if errors else 200)


@router.post("/tokens")
def issue_token(
    request: Request, person: Admin, runtime: RuntimeDep,
    service_name: str = Form(""), scope: str = Form(""), days: str = Form("90"),
) -> Response:  # fmt: skip
    """Admins make service tokens only: never one that acts as a named person."""
    assert person.id is not None
    with Session(runtime.engine) as session:
        try:
            token = create_service_token(session, person.id, service_name, scope,
                                         datetime.now(UTC), int(days) if days.isdigit() else 0)  # fmt: skip
            session.commit()
        except BadToken as bad:
            return _tokens_page(request, session, rule_error(bad), None)
        return _tokens_page(request, session, {}, token)


@router.post("/tokens/{token_id}/revoke")
def revoke(request: Request, token_id: int, person: Admin, runtime: RuntimeDep) -> Response:
    revoke_api_token(runtime.engine, token_id, datetime.now(UTC))
    flash(request, "The token was revoked.", "Revoked")
    return RedirectResponse("/admin/tokens", status_code=303)
