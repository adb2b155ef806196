"""情况通报 (.docx): a region's month as a government circular — 总体情况, 排名情况, 存在问题, 工作要求 — from the engine."""

import io
import os
import re
import string
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from data.cli import LEVEL_NAMES
from data.vocab import POST_LABELS, STATION_LABELS
from exports.job import ExportError, Job
from queries import cockpit, fmt, judge, topics_funds, topics_network, topics_training, topics_visits
from queries.engine import indicators
from queries.periods import Month
from queries.registry import Indicator, by_key, group_keys, load_registry, target_text
from queries.scorecard import Rubric, RubricError, load_rubric, measure_label, score, scorecard
from queries.topics_common import level_below, parent_names

TEMPLATE_PATH = Path(__file__).with_name("templates") / "工作要求.yaml"
TEMPLATE_ENV = "WEIBAO_BRIEFING_TEMPLATE"  # a bureau may keep its own wording outside the code tree
PLACEHOLDERS = {"region": "通报的区划名称", "city": "所属的市", "month": "通报月份", "whole": "全市 / 全县 / 全区",
                "units": "下一级单位的统称"}
UNITS_WORDS = {"city": "各县（市、区）", "county": "各乡镇（街道）"}
CN_DIGITS = "〇一二三四五六七八九"
LIST_MAX = 12  # units named one by one in a sentence; beyond that they are counted per parent
FEW = 3  # the parents with most units, the units furthest behind: how many a sentence names
RED_NOTE = "以下所称“红色”，指低于指标评价规则中黄色标准的情形（评价规则见指标口径说明）。"
TOP_N = 3  # the first and last three of the ranking are named

# Fonts of common 公文 practice, used when fontconfig has them; else the Noto CJK faces Debian installs.
BODY_FONTS = ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong", "华文仿宋")
TITLE_FONTS = ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXiaoBiaoSong-B05")
HEADING_FONTS = ("黑体", "SimHei", "STHeiti", "华文黑体")
KAI_FONTS = ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", "华文楷体")
SONG_FONTS = ("宋体", "SimSun", "STSong", "华文宋体")
SERIF, SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"

# GB/T 9704 page: A4, 37/35/28/26 mm margins, 三号 (16 pt) body on a 22-line grid, 二号 (22 pt) title.
BODY_PT, TITLE_PT, TABLE_PT, FOOTER_PT, PAGE_NO_PT = 16, 22, 12, 9, 14
LINE_PT, TITLE_LINE_PT, TABLE_LINE_PT = 29, 36, 20
INDENT = Pt(2 * BODY_PT)  # 首行缩进二字
NOTE_COLOUR = RGBColor(0x80, 0x80, 0x80)
DEMO_COLOUR = RGBColor(0xC0, 0x00, 0x00)


# ---------------------------------------------------------------- wording (streamlit-free: other exports may use it)

def change_words(ind: Indicator, now, before, label: str = "比上月", count=fmt.count) -> str:
    """A change in words as officials write it: '比上月提高 0.8 个百分点', '比上月减少 35 人', '与上月持平';
    '' when either side is missing. Judged on the change as displayed (a 0.04-point move is 持平)."""
    if fmt.is_null(now) or fmt.is_null(before):
        return ""
    diff = float(now) - float(before)
    same = re.sub("^比", "与", label) + "持平"
    if ind.unit == "rate":
        shown = fmt.half_up(diff * 100, 1)
        amount = fmt.points(abs(diff), sign=False)
        up, down = "提高", "下降"
    elif ind.unit == "yuan":
        shown = fmt.half_up(fmt.wan(diff), 1)
        amount = fmt.wan_yuan(abs(diff))
        up, down = "增加", "减少"
    else:
        shown = fmt.half_up(diff, 0)
        amount = f"{count(abs(diff))} 人"
        up, down = "增加", "减少"
    if shown == 0:
        return same
    return f"{label}{up if shown > 0 else down} {amount}"


def gap_words(ind: Indicator, row, with_reference: bool = True) -> str:
    """For a rate judged against another figure (预算执行率 against 序时进度): '低于序时进度（91.7%）5.3 个百分点'
    ('低于序时进度 5.3 个百分点' without the reference's own value)."""
    ref_key = ind.thresholds.get("relative_to")
    value, ref = _get(row, ind.key), _get(row, ref_key) if ref_key else None
    if ref_key is None or fmt.is_null(value) or fmt.is_null(ref):
        return ""
    name = by_key()[ref_key].name
    gap = float(value) - float(ref)
    shown = f"（{fmt.percent(ref)}）" if with_reference else " "
    if fmt.half_up(gap * 100, 1) == 0:
        return f"与{name}{shown.strip()}持平"
    word = "高于" if gap > 0 else "低于"
    return f"{word}{name}{shown}{fmt.points(abs(gap), sign=False)}"


def rank_change_words(now, before) -> str:
    """A rank compared with last month's: '上升 2 位', '下降 1 位', '持平'; '' without last month's."""
    if fmt.is_null(now) or fmt.is_null(before):
        return ""
    moved = int(before) - int(now)
    if moved == 0:
        return "持平"
    return f"{'上升' if moved > 0 else '下降'} {abs(moved)} 位"


def score_text(value) -> str:
    """A rubric score as the scorecard shows it, one decimal: '92.8'."""
    return "" if fmt.is_null(value) else f"{fmt.half_up(value, 1) + 0.0:.1f}"


def marks_text(weight: float) -> str:
    """Full marks as the rubric writes them: 100, 85, 12.5."""
    return f"{weight:g}"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (section and item numbers)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + ("" if ones == 0 else CN_DIGITS[ones])


def whole_word(name: str) -> str:
    """'全市' for 济宁市, '全县' for 泗水县, '全区' for 任城区: how a circular names its own area."""
    last = (name or "")[-1:]
    return f"全{last}" if last in "市县区州旗盟" else "全县"


