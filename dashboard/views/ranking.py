"""县区排名与地图: a choropleth of counties (click to open a county's townships), league table and ranking bars."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard import charts, engine, filters, maps, widgets
from queries import compare, fmt, geo
from queries.registry import Indicator, by_key, load_registry

# The same for every region (month number / 12): nothing to map or rank.
NOT_MAPPED = {"time_progress"}
DEFAULT_KEY = "visit_completion"
TABLE_RATES = ["visit_completion", "village_director_coverage", "township_station_coverage",
               "township_supervisor_coverage", "training_rate", "assessment_timeliness", "fund_execution_rate"]
LEVEL_WORDS = {"county": "县区", "township": "乡镇（街道）"}
STATUS_TEXT = {"green": "绿", "yellow": "黄", "red": "红"}


def _set_drill(code: str) -> None:
    st.session_state["drill"] = code


def _drill_from_map(key: str, allowed: tuple[str, ...]) -> None:
    code = maps.clicked_code(st.session_state.get(key))
    if code in allowed:
        st.session_state["drill"] = code


def _drill_from_table(key: str, codes: tuple[str, ...]) -> None:
    rows = st.session_state[key].selection.rows
    if rows and rows[0] < len(codes):
        st.session_state["drill"] = codes[rows[0]]


def _base_city(scope, region: str | None) -> str | None:
    """The city whose counties are ranked: the sidebar city, or the city of the sidebar county."""
    if region and filters.region_level(region) == "county":
        counties = engine.regions(scope, "county").set_index("region_code")
        return counties.at[region, "parent_code"] if region in counties.index else None
    return region


def _whole(ind: Indicator) -> str:
    """'整体走访完成率' for a rate, '合计在册儿童' for a count or sum."""
    return f"{'整体' if ind.unit == 'rate' else '合计'}{ind.name.replace('（元）', '')}"


def _rank_change(value) -> str:
    if pd.isna(value):
        return "—"
    value = int(value)
    return f"↑{value}" if value > 0 else (f"↓{-value}" if value < 0 else "–")


def _scaled(ind: Indicator, column: pd.Series) -> tuple[pd.Series, str, str]:
    """Column values, header and display format in the unit officials read (sorting uses the numbers)."""
    column = column.astype(float)
    if ind.unit == "rate":
        return column * 100, ind.name, "{:.1f}%"
    if ind.unit == "yuan":
        return column / 10000, ind.name.replace("（元）", "（万元）"), "{:,.1f}"
    return column, ind.name, "{:,.0f}"


def _league_table(league: pd.DataFrame, ind: Indicator, level: str, key: str, on_select) -> None:
    """Rank, name, value, rank change, status and the other key rates; sortable by any column."""
    reg = by_key()
    shown = pd.DataFrame({LEVEL_WORDS[level]: league["region_name"]})
    formats, config = {}, {}
    # A column that is null throughout (an indicator not defined at this level) would only show empty cells.
    if league[ind.key].notna().any():
        shown.insert(0, "排名", league["rank"].astype(float))
        formats["排名"] = "{:.0f}"
        config["排名"] = st.column_config.NumberColumn("排名", width="small")
        values, header, formats[header] = _scaled(ind, league[ind.key])
        shown[header] = values
        config[header] = st.column_config.NumberColumn(header, help=ind.definition)
        shown["排名变化"] = league["rank_change"].map(_rank_change)
        config["排名变化"] = st.column_config.TextColumn("排名变化", help="与上月排名相比：↑ 上升、↓ 下降、– 不变")
        if ind.better != "none":
            states = compare.statuses(league, [ind.key])[ind.key]
            shown["状态"] = states.map(lambda s: STATUS_TEXT.get(s, ""))
    for other in TABLE_RATES:
        if other == ind.key or league[other].isna().all():
            continue
        values, header, formats[header] = _scaled(reg[other], league[other])
        shown[header] = values
        config[header] = st.column_config.NumberColumn(header, help=reg[other].definition)
    colours = {text: fmt.STATUS_COLOURS[s] for s, text in STATUS_TEXT.items()}
    # The Styler carries the display text (一位小数, 万元); the frame keeps numbers so sorting is numeric.
    styled = shown.style.format(formats, na_rep=fmt.NO_DATA).map(
        lambda v: f"background-color: {colours[v]}; color: white; font-weight: 600" if v in colours else "",
        subset=[c for c in ["状态"] if c in shown])
    st.dataframe(styled, column_config=config, hide_index=True, key=key, height=min(36 * len(shown) + 40, 640),
                 on_select=on_select, selection_mode="single-row", placeholder="—")


def _quality_warnings(league: pd.DataFrame, level: str) -> None:
    """Numbers that look wrong, said plainly: a rate over 100 %, regions that logged no visit this month."""
    reg = by_key()
    for key in TABLE_RATES:
        over = league[league[key].astype(float) > 1 + 1e-9]
        if over.empty:
            continue
        what = "累计支出超过年度预算" if key == "fund_execution_rate" else f"{reg[key].name}超过 100%"
        st.warning(f"{'、'.join(over['region_name'])}：{what}，请核对台账。")
    silent = league[(league["children_total"] > 0) & (league["children_visited"] == 0)]
    if not silent.empty:
        st.warning(f"本月没有任何走访记录的{LEVEL_WORDS[level]}（有在册儿童）：{'、'.join(silent['region_name'])}。"
                   "可能是漏报，请核实。")


def _bars(league: pd.DataFrame, ind: Indicator, level: str, parent_name: str, parent_value, month: str) -> None:
    if league[ind.key].isna().all():
        widgets.definition_note(ind)
        return
    colours = compare.statuses(league, [ind.key])[ind.key]
    title = widgets.chart_title(f"{parent_name}各{LEVEL_WORDS[level]}{ind.name.replace('（元）', '')}排名",
                                fmt.unit_label(ind), month)
    is_rate = ind.unit == "rate"
    fig = charts.ranking_bars(league, ind, colours, title, average=parent_value if is_rate else None,
                              average_label=f"{parent_name}整体")
    st.plotly_chart(fig, config={"displayModeBar": False}, key=f"bars_{level}")
    if is_rate:
        st.caption(f"虚线为{parent_name}整体的{ind.name}（{fmt.value(ind, parent_value)}），"
                   f"按{parent_name}全部在册数据直接计算，不是各{LEVEL_WORDS[level]}比率的简单平均。")
    else:
        st.caption(f"数量和金额指标不画平均线：{parent_name}合计与单个{LEVEL_WORDS[level]}不可比。")
    widgets.definition_note(ind)


def _controls(reg, county_names: dict, city_name: str) -> tuple[str, str]:
    """Indicator picker and map extent, both in the URL so a copied link reopens the same view."""
    options = [i.key for i in load_registry() if i.key not in NOT_MAPPED]
    pick, drill_col, back_col = st.columns([3, 3, 2], vertical_alignment="bottom")
    with pick:
        key = st.selectbox("指标", options, index=options.index(DEFAULT_KEY), format_func=lambda k: reg[k].name,
                           key="indicator", bind="query-params")
    with drill_col:
        drill = st.selectbox("地图范围", [""] + list(county_names), key="drill", bind="query-params",
                             format_func=lambda c: county_names.get(c, f"{city_name}（各县区）"),
                             help="点击地图上的县区或表格中的一行，可查看该县区各乡镇（街道）")
    with back_col:
        if drill:
            st.button(f"⬆ 返回{city_name}", on_click=_set_drill, args=("",), type="primary", width="stretch")
        elif filters.region() in county_names:
            chosen = filters.region()
            st.button(f"查看{county_names[chosen]}各乡镇", on_click=_set_drill, args=(chosen,), width="stretch")
    return key, drill


def _heading(scope, month: str, ind: Indicator, city, city_name: str, drill: str, parent_name: str,
             parent_value) -> None:
    if not drill:
        st.markdown(f"### {city_name} · 各县区\n{city_name}{_whole(ind)} **{fmt.value(ind, parent_value)}**。"
                    "点击地图上的县区或表格中的一行，查看该县区各乡镇（街道）。")
        return
    county_league = engine.ask(compare.league, scope, month, "county", city, ind.key)
    r = county_league["rank"].get(drill, pd.NA)
    ranked = int(county_league["rank"].notna().sum())
    rank_text = "" if pd.isna(r) else f"，在{city_name}{ranked}个县区中排第 {int(r)} 名"
    st.markdown(f"### {parent_name} · 各乡镇（街道）\n{parent_name}{_whole(ind)} "
                f"**{fmt.value(ind, parent_value)}**{rank_text}。")


def _map(scope, month: str, league: pd.DataFrame, ind: Indicator, level: str, parent: str | None,
         parent_name: str, drill: str, reference: dict, county_codes: tuple) -> None:
    """The choropleth; at county level a click on a county opens its townships."""
    # The polygons drawn are exactly the scoped regions of this level (never the whole boundary file).
    codes = tuple(sorted(engine.ask(geo.map_regions, scope, level, parent)["region_code"]))
    try:
        shapes = maps.shapes(level, codes, drill or None)
    except geo.BoundaryError as err:
        st.error(f"边界文件无法使用（{geo.BOUNDARY_ENV}）：{err}")
        return
    names = dict(zip(league.index, league["region_name"]))
    if shapes.missing:
        st.info("以下区划暂无边界，未在地图上显示（表格中照常列出）："
                + "、".join(names.get(c, c) for c in shapes.missing))
    if not shapes.geojson["features"]:
        return
    title = widgets.chart_title(f"{parent_name}各{LEVEL_WORDS[level]}{ind.name.replace('（元）', '')}",
                                fmt.unit_label(ind), month)
    fig = maps.choropleth(league, ind, shapes, maps.class_breaks(ind, league[ind.key], reference), title)
    map_key = f"map_{level}_{parent}"
    if drill:
        st.plotly_chart(fig, key=map_key, config=maps.CONFIG)
    else:
        st.plotly_chart(fig, key=map_key, config=maps.CONFIG, selection_mode="points",
                        on_select=partial(_drill_from_map, map_key, county_codes))
    source = f"**{shapes.source}**" if shapes.synthetic else shapes.source
    method = "按口径说明中的绿/黄/红目标线" if maps.judged(ind, reference) else "按分位数"
    breaks = f"分级：{method}，区间含下限不含上限；" if league[ind.key].notna().any() else ""
    st.caption(f"{source}。{breaks}灰色为无数据（不是 0）。")


def render() -> None:
    month, scope = filters.month(), filters.viewer_scope()
    reg = by_key()
    city = _base_city(scope, filters.region())
    counties = engine.ask(geo.map_regions, scope, "county", city)
    county_names = dict(zip(counties["region_code"], counties["region_name"]))
    # A viewer scoped below the city has no name for it in the sidebar (region_name echoes the code).
    city_name = filters.region_name(city) if city else ""
    city_name = "全市" if city_name in ("", city) else city_name
    st.title("县区排名与地图")
    if counties.empty:
        widgets.no_data("所选区域没有县级单位。")
        return
    key, drill = _controls(reg, county_names, city_name)

    ind = reg[key]
    level, parent = ("township", drill) if drill else ("county", city)
    parent_name = county_names.get(drill) if drill else city_name
    league = engine.ask(compare.league, scope, month, level, parent, key)
    if league.empty:
        widgets.no_data(f"{parent_name}没有可显示的{LEVEL_WORDS[level]}。")
        return
    # The reference line and headline are the parent's own value from the engine, not a mean of children.
    parents = engine.indicator_frame(scope, month, "county" if drill else "city", parent) if parent else None
    parent_row = parents.loc[parent].to_dict() if parents is not None and parent in parents.index else {}
    parent_value = parent_row.get(key)

    _heading(scope, month, ind, city, city_name, drill, parent_name, parent_value)
    if league[key].isna().all():
        st.info(f"{ind.name}在{LEVEL_WORDS[level]}一级不适用或本月无数据，地图以灰色表示“无数据”（不是 0）。")
    _quality_warnings(league, level)

    left, right = st.columns([5, 4])
    with left:
        reference = parent_row or league.iloc[0].to_dict()
        _map(scope, month, league, ind, level, parent, parent_name, drill, reference, tuple(county_names))
    with right:
        st.markdown(f"**{LEVEL_WORDS[level]}排名（{ind.name}，截至 {month} 月末）**")
        table_key = f"league_{level}_{parent}"
        on_select = "ignore" if drill else partial(_drill_from_table, table_key, tuple(league.index))
        _league_table(league, ind, level, table_key, on_select)
        st.caption("点击表头可按任一列排序；排名 1 为最好，空值不参加排名。"
                   + ("" if drill else "勾选一行可查看该县区各乡镇。"))

    _bars(league, ind, level, parent_name, parent_value, month)


render()
