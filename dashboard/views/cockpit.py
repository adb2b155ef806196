"""领导驾驶舱: headline numbers coloured against targets, comparisons, rank, red list and trends."""

import streamlit as st

from dashboard import engine, exporting, filters, widgets
from exports import figures
from queries import cockpit, fmt
from queries.registry import by_key, group, group_keys

# Which indicators each section shows is the registry's `groups` (indicators.yaml), not a list typed here.
NETWORK_KEYS = group_keys("cockpit_network")
WORK_KEYS = group_keys("cockpit_work")


SECTIONS = {"children": "儿童底数", "network": "三级阵地与队伍", "work": "工作落实",
            "reds": "落后乡镇（红色指标）", "trend": "近 12 个月趋势"}


def render() -> None:
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    name = filters.region_name(region)
    st.title(f"{name} 未成年人保护工作驾驶舱")
    # One call for the whole page, the same one the meeting pack and the cockpit PDF make: they cannot disagree.
    model = engine.ask(cockpit.model, scope, month, region)
    if not model["has_data"]:
        widgets.no_data()
        return
    ctx = {
        **model, "scope": scope, "reg": by_key(), "before": model[filters.compare()],
        "label": filters.COMPARISONS[filters.compare()],
    }
    early = " · 本月尚未结束：走访等月内累计的指标暂不评色" if ctx["early"] else ""
    st.caption(f"{fmt.as_of(month)} · 颜色按口径说明中的达标线：绿 达标 / 黄 接近 / 红 落后 / 紫 数据异常"
               f"{early} · 对比：{ctx['label']}")
    exporting.files_menu([("meeting", "pptx", "会议材料（PPT）"), ("briefing", "docx", "情况通报（Word）"),
                          ("cockpit", "pdf", "驾驶舱（PDF）")], month=month, key="cockpit_files",
                         label="导出会议材料")
    shown = list(SECTIONS)
    if filters.meeting():  # one idea per screen on the projector
        chosen = st.segmented_control("本屏内容", shown, format_func=SECTIONS.get, default="children",
                                      key="slide", bind="query-params", label_visibility="collapsed")
        shown = [chosen or "children"]
    for key in shown:
        if not filters.meeting():  # in meeting mode the section button above already names it
            st.subheader(SECTIONS[key])
        DRAW[key](ctx)


def _lines(ctx: dict, key: str) -> list[str]:
    ind, now, ranks = ctx["reg"][key], ctx["now"], ctx["ranks"]
    out = [fmt.change(ind, now[key], ctx["before"].get(key), ctx["label"])]
    if key == "fund_execution_rate":
        out.insert(0, f"序时进度 {fmt.percent(now['time_progress'])}")
    if ctx["city"] is not None and not fmt.is_null(ctx["city"].get(key)):
        out.append(f"全市 {fmt.value(ind, ctx['city'][key])}")
    if key in ranks and ranks[key][0] is not None:
        place, ranked, counties = ranks[key]
        unranked = f"（{counties - ranked} 县无数据）" if counties > ranked else ""
        out.append(f"全市第 {place} / {ranked} 名{unranked}")
    return out


def _children(ctx: dict) -> None:
    reg, now = ctx["reg"], ctx["now"]
    left, right = st.columns([1, 2])
    with left:
        total = reg["children_total"]
        widgets.headline(total, now, [
            f"本月新增 {fmt.count(now['children_new'])} · 退出 {fmt.count(now['children_exited'])}",
            fmt.change(total, now["children_total"], ctx["before"].get("children_total"), ctx["label"]),
        ], before=ctx["prev_month"], month=ctx["month"])
    with right:
        counts = {ind.label: now[ind.key] for ind in group("child_categories")}
        height = 260 if filters.meeting() else 300
        st.plotly_chart(figures.category_bars(counts, fmt.chart_title("在册儿童分类", "人", ctx["month"]),
                                             height=height), config={"displayModeBar": False})


def _cards(keys: list[str]):
    def draw(ctx: dict) -> None:
        widgets.card_grid([widgets.card_html(ctx["reg"][key], ctx["now"], _lines(ctx, key), before=ctx["prev_month"],
                                             month=ctx["month"]) for key in keys])
    return draw


def _reds(ctx: dict) -> None:
    reds = ctx["reds"]
    if ctx["early"]:
        st.caption("本月尚未结束：走访完成率等月内累计的指标不计入红色名单，月末后再评。")
    if reds.empty:
        st.success("本月没有红色指标的乡镇（街道）。")
        return
    shown = reds.rename(columns={"region_name": "乡镇（街道）", "parent_name": "所属县区",
                                 "reds": "红色指标数", "red_indicators": "红色指标"})
    widgets.table(shown.head(15), "红色指标乡镇", "reds_table", hide_index=True, placeholder="—")
    if len(reds) > 15:
        st.caption(f"共 {len(reds)} 个乡镇（街道）有红色指标，此处列出前 15 个；完整名单见“指标总表”。")


def _trend(ctx: dict) -> None:
    month, trend = ctx["month"], ctx["trend"]
    left, right = st.columns(2)
    height = 320 if filters.meeting() else 380  # both charts and their legends on a 720-px projector
    with left:
        st.plotly_chart(figures.trend_rates(trend, group("trend_monthly"),
                                           fmt.chart_title("月度指标走势", "%", month), height=height),
                        config={"displayModeBar": False})
    with right:
        # Year-to-date rates restart every January; drawn apart so the January drop is not read as a collapse.
        st.plotly_chart(figures.trend_rates(trend, group("trend_ytd"),
                                           fmt.chart_title("本年累计指标", "%", month),
                                           height=height),
                        config={"displayModeBar": False})
    st.caption("本年累计指标每年 1 月重新起算，1 月的回落不是下滑。"
               + ("最后一个点是进行中的本月，只统计到今天，月内累计的指标偏低属正常。" if ctx["early"] else ""))
    widgets.definition_note(*group("trend_monthly"), *group("trend_ytd"))


DRAW = {"children": _children, "network": _cards(NETWORK_KEYS), "work": _cards(WORK_KEYS),
        "reds": _reds, "trend": _trend}


render()
