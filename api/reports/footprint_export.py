"""A child's footprint as JSON, CSV and PDF, to attach to the case-management record."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from api.reports.pdf import footprint_pdf
from api.reports.tables import csv_cell
from workflow.footprint import Footprint
from workflow.report_definitions import LONDON

COLUMNS = ["date", "time", "what", "challenge", "who", "detail", "kind"]
__all__ = ["COLUMNS", "footprint_csv", "footprint_json", "footprint_pdf"]


def _time(at: datetime | None) -> str:
    return at.astimezone(LONDON).strftime("%H:%M") if at else ""


def footprint_json(footprint: Footprint) -> dict[str, Any]:
    return {
        "child": {
            "reference": footprint.child_reference,
            "name": footprint.child_name,
            "iro": footprint.iro,
            "social_worker": footprint.social_worker,
        },
        "entries": [
            {
                "date": e.on.isoformat(),
                "at": e.at.isoformat() if e.at else None,
                "kind": e.kind,
                "what": e.what,
                "challenge": e.challenge,
                "who": e.who,
                "detail": e.detail,
            }
            for e in footprint.entries
        ],
    }


def footprint_csv(footprint: Footprint) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in footprint.entries:
        cells = [e.on.isoformat(), _time(e.at), e.what, e.challenge or "", e.who, e.detail, e.kind]
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue()
