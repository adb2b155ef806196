"""Every page opens on a partial roll-out and on the month in progress without an error (AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from queries.periods import Month, today
from tests.fixtures.rollout import FULL, MONTH_WITHOUT_VISITS, REGIONS_ONLY
from tests.login import login

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ["cockpit", "ranking", "children", "network", "visits", "training", "funds", "scorecard",
         "weekly", "overview", "definitions"]
ENGLISH_BOX = ("This app has encountered an error", "Ask Google", "Traceback")


def _open(url: str, monkeypatch, page: str, month: str | None, region: str | None) -> AppTest:
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    if month:
        at.query_params["month"] = month
    if region:
        at.query_params["region"] = region
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    return at


def _shown(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"
    text = _shown(at)
    for english in ENGLISH_BOX:
        assert english not in text


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("region", [None, REGIONS_ONLY], ids=["city", "regions-only"])
def test_page_opens_on_a_partial_rollout(rollout_url, monkeypatch, page, region):
    _assert_clean(_open(rollout_url, monkeypatch, page, None, region))


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_on_a_month_without_visits(rollout_url, monkeypatch, page):
    _assert_clean(_open(rollout_url, monkeypatch, page, MONTH_WITHOUT_VISITS, FULL))


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_on_the_month_in_progress(rollout_url, monkeypatch, page):
    _assert_clean(_open(rollout_url, monkeypatch, page, str(Month.of(today())), FULL))


def test_month_in_progress_is_labelled_and_not_red_for_being_early(rollout_url, monkeypatch):
    at = _open(rollout_url, monkeypatch, "cockpit", str(Month.of(today())), FULL)
    _assert_clean(at)
    text = _shown(at)
    day = today()
    assert f"截至 {day.month} 月 {day.day} 日" in text
    assert "月末" not in " ".join(c.value for c in at.caption[:1])
    cards = " ".join(m.value for m in at.markdown if "wb-card" in m.value)
    visit_card = next(part for part in cards.split('<div class="wb-card"') if "走访完成率" in part)
    assert "进行中" in visit_card
    assert ">红<" not in visit_card


def test_spending_above_budget_is_never_green(rollout_url, monkeypatch):
    at = _open(rollout_url, monkeypatch, "cockpit", "2026-11", FULL)
    _assert_clean(at)
    cards = " ".join(m.value for m in at.markdown if "wb-card" in m.value)
    fund_card = next(part for part in cards.split('<div class="wb-card"') if "预算执行率" in part)
    assert "数据异常" in fund_card and "累计支出超过年度预算" in fund_card
    assert ">绿<" not in fund_card
