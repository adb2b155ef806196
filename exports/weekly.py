"""周调度 PDF: one ISO week's visits against pace, assessments due, vacant posts, silent townships and colour changes."""

from datetime import timedelta

from exports import figures, pdf, pictures
from exports.job import Job
from queries import fmt, weekly
from queries.scorecard import data_as_of
from queries.weekly import PACE_DAILY, PACE_OVER, PACE_WEEKLY, Comparison, Week

LEVEL_NAMES = {"city": "市", "county": "县（市、区）", "township": "乡镇（街道）"}
# What the chart's marker shows, by weekly.Week.pace_mode: a per-week pace only with a week or more left.
MARKERS = {PACE_WEEKLY: "折合每周所需", PACE_DAILY: "本月尚需", PACE_OVER: "本月仍缺"}
MISSING = "本周日在册、本月走访次数未达要求的儿童还缺的走访次数（要求默认每人每月 1 次）"
CHART_WIDTH = 148  # mm: the right 55 % of the first page, beside the cards
WARNING_COLOUR = "#b35806"


def build(conn, job: Job) -> list[tuple[str, bytes]]:
    pictures.start()  # chromium boots while the queries run
    data = weekly.review(conn, job.scope, job.week, job.region)
    imported = data_as_of(conn, job.scope)
    return [("pdf", pdf.render(job, f"{job.region_name} 周调度", body(data, job), lead(data, job, imported)))]


def lead(data: dict, job: Job, imported: str | None) -> str:
    wk, h = Week.parse(job.week), data["headline"]
    return (f"{wk.label} · {job.as_of} · 数据导入于 {imported or '（未记录导入时间）'}"
            f" · 最近一条走访记录 {h['last_visit_day'] or '—'}")


def body(data: dict, job: Job) -> str:
    h, wk = data["headline"], Week.parse(job.week)
    if h["townships"] == 0:
        return pdf.message("所选区域没有乡镇（街道）数据。", "info")
    one_county = job.is_county
    # Page one is the ten-second view: the six figures and warnings beside the chart of visits by area.
    chart = pdf.section(f"走访：本周、上周与{MARKERS[h['pace_mode']]}", _visit_chart(data["by_area"], h, wk, job))
    summary = pdf.section("本周要点", _headline(h, job) + _warnings(h, wk, job))
    parts = [pdf.columns(summary, chart, widths=("45%", "55%")),
             pdf.section(f"{weekly.SILENT_DAYS} 天无走访的乡镇（街道）", _silent(data["silent"], wk, one_county)),
             pdf.section("新增儿童评估（按乡镇计数）", _pending(data["pending"], wk, one_county, job)),
             pdf.section("儿童主任空缺的村（社区）", _vacant(data["vacant"], wk, one_county, job)),
             pdf.section("指标颜色变化（同口径对比）", _changes(data["changes"], data["plan"], wk)),
             pdf.section(f"各乡镇（街道）走访明细（{len(data['visits'])} 个，按变化从少到多）",
                         _visit_table(data["visits"], h, one_county, job))]
    return "".join(parts)


# ---- headline ---------------------------------------------------------------------------------------

def _change(now, before, job: Job, unit: str = "次") -> str:
    """'比上周 +158 次（+3%）'; for outside readers nothing that would give a hidden count away."""
    if job.hides(now) or job.hides(before):
        return "比上周 —"
    ratio = f"（{(now - before) / before * 100:+.0f}%）" if before else ""
    return f"比上周 {now - before:+,} {unit}{ratio}"


def _headline(h: dict, job: Job) -> str:
    c = job.count
    vacant_lines = [f"本周新增 {c(h['vacant_new'])} 个"]
    if h["never_staffed"]:
        vacant_lines.append(f"另有 {c(h['never_staffed'])} 个从未配备")
    items = [
        pdf.card("本周走访", f"{c(h['visits_this_week'])} 次",
                 [f"上周 {c(h['visits_last_week'])} 次", _change(h["visits_this_week"], h["visits_last_week"], job)],
                 show_badge=False),
        pdf.card(*figures.pace_card(h, count=job.count,
                                    average=lambda v: f"<{job.threshold}" if job.hides(v) else figures.per_day(v))),
        pdf.card(f"{weekly.SILENT_DAYS} 天无走访乡镇", f"{c(h['silent'])} 个", [f"共 {c(h['townships'])} 个乡镇（街道）"],
                 "red" if h["silent"] else "green"),
        pdf.card("新增儿童待评估", f"{c(h['due_soon'])} 人", ["纳入未满 30 天、两项评估未完成"],
                 "yellow" if h["due_soon"] else None),
        pdf.card("评估已超期", f"{c(h['overdue'])} 人", ["纳入满 30 天仍缺风险或需求评估（近一年纳入、仍在册）"],
                 "red" if h["overdue"] else "green"),
        pdf.card("儿童主任空缺村", f"{c(h['vacant'])} 个", vacant_lines,
                 "red" if h["vacant"] + h["never_staffed"] else "green"),
    ]
    return pdf.cards(items, per_row=2)


