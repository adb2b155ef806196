"""考评: every county scored on the rubric, ranked, with the evidence behind each cell.

A county account gets its own county's row (ranked among the city's counties, "全市第 3 / 11 名") and the city's
aggregate row as reference, never another county's (queries.scorecard.scorecard).
"""

import pandas as pd
import streamlit as st

from dashboard import engine, exporting, filters, widgets
from queries import fmt, judge, scorecard
from queries.periods import in_progress
from queries.registry import by_key, rule_text

GRADE_TEXT = {"green": "满分", "yellow": "部分得分", "red": "0 分", judge.ANOMALY: "数据异常（不得分）", None: "无数据"}
# Light tints of fmt.STATE_COLOURS: a full grid in the saturated colours is unreadable on a projector.
TINTS = {"green": "#cfe9d7", "yellow": "#fde7b5", "red": "#f6c9c4", judge.ANOMALY: "#e2cdee", None: "#e6e6e6"}
CITY_ROW = "#eef3fa"


def render() -> None:
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    st.title("考评：县（市、区）综合评分")
    try:
        rubric = scorecard.load_rubric()
    except scorecard.RubricError as err:
        st.error("考评细则文件有误，请市未保办修改后刷新本页（格式见 docs/rubric.md）。\n\n"
                 + "\n".join(f"- {p}" for p in err.problems) + f"\n\n文件：{err.path}")
        return
    card = engine.ask(scorecard.scorecard, scope, month, rubric, region)
    counties, city = card[card["level"] == "county"], card[card["level"] == "city"]
    if counties.empty:
        widgets.no_data()
        return
    as_of = engine.ask(scorecard.data_as_of, scope)
    st.caption(f"{rubric.title} · 统计月份 {fmt.month_text(month)}（{fmt.as_of(month)}）· "
               f"数据截至 {as_of or '（未记录导入时间）'} · 满分 {sum(c.weight for c in rubric.criteria):g} 分")
    if in_progress(month):
        st.warning("所选月份尚未结束：走访完成率等月内累计的指标只统计到今天，得分偏低。正式考评请选已结束的月份。")
    exporting.files_menu([("scorecard", "xlsx", "考评工作簿（Excel）"), ("scorecard", "pdf", "考评表（PDF）")],
                         month=month, key="score_files")
    _headline(scorecard.summary(card))
    _warnings(counties, rubric, month)

    only_below = st.toggle("只看低于全市平均", key="score_below",
                           help="只显示数值低于全市整体数值（首行，按全市合计计算）的格子，其余格子淡化；"
                                "没有任何一项低于全市的县区不显示")
    shown = counties[counties["below_city"]] if only_below else counties
    if shown.empty:
        st.success("没有任何一项低于全市平均的县区。")
        shown = counties
    grid = pd.concat([city, shown])
    st.markdown(_legend(), unsafe_allow_html=True)
    # A new key per filter state: a stored row position must not silently point at another county.
    key = f"score_grid_{int(only_below)}"
    event = st.dataframe(_styled(grid, rubric, only_below, _among(card)), hide_index=True, on_select="rerun",
                         selection_mode=["single-row", "single-cell"], key=key, column_config=_columns(rubric),
                         height=35 * (len(grid) + 1) + 3, placeholder="—")
    selected = _picked(event, grid, rubric, key) or shown.index[-1]
    st.caption("每格：指标值·得分（分）。首行为全市整体数值（作为平均参照，不计分）。"
               "点一格查看该县区该项的分子、分母和所辖乡镇；点行首方框选整行（未点选时显示排名最后的县区）。")
    _evidence(card, grid.loc[selected], rubric, month, scope)

    widgets.download("下载考评表（CSV，精确值）", scorecard.scorecard_csv(card, rubric, month),
                     file_name=f"考评_{month}_{filters.region_name(region)}.csv", mime="text/csv", what="考评表")
    differences = scorecard.line_differences(rubric)
    if differences:
        st.info("考评满分线与驾驶舱的绿线不同，驾驶舱为绿的县区在此可能只得部分分：" + "；".join(differences) + "。")
    with st.expander("计分规则"):
        st.markdown("\n".join(f"- **{c.label}**（{c.weight:g} 分）：{c.describe()}" for c in rubric.criteria))
        st.caption("颜色按细则得分：绿 满分、黄 部分得分、红 0 分、紫 数据异常（比率超过 100% 或支出超过预算，不得分）、"
                   "灰 无数据（分母为 0）。细则由市未保办维护。")


