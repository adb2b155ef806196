"""县区排名与地图: a map of counties (click for a county's townships, then a township's villages), league table, bars.

A county account sees its own county only: the page opens on its townships, with the city's aggregate and the
county's rank among the city's counties as numbers (queries.compare.reference, peer_rank), never another county.
"""

import html
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from dashboard import engine, exporting, filters, maps, widgets
from exports import figures
from queries import compare, fmt, geo, judge
from queries.registry import Indicator, by_key, green_line, group, load_registry, rule_text, target_text

# A figure that is the same for every region (序时进度) has nothing to map or rank.
OPTIONS = [i.key for i in load_registry() if not i.same_everywhere]
DEFAULT_KEY = "visit_completion"
LEVEL_WORDS = {"county": "县区", "township": "乡镇（街道）", "village": "村（社区）"}
PARENT_LEVEL = {"county": "city", "township": "county", "village": "township"}
ALL_VILLAGES = "all"  # the village picker's entry for every village of the county in one flat table
TOWN_COLUMN = "所属乡镇（街道）"
MAX_BARS = 40  # rows above which a bar chart is longer than a screen can usefully show
WHITE_TEXT = {fmt.STATE_COLOURS[s] for s in ("green", "red", "anomaly", "early")}


@dataclass(frozen=True)
class View:
    """Which rows are ranked: regions of `level` under `parent` (named `parent_name`)."""

    level: str
    parent: str | None
    parent_name: str
    county: str = ""  # the drilled county, when below the city
    county_name: str = ""
    town: str = ""  # the township (or ALL_VILLAGES) whose villages are listed


def _set_drill(code: str) -> None:
    st.session_state["drill"] = code
    st.session_state["town"] = ""


def _set_town(code: str) -> None:
    st.session_state["town"] = code


def _drill_from_map(key: str, allowed: tuple[str, ...], target: str) -> None:
    code = maps.clicked_code(st.session_state.get(key))
    if code in allowed:
        (_set_drill if target == "drill" else _set_town)(code)


def _drill_from_table(key: str, codes: tuple[str, ...], target: str) -> None:
    rows = st.session_state[key].selection.rows
    if rows and rows[0] < len(codes):
        (_set_drill if target == "drill" else _set_town)(codes[rows[0]])


def _base_city(scope, region: str | None) -> str | None:
    """The city whose counties are ranked: the sidebar city, or the city of the sidebar county."""
    if region and filters.region_level(region) == "county":
        counties = engine.regions(scope, "county").set_index("region_code")
        return counties.at[region, "parent_code"] if region in counties.index else None
    return region


def _whole(ind: Indicator) -> str:
    """'整体走访完成率' for a rate, '合计在册儿童' for a count or sum."""
    return f"{'整体' if ind.unit == 'rate' else '合计'}{ind.label}"


def _rank_change(value) -> str:
    if pd.isna(value):
        return "—"
    value = int(value)
    return f"↑{value}" if value > 0 else (f"↓{-value}" if value < 0 else "–")


def _displayed(ind: Indicator, column: pd.Series) -> pd.Series:
    """Values in the unit and to the digits officials read (percent, 万元, persons), rounded half up like
    every other figure, so the table never shows a digit the status was not judged on."""
    return column.astype(float).map(lambda v: v if fmt.is_null(v) else figures.shown_value(ind, v))


def _number_format(ind: Indicator) -> str:
    return "{:,.0f}" if ind.unit == "count" else ("{:,.1f}" if ind.unit == "yuan" else "{:.1f}")


def _league(scope, month: str, level: str, parent: str | None, ind: Indicator) -> pd.DataFrame:
    """compare.league (impossible values take no rank there), with those rows listed first among the unranked."""
    league = engine.ask(compare.league, scope, month, level, parent, ind.key)
    odd = judge.states(league, [ind.key], month=month)[ind.key].eq(judge.ANOMALY) if len(league) else None
    if odd is None or not odd.any():
        return league
    out = league.copy()
    # Unranked rows: the impossible values first (they need a look), then those without data.
    out["_unranked"] = (~odd).astype(int)
    return out.sort_values(["rank", "_unranked", "region_name"], na_position="last").drop(columns="_unranked")


