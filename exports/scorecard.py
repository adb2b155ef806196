"""考评 files: the scorecard workbook (grid, rubric, one sheet per criterion, 说明) and, through scorecard_pdf, its PDF."""

import pandas as pd

from exports import tables
from exports.job import Job
from exports.tables import Column, Sheet
from queries import fmt, judge
from queries import scorecard as sc
from queries.catalog import regions
from queries.compare import statuses
from queries.engine import indicators
from queries.periods import in_progress
from queries.registry import by_key, rule_text, target_text

GRADE_TEXT = {"green": "满分", "yellow": "部分得分", "red": "0 分", judge.ANOMALY: "数据异常（不得分）", None: "无数据"}
# Light tints of fmt.STATE_COLOURS (as on the 考评 page): saturated colours over a whole grid are unreadable.
TINTS = {"green": "#cfe9d7", "yellow": "#fde7b5", "red": "#f6c9c4", judge.ANOMALY: "#e2cdee", judge.EARLY: "#e6e6e6",
         None: "#e6e6e6"}
CITY_TINT = "#eef3fa"
LEVEL_WORDS = {"city": "全市（参照）", "county": "县级单位", "township": "乡镇（街道）"}
GRID_SHEET, RUBRIC_SHEET = "评分表", "评分细则"


def _grade(value):
    return value if isinstance(value, str) else None


def _line(crit: sc.Criterion, ind, value) -> str:
    """A full-mark or zero line as the rubric means it: a rate, or a gap to 序时进度."""
    if value is None:
        return "—（达标即得满分）"
    if crit.rule == "vs_time_progress":
        return "序时进度" if abs(value) < sc.TOLERANCE else f"序时进度 {fmt.points(value)}"
    return fmt.percent(value) if ind.unit == "rate" else fmt.value(ind, value)


def _criterion_facts(crit: sc.Criterion) -> dict:
    ind = by_key()[crit.key]
    return {
        "key": crit.key, "label": crit.label, "weight": crit.weight, "rule": crit.rule,
        "rule_name": sc.RULES[crit.rule], "describe": crit.describe(), "indicator": ind.name,
        "definition": ind.definition, "numerator": ind.numerator or ind.measure, "denominator": ind.denominator,
        "numerator_label": sc.measure_label(ind.numerator or ind.measure),
        "denominator_label": sc.measure_label(ind.denominator), "full_line": _line(crit, ind, crit.target),
        "zero_line": _line(crit, ind, crit.floor), "no_data": sc.NO_DATA_POLICIES[crit.no_data],
        "colour_rule": rule_text(ind), "green_line": target_text(ind),
        "townships_apply": ind.applies_at("township"),
    }


def _headline(facts: dict) -> list[str]:
    """The page's four headline facts as sentences (a county's file: only its own place, by number)."""
    if not facts:
        return []
    if "own" in facts:
        name, total, place, ranked = facts["own"]
        return [f"{name}总分 {total:.1f} 分，全市第 {place} / {ranked} 名",
                f"全市 {ranked} 个县区平均 {facts['mean_total']:.1f} 分",
                f"低于全市的项目 {facts['most_below'][1]} 项"]
    return [f"第一名 {facts['best'][0]} {facts['best'][1]:.1f} 分", f"最后一名 {facts['worst'][0]} {facts['worst'][1]:.1f} 分",
            f"{facts['counties']} 个县区平均 {facts['mean_total']:.1f} 分",
            f"低于全市的项目最多 {facts['most_below'][0]} {facts['most_below'][1]} 项"]


def _warnings(counties: pd.DataFrame, rubric: sc.Rubric) -> list[str]:
    """Cells that earn nothing because the ledger is impossible, and counties with no scorable data at all."""
    out = []
    for code, row in counties.iterrows():
        odd = [c.label for c in rubric.criteria if row[f"grade_{c.key}"] == judge.ANOMALY]
        if odd:
            out.append(f"数据异常（不得分），请核对台账：{row['region_name']} {'、'.join(odd)}")
        if all(pd.isna(row[c.key]) for c in rubric.criteria):
            out.append(f"{row['region_name']}本月没有任何考评数据，得分可能失真")
    return out