def date_text(moment) -> str:
    """'2026年12月1日' (成文日期 in Arabic numerals, local time)."""
    local = moment.astimezone() if moment.tzinfo is not None else moment
    return f"{local.year}年{local.month}月{local.day}日"


def _get(row, key):
    if row is None or key is None:
        return None
    try:
        value = row.get(key)
    except AttributeError:
        return None
    return None if fmt.is_null(value) else value


def _joined(items: list[str], limit: int = LIST_MAX, more: str = "等") -> str:
    """'甲、乙、丙' — at most `limit` named, then '等'."""
    shown = items[:limit]
    return "、".join(shown) + (more if len(items) > limit else "")


# ---------------------------------------------------------------- the editable template

@dataclass(frozen=True)
class Template:
    """The wording a bureau edits: 主送, 开头语, 四、工作要求 (heading, text) and 落款."""

    recipients: dict
    opening: str
    requirements: tuple[tuple[str, str], ...]
    issuer: str
    path: str = ""


def template_path() -> Path:
    return Path(os.environ.get(TEMPLATE_ENV) or TEMPLATE_PATH)


def _paragraph(text) -> str:
    """A paragraph written over several lines in the file, joined without the line breaks (Chinese has no spaces)."""
    return "".join(line.strip() for line in str(text or "").splitlines())


def load_template(path: Path | str | None = None) -> Template:
    """Read the template; ExportError (Chinese) naming the file when it cannot be used."""
    path = Path(path) if path is not None else template_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"找不到情况通报模板 {path}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise ExportError(f"情况通报模板 {path} {where}格式错误（检查缩进和冒号）") from None
    if not isinstance(raw, dict):
        raise ExportError(f"情况通报模板 {path} 应包含 recipients、opening、requirements、issuer 四项")
    items = raw.get("requirements")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("text") for i in items):
        raise ExportError(f"情况通报模板 {path}：requirements 应为若干项，每项有 heading（可省略）和 text")
    if not raw.get("issuer"):
        raise ExportError(f"情况通报模板 {path}：缺少 issuer（落款）")
    recipients = raw.get("recipients") or {}
    if not isinstance(recipients, dict):
        raise ExportError(f"情况通报模板 {path}：recipients 应按 city、county 分别写")
    out = Template(recipients={k: _paragraph(v) for k, v in recipients.items()}, opening=_paragraph(raw.get("opening")),
                   requirements=tuple((_paragraph(i.get("heading")), _paragraph(i["text"])) for i in items),
                   issuer=_paragraph(raw["issuer"]), path=str(path))
    texts = [out.opening, out.issuer, *out.recipients.values(), *(t for pair in out.requirements for t in pair)]
    for text in texts:
        for _, name, _, _ in _fields(text, path):
            if name is not None and name not in PLACEHOLDERS:
                known = "、".join(f"{{{k}}}" for k in PLACEHOLDERS)
                raise ExportError(f"情况通报模板 {path} 中的占位符 {{{name}}} 无法识别（可用：{known}）")
    return out


def _fields(text: str, path) -> list:
    try:
        return list(string.Formatter().parse(text))
    except ValueError:
        raise ExportError(f"情况通报模板 {path} 中的花括号不成对：{text}（花括号本身写作 {{{{ 和 }}}}）") from None


def fill(text: str, values: dict) -> str:
    return text.format_map(values)


# ---------------------------------------------------------------- fonts

@lru_cache(maxsize=1)
def installed_families() -> frozenset:
    """Font family names fontconfig knows (every localised name), empty when fc-list is not there."""
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(part.strip() for line in out.splitlines() for part in line.split(",") if part.strip())


@dataclass(frozen=True)
class Fonts:
    """The faces of the circular; `*_bold` makes a Noto stand-in look like the heavier 公文 face it replaces."""

    body: str
    title: str
    heading: str
    kai: str
    page: str
    title_bold: bool
    kai_bold: bool


def _first(candidates, installed, fallback) -> tuple[str, bool]:
    for name in candidates:
        if name in installed:
            return name, False
    return fallback, True


@lru_cache(maxsize=1)
def fonts() -> Fonts:
    installed = installed_families()
    body, _ = _first(BODY_FONTS, installed, SERIF)
    title, title_missing = _first(TITLE_FONTS, installed, SERIF)
    heading, _ = _first(HEADING_FONTS, installed, SANS)
    kai, kai_missing = _first(KAI_FONTS, installed, body)
    page, _ = _first(SONG_FONTS, installed, SERIF)
    return Fonts(body, title, heading, kai, page, title_missing, kai_missing)


# ---------------------------------------------------------------- what the circular says

@dataclass
class Context:
    """Everything one circular is written from: the cockpit model, the units one level down, the scores."""

    conn: object
    job: Job
    model: dict
    below: pd.DataFrame  # the units one level down (a city's counties, a county's townships), with measures
    towns: pd.DataFrame  # the townships under the region, with measures
    town_county: pd.Series  # township code → its county's name (a city's lists name both)
    card: pd.DataFrame
    card_before: pd.DataFrame
    rubric: Rubric
    template: Template
    towns_before: pd.DataFrame | None = None  # a county's townships last month, for their rank change
    values: dict = field(default_factory=dict)  # the template's placeholders

    @property
    def name(self) -> str:
        return self.job.region_name

    @property
    def whole(self) -> str:
        return whole_word(self.job.region_name)

    @property
    def below_level(self) -> str:
        return level_below(self.job.level)

    @property
    def below_noun(self) -> str:
        return LEVEL_NAMES[self.below_level]

    @property
    def city_name(self) -> str | None:
        if not self.job.is_county:
            return self.job.region_name
        city = self.model.get("city")
        return None if city is None else str(city["region_name"])

    @property
    def month(self) -> str:
        return self.job.month

    @property
    def early(self) -> bool:
        return Month.parse(self.job.month).in_progress()

    def count(self, value) -> str:
        return self.job.count(value)

    def town_label(self, code, name) -> str:
        """A township as a list names it: with its county in a city's circular, alone in a county's."""
        county = self.town_county.get(code) if not self.job.is_county else None
        return f"{county}{name}" if isinstance(county, str) else str(name)