def _picked(event, grid: pd.DataFrame, rubric, key: str) -> str | None:
    """The region of the clicked cell or row; a newly clicked criterion cell also sets the criterion picker."""
    selection = event.selection if event else None
    if selection is None:
        return None
    cells = [c for c in (selection.cells or []) if c[0] < len(grid)]
    if cells:
        position, column = cells[0]
        by_label = {c.label: c.key for c in rubric.criteria}
        if column in by_label and st.session_state.get(f"{key}_cell") != (position, column):
            st.session_state["score_criterion"] = by_label[column]  # before the picker is drawn below
        st.session_state[f"{key}_cell"] = (position, column)
        return grid.index[position]
    rows = [r for r in (selection.rows or []) if r < len(grid)]
    return grid.index[rows[0]] if rows else None


def _headline(facts: dict) -> None:
    # Cards, not st.metric: a metric cuts '梁山县 60.7 分' to '梁山…' in a quarter of a 1280-px screen.
    if "own" in facts:  # only the viewer's own county is shown: its place among the city's, by number
        name, total, place, ranked = facts["own"]
        cards = [(f"{name}总分", f"{total:.1f} 分"), ("全市排名", f"第 {place} / {ranked} 名"),
                 (f"全市 {ranked} 个县区平均", f"{facts['mean_total']:.1f} 分"),
                 ("低于全市的项目", f"{facts['most_below'][1]} 项")]
    else:
        cards = [("第一名", f"{facts['best'][0]} {facts['best'][1]:.1f} 分"),
                 ("最后一名", f"{facts['worst'][0]} {facts['worst'][1]:.1f} 分"),
                 (f"{facts['counties']} 个县区平均", f"{facts['mean_total']:.1f} 分"),
                 ("低于全市的项目最多", f"{facts['most_below'][0]} {facts['most_below'][1]} 项")]
    widgets.card_grid([widgets.fact_html(name, value) for name, value in cards])


def _warnings(counties: pd.DataFrame, rubric, month: str) -> None:
    notes = [f"{name}：{text.removeprefix('数据异常：')}" for name, text in
             zip(counties["region_name"], widgets.anomaly_notes(counties, [by_key()[k] for k in rubric.keys], month))
             if text]
    if notes:
        st.warning("数据异常（不得分），请核对台账：" + "；".join(notes))
    empty = [r["region_name"] for _, r in counties.iterrows() if all(pd.isna(r[c.key]) for c in rubric.criteria)]
    if empty:
        st.warning("以下县区本月没有任何考评数据，得分可能失真：" + "、".join(empty))


def _legend() -> str:
    chips = "".join(f'<span style="background:{TINTS[g]};padding:2px 10px;border-radius:4px;margin-right:8px">'
                    f'{GRADE_TEXT[g]}</span>' for g in ("green", "yellow", "red", None))
    return f'<div style="margin:4px 0 8px 0">{chips}</div>'


def _cell(crit, row) -> str:
    value = row[crit.key]
    text = fmt.percent(value) if by_key()[crit.key].unit == "rate" else fmt.count(value)
    points = row[f"pts_{crit.key}"]
    return text if pd.isna(points) else f"{text}·{points:.1f}"


def _among(card: pd.DataFrame) -> str:
    """' / 11' when the card holds fewer counties than they are ranked among (a county account's own), else ''."""
    counties = card[card["level"] == "county"]
    ranked = int(counties["ranked"].iloc[0]) if len(counties) and "ranked" in counties else len(counties)
    return f" / {ranked}" if len(counties) < ranked else ""


def _styled(grid: pd.DataFrame, rubric, only_below: bool, among: str = ""):
    is_city = (grid["level"] == "city").tolist()
    table = pd.DataFrame({
        "排名": ["—" if pd.isna(r) else f"{int(r)}{among}" for r in grid["rank"]],
        "县（市、区）": [f"{n}（全市）" if c else n for n, c in zip(grid["region_name"], is_city)],
        "总分": ["参照" if pd.isna(t) else f"{t:.1f}" for t in grid["total"]],
    })
    for crit in rubric.criteria:
        table[crit.label] = [_cell(crit, r) for _, r in grid.iterrows()]
    grades = {c.label: grid[f"grade_{c.key}"].tolist() for c in rubric.criteria}
    below = {c.label: grid[f"below_{c.key}"].tolist() for c in rubric.criteria}

    def colour(column: pd.Series) -> list[str]:
        if column.name not in grades:
            return [f"background-color: {CITY_ROW}; font-weight: 600" if c else "font-weight: 600"
                    if column.name == "总分" else "" for c in is_city]
        out = []
        for city_row, g, low in zip(is_city, grades[column.name], below[column.name]):
            if city_row:
                out.append(f"background-color: {CITY_ROW}; font-weight: 600")
            elif only_below and not low:
                out.append("color: #b0b0b0")  # at or above the city: faded, not hidden, so rows stay readable
            else:
                out.append(f"background-color: {TINTS[g if isinstance(g, str) else None]}")
        return out

    return table.style.apply(colour, axis=0)


