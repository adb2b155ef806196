"""Fixture databases for the ranking-map tests, and 县区排名与地图 in AppTest on the tiny hand-made one.

`build_geo_fixture` is the hand-made region tree of the geo unit tests: city 济宁 (370800) with 泗水 (370831,
townships 100/101/102 and a development-zone township 370899001000 whose code breaks the prefix) and
任城 (370811, townships 001/002); a second city 泰安 (370900) with 泰山区 (370902, township 001).
`build_page_fixture` is for the AppTest: the 11 real Jining county codes (so the shipped outlines match),
two townships each (泗水 three), one village per township, children and visits in recent months.
`build_tiny_checks` is tests/fixtures/tiny.py with an overspent county and a visit-rate fall; the page tests at
the bottom read it, every expected figure worked out by hand in its docstring and the comments.
"""

import json
import math
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from exports.figures import NO_DATA_COLOUR
from exports.maps import PALETTES
from queries.fmt import STATE_COLOURS
from queries.registry import keys

from data.db import get_engine, set_meta
from data.schema import child, create_schema, rebuild_closure, region, visit, worker_post
from queries.periods import Month
from tests.login import login

CITY, SISHUI, RENCHENG = "370800000000", "370831000000", "370811000000"
SISHUI_TOWNS = ["370831100000", "370831101000", "370831102000", "370899001000"]
RENCHENG_TOWNS = ["370811001000", "370811002000"]
TAIAN, TAISHAN, TAISHAN_TOWN = "370900000000", "370902000000", "370902001000"

GEO_REGIONS = [
    (CITY, "济宁市", "city", None),
    (SISHUI, "泗水县", "county", CITY),
    (RENCHENG, "任城区", "county", CITY),
    (SISHUI_TOWNS[0], "泗河街道", "township", SISHUI),
    (SISHUI_TOWNS[1], "济河街道", "township", SISHUI),
    (SISHUI_TOWNS[2], "泉林镇", "township", SISHUI),
    (SISHUI_TOWNS[3], "开发区乡", "township", SISHUI),  # development zone: parent link, not prefix
    (RENCHENG_TOWNS[0], "古槐街道", "township", RENCHENG),
    (RENCHENG_TOWNS[1], "济阳街道", "township", RENCHENG),
    (TAIAN, "泰安市", "city", None),
    (TAISHAN, "泰山区", "county", TAIAN),
    (TAISHAN_TOWN, "岱庙街道", "township", TAISHAN),
]

JINING_COUNTIES = [
    ("370811", "任城区"), ("370812", "兖州区"), ("370826", "微山县"), ("370827", "鱼台县"),
    ("370828", "金乡县"), ("370829", "嘉祥县"), ("370830", "汶上县"), ("370831", "泗水县"),
    ("370832", "梁山县"), ("370881", "曲阜市"), ("370883", "邹城市"),
]


def build_geo_fixture(url: str) -> str:
    engine = get_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(region), [dict(code=c, name=n, level=lv, parent_code=p) for c, n, lv, p in GEO_REGIONS])
        rebuild_closure(conn)
    engine.dispose()
    return url


def build_page_fixture(url: str, today: date | None = None) -> str:
    """Regions as described above; in each of the last three complete months, children visited by pattern."""
    engine = get_engine(url)
    create_schema(engine)
    regions, children, posts, visits = [dict(code=CITY, name="济宁市", level="city", parent_code=None)], [], [], []
    months = [Month.of(today or date.today()).shift(-k) for k in (1, 2, 3)]
    for n, (prefix, name) in enumerate(JINING_COUNTIES):
        county = prefix + "000000"
        regions.append(dict(code=county, name=name, level="county", parent_code=CITY))
        for t in range(3 if prefix == "370831" else 2):
            town = f"{prefix}{100 + t}000"
            village = f"{prefix}{100 + t}201"
            regions.append(dict(code=town, name=f"{name[:2]}第{t + 1}镇", level="township", parent_code=county))
            regions.append(dict(code=village, name=f"{name[:2]}{t + 1}村", level="village", parent_code=town,
                                urban_rural="rural"))
            worker = f"w{village}"
            posts.append(dict(person_hash=worker, post="director", region_code=village,
                              started_on=date(2023, 1, 1), certified=False))
            for c in range(4):
                kid = f"c{village}{c}"
                children.append(dict(id_hash=kid, category="left_behind", village_code=village,
                                     enrolled_on=date(2024, 1, 1), assessment_due_on=date(2024, 1, 31)))
                for k, m in enumerate(months):
                    # Counties differ, and so do months, so ranks and rank changes are not all ties.
                    if (c + n + t + k) % 4 != 0 or c == 0:
                        visits.append(dict(visited_on=m.period.start, child_hash=kid, worker_hash=worker,
                                           mode="home"))
    with engine.begin() as conn:
        for table, rows in ((region, regions), (child, children), (worker_post, posts), (visit, visits)):
            conn.execute(insert(table), rows)
        rebuild_closure(conn)
        set_meta(conn, "data_version", "maps-fixture")
    engine.dispose()
    return url


