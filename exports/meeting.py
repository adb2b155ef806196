"""会议材料: the meeting pack (.pptx, 16:9) with native editable charts, every figure from the engine."""

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches, Pt

from exports import figures, maps, pictures
from exports import pptx_util as px
from exports.job import CONFIDENTIAL, ExportError, Job
from exports.pptx_util import Cell, Para, Series
from queries import cockpit, fmt, geo, judge, scorecard, topics_funds, topics_network, topics_training
from queries.engine import indicators
from queries.periods import in_progress
from queries.registry import Indicator, by_key, group, group_keys, load_registry, rule_text, target_text
from queries.topics_common import level_below, parent_names

# Slide geometry (inches): a title band, the content area, the footer band.
LEFT, RIGHT = 0.5, 13.333 - 0.5
CONTENT_W = RIGHT - LEFT
TOP, BOTTOM = 1.55, 6.85
CONTENT_H = BOTTOM - TOP
SUB_WORDS = {"county": "县区", "township": "乡镇（街道）"}
RED_ROWS = 12  # red-list rows on one slide at a size a room can read
LOWEST_ROWS = 6  # a city pack's lowest townships beside a topic chart
COMPARE = "比上月"
RATE_FORMAT, COUNT_FORMAT, MONEY_FORMAT, POINTS_FORMAT = "0.0%", "#,##0", "#,##0.0", "0.0"
TOWN_ROWS = 12  # townships in a county pack's status table (the rest are the greenest)
ORDER_WEIGHT = {judge.YELLOW: 1, judge.RED: 3, judge.ANOMALY: 3}
MAP_GROUP = "cockpit_work"  # the map shows the first indicator of this group defined one level down
MAP_PX = (720, 640)  # CSS pixels of the map picture


@dataclass
class Pack:
    """Everything one pack shows, asked of the engine once."""

    job: Job
    model: dict
    below: str  # the level one down: county for a city pack, township for a county pack
    sub: pd.DataFrame  # indicators with measures of the units one level down
    towns: pd.DataFrame  # indicators of the townships (the same frame as `sub` in a county pack)
    town_parents: pd.Series  # township code → its county's name
    card: pd.DataFrame  # the scorecard: counties ranked (a county pack: its own row) and the city row
    rubric: scorecard.Rubric
    coverage: pd.DataFrame
    funds_type: pd.DataFrame
    funds_monthly: pd.DataFrame
    sessions: pd.DataFrame

    @property
    def now(self) -> dict:
        return self.model["now"].to_dict()

    @property
    def before(self) -> dict:
        return self.model["prev_month"].to_dict()


def build(conn, job: Job) -> list[tuple[str, bytes]]:
    """The meeting pack of job.region for job.month, in job.scope, as one .pptx."""
    pictures.start()  # chromium boots in its own thread while the queries run
    pack = gather(conn, job)
    deck = Deck(job)
    cover(deck, pack)
    if not pack.model["has_data"]:
        no_data(deck)
        return [("pptx", deck.save())]
    headline_children_network(deck, pack)
    headline_work(deck, pack)
    trend(deck, pack)
    if job.is_county:
        position(deck, pack)
    else:
        league(deck, pack)
        comparison(deck, pack)
    red_list(deck, pack)
    children(deck, pack)
    network(deck, pack)
    for key in group_keys("cockpit_work"):
        ind = by_key()[key]
        if ind.unit == "rate" and not ind.thresholds.get("relative_to") and ind.applies_at("township"):
            topic_rate(deck, pack, ind)
    funds(deck, pack)
    map_slide(deck, pack)
    return [("pptx", deck.save())]


def gather(conn, job: Job) -> Pack:
    """Ask the engine for everything the pack shows. The cockpit's model (the longest part) runs on `conn`;
    the other queries run meanwhile on a second connection of the same engine, where one can be opened."""
    second = _second_engine(conn)
    if second is None:
        return Pack(job=job, model=cockpit.model(conn, job.scope, job.month, job.region), **_parts(conn, job))
    with ThreadPoolExecutor(max_workers=1) as pool:
        parts = pool.submit(_parts_on, second, job)
        model = cockpit.model(conn, job.scope, job.month, job.region)
        return Pack(job=job, model=model, **parts.result())


def _second_engine(conn):
    """The engine behind `conn` when another connection to it sees the same data (not an in-memory SQLite)."""
    engine = getattr(conn, "engine", None)
    if engine is None:
        return None
    url = engine.url
    if url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:":
        return None
    return engine


def _parts_on(engine, job: Job) -> dict:
    with engine.connect() as conn:
        return _parts(conn, job)


def _parts(conn, job: Job) -> dict:
    scope, month, region = job.scope, job.month, job.region
    below = level_below(job.level)
    sub = indicators(conn, month, below, region, scope=scope, with_measures=True)
    towns = sub if below == "township" else indicators(conn, month, "township", region, scope=scope)
    try:
        rubric = scorecard.load_rubric()
    except scorecard.RubricError as err:  # a broken rubric file is the bureau's to fix: say where, in Chinese
        raise ExportError(str(err)) from None
    return dict(
        below=below, sub=sub, towns=towns,
        town_parents=parent_names(conn, scope, "township", region),
        card=scorecard.scorecard(conn, scope, month, rubric, region), rubric=rubric,
        coverage=topics_network.coverage_by_level(conn, scope, month, job.level, region),
        funds_type=topics_funds.funds_by_type(conn, scope, month, region),
        funds_monthly=topics_funds.funds_monthly(conn, scope, month, region),
        sessions=topics_training.training_sessions(conn, scope, month, region),
    )


# ---- the deck: title band, footer, notes -----------------------------------------------------------------

