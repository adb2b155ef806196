"""Every measure the indicators divide or show, declared once: name, label, family and how it aggregates."""

from dataclasses import dataclass
from datetime import date, timedelta

from data.vocab import CATEGORIES

FAMILIES = ("children", "visits", "network", "workforce", "funds")
# How a measure adds up over regions: `sum` is additive (a township's value is the sum over its villages);
# `distinct` counts persons once per region however many posts they hold under it, so it is computed per
# region, never summed; `latest` is a day (a day number: days since 1970-01-01, 0 for none), a region's the
# latest over everything under it; `derived` is computed by the engine from other measures (the visit rule,
# the date).
AGGREGATIONS = ("sum", "distinct", "latest", "derived")
RISK_KEYS = ("red", "orange", "yellow", "green", "unassessed")
# The kept visit measures count children with at least 1 … MAX_VISITS_KEPT visits in the month, per risk
# level, so any visit rule asking up to this many per month is answered from them (more → recomputed).
MAX_VISITS_KEPT = 4


@dataclass(frozen=True)
class Measure:
    """A count or sum the engine computes per region and period."""

    name: str
    label: str       # what it counts, as inspectors read it (table headers, slide notes)
    family: str      # the SQL family computing it (queries/sql/<family>.sql) and the kept table holding it
    aggregates: str  # sum | distinct | latest | derived
    unit: str = "人"  # 人 (persons), 个 (places), 元, 月, 日 (a day number, for `latest`)
    kept: bool = True  # False: the engine derives it (from kept parts, or from the period itself)
    shown: bool = True  # False: a part the engine derives a shown measure from, never a column of its own


def _children() -> tuple[Measure, ...]:
    on_roll = "在册"
    out = [Measure("children_total", "在册儿童", "children", "sum")]
    labels = {"orphan": "孤儿", "unsupported": "事实无人抚养儿童", "disabled_ill": "重残重病儿童",
              "dibao": "低保家庭儿童", "other_difficulty": "其他困境儿童", "left_behind": "农村留守儿童"}
    assert set(labels) == set(CATEGORIES.values())
    out += [Measure(f"children_{code}", on_roll + labels[code], "children", "sum") for code in CATEGORIES.values()]
    out += [
        Measure("children_new", "本月新增儿童", "children", "sum"),
        Measure("children_exited", "本月退出儿童", "children", "sum"),
        # From 1 January to the month's end: the children enrolled and those of them assessed on time. The
        # 30-day cutoff (E − 30 days) falls on any day, so the engine reads these at the month before the
        # cutoff's and adds the cutoff's own month up to its day from the child table (by the enrolment index).
        Measure("enrolled_ytd", "本年纳入儿童", "children", "sum", shown=False),
        Measure("on_time_ytd", "本年纳入且按时评估儿童", "children", "sum", shown=False),
        # 各单位报送情况's latest 纳入日期 on or before the day, however long ago (reporting_children.sql).
        Measure("enrolled_last_day", "最后纳入日期", "children", "latest", unit="日", shown=False),
        Measure("assessment_due", "应完成评估的儿童", "children", "derived", kept=False),
        Measure("assessed_on_time", "按时完成两项评估的儿童", "children", "derived", kept=False),
    ]
    return tuple(out)


RISK_WORDS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "green": "绿色", "unassessed": "未评估"}


def _visits() -> tuple[Measure, ...]:
    out = [Measure("children_visited", "走访达到要求的在册儿童", "visits", "derived", kept=False),
           Measure("visits_logged", "在册儿童本月走访次数", "visits", "sum", unit="次")]
    for risk in RISK_KEYS:
        out.append(Measure(f"on_roll_{risk}", f"在册{RISK_WORDS[risk]}风险儿童", "visits", "sum", shown=False))
        out += [Measure(f"visited_{risk}_{k}", f"本月走访 ≥{k} 次的{RISK_WORDS[risk]}风险儿童", "visits", "sum",
                        shown=False) for k in range(1, MAX_VISITS_KEPT + 1)]
    # The weekly review's visits of a week: every visit dated in the period, on the roll or not (weekly_visits.sql).
    out.append(Measure("visits_dated", "本期走访记录（含已退出儿童）", "visits", "sum", unit="次", shown=False))
    # 各单位报送情况's latest visit, for the units with a visit in the month (reporting_visits.sql).
    out.append(Measure("visit_last_day", "本期最后走访日期", "visits", "latest", unit="日", shown=False))
    return tuple(out)