def build_tiny_checks(url: str) -> str:
    """tests/fixtures/tiny.py (month 2024-06; county 丙县 has regions only: a partial roll-out) plus two rows a
    clerk could get wrong, each worked out by hand:

    - 甲县 spends 1,000,000 元 more in May 2024: 1,300,000 of a 1,200,000 budget, 预算执行率 108.3 % (数据异常);
      the city then spends 1,310,000 of 1,250,000, 104.8 %.
    - 乙区's only child due a visit in May (c12) is visited on 2024-05-10: 乙区's May 走访完成率 is 1/1 = 100 %, June's
      1/2 = 50 %, a fall of 50 points (more than the 30-point check). 甲县: May 1/8 = 12.5 %, June 5/8 = 62.5 %.
    """
    from datetime import date as day

    from data.schema import spending
    from tests.fixtures import direct, tiny

    engine = get_engine(url)
    direct.load_direct(engine)
    with engine.begin() as conn:
        conn.execute(insert(spending), [dict(county_code=tiny.A, month_start=day(2024, 5, 1),
                                             fund_type="living_allowance", amount=1_000_000.0)])
        conn.execute(insert(visit), [dict(visited_on=day(2024, 5, 10), child_hash=direct._h(tiny.c12),
                                          worker_hash=direct._h(tiny.P5), mode="home")])
        set_meta(conn, "data_version", "tiny-checks")
    engine.dispose()
    return url


# ------------------------------------------------------------------ 县区排名与地图 on the tiny data set

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "views/ranking.py"
MONTH = "2024-06"
JIA, YI, BING = "370831000000", "370871000000", "370832000000"  # 甲县 (泗水's code), 乙区 (no outline), 丙县 (梁山's)


@pytest.fixture(scope="module")
def checks_url(tmp_path_factory):
    return build_tiny_checks(f"sqlite:///{tmp_path_factory.mktemp('checks') / 'checks.sqlite'}")


@pytest.fixture(scope="module")
def early_url(tmp_path_factory):
    # A file of its own: cached results are keyed on the database, and this one is read on another "today".
    return build_tiny_checks(f"sqlite:///{tmp_path_factory.mktemp('early') / 'early.sqlite'}")


def open_page(url, monkeypatch, today: str | None = None, params: dict | None = None, **state) -> AppTest:
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    if today:
        monkeypatch.setenv("WEIBAO_TODAY", today)
    else:
        monkeypatch.delenv("WEIBAO_TODAY", raising=False)
    app = login(AppTest.from_file(APP, default_timeout=180))
    for k, v in (params or {}).items():
        app.query_params[k] = v
    app.session_state["month"] = MONTH
    app.run()
    app.switch_page(PAGE)
    app.run()
    if state:
        for k, v in state.items():
            app.session_state[k] = v
        app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def text_of(app) -> str:
    return " ".join(m.value for m in [*app.markdown, *app.caption, *app.info, *app.warning, *app.success])


def charts_of(app) -> list[dict]:
    return [json.loads(c.proto.spec) for c in app.get("plotly_chart")]


def polygons(app) -> dict:
    """Region code → fill colour of the map's polygons, and the legend's entries."""
    spec = charts_of(app)[0]
    fills = {loc: t["colorscale"][0][1] for t in spec["data"] if t["type"] == "choropleth" for loc in t["locations"]}
    legend = [t["name"] for t in spec["data"] if t.get("showlegend")]
    return fills, legend


def bars(app) -> dict:
    bar = [t for spec in charts_of(app) for t in spec["data"] if t["type"] == "bar"][0]
    return {name: (colour, text) for name, colour, text in zip(bar["y"], bar["marker"]["color"], bar["text"])}


def assert_plain_chinese(app):
    """No 'None', no indicator key, no '2k'-style tick anywhere the viewer reads."""
    cells = [v for d in app.dataframe for v in [*d.value.columns, *d.value.to_numpy().ravel()] if isinstance(v, str)]
    words = text_of(app) + " ".join(cells)
    words += " ".join(json.dumps(spec, ensure_ascii=False) for spec in charts_of(app))
    assert "None" not in words
    # Not \b: Chinese characters count as word characters, so "率visit_completion" has no boundary.
    assert not [k for k in keys() if re.search(rf"(?<![A-Za-z0-9_]){k}(?![A-Za-z0-9_])", words)]


