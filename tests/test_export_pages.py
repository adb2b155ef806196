"""The pages' file buttons in Debian's chromium: a county login's meeting pack and a table's Excel file, audited."""

import io
import time
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from pptx import Presentation

from data.auth import audit_rows, auth_engine
from data.db import get_engine
from queries.catalog import regions
from queries.engine import Scope
from tests.browser import SHOTS, chromium, wait_rendered
from tests.login import browser_login

SISHUI = "370831000000"
pytestmark = pytest.mark.browser


@pytest.fixture
def tab():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
        yield context.new_page()
        context.close()


def _records(user: str, action: str, since: datetime, count: int = 1) -> list:
    deadline = time.time() + 60
    while time.time() < deadline:
        rows = audit_rows(auth_engine(), user=user, action=action, since=since)
        if len(rows) >= count:
            return rows
        time.sleep(0.5)
    return audit_rows(auth_engine(), user=user, action=action, since=since)


def _pptx_text(data: bytes) -> str:
    deck = Presentation(io.BytesIO(data))
    parts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
            if shape.has_chart:
                parts += [str(c) for plot in shape.chart.plots for c in plot.categories]
    return "\n".join(parts)


def test_a_county_login_downloads_its_own_meeting_pack(demo_url, dashboard_url, tab):
    started = datetime.now(timezone.utc)
    browser_login(tab, dashboard_url, "demo-county")
    tab.goto(f"{dashboard_url}/?month=2026-11")
    wait_rendered(tab, timeout=120_000)
    tab.get_by_role("button", name="导出会议材料").click()
    tab.get_by_role("button", name="会议材料（PPT）").wait_for(timeout=30_000)
    tab.screenshot(path=str(SHOTS / "export_menu_cockpit_1280.png"))
    with tab.expect_download(timeout=120_000) as caught:
        tab.get_by_role("button", name="会议材料（PPT）").click()
    download = caught.value
    assert download.suggested_filename == "泗水县_2026年11月_会议材料.pptx"
    text = _pptx_text(open(download.path(), "rb").read())
    assert "泗水县" in text and "demo-county" in text and "内部资料 注意保密" in text
    engine = get_engine(demo_url, read_only=True)
    with engine.connect() as conn:
        others = set(regions(conn, "county", None, Scope.everything())["region_name"]) - {"泗水县"}
    engine.dispose()
    assert len(others) == 10 and not [name for name in others if name in text]
    records = _records("demo-county", "export", started)
    assert [(r.details["kind"], r.details["region"], r.details["period"], r.details["via"]) for r in records] == \
        [("会议材料", SISHUI, "2026-11", "页面")]
    assert records[0].details["files"] == [download.suggested_filename]


def test_a_table_downloads_as_a_formatted_workbook(dashboard_url, tab):
    started = datetime.now(timezone.utc)
    browser_login(tab, dashboard_url, "demo-county")
    tab.goto(f"{dashboard_url}/table?month=2026-11")
    wait_rendered(tab, timeout=120_000)
    with tab.expect_download(timeout=120_000) as caught:
        tab.get_by_role("button", name="下载 Excel：指标总表").click()
    download = caught.value
    assert download.suggested_filename == "泗水县_2026年11月_指标总表.xlsx"
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "走访完成率（%）" in text and "demo-county" in text and "内部资料 注意保密" in text
    records = _records("demo-county", "download", started)
    assert [r.details["what"] for r in records] == ["指标总表"]
    assert records[0].details["file"] == download.suggested_filename