def _verdicts(league: pd.DataFrame, ind: Indicator, month: str) -> pd.Series:
    """The judge's verdict on each row's value, last month's value (compare.league) feeding the jump check."""
    before = pd.DataFrame({ind.key: league["value_before"]}, index=league.index)
    return judge.verdicts(league, [ind.key], before, month)[ind.key]


def _checks(league: pd.DataFrame, ind: Indicator, shown: list[Indicator], verdicts: pd.Series,
            month: str) -> pd.Series:
    """数据核对 per row: every impossible value among the columns shown, then month-to-month jumps of the
    ranked indicator, in the judge's words."""
    anomalies = widgets.anomaly_notes(league, shown, month)
    jumps = verdicts.map(lambda v: "；".join(f"{ind.label}{w}" for w in v.warnings))
    return pd.Series(["；".join(p for p in pair if p) for pair in zip(anomalies, jumps)], index=league.index,
                     dtype=object)


def _state_style(value: str) -> str:
    for state, word in fmt.STATE_LABELS.items():
        if value == word:
            colour = fmt.STATE_COLOURS[state]
            text = "white" if colour in WHITE_TEXT else "#222"
            return f"background-color: {colour}; color: {text}; font-weight: 600"
    return ""


def _league_table(league: pd.DataFrame, ind: Indicator, view: View, verdicts: pd.Series, checks: pd.Series,
                  month: str, key: str, on_select, towns: pd.Series | None = None) -> None:
    """Rank, name, value, status, green line, rank change, 数据核对 and the other league rates; sortable.
    Every impossible value is set in purple, where the judge says so."""
    word = LEVEL_WORDS[view.level]
    shown = pd.DataFrame({word: league["region_name"]}, index=league.index)
    # Pixel widths keep rank, name, value and status in view at 1280 px, rank change too at 1600 px.
    config = {word: st.column_config.TextColumn(word, width=80 if view.level == "county" else 100)}
    if towns is not None:
        shown[TOWN_COLUMN] = towns.reindex(league.index)
        config[TOWN_COLUMN] = st.column_config.TextColumn(TOWN_COLUMN, width=100)
    formats, purple = {}, {}
    # A column that is null throughout (an indicator not defined at this level) would only show empty cells.
    if league[ind.key].notna().any():
        shown.insert(0, "排名", league["rank"].astype(float))
        formats["排名"] = "{:.0f}"
        config["排名"] = st.column_config.NumberColumn("排名", width=48)
        header = fmt.header(ind)
        shown[header], formats[header] = _displayed(ind, league[ind.key]), _number_format(ind)
        config[header] = st.column_config.NumberColumn(header, help=ind.definition, width=112)
        purple[header] = verdicts.map(lambda v: v.state == judge.ANOMALY)
        if ind.judged:
            # Status before the green line: at 1280 px the status is what must stay on screen.
            shown["状态"] = verdicts.map(lambda v: v.word or fmt.NO_DATA)
            config["状态"] = st.column_config.TextColumn(
                "状态", width=80, help=f"{rule_text(ind)}（按显示的一位小数判断）；数据异常：数值不可能出现，请核对台账；"
                                      "进行中：本月尚未结束，不评色")
            line = f"达标线（{fmt.unit_label(ind)}）"
            lines = pd.Series([green_line(ind, row) for row in league.to_dict("index").values()], index=league.index)
            shown[line], formats[line] = _displayed(ind, lines), _number_format(ind)
            config[line] = st.column_config.NumberColumn(line, help=f"{target_text(ind)}；{rule_text(ind)}", width=84)
        shown["排名变化"] = league["rank_change"].map(_rank_change)
        config["排名变化"] = st.column_config.TextColumn("排名变化", width=72,
                                                      help="与上月排名相比：↑ 上升、↓ 下降、– 不变")
    if checks.ne("").any():
        shown["数据核对"] = checks
        config["数据核对"] = st.column_config.TextColumn(
            "数据核对", width="large", help="不可能出现的数值（比率超过 100%、支出超过预算）和比上月变化过大的数值")
    for other in group("league_table"):
        if other.key == ind.key or league[other.key].isna().all():
            continue
        header = fmt.header(other)
        shown[header], formats[header] = _displayed(other, league[other.key]), _number_format(other)
        config[header] = st.column_config.NumberColumn(header, help=other.definition)
        purple[header] = judge.states(league, [other.key], month=month)[other.key].eq(judge.ANOMALY)
    # The Styler carries the display text; the frame keeps numbers so sorting is numeric.
    styled = shown.style.format(formats, na_rep=fmt.NO_DATA).map(_state_style, subset=[c for c in ["状态"] if c in shown])
    for column, mask in purple.items():
        styled = styled.apply(lambda col, m=mask: [f"color: {fmt.STATE_COLOURS['anomaly']}; font-weight: 700"
                                                   if m.get(code, False) else "" for code in col.index],
                              subset=[column])
    widgets.table(styled, "排名", key, column_config=config, hide_index=True, height=min(36 * len(shown) + 40, 640),
                  on_select=on_select, selection_mode="single-row", placeholder="—")