class Deck:
    """The presentation being built: every slide gets the title band, and at the end the footer and page."""

    def __init__(self, job: Job):
        self.job = job
        self.prs = px.new_deck()
        self.slides = []

    def slide(self, title: str, note: str | None = None):
        s = px.blank(self.prs)
        job = self.job
        px.text_box(s, Inches(LEFT), Inches(0.28), Inches(CONTENT_W), Inches(0.7),
                    [Para(title, 30, True, px.ACCENT)], anchor="middle").name = "标题"
        sub = f"{job.region_name} · {job.period_text} · {job.as_of}" + (" · 演示数据" if job.demo else "")
        if note:
            sub += f" · {note}"
        px.text_box(s, Inches(LEFT), Inches(0.98), Inches(CONTENT_W), Inches(0.4),
                    [Para(sub, 14, False, px.MUTED)], anchor="middle").name = "副标题"
        px.rect(s, Inches(LEFT), Inches(1.4), Inches(CONTENT_W), Pt(2), px.ACCENT)
        self.slides.append(s)
        return s

    def save(self) -> bytes:
        job, total = self.job, len(self.slides)
        for i, s in enumerate(self.slides, start=1):
            px.rect(s, Inches(LEFT), Inches(6.98), Inches(CONTENT_W), Pt(0.75), px.RULE)
            footer = job.footer + (" · 演示数据" if job.demo else "") + (" · 对外" if job.external else "")
            px.text_box(s, Inches(LEFT), Inches(7.02), Inches(CONTENT_W - 1.6), Inches(0.36),
                        [Para(footer, 11, False, px.MUTED)], anchor="middle").name = "页脚"
            px.text_box(s, Inches(RIGHT - 1.6), Inches(7.02), Inches(1.6), Inches(0.36),
                        [Para(f"第 {i} / {total} 页", 11, False, px.MUTED, "right")], anchor="middle").name = "页码"
        return px.save(self.prs)


def definitions(inds, extra: list[str] | None = None) -> str:
    """Speaker notes: the 口径 of every indicator on the slide (registry definition, colour rule, green line)."""
    lines = ["口径："]
    seen = set()
    for ind in inds:
        if ind.key in seen:
            continue
        seen.add(ind.key)
        line = f"{ind.name}：{ind.definition}"
        if ind.judged:
            line += f" 评色：{rule_text(ind)}（{target_text(ind)}）。"
        lines.append(line)
    return "\n".join(lines + (extra or []))


def _notes(deck: Deck, s, inds, extra: list[str] | None = None) -> None:
    job = deck.job
    tail = [f"数据：{job.as_of}{'（演示数据）' if job.demo else ''}；{job.filters_text}"]
    px.notes(s, definitions(inds, (extra or []) + tail))


# ---- values as the slides show them -----------------------------------------------------------------------

def text_of(job: Job, ind: Indicator, v) -> str:
    """A figure as a slide writes it; counts of persons through the audience's small-count rule."""
    return job.count(v) if ind.unit == "count" else fmt.value(ind, v)


def chart_value(job: Job, ind: Indicator, v):
    """A figure as a chart stores it: the displayed value (rates as fractions for a 0.0% format, money in 万元),
    None where there is none or where the audience may not see a small count."""
    if fmt.is_null(v):
        return None
    if ind.unit == "count":
        return job.count_value(fmt.half_up(float(v), 0))
    if ind.unit == "rate":
        return fmt.displayed(ind, float(v))
    return figures.shown_value(ind, float(v))


def capped(job: Job, ind: Indicator, values) -> tuple[list, list]:
    """Chart values and label texts: an impossible rate (数据异常, e.g. 7,186 %) is drawn to figures.PERCENT_CAP
    and labelled with its real value (its purple says 数据异常), so one ledger error does not flatten every other bar."""
    cap = figures.PERCENT_CAP / 100
    out, labels = [], []
    for v in values:
        value = chart_value(job, ind, v)
        over = ind.unit == "rate" and value is not None and value > cap
        out.append(cap if over else value)
        labels.append(fmt.value(ind, v) if over else None)
    return out, labels


def change_text(job: Job, ind: Indicator, now, before) -> str:
    """'比上月 +0.8 个百分点'; for outside readers a change of 1–4 persons is not spelled out."""
    if ind.unit == "count" and not fmt.is_null(now) and not fmt.is_null(before) and job.hides(abs(now - before)):
        return f"{COMPARE} 变化 <{job.threshold} 人"
    return fmt.change(ind, now, before, COMPARE)


def state_of(ind: Indicator, row: dict, before: dict | None, month: str) -> judge.Verdict:
    return judge.verdict(ind, row, before, month)


def colour_of_state(state) -> str:
    return figures.state_colour(state)


def early_words() -> str:
    """The indicators that build up during the month (not judged while it lasts), from the registry."""
    return "、".join(i.name for i in load_registry() if i.accrues == "month" and i.judged)


def early_note(job: Job) -> str | None:
    if not in_progress(job.month):
        return None
    return f"本月进行中：{early_words()}暂不评色"


# ---- cover ---------------------------------------------------------------------------------------------------

def cover(deck: Deck, pack: Pack) -> None:
    job = deck.job
    s = px.blank(deck.prs)
    deck.slides.append(s)
    px.rect(s, 0, 0, px.WIDTH, Inches(0.35), px.ACCENT)
    px.text_box(s, Inches(LEFT + 0.3), Inches(1.35), Inches(CONTENT_W - 0.6), Inches(1.0),
                [Para(f"{job.region_name}未成年人保护工作", 44, True, px.ACCENT)], anchor="bottom").name = "标题"
    px.text_box(s, Inches(LEFT + 0.3), Inches(2.4), Inches(CONTENT_W - 0.6), Inches(0.9),
                [Para(f"{job.period_text}会议材料", 36, True, px.INK)]).name = "副标题"
    px.rect(s, Inches(LEFT + 0.3), Inches(3.4), Inches(3.0), Pt(3), px.ACCENT)
    lines = [Para(f"数据{job.as_of}", 20, False, px.INK, space_after=6),
             Para(f"{job.user} 导出于 {job.made_text}", 20, False, px.INK, space_after=6),
             Para("对外版：1–%d 的人数显示为 <%d" % (job.threshold - 1, job.threshold) if job.external
                  else "内部版", 20, False, px.INK, space_after=6),
             Para(CONFIDENTIAL, 20, True, "#b2182b")]
    px.text_box(s, Inches(LEFT + 0.3), Inches(3.65), Inches(8.0), Inches(2.2), lines)
    if job.demo:
        px.badge(s, Inches(RIGHT - 3.1), Inches(3.7), Inches(2.8), Inches(0.8), "演示数据", "#b2182b", 28)
        px.text_box(s, Inches(RIGHT - 4.6), Inches(4.6), Inches(4.3), Inches(0.8),
                    [Para("本材料数字来自合成的演示数据库，不代表任何真实地区", 14, False, px.MUTED, "right")])
    px.notes(s, "本材料由未保驾驶舱按统一指标口径自动生成，数字与驾驶舱、指标总表（queries.report）一致。\n"
                + job.filters_text)


