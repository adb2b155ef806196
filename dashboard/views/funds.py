"""资金: budget, spending and execution by fund type and by county against 序时进度, and the monthly spending curve."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, engine, widgets
from queries import fmt, topics_funds
from queries.registry import by_key

CARD_KEYS = ["fund_budget", "fund_spent_ytd", "fund_execution_rate"]  # 序时进度 is shown under the rate


def render() -> None:
    page = ct.open_page("资金")
    if page is None:
        return
    ctx, now, before, label = page
    month, scope, region = ctx["month"], ctx["scope"], ctx["region"]
    reg = by_key()
    ind = reg["fund_execution_rate"]
    st.caption(f"{month[:4]} 年 1 月至 {month} · 金额单位万元（明细表为元） · 对比：{label}")
    if ctx["level"] not in ("city", "county"):
        st.info("资金按县级单位填报，乡镇（街道）及以下没有资金数据。")
        return
    for col, key in zip(st.columns(len(CARD_KEYS)), CARD_KEYS):
        with col:
            extra = [f"序时进度 {fmt.percent(now['time_progress'])}"] if key == "fund_execution_rate" else []
            ct.headline(reg[key], now, before, label, extra)
    if ctx["is_county"]:
        st.caption("资金数据只到县级：预算和支出按县级单位、资金类别填报，没有乡镇（街道）分解。")
    if fmt.is_null(now["fund_budget"]) or now["fund_budget"] == 0:
        widgets.no_data(f"所选区域没有 {month[:4]} 年度的资金预算数据。")
        return

    by_type = engine.ask(topics_funds.funds_by_type, scope, month, region)
    monthly = engine.ask(topics_funds.funds_monthly, scope, month, region)
    _warnings(by_type, ctx)
    tp = now["time_progress"]
    left, right = st.columns(2)
    with left:
        shown = by_type[(by_type["budget"] > 0) | (by_type["spent"] > 0)]
        _execution_bars(shown, shown["fund_name"], ind, tp, widgets.chart_title("分资金类别预算执行率", "%", month))
    with right:
        ct.plot(ct.spending_curve(monthly, widgets.chart_title("累计支出占年度预算", "%", month)))
    widgets.definition_note(ind, reg["time_progress"])

    if not ctx["is_county"]:
        counties = engine.ask(topics_funds.funds_by_county, scope, month, region)
        st.subheader("分县区")
        data = counties.sort_values("execution_rate", na_position="first")
        _execution_bars(data, data["region_name"], ind, tp, widgets.chart_title("各县区预算执行率", "%", month))
        silent = counties[counties["budget"] == 0]
        if len(silent):
            st.warning("以下县区没有本年度预算数据：" + "、".join(silent["region_name"]))

    raw = engine.ask(topics_funds.funds_by_county_type, scope, month, region)
    raw = raw.dropna(subset=["fund_type"])
    detail = pd.DataFrame({"县区": raw["region_name"], "区划代码": raw["region_code"],
                           "资金类别": raw["fund_name"],
                           "年度预算（元）": raw["budget"], "累计支出（元）": raw["spent"]})
    with st.expander("分县区、分类别明细（元）"):
        money = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(detail, hide_index=True, column_config={"年度预算（元）": money, "累计支出（元）": money}, placeholder="—")
    ct.csv_button(detail, "下载资金明细（CSV）", f"资金_分县区分类别_{month}.csv", key="funds_csv")


def _execution_bars(frame: pd.DataFrame, labels, ind, tp: float, title: str) -> None:
    statuses = [widgets.status_of(ind, {ind.key: v, "time_progress": tp}) for v in frame["execution_rate"]]
    texts = [f"{fmt.percent(r)}（{b / 10000:,.1f}/{a / 10000:,.1f} 万元）" if not fmt.is_null(r) else "无预算"
             for r, a, b in zip(frame["execution_rate"], frame["budget"], frame["spent"])]
    ct.plot(ct.hbars(labels, frame["execution_rate"].astype(float).fillna(0) * 100, texts, title,
                     colours=ct.rate_colours(frame["execution_rate"], statuses), suffix="%",
                     reference=tp * 100, reference_label=f"序时进度 {fmt.percent(tp)}"))
    st.caption("括号内为累计支出/年度预算（万元）；绿 不低于序时进度，黄 落后不超过 10 个百分点，红 落后更多。")


def _warnings(by_type: pd.DataFrame, ctx: dict) -> None:
    over = by_type[by_type["execution_rate"] > 1]
    if len(over):
        st.warning("以下资金类别累计支出超过年度预算（执行率超过 100%），请核对预算或支出台账："
                   + "、".join(f"{n} {fmt.percent(r)}" for n, r in zip(over["fund_name"], over["execution_rate"])))
    orphan = by_type[(by_type["budget"] == 0) & (by_type["spent"] > 0)]
    if len(orphan):
        st.warning("以下资金类别有支出但没有本年度预算：" + "、".join(
            f"{n}（支出 {fmt.wan_yuan(s)}）" for n, s in zip(orphan["fund_name"], orphan["spent"])))


render()
