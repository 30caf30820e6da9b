"""Development only: the messages the built-in sink captured, with their links.

In development every email lands in the sink instead of a real mailbox; this page
lets one person open each role's links from one browser. Outside development the
page does not exist (404).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.templating import render
from api.web_settings import get_web_settings
from notifications.settings import get_mail_settings
from notifications.sink import captured

router = APIRouter(include_in_schema=False)


@router.get("/dev/mail")
def captured_mail(request: Request) -> Response:
    settings = getattr(request.app.state, "web_settings", None) or get_web_settings()
    if not settings.is_development:
        raise HTTPException(status_code=404)
    mail = get_mail_settings()
    return render(
        request,
        "mail/dev_mail.html",
        {
            "messages": captured(mail.sink_dir),
            "folder": str(mail.sink_dir),
            "sink": f"{mail.sink_host}:{mail.sink_port}",
            "sends_to_sink": mail.sends_to_sink,
        },
    )
