"""驾驶舱 PDF: the cockpit's cards, children by category, the red list and the 12-month trend, as the page shows them."""

from exports import figures, pdf, pictures
from exports.job import Job
from queries import cockpit, fmt, judge
from queries.registry import Indicator, by_key, group, group_keys, rule_text, target_text

TITLE = "未成年人保护工作驾驶舱"
COMPARISON = "prev_month"  # a printed cockpit compares with last month, the page's default
# Printed sizes (mm) of the charts on an A4 landscape page (275 mm wide between the margins).
CATEGORY_CHART = (138, 48)
TREND_CHART = (134, 84)
SECTIONS = {"children": "儿童底数", "network": "三级阵地与队伍", "work": "工作落实",
            "trend": "近 12 个月趋势", "reds": "落后乡镇（红色指标）"}
WARNING_COLOUR = "#b35806"  # a jump worth checking: the figure keeps its state, the note is amber


def build(conn, job: Job) -> list[tuple[str, bytes]]:
    pictures.start()  # chromium boots while the queries run
    model = cockpit.model(conn, job.scope, job.month, job.region)
    return [("pdf", pdf.render(job, f"{job.region_name}{TITLE}", body(model, job), lead(model, job)))]


def lead(model: dict, job: Job) -> str:
    early = " · 本月尚未结束：走访等月内累计的指标暂不评色" if model["early"] else ""
    return (f"{job.period_text} · {job.as_of} · 颜色按口径说明中的达标线：绿 达标 / 黄 接近 / 红 落后 / 紫 数据异常"
            f"{early} · 对比：{cockpit.COMPARISONS[COMPARISON]}")


def body(model: dict, job: Job) -> str:
    if not model["has_data"]:
        return pdf.message("所选区域和月份没有数据。", "info")
    states = [("green", "达标"), ("yellow", "接近"), ("red", "落后"), (judge.ANOMALY, ""), (judge.EARLY, "")]
    chips = pdf.legend([(fmt.STATE_COLOURS[s], f"{fmt.STATE_LABELS[s]} {word}".strip()) for s, word in states])
    parts = [chips, _children(model, job),
             pdf.section(SECTIONS["network"], _cards(model, group_keys("cockpit_network"), job), cls="keep"),
             pdf.section(SECTIONS["work"], _cards(model, group_keys("cockpit_work"), job), cls="keep"),
             '<div class="page-break"></div>', _trend(model, job), _reds(model, job)]
    return "".join(parts)


def lines(model: dict, key: str) -> list[str]:
    """What a card says under its value: the green line, the change, the reference it is judged against, and
    for a county the city's value and its rank among the city's counties (numbers only)."""
    reg = by_key()
    ind, now = reg[key], model["now"]
    out = [target_text(ind)] if ind.judged else []
    ref_key = ind.thresholds.get("relative_to")
    if ref_key:
        out.append(f"{reg[ref_key].label} {fmt.value(reg[ref_key], now.get(ref_key))}")
    out.append(fmt.change(ind, now.get(key), model[COMPARISON].get(key), cockpit.COMPARISONS[COMPARISON]))
    city = model["city"]
    if city is not None and not fmt.is_null(city.get(key)):
        out.append(f"全市 {fmt.value(ind, city[key])}")
    rank = model["ranks"].get(key)
    if rank and rank[0] is not None:
        place, ranked, counties = rank
        unranked = f"（{counties - ranked} 县无数据）" if counties > ranked else ""
        out.append(f"全市第 {place} / {ranked} 名{unranked}")
    return out


def value_text(ind: Indicator, value, job: Job) -> str:
    """A card's figure; counts go through job.count (对外: 1–4 as '<5')."""
    if ind.unit == "count":
        return job.count(value) if fmt.is_null(value) else f"{job.count(value)} 人"
    return fmt.value(ind, value)


def card(model: dict, ind: Indicator, job: Job, extra: list[str] = ()) -> str:
    now = model["now"]
    v = judge.verdict(ind, dict(now), dict(model["prev_month"]), model["month"])
    coloured = v.state in judge.ORDER or v.state == judge.ANOMALY
    notes = [(("⚠ " if v.state == judge.ANOMALY else "") + r, v.colour) for r in v.reasons]
    notes += [(f"⚠ {w}", WARNING_COLOUR) for w in v.warnings]
    return pdf.card(ind.label, value_text(ind, now.get(ind.key), job), [*extra, *lines(model, ind.key)], v.state,
                    notes, value_colour=v.colour if coloured else None)