def no_data(deck: Deck) -> None:
    s = deck.slide("本月暂无数据")
    px.text_box(s, Inches(LEFT), Inches(TOP + 1), Inches(CONTENT_W), Inches(1.5),
                [Para(f"{deck.job.region_name}在{deck.job.period_text}没有可统计的台账数据。", 24)])


# ---- headline cards ------------------------------------------------------------------------------------------

def card(s, x: float, y: float, w: float, h: float, pack: Pack, ind: Indicator, extra: list[str]) -> None:
    """One headline figure: name and status word, the big number in the status colour, the lines under it."""
    job, now, before = pack.job, pack.now, pack.before
    v = state_of(ind, now, before, job.month)
    colour = v.colour
    px.text_box(s, Inches(x), Inches(y), Inches(w), Inches(h), [Para("")], line="#d5dde8", fill="#ffffff",
                shape=px.MSO_SHAPE.RECTANGLE)
    px.rect(s, Inches(x), Inches(y), Inches(0.09), Inches(h), colour)
    px.text_box(s, Inches(x + 0.2), Inches(y + 0.1), Inches(w - 1.6), Inches(0.45),
                [Para(ind.label, 18, True, px.INK)], anchor="middle")
    if v.state:
        px.badge(s, Inches(x + w - 1.35), Inches(y + 0.13), Inches(1.2), Inches(0.4), v.word, colour, 14)
    value = text_of(job, ind, now.get(ind.key))
    value_colour = colour if v.state in judge.ORDER or v.state == judge.ANOMALY else px.INK
    size = 40 if len(value) <= 8 else 30
    lines = ([target_text(ind)] if target_text(ind) else []) + extra
    notes = [(n, colour if n in v.reasons else "#b35806") for n in v.notes]
    wide = w > 5
    if wide:  # the number on the left, the lines beside it
        px.text_box(s, Inches(x + 0.2), Inches(y + 0.6), Inches(2.6), Inches(h - 0.75),
                    [Para(value, size, True, value_colour)], anchor="middle")
        px.text_box(s, Inches(x + 2.9), Inches(y + 0.6), Inches(w - 3.0), Inches(h - 0.7),
                    [Para(t, 15, False, px.MUTED, space_after=2) for t in lines]
                    + [Para(t, 12, False, c) for t, c in notes], anchor="middle")
    else:
        px.text_box(s, Inches(x + 0.2), Inches(y + 0.55), Inches(w - 0.3), Inches(0.8),
                    [Para(value, size, True, value_colour)], anchor="middle")
        px.text_box(s, Inches(x + 0.2), Inches(y + 1.35), Inches(w - 0.3), Inches(h - 1.4),
                    [Para(t, 14, False, px.MUTED, space_after=1) for t in lines]
                    + [Para(t, 11, False, c) for t, c in notes])


def card_lines(pack: Pack, ind: Indicator) -> list[str]:
    """Change vs last month, and for a county its city's value and its rank among the city's counties."""
    job, now, before, model = pack.job, pack.now, pack.before, pack.model
    out = [change_text(job, ind, now.get(ind.key), before.get(ind.key))]
    if ind.thresholds.get("relative_to"):
        ref = by_key()[ind.thresholds["relative_to"]]
        out.insert(0, f"{ref.label} {fmt.value(ref, now.get(ref.key))}")
    city = model["city"]
    if city is not None and not fmt.is_null(city.get(ind.key)):
        out.append(f"全市 {text_of(job, ind, city[ind.key])}")
    out += rank_words(pack, ind.key)
    return out


def rank_words(pack: Pack, key: str) -> list[str]:
    """'全市第 3 / 11 名' for a county (numbers only: no other county is named)."""
    ranks = pack.model["ranks"]
    if key not in ranks or ranks[key][0] is None:
        return []
    place, ranked, counties = ranks[key]
    missing = f"（{pack.job.count(counties - ranked)} 县无数据）" if counties > ranked else ""
    return [f"全市第 {place} / {ranked} 名{missing}"]