def gather(conn, job: Job) -> Context:
    """All the engine calls of one circular, in the file's scope."""
    month = job.month
    before = str(Month.parse(month).shift(-1))
    model = cockpit.model(conn, job.scope, month, job.region)
    below_level = level_below(job.level)
    below = indicators(conn, month, below_level, job.region, scope=job.scope, with_measures=True)
    towns = below if below_level == "township" else indicators(conn, month, "township", job.region, scope=job.scope,
                                                               with_measures=True)
    try:
        rubric = load_rubric()
    except RubricError as err:  # the bureau's rubric file is broken: say so in Chinese, as the CLI prints it
        raise ExportError(str(err)) from None
    template = load_template()
    card = scorecard(conn, job.scope, month, rubric, job.region)
    card_before = scorecard(conn, job.scope, before, rubric, job.region)
    town_county = parent_names(conn, job.scope, "township", job.region) if not job.is_county else pd.Series(dtype=str)
    ctx = Context(conn, job, model, below, towns, town_county, card, card_before, rubric, template)
    if job.is_county:
        ctx.towns_before = indicators(conn, before, "township", job.region, scope=job.scope, with_measures=True)
    ctx.values = {"region": job.region_name, "city": ctx.city_name or job.region_name,
                  "month": fmt.month_text(month), "whole": ctx.whole, "units": UNITS_WORDS.get(job.level, "各单位")}
    return ctx


def title_text(job: Job) -> str:
    return f"关于{fmt.month_text(job.month)}{job.region_name}未成年人保护工作进展情况的通报"


# Blocks the writer lays out: ("lead", 主送), ("h1", text), ("p", [(text, role)]) with role body or kai (a run-in
# 楷体 heading), ("table", headers, rows, widths_mm).
def compose(ctx: Context) -> list[tuple]:
    blocks = []
    lead = ctx.template.recipients.get(ctx.job.level, "")
    if lead:
        blocks.append(("lead", fill(lead, ctx.values)))
    if ctx.template.opening:
        blocks.append(("p", [(fill(ctx.template.opening, ctx.values), "body")]))
    blocks.append(("h1", "一、总体情况"))
    blocks += overview(ctx)
    blocks.append(("h1", "二、排名情况"))
    blocks += ranking(ctx)
    blocks.append(("h1", "三、存在问题"))
    blocks += problems(ctx)
    blocks.append(("h1", "四、工作要求"))
    for i, (heading, text) in enumerate(ctx.template.requirements, start=1):
        runs = [(f"（{cn_number(i)}）{fill(heading, ctx.values)}", "kai")] if heading else []
        blocks.append(("p", runs + [(fill(text, ctx.values), "body")]))
    return blocks


# ---- 一、总体情况

def _value_clause(ctx: Context, ind: Indicator, now, before, city=None, with_change: bool = True) -> str:
    """'走访完成率 94.7%（济宁市 90.4%），比上月提高 0.2 个百分点' — or why there is no figure."""
    v = _get(now, ind.key)
    if v is None:
        den = ind.denominator
        if den and _get(now, den) == 0:
            return f"{ind.label}本月无统计对象（{measure_label(den)}为 0）"
        return f"{ind.label}暂无数据"
    if ind.unit == "rate":
        text = f"{ind.label} {fmt.percent(v)}"
    elif ind.unit == "yuan":
        text = f"{ind.label} {fmt.wan_yuan(v)}"
    else:
        text = f"{ind.label} {ctx.count(v)} 人"
    ref = _get(city, ind.key)
    if ctx.job.is_county and ref is not None and ind.unit == "rate" and ctx.city_name:
        text += f"（{ctx.city_name} {fmt.percent(ref)}）"
    if ind.thresholds.get("relative_to"):
        gap = gap_words(ind, now)
        return f"{text}，{gap}" if gap else text
    if not with_change:
        return text
    if ctx.early and ind.accrues == "month" and ind.judged:
        return f"{text}，本月进行中，暂不评价"
    change = change_words(ind, v, _get(before, ind.key), count=ctx.count)
    return f"{text}，{change}" if change else text


def overview(ctx: Context) -> list[tuple]:
    m, reg = ctx.model, by_key()
    now, before, city = m["now"], m["prev_month"], m.get("city")
    if not m.get("has_data"):
        return [("p", [(f"{ctx.job.as_of}，{ctx.whole}尚无导入的台账数据。", "body")])]
    out = []
    head = [_value_clause(ctx, reg[k], now, before) for k in group_keys("cockpit_children")]
    cats = [_value_clause(ctx, reg[k], now, before, with_change=False) for k in group_keys("child_categories")]
    flows = [_value_clause(ctx, reg[k], now, before, with_change=False)
             for k in group_keys("children_cards") if k not in group_keys("cockpit_children")]
    text = f"{ctx.job.as_of}，{ctx.whole}{'；'.join(head)}。"
    if cats:
        text += f"其中，{'、'.join(cats)}。"
    if flows:
        text += f"{'、'.join(flows)}。"
    out.append(("p", [(text, "body")]))

    funds = set(group_keys("funds_cards"))
    network = [k for k in (i.key for i in load_registry())
               if k in group_keys("cockpit_network") or k in group_keys("network_cards")]
    work = [k for k in group_keys("cockpit_work") if k not in funds]
    for words, keys in (("阵地和队伍建设方面", network), ("工作落实方面", work)):
        clauses = [_value_clause(ctx, reg[k], now, before, city) for k in keys if reg[k].applies_at(ctx.job.level)]
        if clauses:
            out.append(("p", [(f"{words}，{'；'.join(clauses)}。", "body")]))
    money = [_value_clause(ctx, reg[k], now, before, city, with_change=reg[k].unit != "yuan")
             for k in group_keys("funds_cards") if reg[k].applies_at(ctx.job.level)]
    if money:
        out.append(("p", [(f"资金保障方面，{'，'.join(money)}。", "body")]))
    if ctx.early:
        monthly = "、".join(i.name for i in load_registry() if i.accrues == "month" and i.judged)
        out.append(("p", [(f"本月尚未结束，{monthly}为月内累计指标，本月暂不评价，也不与上月比较。", "body")]))
    return out