def _below(league: pd.DataFrame, ind: Indicator, parent_value) -> pd.DataFrame:
    """Rows whose displayed value is worse than the parent's own displayed value."""
    mine, theirs = _displayed(ind, league[ind.key]), _displayed(ind, pd.Series([parent_value])).iloc[0]
    worse = mine < theirs if ind.better == "higher" else mine > theirs
    return league[worse.fillna(False)]


def _table_section(league: pd.DataFrame, ind: Indicator, view: View, verdicts, checks, parent_value, month: str,
                   towns: pd.Series | None) -> None:
    word = LEVEL_WORDS[view.level]
    st.markdown(f"**{word}排名（{ind.label}，{fmt.as_of(month)}）**")
    rows = league
    can_filter = ind.judged and not fmt.is_null(parent_value) and league[ind.key].notna().any()
    below = False
    if can_filter:
        worse = "低于" if ind.better == "higher" else "高于"
        whole = "全市" if view.level == "county" else view.parent_name
        below = st.toggle(f"只看{worse}{whole}平均", key=f"below_{view.level}",
                          help=f"只列出{ind.label}{worse}{view.parent_name}整体数值（{fmt.value(ind, parent_value)}，"
                               f"按{view.parent_name}全部在册数据计算）的{word}")
        if below:
            rows = _below(league, ind, parent_value)
            if rows.empty:
                st.success(f"没有{ind.label}{worse}{view.parent_name}整体的{word}。")
                return
    if view.level == "village":
        # Up to 60 villages: the ones without data and the furthest behind first, where a screen shows them.
        rows = rows.iloc[::-1]
    drill = {"county": "drill", "township": "town"}.get(view.level)
    # A new key per filter state: a stored row position must not silently point at another region.
    table_key = f"league_{view.level}_{view.parent}_{int(below)}"
    on_select = partial(_drill_from_table, table_key, tuple(rows.index), drill) if drill else "ignore"
    _league_table(rows, ind, view, verdicts.reindex(rows.index), checks.reindex(rows.index), month, table_key,
                  on_select, towns)
    follow = {"county": "勾选一行可查看该县区各乡镇（街道）。", "township": "勾选一行可查看该乡镇（街道）各村（社区）。",
              "village": "村（社区）按排名倒序，落后的在前；村（社区）没有边界图，只列表格。"}
    states = verdicts.map(lambda v: v.state)
    target = f"{target_text(ind)}（{rule_text(ind)}）。" if ind.judged else ""
    if states.eq(judge.EARLY).any():
        target += f"本月尚未结束，{ind.label}不评色（状态为“进行中”），月末后再评。"
    odd = "和数据异常的数值" if states.eq(judge.ANOMALY).any() else ""
    # Counts and sums are ranked largest first (compare.rank), which says nothing about good or bad.
    first = "最好" if ind.better != "none" else "最多（不分好坏）"
    st.caption(f"{target}点击表头可按任一列排序；排名 1 为{first}，空值{odd}不参加排名。{follow[view.level]}")


def _colour_counts(verdicts: pd.Series, values: pd.Series, word: str) -> str:
    """'11 个县区：绿 3 个、黄 2 个、红 6 个、无数据 1 个' with coloured badges: the page's answer in one line."""
    states = verdicts.map(lambda v: v.state)
    parts = [f"{widgets.badge(s)} {int(states.eq(s).sum())} 个" for s in (*judge.ORDER, judge.ANOMALY, judge.EARLY)
             if states.eq(s).any()]
    missing = int(values.isna().sum())
    if missing:
        parts.append(f"无数据 {missing} 个")
    if states.eq(judge.EARLY).any() and not states.isin(list(judge.ORDER)).any():
        return "本月尚未结束，不评色"
    return f"{len(values)} 个{word}：" + "、".join(parts) if parts else ""