def townships(conn, job: Job, keys: list[str]) -> dict[str, pd.DataFrame]:
    """queries.scorecard.townships_behind for several criteria from one township frame of the whole region
    (it computes the same frame once per criterion: eight times the work for the same numbers). Same columns,
    same order; tests/test_export_scorecard.py checks them against townships_behind itself."""
    reg = by_key()
    wanted = [k for k in keys if reg[k].applies_at("township")]
    out = {k: sc.townships_behind(conn, job.scope, job.month, job.region, k) for k in keys if k not in wanted}
    if not wanted:
        return out
    frame = indicators(conn, job.month, "township", job.region, scope=job.scope, with_measures=True)
    colours = statuses(frame, wanted, job.month)
    for key in wanted:
        ind = reg[key]
        part = pd.DataFrame({
            "region_name": frame["region_name"],
            "numerator": frame[ind.numerator] if ind.is_ratio else frame[ind.measure],
            "denominator": frame[ind.denominator] if ind.is_ratio else None,
            key: frame[key],
            "status": colours[key],
        }, index=frame.index)
        out[key] = part.sort_values([key, "region_name"], na_position="first")
    return out


def _evidence(job: Job, card: pd.DataFrame, crit: sc.Criterion, towns: pd.DataFrame,
              parents: pd.Series) -> pd.DataFrame:
    """One criterion's evidence: the city's reference row, each county (numerator, denominator, value, points)
    and the townships behind each county (as townships_behind gives them), worst first within a county."""
    key = crit.key
    counties, city = card[card["level"] == "county"], card[card["level"] == "city"]
    rows = []
    for level, part in (("city", city), ("county", counties)):
        for code, r in part.iterrows():
            rows.append({"level": level, "region_code": code, "county_name": r["region_name"], "region_name": "",
                         "numerator": r[f"num_{key}"], "denominator": r[f"den_{key}"], "value": r[key],
                         "time_progress": r["time_progress"], "points": r[f"pts_{key}"],
                         "grade": _grade(r[f"grade_{key}"]) if level == "county" else None,
                         "grade_text": GRADE_TEXT[_grade(r[f"grade_{key}"])] if level == "county" else "不计分（参照）",
                         "status": _grade(r[f"status_{key}"]), "rank": r["rank"]})
    towns = towns.assign(parent=parents.reindex(towns.index).to_numpy())
    for county_code, r in counties.iterrows():
        for code, t in towns[towns["parent"] == county_code].iterrows():
            rows.append({"level": "township", "region_code": code, "county_name": r["region_name"],
                         "region_name": t["region_name"], "numerator": t["numerator"],
                         "denominator": t["denominator"], "value": t[key], "time_progress": None,
                         "points": None, "grade": None, "grade_text": "", "status": _grade(t["status"]),
                         "rank": None})
    frame = pd.DataFrame(rows)
    frame["status_text"] = [fmt.STATE_LABELS.get(_grade(s), fmt.NO_DATA) for s in frame["status"]]
    frame["level_text"] = frame["level"].map(LEVEL_WORDS)
    return frame


def model(conn, job: Job) -> dict:
    """Everything the scorecard files show, from queries.scorecard in the job's scope.

    A county's job gets its own county's row (ranked among the city's counties) and the city's aggregate row;
    queries.scorecard returns nothing else in that scope. Keys:
      title, rubric, criteria (list of dicts: key, label, weight, rule_name, describe, indicator, definition,
      numerator_label, denominator_label, full_line, zero_line, no_data, colour_rule, townships_apply),
      card (queries.scorecard.scorecard as returned), counties, city (its rows), summary, headline (sentences),
      rank_text ('全市第 1 / 11 名' for a county, else None), data_as_of (last import), as_of, in_progress,
      line_differences, warnings, evidence ({key: frame with level, county_name, region_name, numerator,
      denominator, value, time_progress, points, grade_text, status_text}), tables ({name: (frame, columns)}
      for 评分表, 评分细则 and each criterion, written by the workbook) and text ({name: frame of the
      same tables as formatted texts, '<5' applied for outside readers} for the PDF).
    The raw frames hold the engine's numbers unmasked: show counts only through job.count or `text`.
    """
    rubric = sc.load_rubric()
    card = sc.scorecard(conn, job.scope, job.month, rubric, job.region)
    counties, city = card[card["level"] == "county"], card[card["level"] == "city"]
    facts = sc.summary(card)
    towns = regions(conn, "township", job.region, job.scope)
    parents = pd.Series(towns["parent_code"].to_numpy(), index=towns["region_code"].to_numpy())
    behind = townships(conn, job, rubric.keys)
    evidence = {c.key: _evidence(job, card, c, behind[c.key], parents) for c in rubric.criteria}
    own = facts.get("own")
    out = {
        "title": rubric.title, "rubric": rubric, "criteria": [_criterion_facts(c) for c in rubric.criteria],
        "card": card, "counties": counties, "city": city, "summary": facts, "headline": _headline(facts),
        "rank_text": f"全市第 {own[2]} / {own[3]} 名" if own else None,
        "data_as_of": sc.data_as_of(conn, job.scope), "as_of": job.as_of, "in_progress": in_progress(job.month),
        "line_differences": sc.line_differences(rubric), "warnings": _warnings(counties, rubric),
        "evidence": evidence, "full_marks": sum(c.weight for c in rubric.criteria),
    }
    out["tables"] = _tables(out)
    out["text"] = {name: tables.text_frame(frame, cols, job) for name, (frame, cols) in out["tables"].items()}
    return out


