"""Pages and charts type no colour rule, target, key list, unit trim or 万元 scaling: the registry and fmt do."""

import ast
import re
from pathlib import Path

import pytest

from queries import fmt
from queries.registry import keys

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "dashboard" / "views").glob("*.py"), *(ROOT / "dashboard").glob("charts*.py")])
# Words a viewer reads that only registry.rule_text / target_text / green_line may produce.
TYPED_RULES = [
    (re.compile(r"[绿黄红]\s*[≥≤<>]"), "a colour rule ('绿 ≥95%')"),
    (re.compile(r"[≥≤]\s*\d"), "a threshold ('≥95%')"),
    (re.compile(r"[<>]\s*\d+(\.\d+)?\s*%"), "a threshold ('<85%')"),
    (re.compile(r"[绿黄红]\s*(不低于|落后|达标|接近)\S*\s*\d"), "a colour rule in words"),
    (re.compile(r"不低于序时进度"), "the fiscal rule ('绿 不低于序时进度')"),
    (re.compile(r"落后(不超过|超过)?\s*\d+(\.\d+)?\s*个百分点"), "a yellow band ('落后不超过 10 个百分点')"),
    (re.compile(r"(目标|达标线|全覆盖)\s*\d"), "a target ('目标 100%')"),
]
STATE_HEX = {c.lower() for c in fmt.STATE_COLOURS.values()}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring constants (they may quote what a page shows, as an example)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    registry_keys = set(keys())
    out = []

    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name

    def say(node, what):
        out.append(f"{where}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            for pattern, what in TYPED_RULES:
                if pattern.search(node.value):
                    say(node, f"types {what}: {node.value!r} — use registry.rule_text / target_text / green_line")
            if node.value.lower() in STATE_HEX:
                say(node, f"types a status colour {node.value!r} — use fmt.STATE_COLOURS[state] from judge")
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(items) >= 2 and len(items) == len(node.elts) and set(items) <= registry_keys:
                say(node, f"types a list of indicator keys {items} — use registry.group / group_keys")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            first = node.args[0] if node.args else None
            if node.func.attr in ("replace", "removeprefix", "removesuffix") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str) and re.search(r"（元）|（%）|（人）|在册", first.value):
                say(node, f"trims a name by hand ({node.func.attr}({first.value!r})) — use ind.label / fmt.header")
            if node.func.attr in ("add_hline", "add_vline"):
                for kw in node.keywords:
                    if kw.arg in ("x", "y") and isinstance(kw.value, ast.Constant):
                        say(node, f"draws a reference line at a typed {kw.value.value} — use registry.green_line")
        elif isinstance(node, ast.keyword) and node.arg == "reference" and isinstance(node.value, ast.Constant) \
                and node.value.value is not None:
            say(node.value, f"passes a typed reference line {node.value.value} — use charts_topics.reference(ind)")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Mult)):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and side.value in (10000, 10_000.0, 0.0001):
                    say(node, "scales 元 to 万元 by hand — use fmt.wan")
    return out


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_typed_colour_rule_target_or_key_list(path):
    assert not _problems(path), "\n".join(_problems(path))


def test_the_check_catches_what_it_should(tmp_path):
    """The scan itself: each of these lines is a thing the registry must say instead."""
    bad = tmp_path / "bad.py"
    bad.write_text('\n'.join([
        '"""A docstring may say 绿 ≥95%."""',
        'CARD_KEYS = ["visit_completion", "training_rate"]',
        'st.caption("绿 ≥95%，黄 ≥85%，红 <85%")',
        'st.caption("括号内；绿 不低于序时进度，黄 落后不超过 10 个百分点")',
        'fig.add_hline(y=100)',
        'hbars(x, reference=100, reference_label="目标 100%")',
        'name = ind.name.replace("（元）", "")',
        'wan = value / 10000',
        'colour = "#d73027"',
    ]), encoding="utf-8")
    found = "\n".join(_problems(bad))
    for what in ("list of indicator keys", "a colour rule", "the fiscal rule", "a yellow band", "typed 100",
                 "typed reference line 100", "a target", "trims a name", "scales 元", "status colour"):
        assert what in found, what
    assert ":1:" not in found, "docstrings are examples, not rules"


def test_a_threshold_edit_moves_caption_line_and_colour_together():
    """Edit the 走访 green line to 90 %: the legend, the reference line and a cell's colour all follow."""
    from dataclasses import replace

    import pandas as pd

    from exports import figures as ct
    from queries.registry import by_key

    ind = replace(by_key()["visit_completion"], thresholds={"green": 0.9, "yellow": 0.8})
    assert ct.reference(ind) == (90.0, "达标线 90%")
    assert "≥90% 为绿，≥80% 为黄" in ct.colour_legend(ind, ["green"])
    frame = pd.DataFrame({"region_code": ["a"], "region_name": ["甲镇"], "month": ["2024-06"], ind.key: [0.9]})
    assert ct.heat_cells(frame, ind)[1].iloc[0, 0] == "green"
    assert ct.heat_cells(frame, by_key()["visit_completion"])[1].iloc[0, 0] == "yellow"  # 90 % of 95 %
