"""资金: budget, spending and execution by fund type and by county against 序时进度, and the monthly spending curve."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, widgets
from queries import fmt, judge, topics_funds
from queries.registry import by_key, group

NO_BUDGET = "有支出但没有本年度预算"


def render() -> None:
    page = ct.open_page("资金", topics_funds.page)
    if page is None:
        return
    ctx, now, model = page.ctx, page.now, page.model
    month = ctx["month"]
    reg = by_key()
    ind = reg["fund_execution_rate"]
    pace = reg[ind.thresholds["relative_to"]]  # what the rate is judged against (序时进度)
    early = "，本月按已过天数计" if ctx["early"] else ""
    st.caption(f"本年累计 · {fmt.as_of(month)} · 金额单位万元（明细表为元） · 对比：{page.label}")
    if ctx["level"] not in ("city", "county"):
        st.info("资金按县级单位填报，乡镇（街道）及以下没有资金数据。")
        return
    cards = group("funds_cards")
    for col, card in zip(st.columns(len(cards)), cards):
        with col:
            extra = [f"{pace.label} {fmt.percent(now[pace.key])}{early}"] if card.key == ind.key else []
            ct.headline(card, page, extra)
    if ctx["is_county"]:
        st.caption("资金数据只到县级：预算和支出按县级单位、资金类别填报，没有乡镇（街道）分解。")
    if fmt.is_null(now["fund_budget"]) or now["fund_budget"] == 0:
        widgets.no_data(f"所选区域没有 {month[:4]} 年度的资金预算数据。")
        return

    by_type, monthly = model["by_type"], model["monthly"]
    _warnings(by_type, ind, month)
    left, right = st.columns(2)
    with left:
        shown = by_type[(by_type["budget"] > 0) | (by_type["spent"] > 0)]
        _execution_bars(shown, shown["fund_name"], ind, month,
                        fmt.chart_title("分资金类别预算执行率", "%", month))
    with right:
        ct.plot(ct.spending_curve(monthly, fmt.chart_title("累计支出占年度预算", "%", month)))
        if ctx["early"]:
            st.caption(f"最后一个点是进行中的本月，支出只统计到今天；{pace.name}按本年已过天数计。")
    widgets.definition_note(ind, pace)

    if not ctx["is_county"]:
        counties = model["counties"]
        st.subheader("分县区")
        data = counties.sort_values("execution_rate", na_position="first")
        _execution_bars(data, data["region_name"], ind, month, fmt.chart_title("各县区预算执行率", "%", month))
        silent = counties[counties["budget"] == 0]
        if len(silent):
            st.warning("以下县区没有本年度预算数据：" + "、".join(silent["region_name"]))

    raw = model["raw"]
    raw = raw.dropna(subset=["fund_type"])
    rate = raw["spent"] / raw["budget"].where(raw["budget"] > 0)
    checks = [reason for _, reason in _judged(raw.assign(execution_rate=rate), ind, month)]
    detail = pd.DataFrame({"县区": raw["region_name"], "区划代码": raw["region_code"],
                           "资金类别": raw["fund_name"],
                           fmt.header(reg["fund_budget"], exact=True): raw["budget"],
                           fmt.header(reg["fund_spent_ytd"], exact=True): raw["spent"],
                           fmt.header(ind): [fmt.half_up(v * 100, 1) if not fmt.is_null(v) else None for v in rate],
                           "数据核对": [f"数据异常：{c}" if c else "" for c in checks]})
    if not any(checks):
        detail = detail.drop(columns="数据核对")
    with st.expander("分县区、分类别明细（元）"):
        money = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(detail, hide_index=True, placeholder="—", column_config={
            detail.columns[3]: money, detail.columns[4]: money,
            detail.columns[5]: st.column_config.NumberColumn(format="%.1f")})
    ct.list_button(detail, "下载资金明细（Excel）", "资金_分县区分类别", key="funds_xlsx")


def _judged(frame: pd.DataFrame, ind, month: str) -> list[tuple[str | None, str]]:
    """(state, 数据异常 reason or '') per row: judge's verdict on the execution rate against the row's 序时进度,
    and spending with no budget at all, which judge cannot see (the rate is then undefined)."""
    out = []
    for rate, budget, spent, pace in zip(frame["execution_rate"], frame["budget"], frame["spent"],
                                         frame.get("time_progress", pd.Series(None, index=frame.index))):
        if (fmt.is_null(budget) or budget == 0) and spent > 0:
            out.append((judge.ANOMALY, NO_BUDGET))
            continue
        v = judge.verdict(ind, {ind.key: rate, ind.thresholds["relative_to"]: pace}, month=month)
        out.append((v.state, v.reasons[0].removesuffix("，请核对台账") if v.state == judge.ANOMALY else ""))
    return out


def _wan(value) -> str:
    return f"{fmt.half_up(fmt.wan(value), 1):,.1f}"


def _execution_bars(frame: pd.DataFrame, labels, ind, month: str, title: str) -> None:
    if frame.empty:
        widgets.no_data("没有预算或支出数据。")
        return
    judged = _judged(frame, ind, month)
    states = [s for s, _ in judged]
    texts = [f"{fmt.percent(r)}（{_wan(b)}/{_wan(a)} 万元）" if not fmt.is_null(r)
             else (f"无预算（支出 {_wan(b)} 万元）" if b > 0 else "无预算")
             for r, a, b in zip(frame["execution_rate"], frame["budget"], frame["spent"])]
    values = frame["execution_rate"].astype(float).fillna(0) * 100
    colours = [ct.state_colour(s) if s == judge.ANOMALY else c
               for s, c in zip(states, ct.rate_colours(frame["execution_rate"], states))]
    pace = ind.thresholds["relative_to"]
    line = ct.reference(ind, {pace: frame[pace].iloc[0]})
    ct.plot(ct.hbars(labels, values, texts, title, colours=colours, suffix="%", reference=line,
                     axis_title=fmt.header(ind)))
    legend = ct.colour_legend(ind, [s for s in states if s != judge.ANOMALY])
    odd = sorted({reason for s, reason in judged if s == judge.ANOMALY})
    if odd:
        legend += f"紫色为数据异常（{'；'.join(odd)}，请核对台账；条形最长画到 {ct.PERCENT_CAP}%）。"
    st.caption(f"括号内为累计支出/年度预算（万元）。{legend}")


def _warnings(by_type: pd.DataFrame, ind, month: str) -> None:
    judged = _judged(by_type, ind, month)
    over = [f"{n} {fmt.percent(r)}" for (s, why), n, r in zip(judged, by_type["fund_name"], by_type["execution_rate"])
            if s == judge.ANOMALY and why != NO_BUDGET]
    if over:
        st.warning(f"数据异常：以下资金类别{ind.over_reason}（{ind.label}超过 100%），请核对预算或支出台账："
                   + "、".join(over))
    orphan = by_type[(by_type["budget"] == 0) & (by_type["spent"] > 0)]
    if len(orphan):
        st.warning(f"数据异常：以下资金类别{NO_BUDGET}，请核对：" + "、".join(
            f"{n}（支出 {fmt.wan_yuan(s)}）" for n, s in zip(orphan["fund_name"], orphan["spent"])))


render()