def _heading(view: View, ind: Indicator, parent_value, parent_state, rank_text: str, counts: str) -> None:
    if view.level == "village":
        title = (f"{view.county_name} · 全部村（社区）" if view.town == ALL_VILLAGES
                 else f"{view.county_name} · {view.parent_name} · 各村（社区）")
    else:
        title = f"{view.parent_name} · 各{LEVEL_WORDS[view.level]}"
    badge = widgets.badge(parent_state)
    line = f"{html.escape(view.parent_name)}{_whole(ind)} **{fmt.value(ind, parent_value)}**{badge}{rank_text}"
    st.markdown(f"### {html.escape(title)}\n{line}{'。 ' + counts if counts else ''}。", unsafe_allow_html=True)


def _rank_text(scope, month: str, ind: Indicator, view: View, city, city_name: str) -> str:
    """'，全市 91.2%，在济宁市 11 个县区中排第 3 名' for a drilled county (the city's own value and the county's rank
    among the city's counties, numbers only: a county account sees no other county); for a township its rank
    among the county's townships."""
    if view.level == "township":
        reference = engine.ask(compare.reference, scope, month, view.county)
        whole = "" if reference.empty else f"，全市 {fmt.value(ind, reference.iloc[0][ind.key])}"
        place = engine.ask(compare.peer_rank, scope, month, view.county, [ind.key]).get(ind.key)
        if not place or place[0] is None:
            return whole
        return f"{whole}，在{city_name} {place[1]} 个县区中排第 {place[0]} 名"
    if view.level == "village" and view.town != ALL_VILLAGES:
        peers = _league(scope, month, "township", view.county, ind)
        code, among = view.town, view.county_name
    else:
        return ""
    r = peers["rank"].get(code, pd.NA)
    word = "县区" if view.level == "township" else "乡镇（街道）"
    ranked = int(peers["rank"].notna().sum())
    return "" if pd.isna(r) else f"，在{among} {ranked} 个{word}中排第 {int(r)} 名"


def _bars(league: pd.DataFrame, ind: Indicator, view: View, verdicts: pd.Series, parent_value, month: str) -> None:
    word = LEVEL_WORDS[view.level]
    if league[ind.key].isna().all():
        widgets.definition_note(ind)
        return
    if len(league) > MAX_BARS:
        st.caption(f"{word}较多（{len(league)} 个），不画条形图：请在上表中按{ind.label}排序查看。")
        widgets.definition_note(ind)
        return
    title = fmt.chart_title(f"{view.parent_name}各{word}{ind.label}排名", fmt.unit_label(ind), month)
    is_rate = ind.unit == "rate"
    states = verdicts.map(lambda v: v.state)
    fig = figures.ranking_bars(league, ind, states, title, average=parent_value if is_rate else None,
                              average_label=f"{view.parent_name}整体")
    st.plotly_chart(fig, config={"displayModeBar": False}, key=f"bars_{view.level}")
    if is_rate:
        st.caption(f"虚线为{view.parent_name}整体的{ind.label}（{fmt.value(ind, parent_value)}），"
                   f"按{view.parent_name}全部在册数据直接计算，不是各{word}比率的简单平均。条形颜色与表格“状态”一致。")
    else:
        st.caption(f"数量和金额指标不画平均线：{view.parent_name}合计与单个{word}不可比。")
    widgets.definition_note(ind)


