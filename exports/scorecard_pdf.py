"""考评 PDF: the grid of counties × criteria with total and rank, the rubric, and each criterion's evidence."""

import pandas as pd

from exports import pdf as page
from exports.job import Job
from exports.scorecard import GRADE_TEXT, RUBRIC_SHEET
from queries import fmt, judge
from queries.registry import by_key

# Rubric columns the PDF prints (the workbook has them all; 口径 and 评色 follow each criterion's evidence).
RUBRIC_COLUMNS = ("序号", "考评项目", "指标", "分值（分）", "计分规则", "计分办法", "满分线", "零分线", "无数据时", "分子", "分母")
RUBRIC_WIDTHS = ["4%", "7%", "10%", "6%", "6%", "27%", "7%", "9%", "6%", "10%", "8%"]
GRADES = ("green", "yellow", "red", judge.ANOMALY, None)


def pdf(conn, job: Job, model: dict) -> bytes:
    """The scorecard PDF from exports.scorecard.model(conn, job), the model the workbook is written from."""
    title = f"{job.region_name}{job.period_text}考评"
    lead = (f"{model['title']} · 统计月份 {job.period_text}（{job.as_of}）· 数据导入于 "
            f"{model['data_as_of'] or '（未记录导入时间）'} · 满分 {model['full_marks']:g} 分")
    return page.render(job, title, body(model, job), lead)


def body(m: dict, job: Job) -> str:
    if m["counties"].empty:
        return page.message("所选区域和月份没有考评数据。", "info")
    chips = page.legend([(page.TINTS[g], GRADE_TEXT[g]) for g in GRADES])
    grid = page.section("评分表", _headline(m) + _notices(m) + chips + _grid(m, job),
                        "每格：指标值·得分（分）。首行为全市整体数值（作为平均参照，不计分）；县级单位按总分在全市各县区中排名。")
    rubric = page.section("评分细则与权重", _rubric(m), f"各项分值之和 {m['full_marks']:g} 分。细则由市未保办维护。")
    evidence = "".join(_evidence(m, i, crit, facts, job) for i, (crit, facts)
                       in enumerate(zip(m["rubric"].criteria, m["criteria"]), start=1))
    return grid + '<div class="page-break"></div>' + rubric + evidence


def _headline(m: dict) -> str:
    """The page's four headline facts (a county's file: only its own place, by number)."""
    facts = m["summary"]
    if not facts:
        return ""
    if "own" in facts:
        name, total, place, ranked = facts["own"]
        items = [page.card(f"{name}总分", f"{total:.1f} 分"), page.card("全市排名", f"第 {place} / {ranked} 名"),
                 page.card(f"全市 {ranked} 个县区平均", f"{facts['mean_total']:.1f} 分"),
                 page.card("低于全市的项目", f"{facts['most_below'][1]} 项")]
    else:
        items = [page.card("第一名", f"{facts['best'][1]:.1f} 分", [facts["best"][0]]),
                 page.card("最后一名", f"{facts['worst'][1]:.1f} 分", [facts["worst"][0]]),
                 page.card(f"{facts['counties']} 个县区平均", f"{facts['mean_total']:.1f} 分"),
                 page.card("低于全市的项目最多", f"{facts['most_below'][1]} 项", [facts["most_below"][0]])]
    return page.cards(items, per_row=4)


def _notices(m: dict) -> str:
    out = ""
    if m["in_progress"]:
        out += page.message("所选月份尚未结束：走访完成率等月内累计的指标只统计到今天，得分偏低。正式考评请选已结束的月份。", "warn")
    for text in m["warnings"]:
        out += page.message(text, "warn")
    if m["line_differences"]:
        out += page.message("考评满分线与驾驶舱的绿线不同，驾驶舱为绿的县区在此可能只得部分分："
                            + "；".join(m["line_differences"]) + "。", "info")
    return out


def _cell(crit, row) -> str:
    """'94.7%·19.8' as on the page: the value as displayed and the points it earned."""
    ind = by_key()[crit.key]
    value = row[crit.key]
    text = fmt.percent(value) if ind.unit == "rate" else fmt.value(ind, value)
    points = row[f"pts_{crit.key}"]
    return text if pd.isna(points) else f"{text}·{points:.1f}"