# ---- the workbook's tables -------------------------------------------------------------------------

def _grid(m: dict) -> tuple[pd.DataFrame, list[Column]]:
    """县级单位, each criterion's value and points, 总分, 排名; the city's reference row first, as on the page."""
    card = pd.concat([m["city"], m["counties"]])
    reg = by_key()
    data = {"name": [f"{n}（全市，参照）" if lv == "city" else n for n, lv in zip(card["region_name"], card["level"])]}
    cols = [Column("name", "县级单位", "text")]
    for crit in m["rubric"].criteria:
        group = f"{crit.label}（{crit.weight:g} 分）"
        data[f"v_{crit.key}"] = card[crit.key].to_numpy()
        data[f"p_{crit.key}"] = card[f"pts_{crit.key}"].to_numpy()
        cols.append(tables.indicator_column(reg[crit.key], name=f"v_{crit.key}", header="数值（%）", group=group))
        cols.append(Column(f"p_{crit.key}", "得分", "points", group=group))
    data["total"] = ["参照" if lv == "city" else t for t, lv in zip(card["total"], card["level"])]
    data["rank"] = card["rank"].to_numpy()
    cols += [Column("total", f"总分（满分 {m['full_marks']:g}）", "points"), Column("rank", "排名", "integer")]
    return pd.DataFrame(data, index=pd.RangeIndex(len(card))), cols


def _grid_fills(m: dict) -> dict:
    card = pd.concat([m["city"], m["counties"]])
    is_city = (card["level"] == "city").tolist()
    fills = {}
    for crit in m["rubric"].criteria:
        grades = [_grade(g) for g in card[f"grade_{crit.key}"]]
        fills[f"p_{crit.key}"] = [CITY_TINT if c else TINTS[g] for c, g in zip(is_city, grades)]
        fills[f"v_{crit.key}"] = [CITY_TINT if c else None for c in is_city]
    fills["name"] = fills["total"] = fills["rank"] = [CITY_TINT if c else None for c in is_city]
    return fills


def _rubric(m: dict) -> tuple[pd.DataFrame, list[Column]]:
    rows = pd.DataFrame(m["criteria"])
    rows.insert(0, "number", range(1, len(rows) + 1))
    rows["denominator_label"] = rows["denominator_label"].replace("", fmt.NO_DATA)
    cols = [Column("number", "序号", "integer"), Column("label", "考评项目", "text"), Column("indicator", "指标", "text"),
            Column("weight", "分值（分）", "number", decimals=0), Column("rule_name", "计分规则", "text"),
            Column("describe", "计分办法", "text", width=48), Column("full_line", "满分线", "text"),
            Column("zero_line", "零分线", "text"), Column("no_data", "无数据时", "text"),
            Column("numerator_label", "分子", "text"), Column("denominator_label", "分母", "text"),
            Column("colour_rule", "驾驶舱评色（指标登记表）", "text", width=40),
            Column("definition", "口径", "text", width=60)]
    return rows, cols


def _criterion_table(m: dict, crit: sc.Criterion) -> tuple[pd.DataFrame, list[Column]]:
    """numerator, denominator, the value and points of the city, each county and the townships behind them."""
    ind = by_key()[crit.key]
    ev = m["evidence"][crit.key].copy()
    facts = next(f for f in m["criteria"] if f["key"] == crit.key)
    num = tables.describe(facts["numerator"], exact_money=True)
    den = tables.describe(facts["denominator"], exact_money=True) if facts["denominator"] else None
    ev["points"] = ["不计分" if lv == "city" else p for lv, p in zip(ev["level"], ev["points"])]
    cols = [Column("level_text", "层级", "text"), Column("county_name", "县级单位", "text"),
            Column("region_name", "乡镇（街道）", "text"),
            Column("numerator", f"分子：{num.header}", num.kind)]
    if den is not None:
        cols.append(Column("denominator", f"分母：{den.header}", den.kind))
    cols.append(tables.indicator_column(ind, name="value", decimals=2))
    if crit.rule == "vs_time_progress":
        cols.append(tables.indicator_column(by_key()["time_progress"], name="time_progress", decimals=2))
    cols += [Column("points", f"得分（满分 {crit.weight:g} 分）", "points", decimals=2),
             Column("grade_text", "得分情况", "text"), Column("status_text", "驾驶舱状态", "text")]
    return ev.reset_index(drop=True), cols