def _cards(model: dict, keys: list[str], job: Job) -> str:
    reg = by_key()
    return pdf.cards([card(model, reg[k], job) for k in keys], per_row=max(3, len(keys)))


def _children(model: dict, job: Job) -> str:
    now, month = model["now"], model["month"]
    heads = group("cockpit_children")
    # The month's flows beside the roll (本月新增 · 本月退出): the children cards that are not headline figures.
    flows = [i for i in group("children_cards") if i.key not in {h.key for h in heads}]
    flow_line = " · ".join(f"{i.label} {job.count(now.get(i.key))}" for i in flows)
    cats = group("child_categories")
    # The categories as text too, beside their chart: a printed figure can be read out and copied.
    listing = pdf.table(["儿童类别", "在册（人）"], [[i.label, job.count(now.get(i.key))] for i in cats], {1},
                        ["62%", "38%"], cls="compact")
    cards = "".join(card(model, ind, job, [flow_line]) for ind in heads)
    counts = {i.label: job.count_value(now.get(i.key)) for i in cats}
    fig = figures.category_bars(counts, fmt.chart_title("在册儿童分类", "人", month))
    # The bar labels as the file may print them (对外: '<5' for hidden counts, where the bar itself is left out).
    fig.data[0].text = [job.count(now.get(i.key)) for i in cats]
    fig.update_traces(constraintext="none", textfont=dict(size=14))  # labels readable on paper, not bar-sized
    right = pdf.chart(fig, *CATEGORY_CHART, "在册儿童分类")
    return pdf.section(SECTIONS["children"], pdf.columns(cards, listing, right, widths=("27%", "22%", "51%")),
                       cls="keep")


def _trend(model: dict, job: Job) -> str:
    trend, month = model["trend"], model["month"]
    if trend.empty:
        return pdf.section(SECTIONS["trend"], pdf.message("近 12 个月没有数据。", "info"))
    monthly, ytd = group("trend_monthly"), group("trend_ytd")
    months = trend["month"].nunique()

    def draw(inds, subject: str) -> str:
        fig = figures.trend_rates(trend, inds, fmt.chart_title(subject, "%", month))
        fig.update_xaxes(range=[-0.6, months - 0.4])  # the first month's label clear of the '0%' tick
        return pdf.chart(fig, *TREND_CHART, subject)

    left = draw(monthly, "月度指标走势")
    # Year-to-date rates restart every January; drawn apart so the January drop is not read as a collapse.
    right = draw(ytd, "本年累计指标")
    note = "本年累计指标每年 1 月重新起算，1 月的回落不是下滑。" + (
        "最后一个点是进行中的本月，只统计到今天，月内累计的指标偏低属正常。" if model["early"] else "")
    definitions = "；".join(f"{i.name}：{i.definition}" + (f"（{rule_text(i)}）" if i.judged else "")
                            for i in (*monthly, *ytd))
    return pdf.section(SECTIONS["trend"], pdf.columns(left, right) + pdf.paragraph(note, "note")
                       + pdf.paragraph("口径：" + definitions, "note"), cls="keep")


def _reds(model: dict, job: Job) -> str:
    reds = model["reds"]
    head = pdf.paragraph("本月尚未结束：走访完成率等月内累计的指标不计入红色名单，月末后再评。", "note") \
        if model["early"] else ""
    if reds.empty:
        return pdf.section(SECTIONS["reds"], head + pdf.message("本月没有红色指标的乡镇（街道）。"))
    headers = ["序号", "乡镇（街道）"] + ([] if model["is_county"] else ["所属县区"]) + ["红色指标数", "红色指标"]
    rows = []
    for i, r in enumerate(reds.to_dict("records"), start=1):
        row = [str(i), r["region_name"]] + ([] if model["is_county"] else [r["parent_name"]])
        rows.append(row + [pdf.cell(str(r["reds"]), "red"), r["red_indicators"]])
    widths = ["6%", "18%"] + (["10%", "66%"] if model["is_county"] else ["14%", "10%", "52%"])
    numeric = {0, len(headers) - 2}
    rules = "；".join(f"{i.name} {rule_text(i)}" for i in group("red_list"))
    note = f"共 {len(reds)} 个乡镇（街道）有红色指标，按红色指标数从多到少。评色规则：{rules}。"
    return pdf.section(SECTIONS["reds"], head + pdf.table(headers, rows, numeric, widths), note)
