"""Development only: the messages the built-in sink captured, with their links.

In development every email lands in the sink instead of a real mailbox; this page
lets one person open each role's links from one browser. Outside development the
page does not exist (404).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.templating import render
from api.web_settings import get_web_settings
from notifications.settings import get_mail_settings
from notifications.sink import captured_page

router = APIRouter(include_in_schema=False)


PAGE_SIZE = 25


@router.get("/dev/mail")
def captured_mail(request: Request, q: str = "", page: int = 1) -> Response:
    settings = getattr(request.app.state, "web_settings", None) or get_web_settings()
    if not settings.is_development:
        raise HTTPException(status_code=404)
    mail = get_mail_settings()
    page = max(1, page)
    messages, total = captured_page(mail.sink_dir, q, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "mail/dev_mail.html",
        {
            "messages": messages,
            "total": total,
            "q": q,
            "page": page,
            "pages": pages,
            "query": lambda n: urlencode({"q": q, "page": n} if q else {"page": n}),
            "folder": str(mail.sink_dir),
            "sink": f"{mail.sink_host}:{mail.sink_port}",
            "sends_to_sink": mail.sends_to_sink,
        },
    )