MEASURES: tuple[Measure, ...] = (
    *_children(),
    *_visits(),
    Measure("counties", "县级单位", "network", "sum", "个"),
    Measure("counties_with_centre", "有在用救助保护中心的县级单位", "network", "sum", "个"),
    Measure("townships", "乡镇（街道）", "network", "sum", "个"),
    Measure("townships_with_station", "有在用工作站的乡镇（街道）", "network", "sum", "个"),
    Measure("townships_with_supervisor", "有在岗儿童督导员的乡镇（街道）", "network", "sum", "个"),
    Measure("villages", "村（社区）", "network", "sum", "个"),
    Measure("villages_with_home", "有在用儿童之家的村（社区）", "network", "sum", "个"),
    Measure("villages_with_director", "有在岗儿童主任的村（社区）", "network", "sum", "个"),
    Measure("workers", "在岗人员（按人去重）", "workforce", "distinct"),
    Measure("workers_certified", "持证人员", "workforce", "distinct"),
    Measure("workers_trained", "本年参训人员", "workforce", "distinct"),
    # 各单位报送情况's training (reporting_training.sql): a training record names a person, so it counts for
    # every unit the person holds or held a post in, posts ended included — persons trained in the period,
    # and the latest 培训日期 on or before the day, however long ago.
    Measure("trained_in_period", "本期参训人员（含曾任职）", "workforce", "distinct", shown=False),
    Measure("training_last_day", "最后培训日期", "workforce", "latest", unit="日", shown=False),
    Measure("fund_budget", "年度预算（元）", "funds", "sum", "元"),
    Measure("fund_spent_ytd", "累计支出（元）", "funds", "sum", "元"),
    # The period's own: 序时进度 = months_elapsed / months_in_year.
    Measure("months_elapsed", "已过月数", "period", "derived", "月", kept=False),
    Measure("months_in_year", "全年月数", "period", "derived", "月", kept=False),
)


EPOCH = date(1970, 1, 1)  # `latest` measures count days from it; 0 is "none"


def day_of(number) -> date | None:
    """A kept `latest` measure's day number as a date (None for 0, or for NULL/NaN where no kept row was
    joined: nothing in the period)."""
    if number is None or number != number:  # NaN is the one value unequal to itself
        return None
    return EPOCH + timedelta(days=int(number)) if int(number) > 0 else None


def by_name() -> dict[str, Measure]:
    return {m.name: m for m in MEASURES}


def shown(family: str) -> list[str]:
    """The measure columns a family gives the engine's callers, in order (its SQL's columns)."""
    return [m.name for m in MEASURES if m.family == family and m.shown]


def kept(family: str) -> list[Measure]:
    """The measures of a family the loader keeps per region and month, in column order."""
    return [m for m in MEASURES if m.family == family and m.kept]


def check() -> None:
    """Fail loudly on a malformed declaration (run at import: a typo must not reach a page)."""
    names = [m.name for m in MEASURES]
    if len(set(names)) != len(names):
        raise ValueError("data/measures.py: duplicate measure names")
    for m in MEASURES:
        if m.family not in (*FAMILIES, "period") or m.aggregates not in AGGREGATIONS:
            raise ValueError(f"data/measures.py: {m.name} has family {m.family!r}, aggregates {m.aggregates!r}")
        if m.kept == (m.aggregates == "derived"):
            raise ValueError(f"data/measures.py: {m.name}: derived measures are not kept, and the others are")
        if (m.aggregates == "latest") != (m.unit == "日"):
            raise ValueError(f"data/measures.py: {m.name}: a `latest` measure is a day number (unit 日)")
        if not m.shown and not m.kept:
            raise ValueError(f"data/measures.py: {m.name}: a part must be kept")


check()