# ---- 二、排名情况

def _lost_points(row: pd.Series, rubric: Rubric) -> str:
    """The criteria that cost a unit the most points: '走访完成（3.2 分）、培训率（2.0 分）'; '无' when none."""
    lost = []
    for crit in rubric.criteria:
        pts = row.get(f"pts_{crit.key}")
        if fmt.is_null(pts):
            continue
        gone = crit.weight - float(pts)
        if row.get(f"grade_{crit.key}") == judge.ANOMALY:
            lost.append((gone, f"{crit.label}（数据异常）"))
        elif fmt.half_up(gone, 1) > 0:
            lost.append((gone, f"{crit.label}（{score_text(gone)} 分）"))
    lost.sort(key=lambda pair: -pair[0])
    return "、".join(text for _, text in lost[:2]) or "无"


def _ends(names: list[str]) -> str:
    """'前三名依次为甲（92.8 分）、乙、丙；后三名依次为…' over units already in rank order."""
    top = names[:TOP_N]
    rest = names[len(top):]
    bottom = rest[-TOP_N:]
    if not bottom:
        return f"得分依次为{'、'.join(top)}"
    first = f"得分前{cn_number(len(top))}名依次为{'、'.join(top)}"
    last = f"后{cn_number(len(bottom))}名依次为{'、'.join(bottom)}"
    return f"{first}；{last}"


def _table(rubric: Rubric, frame: pd.DataFrame, before_ranks: pd.Series, unit_header: str, full: float) -> tuple:
    headers = ["名次", unit_header, f"得分（满分 {marks_text(full)} 分）", "比上月名次", "主要失分项（失分）"]
    rows = []
    for code, row in frame.iterrows():
        change = rank_change_words(row["rank"], before_ranks.get(code))
        rows.append([str(int(row["rank"])), str(row["region_name"]), score_text(row["total"]),
                     change or "上月无排名", _lost_points(row, rubric)])
    return ("table", headers, rows, (16, 34, 30, 26, 50))


def _early_note(ctx: Context, rubric: Rubric) -> list[tuple]:
    """In the month in progress the scores use figures to date: say so, and which criteria are still building up."""
    if not ctx.early:
        return []
    reg = by_key()
    monthly = "、".join(c.label for c in rubric.criteria if reg[c.key].accrues == "month")
    text = f"本月尚未结束，得分按{ctx.job.as_of.removesuffix(fmt.IN_PROGRESS_NOTE)}的数据计算"
    if monthly:
        text += f"，{monthly}等月内累计的项目得分尚不完整"
    return [("p", [(text + "，名次仅供参考。", "body")])]


def ranking(ctx: Context) -> list[tuple]:
    rubric, card = ctx.rubric, ctx.card
    full = sum(c.weight for c in rubric.criteria)
    counties = card[card["level"] == "county"]
    before = ctx.card_before[ctx.card_before["level"] == "county"]["rank"]
    if not ctx.job.is_county:
        if counties.empty:
            return [("p", [("本月暂无可排名的县级单位。", "body")])]
        mean = score_text(counties["peer_mean_total"].iloc[0])
        names = [f"{r['region_name']}（{score_text(r['total'])} 分）" for _, r in counties.iterrows()]
        text = (f"按《{rubric.title}》计分（满分 {marks_text(full)} 分），{ctx.whole} {ctx.count(len(counties))} 个"
                f"{ctx.below_noun}平均得分 {mean} 分。{_ends(names)}。各{ctx.below_noun}得分和名次见下表。")
        return [("p", [(text, "body")]), *_early_note(ctx, rubric),
                _table(rubric, counties, before, ctx.below_noun, full)]

    out = []
    own = counties.loc[ctx.job.region] if ctx.job.region in counties.index else None
    city = ctx.city_name
    if own is not None and not fmt.is_null(own["rank"]):
        moved = rank_change_words(own["rank"], before.get(ctx.job.region))
        moved = {"持平": "，名次与上月持平", "": ""}.get(moved, f"，名次比上月{moved}")
        text = (f"按《{rubric.title}》计分（满分 {marks_text(full)} 分），{ctx.name}本月综合得分 "
                f"{score_text(own['total'])} 分，在{city} {ctx.count(int(own['ranked']))} 个县级单位中排第 "
                f"{int(own['rank'])} 名（各县级单位平均 {score_text(own['peer_mean_total'])} 分）{moved}。")
        places = []
        reg = by_key()
        for key, (rank, ranked, total) in ctx.model.get("ranks", {}).items():
            if rank is not None:
                places.append(f"{reg[key].label}第 {rank} 名")
        if places:
            text += f"分项指标在{city}各县级单位中的名次：{'、'.join(places)}。"
        out.append(("p", [(text, "body")]))
    # Townships: the rubric's criteria defined at township level, same weights (a county-only criterion would
    # give every township 0 and is left out rather than counted).
    reg = by_key()
    kept = tuple(c for c in rubric.criteria if reg[c.key].applies_at("township"))
    dropped = [c.label for c in rubric.criteria if c not in kept]
    towns_rubric = Rubric(rubric.title, kept)
    scored = _rank(score(towns_rubric, ctx.towns))
    scored_before = _rank(score(towns_rubric, ctx.towns_before))
    town_full = sum(c.weight for c in kept)
    if scored.empty:
        out.append(("p", [("本月暂无可排名的乡镇（街道）。", "body")]))
        return out
    names = [f"{r['region_name']}（{score_text(r['total'])} 分）" for _, r in scored.iterrows()]
    text = (f"各乡镇（街道）按考评细则中适用于乡镇（街道）的 {len(kept)} 项指标及其分值计分（满分 {marks_text(town_full)} 分"
            + (f"；{'、'.join(dropped)}只考核县级单位，不计入" if dropped else "") + "）。"
            f"{ctx.count(len(scored))} 个乡镇（街道）中，{_ends(names)}。各乡镇（街道）得分和名次见下表。")
    out.append(("p", [(text, "body")]))
    out += _early_note(ctx, towns_rubric)
    out.append(_table(towns_rubric, scored, scored_before["rank"], "乡镇（街道）", town_full))
    return out


