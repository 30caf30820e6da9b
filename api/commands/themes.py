"""`iro-disputes themes`: the council's taxonomy of challenge themes."""

from __future__ import annotations

from api.commands._keyed_list import keyed_list_app
from workflow.keyed_lists import THEMES

app = keyed_list_app(
    THEMES, "List, add, rename or retire challenge themes.", "The label people see"
)
