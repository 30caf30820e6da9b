import ast
import re
from pathlib import Path

import escalation_rules
from escalation_rules import parse_ladder

PACKAGE = Path(escalation_rules.__file__).parent


def test_the_example_in_ladders_md_loads():
    text = (PACKAGE / "LADDERS.md").read_text().split("## Example", 1)[1]
    block = re.search(r"```toml\n(.*?)```", text, re.S)
    assert block is not None
    ladder = parse_ladder(block[1].encode(), "LADDERS.md")
    assert ladder.stage_keys == ("practice_alert", "head_of_service")


def test_ladders_md_documents_every_key_the_loader_accepts():
    from escalation_rules import _who, loader

    text = (PACKAGE / "LADDERS.md").read_text()
    keys = [*loader._TOP_KEYS, *loader._STAGE_KEYS, *loader._INFORMAL_KEYS,
            *loader._REMINDER_KEYS, *loader._CAFCASS_KEYS, *_who._POST_KEYS, *_who._WHO_KEYS]  # fmt: skip
    table_keys = {"reminders": "[[reminders]]", "stages": "[[stages]]", "cafcass": "[cafcass]",
                  "informal": "[informal]", "posts": "[posts.<key>]"}  # fmt: skip
    for key in keys:
        assert f"`{table_keys.get(key, key)}`" in text, key
    for route in ("social_worker_line", "iro_line", "child_team", "service_area", "council"):
        assert f"`{route}`" in text, route


def test_escalation_rules_imports_nothing_from_the_rest_of_the_app():
    outside = {"workflow", "api", "notifications"}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & outside, path.name