def _warnings(h: dict, wk: Week, job: Job) -> str:
    return "".join(pdf.message(x, "warn") for x in figures.weekly_warnings(h, wk, count=job.count))


# ---- visits -----------------------------------------------------------------------------------------

def _visit_chart(frame, h: dict, wk: Week, job: Job) -> str:
    if frame.empty:
        return pdf.message("所选区域和周没有走访数据。", "info")
    fig = figures.weekly_visits(frame, h, wk.label)
    if job.external:
        # Bars and markers of hidden counts are left out and labelled as the file prints counts ('<5').
        for trace in fig.data:
            shown = list(trace.x)
            if trace.text is not None and len(trace.text) == len(shown):
                trace.text = [job.count(v) for v in shown]
            trace.x = [job.count_value(v) for v in shown]
    # Outside labels are shrunk to the bar's thickness by default: unreadable on paper.
    fig.update_traces(selector=dict(type="bar"), constraintext="none", textfont=dict(size=14))
    fig.update_layout(legend=dict(entrywidth=0.5, entrywidthmode="fraction"))  # two legend entries a line
    height = min(128, max(90, 6 * len(frame) + 40))
    marker = {
        PACE_WEEKLY: f"竖线为折合每周需 = {MISSING} × 7 ÷ 本周日之后本月剩余的 {h['days_left']} 天。",
        PACE_DAILY: f"竖线为本月尚需 = {MISSING}；菱形为按本周日均走访、剩余 {h['days_left']} 天约可完成的次数"
                    f"（本周走访 × {h['days_left']} ÷ 7），落在竖线左侧即按本周进度来不及。"
                    f"本月只剩 {h['days_left']} 天，不足一周，不再折合为每周进度。",
        PACE_OVER: f"竖线为本月仍缺 = {MISSING}：本周日即月末，本月已结束。",
    }[h["pace_mode"]]
    note = "走访次数：该周周一至周日登记的走访记录条数，按受访儿童所在村归属。" + marker
    return pdf.chart(fig, CHART_WIDTH, height, "本周与上周走访次数") + pdf.paragraph(note, "note")


def _visit_table(frame, h: dict, one_county: bool, job: Job) -> str:
    c = job.count
    weekly_pace = h["pace_mode"] == PACE_WEEKLY
    headers = ["乡镇（街道）"] + ([] if one_county else ["所属县区"]) + [
        "本周走访（次）", "上周走访（次）", "变化（次）", "在册儿童（人）", "本月未达要求（人）",
        "本月仍缺（次）" if h["pace_mode"] == PACE_OVER else "本月尚需（次）"] + (
        ["折合每周需（次）"] if weekly_pace else [])
    rows = []
    for r in frame.sort_values(["change", "region_name"]).to_dict("records"):
        hidden = job.hides(r["visits_this_week"]) or job.hides(r["visits_last_week"])
        change = "—" if hidden else f"{r['change']:+,}"
        row = [r["region_name"]] + ([] if one_county else [r["county_name"]]) + [
            c(r["visits_this_week"]), c(r["visits_last_week"]),
            pdf.cell(change, cls="bad" if not hidden and r["change"] < 0 else ""),
            c(r["children_on_roll"]), c(r["children_lacking"]), c(r["visits_missing"])]
        if weekly_pace:
            need = r["pace_needed"]
            row.append(fmt.NO_DATA if fmt.is_null(need) else (f"<{job.threshold}" if job.hides(need)
                                                                 else f"{fmt.half_up(need, 1):,.1f}"))
        rows.append(row)
    first = 1 if one_county else 2
    return pdf.table(headers, rows, set(range(first, len(headers))), cls="compact")


# ---- lists ------------------------------------------------------------------------------------------