def _grid(s, pack: Pack, inds: list[Indicator], cols: int, lines_for) -> None:
    rows = -(-len(inds) // cols)
    gap = 0.25
    w = (CONTENT_W - gap * (cols - 1)) / cols
    h = (CONTENT_H - gap * (rows - 1)) / rows
    for i, ind in enumerate(inds):
        r, c = divmod(i, cols)
        card(s, LEFT + c * (w + gap), TOP + r * (h + gap), w, h, pack, ind, lines_for(ind))


def headline_children_network(deck: Deck, pack: Pack) -> None:
    job, now = deck.job, pack.now
    children_inds = group("cockpit_children")
    network_inds = [i for i in group("cockpit_network") if i.applies_at(job.level)]
    s = deck.slide("核心指标：儿童底数与阵地队伍")

    def lines(ind: Indicator) -> list[str]:
        if ind in children_inds:
            flows = [by_key()[k] for k in group_keys("children_cards") if by_key()[k].accrues == "month"]
            flow = " · ".join(f"{i.name} {job.count(now.get(i.key))} 人" for i in flows)
            return [flow, change_text(job, ind, now.get(ind.key), pack.before.get(ind.key))] + (
                [f"全市 {job.count(pack.model['city'][ind.key])} 人"] if pack.model["city"] is not None else [])
        return card_lines(pack, ind)

    _grid(s, pack, children_inds + network_inds, 3, lines)
    flows = [by_key()[k] for k in group_keys("children_cards")]
    _notes(deck, s, children_inds + flows + network_inds,
           ["颜色：绿 达标 / 黄 接近 / 红 落后 / 紫 数据异常 / 灰 进行中；比较对象为上月同一指标。"])


def headline_work(deck: Deck, pack: Pack) -> None:
    inds = [i for i in group("cockpit_work") if i.applies_at(deck.job.level)]
    s = deck.slide("核心指标：工作落实", early_note(deck.job))
    _grid(s, pack, inds, 2, lambda ind: card_lines(pack, ind))
    _notes(deck, s, inds + [by_key()[i.thresholds["relative_to"]] for i in inds if i.thresholds.get("relative_to")])


# ---- trend ---------------------------------------------------------------------------------------------------

def trend(deck: Deck, pack: Pack) -> None:
    job = deck.job
    frame = pack.model["trend"].sort_values("month")
    months = list(frame["month"])
    cats = month_categories(months)
    s = deck.slide("近 12 个月趋势", span_text(months))
    half = (CONTENT_W - 0.3) / 2
    parts = [("trend_monthly", "月度指标走势（%）"), ("trend_ytd", "本年累计指标（%）")]
    shown = []
    for n, (name, title) in enumerate(parts):
        inds = [i for i in group(name) if i.applies_at(job.level)]
        shown += inds
        series = [Series(latest_name(ind, frame[ind.key]), [chart_value(job, ind, v) for v in frame[ind.key]],
                         colour) for ind, colour in zip(inds, figures.LINE_COLOURS)]
        px.chart(s, XL_CHART_TYPE.LINE_MARKERS, Inches(LEFT + n * (half + 0.3)), Inches(TOP),
                 Inches(half), Inches(CONTENT_H - 0.45), cats, series, RATE_FORMAT, title=title,
                 labels=False, legend=True, size=13, category_size=11, **rate_axis(series))
    tail = "本年累计指标每年 1 月重新起算，1 月的回落不是下滑。"
    if in_progress(job.month):
        tail += "最后一个点是进行中的本月，只统计到今天，月内累计的指标偏低属正常。"
    px.text_box(s, Inches(LEFT), Inches(BOTTOM - 0.4), Inches(CONTENT_W), Inches(0.4),
                [Para(tail, 13, False, px.MUTED)])
    _notes(deck, s, shown, [tail])


def month_categories(months) -> list[str]:
    """'12月', '1月' …: the year is in the slide's subtitle (a '2026年1月' label wraps into a column)."""
    return [f"{int(str(m)[5:7])}月" for m in months]


def span_text(months) -> str:
    months = [str(m) for m in months]
    return f"{fmt.month_text(months[0])}—{fmt.month_text(months[-1])}" if months else ""


def latest_name(ind: Indicator, values) -> str:
    """A line's legend entry with its latest value ('培训率 96.2%'): twelve labels per line would cover the chart."""
    last = [v for v in values if not fmt.is_null(v)]
    return f"{ind.label} {fmt.value(ind, last[-1])}" if last else ind.label


def wide_rate_axis(series: list[Series]) -> dict:
    """A percent axis for bars labelled at their ends: room past 100 % for the label, gridlines to 100 %."""
    top = max([v for s in series for v in s.values if v is not None], default=1.0)
    return {"axis_min": 0, "axis_max": max(1.0, top) * 1.18, "axis_format": "0%", "major_unit": 0.2}


def rate_axis(series: list[Series]) -> dict:
    """A percent axis from 0 to 100 % in steps of 20 (further only when a value is impossible: 数据异常)."""
    top = max([v for s in series for v in s.values if v is not None], default=1.0)
    return {"axis_min": 0, "axis_max": None if top > 1 else 1.0, "axis_format": "0%", "major_unit": 0.2}


# ---- league (city) and position (county) ---------------------------------------------------------------------

def _counties(pack: Pack) -> pd.DataFrame:
    card_ = pack.card
    return card_[card_["level"] == "county"]


def league(deck: Deck, pack: Pack) -> None:
    """A city pack: the counties ranked on the scorecard's weighted total."""
    counties = _counties(pack)
    s = deck.slide("县区考评排名（加权总分）")
    names = [f"{int(r)}. {n}" for r, n in zip(counties["rank"], counties["region_name"])]
    totals = [fmt.half_up(float(t), 1) for t in counties["total"]]
    px.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, Inches(LEFT), Inches(TOP), Inches(7.6), Inches(CONTENT_H),
             names, [Series("加权总分", totals)], POINTS_FORMAT, title=f"{pack.rubric.title}（分）", size=14,
             axis_min=0, axis_max=100, gap=40)
    facts = scorecard.summary(pack.card)
    paras = [Para("满分 100 分，按考评细则逐项计分", 16, False, px.MUTED, space_after=8)]
    if facts:
        paras += [Para(f"县区平均 {facts['mean_total']:.1f} 分", 22, True, px.INK, space_after=10),
                  Para(f"第一：{facts['best'][0]} {facts['best'][1]:.1f} 分", 20, False, px.INK, space_after=6),
                  Para(f"末位：{facts['worst'][0]} {facts['worst'][1]:.1f} 分", 20, False, "#b2182b", space_after=6),
                  Para(f"低于全市项目最多：{facts['most_below'][0]}（{facts['most_below'][1]} 项）", 18, False,
                       px.INK, space_after=6)]
    px.text_box(s, Inches(LEFT + 7.9), Inches(TOP + 0.3), Inches(CONTENT_W - 7.9), Inches(CONTENT_H - 0.3), paras)
    reg = by_key()
    _notes(deck, s, [reg[c.key] for c in pack.rubric.criteria],
           [f"考评细则“{pack.rubric.title}”：" + "；".join(f"{c.label}（{c.weight:g} 分）{c.describe()}"
                                                     for c in pack.rubric.criteria)])


def comparison(deck: Deck, pack: Pack) -> None:
    """A city pack: the counties in rank order on the league indicators, each value in its status colour."""
    job, counties, sub = deck.job, _counties(pack), pack.sub
    inds = [i for i in group("league_table") if i.applies_at("county")]
    s = deck.slide("县区主要指标对比")
    header = ["排名", "县区", "总分"] + [i.label for i in inds]
    rows = []
    for code, row in counties.iterrows():
        values = sub.loc[code].to_dict() if code in sub.index else {}
        cells = [Cell(str(int(row["rank"])), align="center"), Cell(row["region_name"], bold=True),
                 Cell(f"{row['total']:.1f}", align="right")]
        for ind in inds:
            v = state_of(ind, values, None, job.month)
            shown = "—" if fmt.is_null(values.get(ind.key)) else f"{figures.shown_value(ind, values[ind.key]):.1f}"
            cells.append(Cell(shown, colour_of_state(v.state) if v.state else px.INK, v.state == judge.RED, "right"))
        rows.append(cells)
    city = pack.model["now"].to_dict()
    rows.append([Cell(""), Cell(f"{job.region_name}（全市）", bold=True), Cell("")]
                + [Cell("—" if fmt.is_null(city.get(i.key)) else f"{figures.shown_value(i, city[i.key]):.1f}",
                        bold=True, align="right", fill="#e8eef6") for i in inds])
    widths = [0.7, 1.6, 0.9] + [(CONTENT_W - 3.2) / len(inds)] * len(inds)
    px.table(s, Inches(LEFT), Inches(TOP), widths, header, rows, size=13)
    px.text_box(s, Inches(LEFT), Inches(BOTTOM - 0.3), Inches(CONTENT_W), Inches(0.3),
                [Para("指标数值为百分比（%）；数值颜色即评色：绿 达标 / 黄 接近 / 红 落后（加粗）/ 紫 数据异常 / 灰 进行中；"
                      "总分为考评加权总分（分），细则见上页。", 12, False, px.MUTED)], anchor="bottom")
    _notes(deck, s, inds)