def test_partial_rollout_county_draws_without_an_error(checks_url, monkeypatch):
    # 丙县 has regions but no children (issue 6: the bars crashed on its missing status).
    app = open_page(checks_url, monkeypatch)
    table = app.dataframe[0].value
    assert table["县区"].tolist() == ["甲县", "乙区", "丙县"]
    assert table["走访完成率（%）"].tolist() == pytest.approx([62.5, 50.0, math.nan], nan_ok=True)
    assert table["状态"].tolist() == ["红", "红", "—"]
    assert table["排名"].tolist() == pytest.approx([1, 2, math.nan], nan_ok=True)
    assert table["达标线（%）"].tolist() == [95.0, 95.0, 95.0]
    fills, legend = polygons(app)
    assert fills == {JIA: STATE_COLOURS["red"], BING: NO_DATA_COLOUR}  # 乙区's code has no shipped outline
    assert legend == ["绿 ≥ 95.0%", "黄 85.0% – 95.0%", "红 < 85.0%", "无数据（不是 0）"]
    assert bars(app) == {"丙县": (NO_DATA_COLOUR, "无数据"), "乙区": (STATE_COLOURS["red"], "50.0%"),
                         "甲县": (STATE_COLOURS["red"], "62.5%")}
    text = text_of(app)
    assert "测试市整体走访完成率 **60.0%**" in text  # 6 of the city's 10 children visited
    assert "3 个县区：" in text and "无数据 1 个" in text
    assert "以下区划暂无边界" in text and "乙区" in text
    assert_plain_chinese(app)


def test_jump_and_anomaly_in_the_check_column(checks_url, monkeypatch):
    app = open_page(checks_url, monkeypatch)
    table = app.dataframe[0].value.set_index("县区")
    # 乙区 fell from 100 % in May to 50 % in June; 甲县's 预算执行率 (another column of the table) is 108.3 %.
    assert table.at["乙区", "数据核对"] == "走访完成率比上月下降 50.0 个百分点，超过 30.0 个百分点，请核实"
    assert table.at["甲县", "数据核对"] == "数据异常：预算执行率（累计支出超过年度预算）"
    assert table.at["丙县", "数据核对"] == ""
    assert table.at["甲县", "预算执行率（%）"] == 108.3
    # May: 甲县 12.5 % (2nd), 乙区 100 % (1st); June: 甲县 1st, 乙区 2nd.
    assert table["排名变化"].tolist() == ["↑1", "↓1", "—"]
    assert any("乙区 · 走访完成率比上月下降 50.0 个百分点" in w.value for w in app.warning)


def test_spending_above_budget_is_marked_not_ranked(checks_url, monkeypatch):
    app = open_page(checks_url, monkeypatch, indicator="fund_execution_rate")
    table = app.dataframe[0].value
    # 甲县 1,300,000 of 1,200,000 = 108.3 % (数据异常, not ranked); 乙区 10,000 of 50,000 = 20.0 %, 30 points behind
    # 序时进度 6/12 = 50.0 % (红); 丙县 has no budget.
    assert table["县区"].tolist() == ["乙区", "甲县", "丙县"]
    assert table["排名"].tolist() == pytest.approx([1, math.nan, math.nan], nan_ok=True)
    assert table["预算执行率（%）"].tolist() == pytest.approx([20.0, 108.3, math.nan], nan_ok=True)
    assert table["状态"].tolist() == ["红", "数据异常", "—"]
    assert table["达标线（%）"].tolist() == [50.0, 50.0, 50.0]
    assert table.set_index("县区").at["甲县", "数据核对"] == "数据异常：预算执行率（累计支出超过年度预算）"
    fills, legend = polygons(app)
    assert fills == {JIA: STATE_COLOURS["anomaly"], BING: NO_DATA_COLOUR}
    assert legend == ["绿 ≥ 50.0%", "黄 40.0% – 50.0%", "红 < 40.0%", "数据异常（> 100%）", "无数据（不是 0）"]
    assert bars(app)["甲县"] == (STATE_COLOURS["anomaly"], "108.3%")
    text = text_of(app)
    # The city: 1,310,000 of 1,250,000 = 104.8 %.
    assert "测试市整体预算执行率 **104.8%**" in text and "数据异常</span>" in text
    assert "不低于序时进度为绿，落后不超过 10 个百分点为黄，否则为红" in text  # registry.rule_text
    assert "空值和数据异常的数值不参加排名" in text
    assert_plain_chinese(app)