def _grid(m: dict, job: Job) -> str:
    criteria = m["rubric"].criteria
    counties, city = m["counties"], m["city"]
    ranked = int(counties["ranked"].iloc[0]) if "ranked" in counties and len(counties) else len(counties)
    among = f" / {ranked}" if len(counties) < ranked else ""  # a county's file: its place among all of them
    headers = ["排名", "县（市、区）", f"总分（满分 {m['full_marks']:g}）"] + [f"{c.label} {c.weight:g}分" for c in criteria]
    rows, classes = [], []
    for level, part in (("city", city), ("county", counties)):
        for _, r in part.iterrows():
            is_city = level == "city"
            rank = "—" if pd.isna(r["rank"]) else f"{int(r['rank'])}{among}"
            total = "参照" if is_city or pd.isna(r["total"]) else f"{r['total']:.1f}"
            cells = [rank, f"{r['region_name']}（全市）" if is_city else r["region_name"], page.cell(total, cls="strong")]
            for crit in criteria:
                grade = r[f"grade_{crit.key}"]
                grade = grade if isinstance(grade, str) else None
                cells.append(page.Cell(_cell(crit, r), None if is_city else (grade or "none"), "num", tint=True))
            rows.append(cells)
            classes.append("ref" if is_city else "")
    widths = ["6%", "9%", "7%"] + [f"{78 / len(criteria):.2f}%"] * len(criteria)
    return page.table(headers, rows, {0, 2, *range(3, len(headers))}, widths, cls="compact", row_classes=classes)


def _rubric(m: dict) -> str:
    text = m["text"][RUBRIC_SHEET]
    cols = [c for c in RUBRIC_COLUMNS if c in text.columns]
    rows = text[cols].values.tolist()
    return page.table(cols, rows, {0, 3}, RUBRIC_WIDTHS[:len(cols)], cls="compact")


def _evidence(m: dict, number: int, crit, facts: dict, job: Job) -> str:
    text = m["text"][crit.key]
    _, columns = m["tables"][crit.key]
    ev = m["evidence"][crit.key].reset_index(drop=True)
    headers = list(text.columns)
    numeric = {i for i, c in enumerate(columns) if c.kind != "text"}
    by_header = {h: i for i, h in enumerate(headers)}
    grade_at = next((by_header[h] for h in headers if h == "得分情况"), None)
    status_at = next((by_header[h] for h in headers if h == "驾驶舱状态"), None)
    rows, classes = [], []
    # A city's PDF lists only the townships that are not green in the counties that lost points on this criterion:
    # the evidence a signature needs (1,250 rows made 44 pages and 10 s); the workbook keeps every township.
    short = not job.is_county
    lost = {e["county_name"] for e in ev.to_dict("records")
            if e["level"] == "county" and not fmt.is_null(e["points"]) and e["points"] < crit.weight}
    for (_, t), e in zip(text.iterrows(), ev.to_dict("records")):
        if short and e["level"] == "township" and (e["county_name"] not in lost or e["status"] == "green"):
            continue
        cells = list(t)
        if grade_at is not None and e["level"] == "county":
            cells[grade_at] = page.cell(cells[grade_at], e["grade"] or "none")
        if status_at is not None and e["status"]:
            cells[status_at] = page.cell(cells[status_at], e["status"])
        rows.append(cells)
        classes.append({"city": "ref", "county": "county"}.get(e["level"], ""))
    scope_note = (("乡镇（街道）按数值从低到高排列在所属县级单位之后" + ("；只列失分县级单位中未达标（非绿色）的乡镇（街道），全部乡镇见考评工作簿。"
                                                   if short else "。")) if facts["townships_apply"]
                  else f"{facts['indicator']}只在县级及以上计算，乡镇（街道）不适用。")
    intro = (f"计分办法：{facts['describe']}。分子 = {facts['numerator_label']}；分母 = "
             f"{facts['denominator_label'] or fmt.NO_DATA}。")
    note = f"口径：{facts['definition']} 驾驶舱评色：{facts['colour_rule']}。{scope_note}"
    title = f"得分依据 {number}/{len(m['criteria'])}：{crit.label}（{crit.weight:g} 分）· {facts['indicator']}"
    # Numbers get a little more room than names: '110,840,000.00' must not wrap.
    weights = [1.35 if i in numeric else 1.0 for i in range(len(headers))]
    widths = [f"{100 * w / sum(weights):.2f}%" for w in weights]
    listing = page.table(headers, rows, numeric, widths, cls="compact", row_classes=classes)
    return page.section(title, page.paragraph(intro, "intro") + listing, note)
