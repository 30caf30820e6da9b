import ast
import re
from pathlib import Path

import escalation_rules
from escalation_rules import parse_ladder

PACKAGE = Path(escalation_rules.__file__).parent


def test_the_example_in_ladders_md_loads():
    text = (PACKAGE / "LADDERS.md").read_text()
    block = re.search(r"```toml\n(.*?)```", text, re.S)
    assert block is not None
    ladder = parse_ladder(block[1].encode(), "LADDERS.md")
    assert ladder.stage_keys == ("practice_alert", "head_of_service")


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
