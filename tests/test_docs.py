"""The repository's own docs: the definitions generated from the registry, the import format, links that resolve."""

import re
from pathlib import Path

import pytest

from data.load.spec import LEVEL_ALIASES, STATION_ALIASES, TABLES
from queries import docs

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_indicator_docs_are_what_the_registry_generates():
    # A threshold or definition edited without rerunning the generator fails here.
    assert docs.OUT.read_text(encoding="utf-8") == docs.render(), "run: python -m queries.docs"


def test_indicator_docs_name_every_key_rule_and_green_line():
    from queries.registry import load_registry, rule_text, target_text
    text = docs.render()
    for ind in load_registry():
        assert f"`{ind.key}`" in text and ind.definition in text and rule_text(ind) in text
        assert target_text(ind).removeprefix("达标线 ") in text


def test_check_mode_tells_a_stale_file(tmp_path, monkeypatch, capsys):
    assert docs.main(["--check"]) == 0
    stale = tmp_path / "indicators.md"
    stale.write_text(docs.render().replace("≥95% 为绿", "≥90% 为绿"), encoding="utf-8")
    assert not docs.is_current(stale)
    monkeypatch.setattr(docs, "is_current", lambda out=stale: False)
    assert docs.main(["--check"]) == 1
    assert "与登记表不一致" in capsys.readouterr().err


def test_import_format_lists_every_table_header_value_and_spelling():
    text = (ROOT / "docs" / "import-format.md").read_text(encoding="utf-8")
    for spec in TABLES.values():
        assert f"### {spec.name}" in text, spec.name
        section = text.split(f"### {spec.name}", 1)[1].split("\n### ", 1)[0]
        for field in spec.fields:
            assert f"| {field.header}{'*' if field.required else ''} |" in section, (spec.name, field.header)
            for value in field.kind.choices:
                if value not in ("是", "否"):
                    assert f"`{value}`" in section, (spec.name, field.header, value)
            for alias in field.aliases:
                assert f"`{alias}`" in text, alias
    for alias in (*LEVEL_ALIASES, *STATION_ALIASES):
        assert f"`{alias.replace('(', '（').replace(')', '）')}`" in text, alias


@pytest.mark.parametrize("doc", ["README.md", "docs/import-format.md", "docs/indicators.md", "docs/decisions.md",
                                 "docs/rubric.md", "data/load/README.md"])
def test_links_stay_inside_the_repository_and_resolve(doc):
    path = ROOT / doc
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text  # a clone has no ../shared
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        assert (path.parent / target).resolve().exists(), f"{doc}: {target}"