def _controls(reg, scope, county_names: dict, city_name: str, own: str | None) -> tuple[str, str, str, dict]:
    """Indicator, county and township pickers, all in the URL so a copied link reopens the same view.

    `own`: the county of a county account, the only one it may open (no city view, no other county to pick).
    """
    pick, drill_col, town_col, back_col = st.columns([3, 3, 3, 2], vertical_alignment="bottom")
    with pick:
        key = st.selectbox("指标", OPTIONS, index=OPTIONS.index(DEFAULT_KEY), format_func=lambda k: reg[k].name,
                           key="indicator", bind="query-params")
    with drill_col:
        if own:
            # Not bound to the URL: a drill=… in a link (any county's) is simply not read.
            st.selectbox("地图范围", [own], format_func=county_names.get, disabled=True,
                         help="本账号只能查看本县（市、区）：各乡镇（街道）与全市整体数值、全市排名")
            drill = own
        else:
            drill = st.selectbox("地图范围", [""] + list(county_names), key="drill", bind="query-params",
                                 format_func=lambda c: county_names.get(c, f"{city_name}（各县区）"),
                                 on_change=_set_town, args=("",),
                                 help="点击地图上的县区或表格中的一行，可查看该县区各乡镇（街道）")
    town, town_names = "", {}
    if drill:
        towns = engine.ask(geo.map_regions, scope, "township", drill)
        town_names = dict(zip(towns["region_code"], towns["region_name"]))
        county = county_names[drill]
        labels = {"": "不展开（看各乡镇）", ALL_VILLAGES: f"{county}全部村（社区）", **town_names}
        if st.session_state.get("town") not in labels:  # another county's township (a forged link or state)
            st.session_state["town"] = ""
        with town_col:
            town = st.selectbox("村（社区）明细", ["", ALL_VILLAGES, *town_names], key="town", bind="query-params",
                                format_func=lambda c: labels.get(c, c),
                                help="选一个乡镇（街道）列出其各村（社区）；也可点击地图上的乡镇或表格中的一行")
    with back_col:
        if town:
            st.button(f"⬆ 返回{county_names[drill]}", on_click=_set_town, args=("",), type="primary", width="stretch")
        elif drill and not own:
            st.button(f"⬆ 返回{city_name}", on_click=_set_drill, args=("",), type="primary", width="stretch")
        elif filters.region() in county_names:
            chosen = filters.region()
            st.button(f"查看{county_names[chosen]}各乡镇", on_click=_set_drill, args=(chosen,), width="stretch")
    return key, drill, town, town_names


def _map(scope, month: str, league: pd.DataFrame, ind: Indicator, view: View, reference: dict) -> None:
    """The choropleth; a click on a county opens its townships, a click on a township its villages."""
    # The polygons drawn are exactly the scoped regions of this level (never the whole boundary file).
    codes = tuple(sorted(engine.ask(geo.map_regions, scope, view.level, view.parent)["region_code"]))
    try:
        shapes = maps.shapes(view.level, codes, view.county or None)
    except geo.BoundaryError as err:
        st.error(f"边界文件无法使用（{geo.BOUNDARY_ENV}）：{err}")
        return
    names = dict(zip(league.index, league["region_name"]))
    if shapes.missing:
        st.info("以下区划暂无边界，未在地图上显示（表格中照常列出）："
                + "、".join(names.get(c, c) for c in shapes.missing))
    if not shapes.geojson["features"]:
        return
    word = LEVEL_WORDS[view.level]
    # The title as text above the map, not in it: plotly does not wrap titles, and at 1280 px it was cut off.
    st.markdown(f"**{fmt.chart_title(f'{view.parent_name}各{word}{ind.label}', fmt.unit_label(ind), month)}**")
    legend = maps.legend(ind, league, month, reference)
    fig = maps.choropleth(league, ind, shapes, legend, "", height=maps.fit_height(shapes))
    map_key = f"map_{view.level}_{view.parent}"
    target = "drill" if view.level == "county" else "town"
    st.plotly_chart(fig, key=map_key, config=maps.CONFIG, selection_mode="points",
                    on_select=partial(_drill_from_map, map_key, tuple(league.index), target))
    hint = {"county": "点击县区查看其各乡镇（街道）。", "township": "点击乡镇（街道）查看其各村（社区）。"}[view.level]
    st.caption(f"{hint}{f'**{shapes.source}**' if shapes.synthetic else shapes.source}。"
               f"{_legend_note(ind, legend, league, reference)}灰色为无数据（不是 0）。")


def _legend_note(ind: Indicator, legend: maps.Legend, league: pd.DataFrame, reference: dict) -> str:
    """Why the map has the colours it has, in the registry's words."""
    if league[ind.key].isna().all():
        return ""
    odd = "紫色为数据异常（超过 100%，请核对台账）；" if any(c.state == judge.ANOMALY for c in legend.classes) else ""
    if legend.mode == maps.STATUS:
        relative = ind.thresholds.get("relative_to")
        pace = (f"{by_key()[relative].name} {fmt.percent(reference.get(relative))}，" if relative else "")
        return f"颜色按达标线评定：{rule_text(ind)}（{pace}按显示的一位小数判断）；{odd}"
    if legend.mode == maps.EARLY:
        return (f"本月尚未结束，不评色：{ind.label}在月内逐日累计，月末前偏低属正常；"
                f"蓝色深浅只按数值高低分级（分位数，区间含下限不含上限）；{odd}")
    return f"{ind.label}不评色：蓝色深浅按数值高低分级（分位数，区间含下限不含上限）；{odd}"