def _columns(rubric) -> dict:
    # Fixed pixel widths keep ten criteria on one screen at 1600 px without a horizontal scroll.
    config = {
        "排名": st.column_config.TextColumn("排名", width=44),
        "县（市、区）": st.column_config.TextColumn("县（市、区）", width=92),
        "总分": st.column_config.TextColumn("总分", help="各项得分之和（满分 100）", width=52),
    }
    for crit in rubric.criteria:
        config[crit.label] = st.column_config.TextColumn(f"{crit.label} {crit.weight:g}分", help=crit.describe(),
                                                         width=86)
    return config


def _evidence(card: pd.DataFrame, row: pd.Series, rubric, month: str, scope) -> None:
    reg = by_key()
    is_city = row["level"] == "city"
    st.subheader(f"{row['region_name']}：得分依据")
    labels = {c.key: f"{c.label}（{c.weight:g}分）" for c in rubric.criteria}
    key = st.selectbox("考评项目", rubric.keys, format_func=labels.get, key="score_criterion")
    crit = next(c for c in rubric.criteria if c.key == key)
    ind = reg[key]
    money = ind.numerator == "fund_spent_ytd"
    exact = fmt.yuan if money else fmt.count
    cards = [widgets.fact_html("分子", exact(row[f"num_{key}"]), tooltip=scorecard.measure_label(ind.numerator)),
             widgets.fact_html("分母", exact(row[f"den_{key}"]), tooltip=scorecard.measure_label(ind.denominator)),
             widgets.fact_html(ind.name, fmt.percent(row[key], 2))]
    if crit.rule == "vs_time_progress":
        cards.append(widgets.fact_html("序时进度", fmt.percent(row["time_progress"], 2)))
    if is_city:
        cards.append(widgets.fact_html("得分", "不计分", ["全市整体数值只作参照"]))
    else:
        grade = _grade(row, key)
        cards.append(widgets.fact_html("得分", f"{row[f'pts_{key}']:.2f} / {crit.weight:g}",
                                       colour=fmt.STATE_COLOURS[grade], tag=GRADE_TEXT[grade]))
    widgets.card_grid(cards)
    st.caption(f"分子 = {scorecard.measure_label(ind.numerator)}；分母 = {scorecard.measure_label(ind.denominator)}。"
               f"计分：{crit.describe()}。口径：{ind.definition}")
    if is_city:
        below = card[card["level"] == "county"]
        title, level_name = "各县（市、区）", "县（市、区）"
    else:
        below = engine.ask(scorecard.townships_behind, scope, month, row.name, key)
        below = below.rename(columns={"numerator": f"num_{key}", "denominator": f"den_{key}",
                                      "status": f"status_{key}"})
        title, level_name = "所辖乡镇（街道）", "乡镇（街道）"
    if below.empty:
        st.info(f"{ind.name}只在县级及以上计算，乡镇（街道）不适用。")
        return
    st.markdown(f"**{title}的{ind.name}**（按数值从低到高；{rule_text(ind)}）")
    table = pd.DataFrame({
        level_name: below["region_name"],
        scorecard.measure_label(ind.numerator): below[f"num_{key}"].astype(float),
        scorecard.measure_label(ind.denominator): below[f"den_{key}"].astype(float),
        ind.name: below[key].astype(float) * 100,
        "状态": [fmt.STATE_LABELS.get(s, "—") if isinstance(s, str) else "—" for s in below[f"status_{key}"]],
    }).sort_values(ind.name, na_position="first")
    number = "%.2f" if money else "localized"
    widgets.table(table.style.apply(_status_colours, axis=0, subset=["状态"]), ind.name, f"evidence_{ind.key}",
                  hide_index=True,
                 height=min(35 * (len(table) + 1) + 3, 740), column_config={
        scorecard.measure_label(ind.numerator): st.column_config.NumberColumn(format=number),
        scorecard.measure_label(ind.denominator): st.column_config.NumberColumn(format=number),
        ind.name: st.column_config.NumberColumn(f"{ind.name}（%）", format="%.2f"),
    }, placeholder="—")


def _grade(row: pd.Series, key: str):
    g = row[f"grade_{key}"]
    return g if isinstance(g, str) else None


def _status_colours(column: pd.Series) -> list[str]:
    back = {label: fmt.STATE_COLOURS[s] for s, label in fmt.STATE_LABELS.items()}
    return [f"background-color: {back[v]}; color: white" if v in back else "" for v in column]


render()