def _tables(m: dict) -> dict:
    out = {GRID_SHEET: _grid(m), RUBRIC_SHEET: _rubric(m)}
    for crit in m["rubric"].criteria:
        out[crit.key] = _criterion_table(m, crit)
    return out


def _explain_notes(m: dict) -> list[str]:
    notes = [f"考评细则：{m['title']}（满分 {m['full_marks']:g} 分）；细则文件 {sc.rubric_path().name}，由市未保办维护",
             f"数据导入时间：{m['data_as_of'] or '（未记录导入时间）'}",
             "评分表首行为全市整体数值（作为平均参照，不计分）；县级单位按总分在全市各县区中排名",
             "得分颜色：绿 满分、黄 部分得分、红 0 分、紫 数据异常（比率超过 100% 或支出超过预算，不得分）、灰 无数据（分母为 0）"]
    if m["rank_text"]:
        notes.append(f"本文件只列本县区：{m['headline'][0]}；{m['headline'][1]}（其他县区不列名）")
    else:
        notes.append("；".join(m["headline"]))
    if m["in_progress"]:
        notes.append("所选月份尚未结束：走访完成率等月内累计的指标只统计到今天，得分偏低。正式考评请选已结束的月份。")
    if m["line_differences"]:
        notes.append("考评满分线与驾驶舱的绿线不同，驾驶舱为绿的县区在此可能只得部分分：" + "；".join(m["line_differences"]))
    notes += m["warnings"]
    return notes


def workbook_bytes(m: dict, job: Job) -> bytes:
    """The scorecard workbook: 评分表, 评分细则, one sheet per criterion, 说明."""
    head = f"{job.region_name}{job.period_text}考评（{m['title']}）"
    grid, grid_cols = m["tables"][GRID_SHEET]
    city_rows = tuple(i for i, n in enumerate(grid["name"]) if str(n).endswith("（全市，参照）"))
    sheets = [Sheet(GRID_SHEET, grid, grid_cols, title=head, fills=_grid_fills(m), bold_rows=city_rows,
                    lines=("；".join(m["headline"]) + "。每格：数值与得分；首行为全市整体数值，作为参照，不计分。",)),
              Sheet(RUBRIC_SHEET, *m["tables"][RUBRIC_SHEET], title=f"{m['title']}：评分细则与权重",
                    lines=(f"各项分值之和 {m['full_marks']:g} 分。",), notes=tuple(m["line_differences"]))]
    for crit, facts in zip(m["rubric"].criteria, m["criteria"]):
        frame, cols = m["tables"][crit.key]
        lines = [f"计分办法：{facts['describe']}",
                 f"分子 = {facts['numerator_label']}；分母 = {facts['denominator_label'] or fmt.NO_DATA}。"
                 f"口径：{facts['definition']}",
                 f"驾驶舱评色：{facts['colour_rule']}"]
        if not facts["townships_apply"]:
            lines.append(f"{facts['indicator']}只在县级及以上计算，乡镇（街道）不适用。")
        else:
            lines.append("乡镇（街道）按数值从低到高排列在所属县级单位之后。")
        is_ref = tuple(i for i, lv in enumerate(frame["level"]) if lv in ("city", "county"))
        grades = [TINTS[_grade(g)] if lv == "county" else None for g, lv in zip(frame["grade"], frame["level"])]
        states = [TINTS.get(_grade(s)) if _grade(s) else None for s in frame["status"]]
        sheets.append(Sheet(crit.label, frame, cols, title=f"{crit.label}（{crit.weight:g} 分）：{facts['indicator']}",
                            lines=tuple(lines), bold_rows=is_ref,
                            fills={"grade_text": grades, "status_text": states}))
    return tables.workbook(sheets, job, title=head, notes=_explain_notes(m))


def build(conn, job: Job, ext: str | None = None) -> list[tuple[str, bytes]]:
    """The scorecard files: the workbook and the A4 landscape PDF (exports.scorecard_pdf), from one model;
    `ext` builds only one of them (a page's button)."""
    m = model(conn, job)
    from exports import scorecard_pdf  # written alongside; imported here so the workbook never waits on it

    out = []
    if ext in (None, "xlsx"):
        out.append(("xlsx", workbook_bytes(m, job)))
    if ext in (None, "pdf"):
        out.append(("pdf", scorecard_pdf.pdf(conn, job, m)))
    return out