def test_month_in_progress_is_not_judged(early_url, monkeypatch):
    # Today 2024-06-20. Up to that day 甲县 has 8 children on the roll (c04 leaves on 06-30, c10 left on 06-15,
    # c02 arrives on 06-30) and 5 visited (c01, c04, c07, c09, c13); 乙区 2 and 1 (c11 on 06-20).
    app = open_page(early_url, monkeypatch, today="2024-06-20")
    table = app.dataframe[0].value
    assert table["走访完成率（%）"].tolist() == pytest.approx([62.5, 50.0, math.nan], nan_ok=True)
    assert table["状态"].tolist() == ["进行中", "进行中", "—"]
    # A monthly figure restarts each month: no fall warning while the month runs.
    assert "走访完成率比上月" not in " ".join(table["数据核对"])
    fills, legend = polygons(app)
    # Blues at the median of 62.5 and 50.0 (56.25 → 56.3), no status word.
    assert legend == ["≥ 56.3%", "< 56.3%", "无数据（不是 0）"]
    assert fills == {JIA: PALETTES[2][1], BING: NO_DATA_COLOUR}
    assert bars(app)["甲县"][0] == bars(app)["乙区"][0] == STATE_COLOURS["early"]
    text = text_of(app)
    assert "本月尚未结束，不评色" in text and "截至 6 月 20 日（本月进行中）" in text
    assert_plain_chinese(app)


def test_villages_of_a_township_from_the_url(checks_url, monkeypatch):
    app = open_page(checks_url, monkeypatch, params={"drill": "甲县", "town": "甲一镇"})
    assert app.session_state["drill"] == JIA and app.session_state["town"] == "370831100000"
    text = text_of(app)
    # 甲一镇: 甲一村 1 of 2 (c01), 甲二村 3 of 5 (c06, c07, c13), 甲三村 nothing → 4 of 7 = 57.1 %, behind 开发区街道 (1 of 1).
    assert "### 甲县 · 甲一镇 · 各村（社区）" in text
    assert "甲一镇整体走访完成率 **57.1%**" in text and "在甲县 2 个乡镇（街道）中排第 2 名" in text
    table = app.dataframe[0].value
    # Villages are listed from the back: no data, then the lowest.
    assert table["村（社区）"].tolist() == ["甲三村", "甲一村", "甲二村"]
    assert table["所属乡镇（街道）"].tolist() == ["甲一镇"] * 3
    assert table["走访完成率（%）"].tolist() == pytest.approx([math.nan, 50.0, 60.0], nan_ok=True)
    assert table["排名"].tolist() == pytest.approx([math.nan, 2, 1], nan_ok=True)
    assert table["状态"].tolist() == ["—", "红", "红"]
    assert len(charts_of(app)) == 1  # bars only: villages have no polygons
    assert_plain_chinese(app)
    back = [b for b in app.button if "返回" in b.label][0]
    assert back.label == "⬆ 返回甲县"
    back.click().run()
    assert app.session_state["town"] == "" and "### 甲县 · 各乡镇（街道）" in text_of(app)
    assert app.dataframe[0].value["乡镇（街道）"].tolist() == ["开发区街道", "甲一镇"]


def test_every_village_of_a_county_with_its_township(checks_url, monkeypatch):
    app = open_page(checks_url, monkeypatch, drill=JIA, town="all")
    table = app.dataframe[0].value
    assert table["村（社区）"].tolist() == ["甲三村", "甲一村", "甲二村", "开发区社区"]
    assert table["所属乡镇（街道）"].tolist() == ["甲一镇", "甲一镇", "甲一镇", "开发区街道"]
    assert table["走访完成率（%）"].tolist() == pytest.approx([math.nan, 50.0, 60.0, 100.0], nan_ok=True)
    assert "### 甲县 · 全部村（社区）" in text_of(app)


def test_only_below_the_parent(checks_url, monkeypatch):
    app = open_page(checks_url, monkeypatch)
    app.toggle(key="below_county").set_value(True).run()
    # The city's 60.0 %: only 乙区 (50.0 %) is below it; 丙县 has no value to compare.
    assert app.dataframe[0].value["县区"].tolist() == ["乙区"]
    assert app.toggle(key="below_county").label == "只看低于全市平均"
    app = open_page(checks_url, monkeypatch, drill=JIA)
    app.toggle(key="below_township").set_value(True).run()
    # 甲县's 62.5 %: 甲一镇 (57.1 %) is below, 开发区街道 (100 %) is not.
    assert app.dataframe[0].value["乡镇（街道）"].tolist() == ["甲一镇"]
    assert app.toggle(key="below_township").label == "只看低于甲县平均"