def position(deck: Deck, pack: Pack) -> None:
    """A county pack: its value, the city's and its rank among the city's counties — no other county."""
    job, now, city = deck.job, pack.now, pack.model["city"]
    keys = [k for k in group_keys("cockpit_network") + group_keys("cockpit_work") if k in pack.model["ranks"]]
    inds = [by_key()[k] for k in keys]
    s = deck.slide("在全市的位置", "只列本县数字、全市合计与名次")
    rows = []
    for ind in inds:
        v = state_of(ind, now, pack.before, job.month)
        rank = rank_words(pack, ind.key)
        rows.append([Cell(ind.label, bold=True),
                     Cell(text_of(job, ind, now.get(ind.key)), colour_of_state(v.state) if v.state else px.INK,
                          True, "right"),
                     Cell("—" if city is None else text_of(job, ind, city.get(ind.key)), align="right"),
                     Cell(rank[0] if rank else "—", align="center")])
    own = _counties(pack)
    if len(own):
        r = own.iloc[0]
        facts = scorecard.summary(pack.card)
        rows.append([Cell("考评加权总分", bold=True, fill="#e8eef6"),
                     Cell(f"{r['total']:.1f} 分", bold=True, align="right", fill="#e8eef6"),
                     Cell(f"县区平均 {facts['mean_total']:.1f} 分" if facts else "—", align="right", fill="#e8eef6"),
                     Cell(f"全市第 {int(r['rank'])} / {int(r['ranked'])} 名", align="center", fill="#e8eef6")])
    px.table(s, Inches(LEFT), Inches(TOP), [2.2, 1.3, 1.8, 3.1], ["指标", "本县", "全市", "全市排名"], rows,
             size=14, row_height=0.44)
    rates = [i for i in inds if i.unit == "rate"]
    values, texts = _capped_points(job, rates, now)
    series = [Series("本县", values, px.NEUTRAL,
                     [colour_of_state(state_of(i, now, None, job.month).state) for i in rates], texts)]
    if city is not None:
        values, texts = _capped_points(job, rates, city.to_dict())
        series.append(Series("全市", values, px.SECOND, None, texts))
    px.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, Inches(LEFT + 8.6), Inches(TOP), Inches(CONTENT_W - 8.6),
             Inches(CONTENT_H), [i.label for i in rates], series, RATE_FORMAT, title="本县与全市（%）", size=12,
             gap=50, label_size=10, **wide_rate_axis(series))
    _notes(deck, s, inds, ["名次为本县在全市各县级单位中的位次（1 为最好），只给出名次和县数，不列其他县的名称和数字。",
                           f"考评细则“{pack.rubric.title}”：" + "；".join(
                               f"{c.label}（{c.weight:g} 分）{c.describe()}" for c in pack.rubric.criteria)])


def _capped_points(job: Job, inds: list[Indicator], row: dict) -> tuple[list, list]:
    """One region's rates as a series' values and point labels, impossible ones capped (see capped())."""
    pairs = [capped(job, i, [row.get(i.key)]) for i in inds]
    return [v[0] for v, _ in pairs], [t[0] for _, t in pairs]


# ---- red list ------------------------------------------------------------------------------------------------

def red_list(deck: Deck, pack: Pack) -> None:
    job, reds = deck.job, pack.model["reds"]
    inds = group("red_list")
    s = deck.slide("落后乡镇（红色指标）", early_note(job) and f"{early_note(job)}、不计入红色名单")
    if reds.empty:
        px.text_box(s, Inches(LEFT), Inches(TOP), Inches(CONTENT_W), Inches(0.5),
                    [Para(f"{job.period_text}没有红色指标的乡镇（街道）。", 22, True, fmt.STATE_COLOURS["green"])],
                    anchor="middle")
        if job.is_county:
            town_states(deck, pack, s, inds, TOP + 0.55)
        _notes(deck, s, inds, ["红色名单：乡镇（街道）任一上述指标为红即列入，红色指标多者在前。"])
        return
    else:
        shown = reds.head(RED_ROWS)
        header = ["序号", "乡镇（街道）"] + ([] if job.is_county else ["所属县区"]) + ["红色指标"]
        rows = []
        for n, (_, r) in enumerate(shown.iterrows(), start=1):
            rows.append([Cell(str(n), align="center"), Cell(r["region_name"], bold=True)]
                        + ([] if job.is_county else [Cell(r["parent_name"] or "")])
                        + [Cell(r["red_indicators"], fmt.STATE_COLOURS["red"])])
        widths = [0.7, 2.2] + ([] if job.is_county else [1.5]) + [4.3 if not job.is_county else 5.8]
        px.table(s, Inches(LEFT), Inches(TOP), widths, header, rows, size=14, row_height=0.36)
        if len(reds) > RED_ROWS:
            px.text_box(s, Inches(LEFT), Inches(BOTTOM - 0.3), Inches(8.8), Inches(0.3),
                        [Para(f"共 {len(reds)} 个乡镇（街道）有红色指标，此处列出红色指标最多的 {RED_ROWS} 个；"
                              "完整名单见驾驶舱“指标总表”。", 12, False, px.MUTED)], anchor="bottom")
    # How many townships are red on each indicator (townships, not persons).
    states = judge.states(pack.towns, [i.key for i in inds], month=job.month)
    counts = [int(states[i.key].eq(judge.RED).sum()) for i in inds]
    names = [i.label + ("" if job.count_value(n) is not None or not n else f"（{job.count(n)}）")
             for i, n in zip(inds, counts)]
    px.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, Inches(LEFT + 9.0), Inches(TOP), Inches(CONTENT_W - 9.0),
             Inches(CONTENT_H), names,
             [Series("红色乡镇数", [job.count_value(n) for n in counts], fmt.STATE_COLOURS["red"])], COUNT_FORMAT,
             title="各指标红色乡镇（个）", size=12, axis_min=0, gap=50)
    _notes(deck, s, inds, ["红色名单：乡镇（街道）任一上述指标为红即列入，红色指标多者在前。"])


