"""Every WEIBAO_* variable the code reads is declared once in data/settings.py, and README's table is those declarations."""

import re
from pathlib import Path

from data.settings import SETTINGS, markdown_table

ROOT = Path(__file__).resolve().parent.parent
CODE = ("dashboard", "queries", "data", "exports", "scripts", "tests")


def test_readme_table_is_the_declarations():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


def test_every_variable_in_the_code_is_declared_and_every_declaration_is_used():
    used = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name in ("settings.py", "test_settings.py"):
                continue
            used |= set(re.findall(r"WEIBAO_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    declared = {s.name for s in SETTINGS}
    assert len(declared) == len(SETTINGS), "a variable declared twice"
    assert used - declared == set(), "read in the code but not declared in data/settings.py"
    assert declared - used == set(), "declared but read nowhere"
