"""The blank import template (python -m data.templates): sheets, contract headers, drop-downs, and how it loads."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from data.db import get_engine
from data.load import load_files
from data.templates import write_template
from tests.fixtures.contract import CONTRACT_HEADERS

ROOT = Path(__file__).resolve().parent.parent


# Column → the drop-down values the contract allows.
DROP_DOWNS = {
    ("区划", "级别"): ["市", "县", "乡镇", "村"],
    ("区划", "城乡分类"): ["城镇", "农村"],
    ("儿童", "儿童类别"): ["孤儿", "事实无人抚养儿童", "重残重病儿童", "低保家庭儿童", "其他困境儿童", "农村留守儿童"],
    ("儿童", "风险等级"): ["红", "橙", "黄", "绿"],
    ("工作人员", "岗位"): ["儿童主任", "儿童督导员"],
    ("工作人员", "持有社工证"): ["是", "否"],
    ("阵地", "阵地类型"): ["未成年人救助保护中心", "未成年人保护工作站", "儿童之家"],
    ("阵地", "省级示范"): ["是", "否"],
    ("走访", "走访方式"): ["入户", "电话", "视频", "其他"],
    ("培训", "举办层级"): ["省", "市", "县", "乡镇"],
    ("资金预算", "资金类别"): ["基本生活保障金", "儿童主任补贴", "阵地建设运营", "关爱服务项目", "其他"],
    ("资金支出", "资金类别"): ["基本生活保障金", "儿童主任补贴", "阵地建设运营", "关爱服务项目", "其他"],
}

TEXT_COLUMNS = {
    ("区划", "区划代码"), ("区划", "上级区划代码"), ("儿童", "身份证号"), ("儿童", "村（社区）区划代码"),
    ("工作人员", "身份证号"), ("工作人员", "任职区划代码"), ("阵地", "所在区划代码"),
    ("走访", "儿童身份证号"), ("走访", "走访人身份证号"), ("培训", "参训人身份证号"),
    ("资金预算", "区划代码"), ("资金支出", "区划代码"),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def book(template):
    return load_workbook(template)


def test_file_name_and_sheets(template, book):
    assert template.name == "导入模板.xlsx"
    assert book.sheetnames == ["说明", *CONTRACT_HEADERS]


@pytest.mark.parametrize("name", list(CONTRACT_HEADERS))
def test_headers_are_the_contract_headers(book, name):
    ws = book[name]
    assert [c.value for c in ws[1]] == CONTRACT_HEADERS[name]
    assert ws.max_row == 1  # blank: no example rows


def _lists(ws) -> dict[str, list[str]]:
    """header → the values of the list validation covering that column from row 2."""
    headers = {c.column_letter: c.value for c in ws[1]}
    found = {}
    for validation in ws.data_validations.dataValidation:
        if validation.type != "list":
            continue
        for cells in validation.sqref.ranges:
            letter = cells.coord.split(":")[0].rstrip("0123456789")
            assert cells.coord.startswith(f"{letter}2:")
            found[headers[letter]] = validation.formula1.strip('"').split(",")
    return found


@pytest.mark.parametrize("name", list(CONTRACT_HEADERS))
def test_drop_downs_for_every_enumeration(book, name):
    expected = {column: values for (table, column), values in DROP_DOWNS.items() if table == name}
    assert _lists(book[name]) == expected


@pytest.mark.parametrize("name", list(CONTRACT_HEADERS))
def test_code_and_id_columns_are_text(book, name):
    ws = book[name]
    text = {c.value for c in ws[1] if ws.column_dimensions[c.column_letter].number_format == "@"}
    expected = {column for table, column in TEXT_COLUMNS if table == name}
    assert expected <= text
    if name == "资金支出":
        assert text == expected | {"年月"}  # months kept as typed, not turned into dates
    else:
        assert text == expected


def test_guide_sheet_states_the_rules(book):
    text = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    for phrase in ("全部或全不", "姓名", "联系电话", "YYYY-MM-DD", "YYYY-MM", "身份证号", "区划代码 *",
                   "纳入日期 *", "键：区划代码", "键：走访日期 + 儿童身份证号 + 走访人身份证号", "是 或 否"):
        assert phrase in text, phrase
    assert "退出日期 *" not in text  # optional columns carry no star


def test_loading_the_blank_template_is_refused_with_one_error(template, tmp_path, monkeypatch):
    # Chosen behaviour: an empty table sheet is skipped with a warning (a clerk fills only the
    # sheets they keep); an invocation with no data rows at all is an error and writes nothing.
    monkeypatch.setenv("WEIBAO_ID_KEY", "k")
    engine = get_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = load_files([template], engine)
    assert [str(p) for p in result.errors] == ["导入模板.xlsx：没有可导入的数据行：各表都是空的"]
    assert result.warnings[0].startswith("导入模板.xlsx · 说明：不是数据表")
    assert result.warnings[1:] == [f"导入模板.xlsx · {name}：没有数据行，已跳过" for name in CONTRACT_HEADERS]
    assert result.counts == {}


def test_a_template_with_one_sheet_filled_loads(template, tmp_path, monkeypatch):
    monkeypatch.setenv("WEIBAO_ID_KEY", "k")
    book = load_workbook(template)
    book["区划"].append(["370800000000", "济宁市", "市"])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    result = load_files([filled], get_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    assert result.ok and result.counts == {"区划": 1}


def test_command_line(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "data.templates", str(tmp_path / "new")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "new" / "导入模板.xlsx").is_file()