def town_states(deck: Deck, pack: Pack, s, inds: list[Indicator], y: float) -> None:
    """A county pack: each township's value on the red-list indicators, in its status colour."""
    job = deck.job
    states = judge.states(pack.towns, [i.key for i in inds], month=job.month)
    behind = states.apply(lambda r: sum(ORDER_WEIGHT.get(x, 0) for x in r), axis=1)
    towns = pack.towns.assign(behind=behind).sort_values(["behind", "region_name"], ascending=[False, True])
    shown = towns.head(TOWN_ROWS)
    rows = []
    for _, r in shown.iterrows():
        row = r.to_dict()
        cells = [Cell(r["region_name"], bold=True)]
        for ind in inds:
            v = state_of(ind, row, None, job.month)
            cells.append(Cell(fmt.value(ind, row.get(ind.key)), colour_of_state(v.state) if v.state else px.INK,
                              v.state == judge.RED, "right"))
        rows.append(cells)
    first = 2.2
    widths = [first] + [(CONTENT_W - first) / len(inds)] * len(inds)
    rest = len(towns) - len(shown)
    caption = "各乡镇（街道）情况（%，数值颜色即评色" + (f"；黄色多者在前，其余 {job.count(rest)} 个各项较好" if rest else "") + "）"
    px.text_box(s, Inches(LEFT), Inches(y), Inches(CONTENT_W), Inches(0.4),
                [Para(caption, 15, True, px.INK)], anchor="middle")
    px.table(s, Inches(LEFT), Inches(y + 0.42), widths, ["乡镇（街道）"] + [i.label for i in inds], rows, size=12,
             row_height=px.min_row(12))


# ---- topic slides ---------------------------------------------------------------------------------------------