def _rank(scored: pd.DataFrame) -> pd.DataFrame:
    """Rank as the scorecard does: by total, ties share the better place, then by name."""
    out = scored.copy()
    out["rank"] = out["total"].rank(ascending=False, method="min").astype("Int64")
    return out.sort_values(["rank", "region_name"])


# ---- 三、存在问题

def _states(frame: pd.DataFrame, key: str, month: str) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=object)
    return judge.states(frame, [key], month=month)[key]


def _figure(ind: Indicator, row, with_reference: bool = True) -> str:
    """A unit's value in a list: '82.5%', or with its gap for a relative rule: '70.1%，低于序时进度 21.6 个百分点'."""
    text = fmt.value(ind, _get(row, ind.key))
    gap = gap_words(ind, row, with_reference) if ind.thresholds.get("relative_to") else ""
    return f"{text}，{gap}" if gap else text


def _worst_first(frame: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    return frame.sort_values(ind.key, ascending=ind.better != "lower", na_position="last")


def problems(ctx: Context) -> list[tuple]:
    reg_list = [i for i in load_registry() if i.judged]
    now, before, month = ctx.model["now"], ctx.model["prev_month"], ctx.month
    found = []
    for order, ind in enumerate(reg_list):
        if not ind.applies_at(ctx.job.level):
            continue
        own = judge.verdict(ind, now.to_dict(), before.to_dict(), month)
        if own.state == judge.EARLY:
            continue
        below = _states(ctx.below, ind.key, month) if ind.applies_at(ctx.below_level) else pd.Series(dtype=object)
        bad_below = below[below.isin([judge.RED, judge.ANOMALY])]
        towns = pd.Series(dtype=object)
        if not ctx.job.is_county and ind.applies_at("township"):
            towns = _states(ctx.towns, ind.key, month)
            towns = towns[towns == judge.RED]
        if own.state in (judge.RED, judge.ANOMALY):
            priority = 0
        elif len(bad_below) or len(towns):
            priority = 1
        elif own.state == judge.YELLOW:
            priority = 2
        else:
            continue
        found.append((priority, order, ind, own, bad_below, towns))
    found.sort(key=lambda item: item[:2])
    out = [("p", [(RED_NOTE, "body")])] if found else []
    for number, (priority, _, ind, own, bad_below, towns) in enumerate(found, start=1):
        heading = _problem_heading(ctx, ind, own, priority)
        body = _problem_body(ctx, ind, own, bad_below, towns)
        out.append(("p", [(f"（{cn_number(number)}）{heading}", "kai"), (body, "body")]))
    checks = _checks(ctx)
    if checks:
        out.append(("p", [(f"（{cn_number(len(found) + 1)}）部分数据需要核实。", "kai"), (checks, "body")]))
    if not found and not checks:
        out.append(("p", [(f"本月{ctx.whole}及各{ctx.below_noun}各项考核指标均达到达标线，未发现突出问题。", "body")]))
    return out


def _problem_heading(ctx: Context, ind: Indicator, own: judge.Verdict, priority: int) -> str:
    low = "偏低" if ind.better == "higher" else "偏高"
    if own.state == judge.ANOMALY:
        return f"{ind.name}数据异常。"
    if priority == 0:
        return f"{ind.name}{low}。"
    if priority == 1:
        return f"部分{ctx.below_noun}{ind.name}{low}。"
    return f"{ind.name}尚未达到达标线。"


def _problem_body(ctx: Context, ind: Indicator, own: judge.Verdict, bad_below: pd.Series, towns: pd.Series) -> str:
    now = ctx.model["now"]
    parts = []
    own_text = f"{ctx.whole}{ind.label} {_figure(ind, now)}"
    if own.state == judge.ANOMALY:
        own_text += f"，{'；'.join(own.reasons)}"
    elif not ind.thresholds.get("relative_to"):
        own_text += f"（{target_text(ind)}）"
    parts.append(own_text + "。")
    network = {key: (label, item, units) for key, label, item, units, _ in topics_network.LEVELS}
    gap_level = _gap_unit_level(network[ind.key][2]) if ind.key in network else None
    # A gap list over the same units as the red list says the same thing more precisely: keep only it.
    if len(bad_below) and gap_level != ctx.below_level:
        parts.append(_red_units(ctx, ind, ctx.below.loc[bad_below.index], bad_below, ctx.below_noun))
    if len(towns):
        parts.append(_red_towns(ctx, ind, towns))
    extra = EXTRAS.get(ind.key)
    if ind.key in network:
        parts.append(_network_gaps(ctx, ind, *network[ind.key]))
    elif extra is not None:
        parts.append(extra(ctx, ind))
    return "".join(p for p in parts if p)


def _red_units(ctx: Context, ind: Indicator, rows: pd.DataFrame, states: pd.Series, noun: str) -> str:
    red = _worst_first(rows[states == judge.RED], ind)
    odd = rows[states == judge.ANOMALY]
    out = ""
    if len(red):
        named = [f"{r['region_name']}（{_figure(ind, r, False)}）" for _, r in red.iterrows()]
        out += f"{ctx.count(len(red))} 个{noun}处于红色：{_joined(named)}。"
    if len(odd):
        reasons = judge.verdict(ind, odd.iloc[0].to_dict()).reasons
        named = [str(n) for n in odd["region_name"]]
        out += f"{ctx.count(len(odd))} 个{noun}数据异常（{'；'.join(reasons)}）：{_joined(named)}。"
    return out


def _red_towns(ctx: Context, ind: Indicator, towns: pd.Series) -> str:
    """A city's townships in red on one indicator: named when few, else counted per county."""
    rows = _worst_first(ctx.towns.loc[towns.index], ind)
    n = len(rows)
    if n <= LIST_MAX // 2:
        named = [f"{ctx.town_label(code, r['region_name'])}（{_figure(ind, r, False)}）" for code, r in rows.iterrows()]
        return f"{ctx.whole}处于红色的乡镇（街道）有 {ctx.count(n)} 个：{'、'.join(named)}。"
    per = ctx.town_county.reindex(rows.index).value_counts()
    return f"{ctx.whole}处于红色的乡镇（街道）共 {ctx.count(n)} 个，{_most(ctx, per)}。"


def _most(ctx: Context, per: pd.Series) -> str:
    """'主要分布在微山县（12 个）、梁山县（10 个）、邹城市（9 个）' from counts per parent, most first."""
    per = per.sort_values(ascending=False, kind="stable")
    named = [f"{name}（{ctx.count(k)} 个）" for name, k in per.head(FEW).items()]
    return ("分布在" if len(per) <= FEW else "主要分布在") + "、".join(named)


def _gap_unit_level(units_measure: str) -> str:
    """The level a coverage indicator counts ('villages' → village)."""
    return {"counties": "county", "townships": "township", "villages": "village"}.get(units_measure, "village")


def _gap_kind(item: str) -> str | None:
    """The topics_network gap list of a network item ('儿童主任' → 'director'); None when there is none (中心)."""
    for kind, (_, _, bind) in topics_network.GAPS.items():
        if STATION_LABELS.get(bind.get("kind")) == item or POST_LABELS.get(bind.get("post")) == item:
            return kind
    return None


def _covered_measure(key: str) -> str | None:
    """The measure counting the covered units of a network indicator ('villages_with_director')."""
    return next((covered for k, _, _, _, covered in topics_network.LEVELS if k == key), None)


def _network_gaps(ctx: Context, ind: Indicator, level_label: str, item: str, units_measure: str) -> str:
    """The units without the station or post behind a coverage figure: named when few, else counted per parent."""
    kind = _gap_kind(item)
    level = _gap_unit_level(units_measure)
    is_post = kind is not None and "post" in topics_network.GAPS[kind][2]
    verb = "未配备在岗的" if is_post else "未建成在用的"
    if kind is None:
        # No gap list for this element (the county centre): the units of its level where none is counted.
        covered = _covered_measure(ind.key)
        if level == ctx.job.level:
            return f"{ctx.name}尚无在用的{item}。" if _get(ctx.model["now"], covered) == 0 else ""
        if level != ctx.below_level or ctx.below.empty:
            return ""
        missing = ctx.below[ctx.below[covered] == 0]
        if missing.empty:
            return ""
        return (f"{ctx.count(len(ctx.below))} 个{LEVEL_NAMES[level]}中，尚有 {ctx.count(len(missing))} 个{verb}{item}："
                f"{_joined([str(n) for n in missing['region_name']])}。")
    gaps = topics_network.network_gaps(ctx.conn, ctx.job.scope, ctx.month, ctx.job.region, kind)
    if gaps.empty:
        return ""
    head = f"{ctx.whole}尚有 {ctx.count(len(gaps))} 个{level_label}{verb}{item}"
    if len(gaps) <= LIST_MAX:
        named = []
        for _, g in gaps.sort_values("vacant_days", ascending=False, na_position="first").iterrows():
            where = _place(ctx, level, g)
            days = g["vacant_days"]
            if fmt.is_null(days) or days is pd.NA:
                note = "一直未配备" if is_post else "一直未建成"
            else:
                note = f"{'空缺' if is_post else '停用'} {int(days)} 天"
            named.append(f"{where}（{note}）")
        return f"{head}：{'、'.join(named)}。"
    # Many: counted per county in a city's circular, per township in a county's.
    by = "grandparent_name" if level == "village" and not ctx.job.is_county else "parent_name"
    per = gaps.groupby(by).size().sort_values(ascending=False)
    return f"{head}，{_most(ctx, per)}。"


def _place(ctx: Context, level: str, gap: pd.Series) -> str:
    """Where a unit of a gap list is: '微山县宋屯镇高潘村' in a city's circular, '宋屯镇高潘村' in a county's."""
    parts = [gap["region_name"]]
    if level in ("village", "township"):
        parts.insert(0, gap["parent_name"])
    if level == "village" and not ctx.job.is_county:
        parts.insert(0, gap["grandparent_name"])
    if level == "township" and ctx.job.is_county:
        parts = parts[1:]
    return "".join(str(p) for p in parts if isinstance(p, str))


def _visits(ctx: Context, ind: Indicator) -> str:
    facts = topics_visits.visit_summary(ctx.conn, ctx.job.scope, ctx.month, ctx.job.level, ctx.job.region)
    if not facts["children_unvisited"]:
        return ""
    text = (f"{ctx.whole}本月仍有 {ctx.count(facts['children_unvisited'])} 名在册儿童未按要求走访，"
            f"涉及 {ctx.count(facts['villages'])} 个{LEVEL_NAMES['village']}。")
    warn = topics_visits.visit_warnings(ctx.conn, ctx.job.scope, ctx.month, ctx.job.region)
    silent = warn[warn["problem"] == "none"]
    if len(silent):
        named = [ctx.town_label(code, r["region_name"]) for code, r in silent.iterrows()]
        text += f"{ctx.count(len(silent))} 个乡镇（街道）本月没有走访记录：{_joined(named)}。"
    return text


def _training(ctx: Context, ind: Indicator) -> str:
    frame = topics_training.untrained_by_township(ctx.conn, ctx.job.scope, ctx.month, ctx.job.region)
    untrained = int(frame["untrained"].sum())
    if untrained <= 0:
        return ""
    top = frame[frame["untrained"] > 0].head(FEW)
    named = [f"{ctx.town_label(code, r['region_name'])}（{ctx.count(r['untrained'])} 人）" for code, r in top.iterrows()]
    return (f"{ctx.whole}尚有 {ctx.count(untrained)} 名在岗人员本年未参加培训，"
            f"未参训人数较多的乡镇（街道）是{'、'.join(named)}。")


def _assessments(ctx: Context, ind: Indicator) -> str:
    """Townships with children not assessed in time: the engine's due and on-time counts."""
    now = ctx.model["now"]
    due, done = _get(now, ind.denominator), _get(now, ind.numerator)
    if due is None or done is None or due <= done:
        return ""
    towns = ctx.towns.assign(late=ctx.towns[ind.denominator] - ctx.towns[ind.numerator])
    towns = towns[towns["late"] > 0].sort_values(["late", ind.key], ascending=[False, True])
    named = [f"{ctx.town_label(code, r['region_name'])}（{ctx.count(r['late'])} 人）" for code, r in towns.iterrows()]
    return (f"本年{measure_label(ind.denominator)} {ctx.count(due)} 人，其中{measure_label(ind.numerator)} "
            f"{ctx.count(done)} 人，未按时完成 {ctx.count(due - done)} 人，涉及 {ctx.count(len(towns))} 个乡镇（街道）："
            f"{_joined(named, FEW + 2)}。")


def _funds(ctx: Context, ind: Indicator) -> str:
    """Spending behind 序时进度: the units one level down behind it by how many points, and the fund types."""
    out = ""
    ref_key = ind.thresholds.get("relative_to")
    ref_name = by_key()[ref_key].name if ref_key else ""
    if not ctx.job.is_county and ind.applies_at(ctx.below_level) and ref_key:
        rows = ctx.below.dropna(subset=[ind.key])
        states = _states(rows, ind.key, ctx.month)
        behind = rows[(rows[ind.key] < rows[ref_key]) & (states != judge.RED) & (states != judge.ANOMALY)]
        behind = _worst_first(behind, ind)
        if len(behind):
            named = [f"{r['region_name']}（低 {fmt.points(float(r[ref_key]) - float(r[ind.key]), sign=False)}）"
                     for _, r in behind.head(FEW).iterrows()]
            which = "差距较大的是" if len(behind) > FEW else ""
            out += f"另有 {ctx.count(len(behind))} 个{ctx.below_noun}低于{ref_name}，{which}{'、'.join(named)}。"
    types = topics_funds.funds_by_type(ctx.conn, ctx.job.scope, ctx.month, ctx.job.region)
    types = types[(types["budget"] > 0) & (types["execution_rate"] < types["time_progress"])]
    if len(types):
        types = types.sort_values("execution_rate")
        named = [f"{_fund_name(r['fund_name'])}执行率 {fmt.percent(r['execution_rate'])}"
                 for _, r in types.head(3).iterrows()]
        out += f"分资金类型看，{'、'.join(named)}，低于{ref_name}。"
    return out


def _fund_name(name: str) -> str:
    """A fund type as a sentence names it: '其他' alone reads as 'others', so it is '其他资金'."""
    return name if len(name) > 2 else f"{name}资金"


EXTRAS = {"visit_completion": _visits, "training_rate": _training, "assessment_timeliness": _assessments,
          "fund_execution_rate": _funds}


def _checks(ctx: Context) -> str:
    """Month-to-month jumps the judge flags on the region's own figures (请核实)."""
    now, before = ctx.model["now"], ctx.model["prev_month"]
    if now.empty:
        return ""
    notes = []
    for ind in load_registry():
        if not ind.applies_at(ctx.job.level):
            continue
        v = judge.verdict(ind, now.to_dict(), before.to_dict(), ctx.month)
        for warning in v.warnings:
            notes.append(f"{ind.label}{warning}")
    return "；".join(notes) + "。" if notes else ""


# ---------------------------------------------------------------- the Word file

def _fonts_on(rpr_parent, font: str) -> None:
    """Latin, East Asian and complex-script font of a run or style: Word and LibreOffice pick CJK by eastAsia."""
    rpr = rpr_parent.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)


