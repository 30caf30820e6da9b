"""`iro-disputes outcome-kinds`: the kinds of outcome an IRO picks from when accepting."""

from __future__ import annotations

from api.commands._keyed_list import keyed_list_app
from workflow.keyed_lists import OUTCOME_KINDS

app = keyed_list_app(
    OUTCOME_KINDS,
    "List, add, rename or retire the kinds of outcome offered when accepting a response.",
    "The label IROs see",
)