def _ordered(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Units with the best value first, those without data last (a league table's order)."""
    order = pd.DataFrame({"has": frame[key].notna(), "v": pd.to_numeric(frame[key], errors="coerce")},
                         index=frame.index)
    return frame.loc[order.sort_values(["has", "v"], ascending=[False, False], kind="stable").index]


def unit_bars(deck: Deck, pack: Pack, s, ind: Indicator, frame: pd.DataFrame, x: float, w: float,
              title: str, y: float = TOP, h: float = CONTENT_H) -> None:
    """One indicator across the units one level down as a native bar chart: rates in their status colours,
    counts in the neutral blue; a hidden small count or a missing value says so beside the unit's name."""
    job = deck.job
    data = _ordered(frame, ind.key)
    values, names, colours = [], [], []
    bars, texts = capped(job, ind, data[ind.key])
    for value, (code, row) in zip(bars, data.iterrows()):
        raw = row[ind.key]
        name = row["region_name"]
        if fmt.is_null(raw):
            name += "（无数据）"
        elif value is None:
            name += f"（{job.count(raw)}）"
        names.append(name)
        values.append(value)
        state = state_of(ind, row.to_dict(), None, job.month).state if ind.judged else None
        colours.append(figures.bar_colour(ind, state, raw))
    number = {"rate": RATE_FORMAT, "count": COUNT_FORMAT}.get(ind.unit, MONEY_FORMAT)
    series = [Series(ind.label, values, px.NEUTRAL, colours, texts)]
    top = max([v for v in values if v is not None], default=1) or 1
    axis = wide_rate_axis(series) if ind.unit == "rate" else {"axis_min": 0, "axis_max": top * 1.2}
    size = 13 if len(names) <= 14 else 11
    px.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, Inches(x), Inches(y), Inches(w), Inches(h), names, series, number,
             title=title, size=size, gap=35, **axis)


def _panel(s, x: float, w: float, paras: list[Para], y: float = TOP, h: float = 2.6):
    return px.text_box(s, Inches(x), Inches(y), Inches(w), Inches(h), paras, fill="#f2f5f9", margin=0.15)


def _headline_paras(pack: Pack, ind: Indicator) -> list[Para]:
    job, now = pack.job, pack.now
    v = state_of(ind, now, pack.before, job.month)
    colour = v.colour if v.state in judge.ORDER or v.state == judge.ANOMALY else px.INK
    head = [(f"{ind.label} ", px.INK, True), (text_of(job, ind, now.get(ind.key)), colour, True)]
    if v.state:
        head.append((f"  {v.word}", colour, True))
    out = [Para(head, 22, True, space_after=4)]
    out += [Para(t, 15, False, px.MUTED, space_after=2) for t in ([target_text(ind)] if target_text(ind) else [])
            + card_lines(pack, ind)]
    out += [Para(n, 12, False, v.colour) for n in v.reasons]
    return out


def _lowest_towns(deck: Deck, pack: Pack, s, ind: Indicator, x: float, w: float, y: float) -> None:
    """A city pack: the townships with the lowest values, each with its county."""
    job = deck.job
    frame = pack.towns[pack.towns[ind.key].notna()]
    low = frame.assign(v=pd.to_numeric(frame[ind.key])).sort_values(["v", "region_name"]).head(LOWEST_ROWS)
    rows = []
    for code, r in low.iterrows():
        v = state_of(ind, r.to_dict(), None, job.month)
        rows.append([Cell(r["region_name"], bold=True), Cell(pack.town_parents.get(code) or ""),
                     Cell(fmt.value(ind, r[ind.key]), colour_of_state(v.state) if v.state else px.INK,
                          v.state == judge.RED, "right")])
    px.text_box(s, Inches(x), Inches(y), Inches(w), Inches(0.35),
                [Para(f"{ind.label}最低的 {job.count(len(rows))} 个乡镇（街道）", 14, True, px.INK)])
    px.table(s, Inches(x), Inches(y + 0.36), [w * 0.42, w * 0.30, w * 0.28], ["乡镇（街道）", "所属县区", ind.label],
             rows, size=12)


def topic_rate(deck: Deck, pack: Pack, ind: Indicator) -> None:
    """One work indicator (走访, 培训, 评估 …) by unit one level down, with the region's figure and its parts."""
    job, now = deck.job, pack.now
    word = SUB_WORDS[pack.below]
    s = deck.slide(f"专题：{ind.label}", early_note(job) if ind.accrues == "month" else None)
    chart_w = 7.4
    unit_bars(deck, pack, s, ind, pack.sub, LEFT, chart_w, f"{ind.label}（%）分{word}")
    x, w = LEFT + chart_w + 0.3, CONTENT_W - chart_w - 0.3
    paras = _headline_paras(pack, ind)
    reg = by_key()
    parts = [m for m in (ind.denominator, ind.numerator) if m]
    measure_words = scorecard.MEASURE_LABELS
    paras.append(Para("", 6))
    for m in parts:
        paras.append(Para(f"{measure_words.get(m, m)} {job.count(now.get(m))} 人", 15, False, px.INK, space_after=2))
    if len(parts) == 2 and not fmt.is_null(now.get(parts[0])) and not fmt.is_null(now.get(parts[1])):
        paras.append(Para(f"尚未达到：{job.count(now[parts[0]] - now[parts[1]])} 人", 15, True, "#b2182b"))
    extra = []
    if reg[ind.key].accrues == "year" and ind.denominator == "workers":
        sessions = pack.sessions
        paras.append(Para(f"本年培训 {job.count(len(sessions))} 期、{job.count(sessions['person_times'].sum())} 人次", 15,
                          False, px.INK))
        extra.append("培训期数按培训日期与培训名称去重；人次只计范围内的在岗人员。")
    tall = job.is_county
    _panel(s, x, w, paras, h=CONTENT_H if tall else 2.45)
    if not job.is_county:
        _lowest_towns(deck, pack, s, ind, x, w, TOP + 2.6)
    _notes(deck, s, [ind], extra + [f"分子：{measure_words.get(ind.numerator, ind.numerator)}；"
                                    f"分母：{measure_words.get(ind.denominator, ind.denominator)}。"])


def children(deck: Deck, pack: Pack) -> None:
    job, now = deck.job, pack.now
    cats = group("child_categories")
    total = group("cockpit_children")[0]
    s = deck.slide("专题：儿童底数")
    names, values = [], []
    for ind in cats:
        value = chart_value(job, ind, now.get(ind.key))
        names.append(ind.label + ("" if value is not None or fmt.is_null(now.get(ind.key))
                                  else f"（{job.count(now.get(ind.key))}）"))
        values.append(value)
    half = 6.0
    px.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, Inches(LEFT), Inches(TOP + 0.75), Inches(half), Inches(CONTENT_H - 0.75),
             names, [Series("在册儿童", values)], COUNT_FORMAT, title="在册儿童分类（人）", size=14, axis_min=0,
             axis_max=max([v for v in values if v] or [1]) * 1.25, gap=40)
    flows = [by_key()[k] for k in group_keys("children_cards")]
    facts = "　".join(f"{i.name} {job.count(now.get(i.key))} 人" for i in flows)
    px.text_box(s, Inches(LEFT), Inches(TOP), Inches(CONTENT_W), Inches(0.6), [Para(facts, 20, True, px.INK)],
                anchor="middle", fill="#f2f5f9", margin=0.12)
    unit_bars(deck, pack, s, total, pack.sub, LEFT + half + 0.3, CONTENT_W - half - 0.3,
              f"{total.label}（人）分{SUB_WORDS[pack.below]}", y=TOP + 0.75, h=CONTENT_H - 0.75)
    _notes(deck, s, [total, *flows, *cats], ["儿童类别按台账登记的主要类别计，一名儿童只计入一个类别。"])


def network(deck: Deck, pack: Pack) -> None:
    """三级阵地与队伍: coverage of each element against its green line, and the units still missing one."""
    job, now, city = deck.job, pack.now, pack.model["city"]
    keys = list(dict.fromkeys(group_keys("cockpit_network") + group_keys("network_cards")))
    inds = [by_key()[k] for k in load_registry_keys(keys) if by_key()[k].applies_at(job.level)]
    s = deck.slide("专题：阵地与队伍")
    values, texts = _capped_points(job, inds, now)
    series = [Series(f"本{'县' if job.is_county else '市'}", values, px.NEUTRAL,
                     [colour_of_state(state_of(i, now, None, job.month).state) for i in inds], texts)]
    if city is not None:
        values, texts = _capped_points(job, inds, city.to_dict())
        series.append(Series("全市", values, px.SECOND, None, texts))
    px.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, Inches(LEFT), Inches(TOP), Inches(5.6), Inches(CONTENT_H),
             [i.label for i in inds], series, RATE_FORMAT, title="覆盖率与配备率（%）", size=13, gap=45,
             legend=city is not None, **wide_rate_axis(series))
    rows = []
    for _, r in pack.coverage.iterrows():
        ind = by_key()[r["key"]]
        v = state_of(ind, now, None, job.month)
        rows.append([Cell(r["level"]), Cell(r["item"], bold=True), Cell(job.count(r["units"]), align="right"),
                     Cell(job.count(r["covered"]), align="right"),
                     Cell(job.count(r["missing"]), "#b2182b" if r["missing"] else px.INK, bool(r["missing"]), "right"),
                     Cell(fmt.percent(r["rate"]), colour_of_state(v.state) if v.state else px.INK, True, "right")])
    x = LEFT + 5.9
    w = CONTENT_W - 5.9
    px.table(s, Inches(x), Inches(TOP), [1.45, w - 1.45 - 2.75, 0.65, 0.65, 0.65, 0.8],
             ["层级", "阵地 / 人员", "应有", "已有", "缺口", "覆盖率"], rows, size=13, row_height=0.42)
    workers = [by_key()[k] for k in group_keys("network_cards") if by_key()[k].denominator == "workers"]
    lines = [f"在岗儿童主任、督导员 {job.count(now.get('workers'))} 人（按人去重）"]
    for ind in workers:
        lines.append(f"其中持有社工证 {job.count(now.get(ind.numerator))} 人，{ind.label} {fmt.value(ind, now.get(ind.key))}"
                     if ind.numerator else "")
    px.text_box(s, Inches(x), Inches(TOP + 0.42 * (len(rows) + 1) + 0.3), Inches(w), Inches(1.2),
                [Para(t, 16, False, px.INK, space_after=4) for t in lines if t], fill="#f2f5f9", margin=0.15)
    _notes(deck, s, inds, ["应有、已有、缺口为区划表中的单位数（县级单位、乡镇、村），不是人数。"])