def _warn(league: pd.DataFrame, checks: pd.Series, word: str) -> None:
    """One line above the map naming the rows 数据核对 flags, so a wrong figure is not read as a result."""
    flagged = checks[checks.ne("")]
    if flagged.empty:
        return
    names = league["region_name"].reindex(flagged.index)
    listed = "；".join(f"{n} · {c}" for n, c in list(zip(names, flagged))[:5])
    more = f"等 {len(flagged)} 个{word}" if len(flagged) > 5 else ""
    st.warning(f"以下{word}的数据需要核对（见表格“数据核对”列）{more}：{listed}")


def _view(county_names: dict, town_names: dict, city, city_name: str, drill: str, town: str) -> View:
    if not drill:
        return View("county", city, city_name)
    county = dict(county=drill, county_name=county_names[drill])
    if not town:
        return View("township", drill, county_names[drill], **county)
    if town == ALL_VILLAGES:
        return View("village", drill, county_names[drill], town=town, **county)
    return View("village", town, town_names[town], town=town, **county)


def _own_county(scope, county_names: dict) -> str | None:
    """A county account's county (its scope is compared with peers it may not see), else None."""
    if scope.peers is None:
        return None
    region = filters.region()
    return region if region in county_names else next(iter(county_names), None)


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
    exporting.files_menu([("briefing", "docx", "情况通报（Word）")], month=month, key="ranking_files")
    if counties.empty:
        widgets.no_data("所选区域没有县级单位。")
        return
    own = _own_county(scope, county_names)
    key, drill, town, town_names = _controls(reg, scope, county_names, city_name, own)
    ind = reg[key]
    view = _view(county_names, town_names, city, city_name, drill, town)
    word = LEVEL_WORDS[view.level]
    league = _league(scope, month, view.level, view.parent, ind)
    if league.empty:
        widgets.no_data(f"{view.parent_name}没有可显示的{word}。")
        return
    # The reference line and headline are the parent's own value from the engine, not a mean of children.
    parent_level = "county" if view.town == ALL_VILLAGES else PARENT_LEVEL[view.level]
    parents = engine.indicator_frame(scope, month, parent_level, view.parent) if view.parent else None
    parent_row = parents.loc[view.parent].to_dict() if parents is not None and view.parent in parents.index else {}
    parent_value = parent_row.get(key)
    verdicts = _verdicts(league, ind, month)
    table_inds = [ind] + [i for i in group("league_table") if i.key != key and league[i.key].notna().any()]
    checks = _checks(league, ind, table_inds, verdicts, month)

    rank_text = _rank_text(scope, month, ind, view, city, city_name)
    parent_state = judge.verdict(ind, parent_row, month=month).state if parent_row else None
    counts = _colour_counts(verdicts, league[key], word) if ind.judged else ""
    _heading(view, ind, parent_value, parent_state, rank_text, counts)
    if league[key].isna().all():
        st.info(f"{ind.name}在{word}一级不适用或本月无数据，" +
                ("地图以灰色表示“无数据”（不是 0）。" if view.level != "village" else "表中以“—”表示。"))
    _warn(league, checks, word)

    reference = parent_row or league.iloc[0].to_dict()
    towns = None
    if view.level == "village":
        # Villages have no polygons (township cells are synthetic already): a table, with each one's township.
        villages = engine.regions(scope, "village", view.parent).set_index("region_code")["parent_code"]
        towns = villages.map(town_names)
        _table_section(league, ind, view, verdicts, checks, parent_value, month, towns)
    else:
        left, right = st.columns([5, 4])
        with left:
            _map(scope, month, league, ind, view, reference)
        with right:
            _table_section(league, ind, view, verdicts, checks, parent_value, month, towns)
    _bars(league, ind, view, verdicts, parent_value, month)


render()