def _run(paragraph, text: str, font: str, size: float, bold: bool = False, colour: RGBColor | None = None):
    run = paragraph.add_run(text)
    _fonts_on(run._r, font)
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _spacing(paragraph, line_pt: float, indent=None, align=None) -> None:
    pf = paragraph.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(line_pt)
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = indent
    if align is not None:
        paragraph.alignment = align


def _field(paragraph, instruction: str, font: str, size: float, shown: str = "1") -> None:
    """A Word field (PAGE) as begin / instruction / separate / result / end runs, each with the East Asian font."""
    def piece(kind: str | None = None, instr: str | None = None, text: str | None = None):
        run = _run(paragraph, text or "", font, size)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        if instr:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = instr
            run._r.append(node)
    piece("begin")
    piece(instr=f" {instruction} ")
    piece("separate")
    piece(text=shown)
    piece("end")


def _setup(doc, job: Job, f: Fonts) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    _fonts_on(normal.element, f.body)
    normal.font.size = Pt(BODY_PT)
    # No w:lang eastAsia="zh-CN" on the text: with it LibreOffice drops a full-width mark that ends a justified
    # line ('持平；' printed as '持平'), and a Latin language of zh-CN lets it split '45.5%' across lines.
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(LINE_PT)
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = True
    # The document defaults too, so a paragraph typed later in Word stays in the circular's face.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = OxmlElement("w:rFonts")
                rpr.insert(0, rfonts)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                rfonts.set(qn(attr), f.body)
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(theme), None)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(12)
    header = section.header.paragraphs[0]
    _spacing(header, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    marks = ["演示数据"] if job.demo else []
    if job.external:
        marks.append(f"对外（1–{job.threshold - 1} 的人数显示为 <{job.threshold}）")
    if marks:
        _run(header, " · ".join(marks), f.heading, 10.5, colour=DEMO_COLOUR if job.demo else NOTE_COLOUR)
    footer = section.footer
    number = footer.paragraphs[0]
    _spacing(number, 18, align=WD_ALIGN_PARAGRAPH.CENTER)
    _run(number, "— ", f.page, PAGE_NO_PT)
    _field(number, "PAGE", f.page, PAGE_NO_PT)
    _run(number, " —", f.page, PAGE_NO_PT)
    note = footer.add_paragraph()
    _spacing(note, 12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _run(note, job.footer + ("（演示数据）" if job.demo else ""), f.body, FOOTER_PT, colour=NOTE_COLOUR)
    props = doc.core_properties
    props.title = title_text(job)
    props.author = job.user
    props.last_modified_by = job.user
    props.subject = "情况通报"
    props.keywords = f"{job.region_name} {job.period_text}"
    props.comments = job.filters_text
    props.language = "zh-CN"
    props.created = props.modified = job.made_at


def _body(doc, runs: list[tuple[str, str]], f: Fonts) -> None:
    p = doc.add_paragraph()
    _spacing(p, LINE_PT, indent=INDENT, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for text, role in runs:
        if role == "kai":
            _run(p, text, f.kai, BODY_PT, bold=f.kai_bold)
        else:
            _run(p, text, f.body, BODY_PT)


def _cell(cell, text: str, font: str, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    p = cell.paragraphs[0]
    _spacing(p, TABLE_LINE_PT, align=align)
    _run(p, text, font, TABLE_PT, bold=bold)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _add_table(doc, headers, rows, widths, f: Fonts) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row again on every page the table runs onto
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, text in zip(head.cells, headers):
        _cell(cell, text, f.heading)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values)):
            _cell(cell, text, f.body, align=WD_ALIGN_PARAGRAPH.LEFT if i == len(values) - 1 else
                  WD_ALIGN_PARAGRAPH.CENTER)
    # Fixed layout with the grid, the table and every cell given their width: LibreOffice ignores cell widths alone.
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(int(Mm(w).twips) for w in widths)))
    for column, width in zip(table.columns, widths):
        column.width = Mm(width)
    for row in table.rows:
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        for cell, width in zip(row.cells, widths):
            cell.width = Mm(width)
    after = doc.add_paragraph()  # a table is followed by a line before the text resumes
    _spacing(after, 12)