def load_registry_keys(keys: list[str]) -> list[str]:
    """Keys in the registry's report order."""
    wanted = set(keys)
    return [i.key for i in load_registry() if i.key in wanted]


def funds(deck: Deck, pack: Pack) -> None:
    """资金: the year's spending against 序时进度, month by month, and by fund type (or county)."""
    job, now = deck.job, pack.now
    reg = by_key()
    rate = next(i for i in group("funds_cards") if i.thresholds.get("relative_to"))
    pace = reg[rate.thresholds["relative_to"]]
    money = [i for i in group("funds_cards") if i.unit == "yuan"]
    s = deck.slide("专题：资金与序时进度", span_text(pack.funds_monthly["month"]))
    v = state_of(rate, now, pack.before, job.month)
    facts = [(f"{i.label} {fmt.value(i, now.get(i.key))}　", px.INK, True) for i in money]
    facts += [(f"{rate.label} ", px.INK, True), (fmt.value(rate, now.get(rate.key)), v.colour, True),
              (f"（{v.word}）　" if v.state else "　", v.colour, True),
              (f"{pace.label} {fmt.value(pace, now.get(pace.key))}", px.INK, True)]
    px.text_box(s, Inches(LEFT), Inches(TOP), Inches(CONTENT_W), Inches(0.6), [Para(facts, 19, True)],
                anchor="middle", fill="#f2f5f9", margin=0.12)
    monthly = pack.funds_monthly
    cats = month_categories(monthly["month"])
    series = [Series(f"累计{latest_name(rate, monthly['cumulative_rate'])}",
                     [chart_value(job, rate, x) for x in monthly["cumulative_rate"]], px.NEUTRAL),
              Series(latest_name(pace, monthly["time_progress"]),
                     [chart_value(job, pace, x) for x in monthly["time_progress"]], px.SECOND)]
    px.chart(s, XL_CHART_TYPE.LINE_MARKERS, Inches(LEFT), Inches(TOP + 0.75), Inches(6.0),
             Inches(CONTENT_H - 0.75), cats, series, RATE_FORMAT,
             title=f"累计{rate.label}与{pace.label}（%）",
             labels=False, legend=True, size=13, category_size=11, **rate_axis(series))
    x, w = LEFT + 6.3, CONTENT_W - 6.3
    if job.is_county:
        frame = pack.funds_type.set_index("fund_type").rename(columns={"fund_name": "region_name"})
        frame = frame.assign(**{rate.key: frame["execution_rate"], pace.key: frame["time_progress"],
                                rate.numerator: frame["spent"], rate.denominator: frame["budget"]})
        title = f"{rate.label}分资金类别（%）"
    else:
        frame, title = pack.sub, f"{rate.label}分县区（%）"
    unit_bars(deck, pack, s, rate, frame, x, w, title, y=TOP + 0.75, h=CONTENT_H - 0.75)
    _notes(deck, s, [*money, rate, pace], ["资金类别无预算时执行率为空（无数据）；有支出而无预算记为数据异常。"])


# ---- map -----------------------------------------------------------------------------------------------------

def map_indicator(level: str) -> Indicator | None:
    return next((i for i in group(MAP_GROUP) if i.applies_at(level)), None)


def map_slide(deck: Deck, pack: Pack) -> None:
    """The choropleth of the units one level down, drawn as a picture (a map cannot be a native chart)."""
    job = deck.job
    ind = map_indicator(pack.below)
    if ind is None:
        return
    frame = pack.sub
    s = deck.slide(f"地图：{ind.label}分{SUB_WORDS[pack.below]}", early_note(job) if ind.accrues == "month" else None)
    codes = tuple(frame.index)
    shapes = geo.shapes_for(pack.below, codes, job.region if pack.below == "township" else None)
    legend = maps.legend(ind, frame, job.month, reference=pack.now)
    width, height = MAP_PX
    fig = maps.choropleth(frame, ind, shapes, legend, title="", height=height)
    # Type large enough for the projector once the picture is scaled to the slide's height.
    fig.update_layout(width=width, font=dict(size=20), legend=dict(font=dict(size=20), title=dict(font=dict(size=20))))
    fig.update_traces(textfont=dict(size=20), selector=dict(mode="text"))
    image = pictures.png(fig, width, height)
    pic_h = CONTENT_H
    pic_w = pic_h * MAP_PX[0] / height
    s.shapes.add_picture(io.BytesIO(image), Inches(LEFT), Inches(TOP), Inches(pic_w), Inches(pic_h)).name = "地图"
    x = LEFT + pic_w + 0.3
    paras = _headline_paras(pack, ind)
    tally = [(fmt.STATE_LABELS[c.state] if c.state else c.label, int((legend.which.reindex(frame.index) == n).sum()))
             for n, c in enumerate(legend.classes)]
    counted = "　".join(f"{word} {job.count(k)} 个" for word, k in reversed(tally))
    missing = int((legend.which.reindex(frame.index).fillna(-1) == -1).sum())
    if legend.mode == maps.STATUS:
        none = f"　无数据 {job.count(missing)} 个" if missing else ""
        paras += [Para("", 6), Para(f"{SUB_WORDS[pack.below]}：{counted}{none}", 16, True, px.INK, space_after=6)]
    paras += [Para(f"颜色：{rule_text(ind)}" if legend.mode == maps.STATUS else
                                "本月进行中或不评色：按数值深浅着色，不表示绿黄红", 13, False, px.MUTED, space_after=4),
              Para("灰色为无数据（不是 0）", 13, False, px.MUTED, space_after=4),
              Para(shapes.source, 12, False, px.MUTED)]
    _panel(s, x, RIGHT - x, paras, h=CONTENT_H)
    _notes(deck, s, [ind], [shapes.source])
