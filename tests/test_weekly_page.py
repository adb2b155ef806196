"""周调度 page (AppTest) on the demo database and on the hand-made weekly fixture: figures, pace card, colours."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import fmt, judge, weekly
from queries.engine import Scope, indicators
from queries.periods import TODAY_ENV, Month, Period, today
from queries.weekly import Week
from tests.login import login
from tests.test_weekly_queries import K1, build

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def open_page(demo_url, monkeypatch, week: str | None = None, pinned: str | None = None, **state):
    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    if pinned:
        monkeypatch.setenv(TODAY_ENV, pinned)
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.run()
    at.switch_page("views/weekly.py")
    for key, value in state.items():
        at.session_state[key] = value
    if week:
        at.query_params["week"] = week
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def page_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def pace_card(at) -> str:
    """What the 完成本月走访 card shows (its markdown after the tooltip attribute)."""
    cards = [m.value for m in at.markdown if "完成本月走访" in m.value]
    assert len(cards) == 1
    return cards[0].split('class="wb-name"', 1)[1]


def colour_table(at):
    return next(d.value for d in at.dataframe if "指标" in d.value.columns)


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


@pytest.fixture
def fixture_url(tmp_path):
    """The hand-made weekly fixture of test_weekly_queries (济宁市, 泗水县 and 汶上县) in a SQLite file."""
    url = f"sqlite:///{tmp_path / 'weekly.sqlite'}"
    build(url)
    return url


def test_weekly_page_headline_equals_the_queries(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch)
    week = weekly.last_complete_week(today())
    assert at.selectbox(key="week").value == week
    region = at.session_state["region"]
    with get_engine(demo_url).connect() as conn:
        h = weekly.review(conn, Scope.everything(), week, region)["headline"]
    html = page_text(at)
    assert f"{fmt.count(h['visits_this_week'])} 次" in html
    assert f"上周 {fmt.count(h['visits_last_week'])} 次" in html
    assert f"{fmt.count(h['due_soon'])} 人" in html and f"{fmt.count(h['overdue'])} 人" in html
    assert f"{fmt.count(h['vacant'])} 个" in html and f"{fmt.count(h['silent'])} 个" in html


def test_a_short_week_in_the_link_selects_that_week(demo_url, monkeypatch):
    week = Week.parse(weekly.last_complete_week(today())).previous.key
    at = open_page(demo_url, monkeypatch, week=week)
    assert at.selectbox(key="week").value == week
    assert f"{Week.parse(week).label}" in " ".join(c.value for c in at.caption)


def test_colour_changes_show_the_engines_values(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch)
    week = at.selectbox(key="week").value
    region = at.session_state["region"]
    with get_engine(demo_url).connect() as conn:
        changes = weekly.colour_changes(conn, Scope.everything(), week, region)
        if changes.empty:
            assert any("没有指标变色" in s.value for s in at.success)
            return
        first = changes.iloc[0]
        # The later side is Sunday, or a whole month ending on Sunday: month to date up to now_end either way.
        now = indicators(conn, Period.as_of(first["now_end"]), first["level"], None if first["level"] == "city"
                         else region, scope=Scope.everything())
    table = colour_table(at)
    assert len(table) == len(changes)
    assert fmt.percent(now.loc[first["region_code"], first["key"]]) in table.iloc[0]["现在"]
    assert table.iloc[0]["变化"] in ("↓ 变差", "↑ 变好")
    state = judge.states(now, [first["key"]], month=str(Month.of(first["now_end"])))
    assert state.loc[first["region_code"], first["key"]] == first["now"]
    assert table.iloc[0]["现在"].startswith(fmt.STATE_LABELS[first["now"]])


def test_one_day_left_says_what_is_left_and_by_when(fixture_url, monkeypatch):
    # Today 2026-12-01: the default week is 2026-W48 (11-23 … 11-29), with only 11-30 left in November.
    # Hand-worked in test_weekly_queries: e, i and k lack November's visit (3 missing); this week 1 visit.
    at = open_page(fixture_url, monkeypatch, pinned="2026-12-01")
    assert at.selectbox(key="week").value == "2026-W48"
    card = pace_card(at)
    assert "完成本月走访（11 月）" in card and "尚需 3 次" in card
    assert "本月还剩 1 天（至 11 月 30 日）" in card and "3 名儿童未达要求" in card
    # 3 ÷ 1 day against 1 visit ÷ 7 days = 0.1 a day; no "每周 21 次" (3 × 7).
    assert "剩余每天需 3 次，本周日均 0.1 次，低于所需" in card
    assert "每周" not in card and "21" not in card
    assert any("本月只剩 1 天，不足一周，不再折合为每周进度" in c.value for c in at.caption)


def test_a_week_or_more_left_keeps_the_weekly_pace(fixture_url, monkeypatch):
    # 2026-W47: 8 days left; e and k lack November's visit (i is enrolled only on 11-23): 2 × 7 ÷ 8 = 1.75.
    at = open_page(fixture_url, monkeypatch, week="2026-W47", pinned="2026-12-01")
    card = pace_card(at)
    assert "尚需 2 次" in card and "本月还剩 8 天（至 11 月 30 日）" in card
    assert "折合每周需 2 次，本周 4 次，已达所需" in card


def test_a_month_that_ended_on_sunday(fixture_url, monkeypatch):
    # Today 2026-06-01: the default week 2026-W22 ends on 05-31. In May only a was visited; b, f, g, h, j
    # and k, on the roll at 05-31, were not: 6 visits missing for good.
    at = open_page(fixture_url, monkeypatch, pinned="2026-06-01")
    assert at.selectbox(key="week").value == "2026-W22"
    card = pace_card(at)
    assert "完成本月走访（5 月）" in card and "仍缺 6 次" in card
    assert "本月已结束（5 月 31 日）" in card and "6 名儿童未达要求" in card


def test_colours_mid_month_leave_the_month_to_date_figure_out(fixture_url, monkeypatch):
    # 泗张镇's 走访完成率 went 2/4 → 4/4 between 11-15 and 11-22 only because November filled up.
    at = open_page(fixture_url, monkeypatch, week="2026-W47", pinned="2026-12-01", region=K1)
    table = colour_table(at)
    assert table["指标"].tolist() == ["儿童主任配备率", "评估及时率"]
    assert table["变化"].tolist() == ["↓ 变差", "↓ 变差"]
    assert table["对比"].tolist() == ["11-15 → 11-22", "11-15 → 11-22"]
    text = captions(at)
    assert "月内累计指标（走访完成率）：本周日（11 月 22 日）不是月末，月内累计尚未到月底，进行中、不评色，不比较" in text
    assert "时点指标（" in text and "本周日 11 月 22 日 对上周日 11 月 15 日 的状态" in text
    assert "儿童主任配备率 ≥100% 为绿，≥95% 为黄，低于 95% 为红" in text  # registry.rule_text


def test_colours_at_a_month_end_compare_whole_months(fixture_url, monkeypatch):
    # 2026-W22 ends 05-31: 泗张镇 had a and b visited in all of April (2/2), only a in all of May (1/2).
    at = open_page(fixture_url, monkeypatch, pinned="2026-06-01", region=K1)
    table = colour_table(at)
    row = table[table["指标"] == "走访完成率"].iloc[0]
    assert (row["区域"], row["对比"], row["之前"], row["现在"], row["变化"]) == (
        "泗张镇", "4月 → 5月", "绿 100.0%", "红 50.0%", "↓ 变差")
    assert "月内累计指标（走访完成率）：本周日是月末，5 月整月对 4 月整月" in captions(at)


def test_a_county_sees_its_townships(demo_url, monkeypatch):
    county = "370831000000"
    at = open_page(demo_url, monkeypatch, region=county)
    assert at.title[0].value.endswith("周调度")
    week = at.selectbox(key="week").value
    with get_engine(demo_url).connect() as conn:
        visits = weekly.visits_by_township(conn, Scope.everything(), week, county)
    chart = at.get("plotly_chart")[0]
    assert f"{len(visits)} 个" in " ".join(e.label for e in at.expander)
    assert chart is not None