def _silent(frame, wk: Week, one_county: bool) -> str:
    if frame.empty:
        return pdf.message(f"所有乡镇（街道）在 {wk.sunday} 之前的 {weekly.SILENT_DAYS} 天内都有走访记录。")
    headers = ["乡镇（街道）"] + ([] if one_county else ["所属县区"]) + ["最近走访日期", "已无走访天数"]
    rows = []
    for r in frame.to_dict("records"):
        last = str(r["last_visit"]) if r["last_visit"] else f"{weekly.LOOKBACK_DAYS} 天内无记录"
        days = fmt.NO_DATA if fmt.is_null(r["days_silent"]) else f"{int(r['days_silent'])} 天"
        rows.append([r["region_name"]] + ([] if one_county else [r["county_name"]]) + [last, pdf.cell(days, "red")])
    start = wk.sunday - timedelta(days=weekly.SILENT_DAYS - 1)
    note = f"{wk.sunday} 及之前 {weekly.SILENT_DAYS} 天（{start:%Y-%m-%d} 起）没有任何走访记录的乡镇（街道）。"
    return pdf.table(headers, rows, {len(headers) - 1}) + pdf.paragraph(note, "note")


def _days(v) -> str:
    return fmt.NO_DATA if fmt.is_null(v) else f"{int(v)} 天"


def _pending(frame, wk: Week, one_county: bool, job: Job) -> str:
    if frame.empty:
        return pdf.message("没有待评估或评估超期的儿童。")
    headers = ["乡镇（街道）"] + ([] if one_county else ["所属县区"]) + [
        "待评估（未到期，人）", "最近到期剩余天数", "已超期（人）", "最长超期天数"]
    rows = []
    for r in frame.to_dict("records"):
        overdue = r["overdue"]
        rows.append([r["region_name"]] + ([] if one_county else [r["county_name"]]) + [
            job.count(r["due_soon"]), _days(r["days_left"]),
            pdf.cell(job.count(overdue), "red" if overdue > 0 else None), _days(r["days_overdue"])])
    note = (f"周日 {wk.sunday} 仍在册、风险评估或需求评估未完成（无日期或日期晚于周日）的儿童人数。"
            "到期日 = 纳入日期 + 30 天；剩余天数 = 到期日 − 周日（0 表示周日当天到期）；"
            "超期只计近一年内纳入的儿童。只统计人数，不列儿童个人信息。")
    first = 1 if one_county else 2
    return pdf.table(headers, rows, set(range(first, len(headers))), cls="compact") + pdf.paragraph(note, "note")


def _vacant(frame, wk: Week, one_county: bool, job: Job) -> str:
    if frame.empty:
        return pdf.message(f"{wk.sunday} 所有村（社区）都有在岗儿童主任。")
    out = ""
    had = frame[frame["last_left"].notna()]
    if len(had):
        headers = ["村（社区）", "所属乡镇（街道）"] + ([] if one_county else ["所属县区"]) + [
            "上任主任离任日期", "已空缺天数", "本周新空缺"]
        rows = [[r["village_name"], r["township_name"]] + ([] if one_county else [r["county_name"]]) + [
            str(r["last_left"]), _days(r["days_vacant"]),
            pdf.cell("是" if r["new_this_week"] else "", "yellow" if r["new_this_week"] else None)]
            for r in had.to_dict("records")]
        out += pdf.table(headers, rows, {len(headers) - 2}, cls="compact")
    never = frame[frame["last_left"].isna()]
    if len(never):
        headers = ["村（社区）", "所属乡镇（街道）"] + ([] if one_county else ["所属县区"])
        rows = [[r["village_name"], r["township_name"]] + ([] if one_county else [r["county_name"]])
                for r in never.to_dict("records")]
        out += (f"<h3>另有 {pdf.esc(job.count(len(never)))} 个村（社区）至今没有配备过儿童主任</h3>"
                + pdf.table(headers, rows, cls="compact"))
    note = f"周日 {wk.sunday} 没有在岗儿童主任的村（社区）（与儿童主任配备率同一口径：离任日期当天起即为空缺）。"
    return out + pdf.paragraph(note, "note")


# ---- colour changes ---------------------------------------------------------------------------------

def _changes(frame, plan: list[Comparison], wk: Week) -> str:
    out = pdf.message("同口径对比，没有指标变色。") if frame.empty else ""
    if not frame.empty:
        headers = ["区域", "层级", "指标", "对比", "之前", "现在", "变化"]
        rows = [[r["region_name"], LEVEL_NAMES.get(r["level"], r["level"]), r["indicator"],
                 f"{figures.when_text(r['accrues'], r['before_end'])} → "
                 f"{figures.when_text(r['accrues'], r['now_end'])}",
                 pdf.cell(figures.change_cell(r, "before"), r["before"]),
                 pdf.cell(figures.change_cell(r, "now"), r["now"]),
                 pdf.cell("↓ 变差" if r["worse"] else "↑ 变好", cls="bad" if r["worse"] else "good")]
                for r in frame.to_dict("records")]
        out += pdf.table(headers, rows, widths=["14%", "10%", "12%", "10%", "22%", "22%", "10%"])
    return out + pdf.paragraph(figures.plan_text(plan, frame, wk), "note")