def render(ctx: Context, blocks: list[tuple]) -> bytes:
    job, f = ctx.job, fonts()
    doc = Document()
    _setup(doc, job, f)
    title = doc.add_paragraph()
    _spacing(title, TITLE_LINE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    text = title_text(job)
    # 公文 titles break where the sense does, not where the line fills: before 进展情况的通报.
    cut = text.index("进展情况")
    _run(title, text[:cut], f.title, TITLE_PT, bold=f.title_bold)
    title.runs[-1].add_break()
    _run(title, text[cut:], f.title, TITLE_PT, bold=f.title_bold)
    spacer = doc.add_paragraph()
    _spacing(spacer, LINE_PT)
    for block in blocks:
        kind = block[0]
        if kind == "lead":
            p = doc.add_paragraph()
            _spacing(p, LINE_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            _run(p, block[1], f.body, BODY_PT)
        elif kind == "h1":
            p = doc.add_paragraph()
            _spacing(p, LINE_PT, indent=INDENT)
            p.paragraph_format.keep_with_next = True
            _run(p, block[1], f.heading, BODY_PT)
        elif kind == "p":
            _body(doc, block[1], f)
        elif kind == "table":
            _add_table(doc, *block[1:], f)
    # The 落款 never stands alone on a page: the last paragraph and the blank lines keep with it.
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    for _ in range(2):
        spacer = doc.add_paragraph()
        _spacing(spacer, LINE_PT)
        spacer.paragraph_format.keep_with_next = True
    # 落款: the issuing body and the date, right-aligned with two characters kept free on the right.
    for text in (fill(ctx.template.issuer, ctx.values), date_text(job.made_at)):
        p = doc.add_paragraph()
        _spacing(p, LINE_PT, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = INDENT
        p.paragraph_format.keep_with_next = True
        _run(p, text, f.body, BODY_PT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build(conn, job: Job) -> list[tuple[str, bytes]]:
    """The 情况通报 of job.region for job.month as one .docx."""
    if job.month is None:
        raise ExportError("情况通报按月制作，请用 --month YYYY-MM 指定月份。")
    ctx = gather(conn, job)
    return [("docx", render(ctx, compose(ctx)))]
