"""python -m queries.docs: writes docs/indicators.md from the registry (口径, units, colour rules, green lines)."""

import sys
from pathlib import Path

from data.cli import LEVEL_NAMES, ChineseParser
from queries.registry import (
    ACCRUAL_WORDS as ACCRUALS, DIRECTION_WORDS as DIRECTIONS, UNIT_WORDS as UNITS, Indicator, load_registry, rule_text,
    target_text,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "indicators.md"

# When queries.judge skips the jump check: the figure restarts then, so a fall is expected.
EXEMPT = {"month": "本月进行中时不检查", "year": "1 月不检查"}

PREAMBLE = """\
# 指标口径 · Indicator definitions

> 本文件由 `python -m queries.docs` 根据指标登记表 [`queries/indicators.yaml`](../queries/indicators.yaml)
> 生成，请勿手工修改：改了口径或阈值之后重新运行该命令，否则 `tests/test_docs.py` 不通过。
> Generated from the registry; edit `queries/indicators.yaml` and rerun `python -m queries.docs`.

报表（`python -m queries.report`）的列依次为 `region_code`、`region_name`，然后是下表的各个键，顺序相同；
驾驶舱、专题页、考评表和导出使用同一登记表，数字出自同一个指标引擎。

## 通用约定

- **范围 S**：一个区划及其全部下级，按“上级区划代码”逐级归属（导入时建立的闭包表），不按代码前缀判断。
- **月份 M**：E 为 M 的最后一天（月末），Y 为 M 所在年份的 1 月 1 日（年初）。
- **月末在用 / 在岗**：开始日期 ≤ E，且结束日期为空或 > E（阵地的建成、撤销日期；任职、离任日期；纳入、退出日期）。
- **比率**是 [0, 1] 之间的小数（报表如此输出，页面显示为百分比）；分母为 0 时为空（null），不是 0。
- **区划按区划表计数**：一个村只要在区划表中属于 S 就计入分母，不论是否导入了其他数据。县级单位指级别为“县”的区划
  （县、县级市、市辖区）；范围在县级以下时，县级中心覆盖率、年度预算、累计支出、预算执行率为空。
- **累计方式**：月末时点 = 月末 E 那一天的状态；月内累计 = 在本月内逐日累积，本月结束后才评色（当月显示“进行中”）；
  本年累计 = 自 1 月 1 日起累积，趋势每年 1 月重新开始。
- **评色**：绿 / 黄 / 红按下表的评色规则判断；“不评价”的指标（人数、金额、序时进度）只作背景，不评色。
  比率超过 100% 时标为“数据异常”，不评色。
"""


def _level(ind: Indicator) -> str:
    if ind.min_level is None:
        return "全部层级"
    return f"{LEVEL_NAMES[ind.min_level]}及以上（以下为空）"


def _computed(ind: Indicator) -> str:
    if ind.is_ratio:
        return f"分子 `{ind.numerator}` ÷ 分母 `{ind.denominator}`"
    return f"度量 `{ind.measure}`"


def _checks(ind: Indicator) -> str:
    """The month-to-month plausibility check in words, as queries.judge applies it."""
    parts = []
    check = ind.checks
    if "change" in check:
        parts.append(f"与上月相比变化超过 ±{round(check['change'] * 100, 1):g}% 时提示核实")
    if "fall" in check:
        parts.append(f"比上月下降超过 {round(check['fall'] * 100, 1):g} 个百分点时提示核实")
    if parts and ind.accrues in EXEMPT:
        parts.append(EXEMPT[ind.accrues])
    return "；".join(parts)


def _cell(text: str) -> str:
    return (text or "—").replace("|", "\\|")


def render() -> str:
    """The whole of docs/indicators.md."""
    registry = load_registry()
    lines = [PREAMBLE, "## 总表", "",
             "| 键 key | 中文名 | 单位 | 方向 | 累计方式 | 适用层级 | 达标线 |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for ind in registry:
        target = target_text(ind).removeprefix("达标线 ")
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"`{ind.key}`", ind.name, UNITS[ind.unit], DIRECTIONS[ind.better], ACCRUALS[ind.accrues],
            _level(ind), target)) + " |")
    lines += ["", "## 逐项口径", ""]
    for ind in registry:
        lines += [f"### {ind.name} · `{ind.key}`", "",
                  f"- **口径**：{ind.definition}",
                  f"- **计算**：{_computed(ind)}",
                  f"- **单位 / 方向 / 累计方式**：{UNITS[ind.unit]} / {DIRECTIONS[ind.better]} / {ACCRUALS[ind.accrues]}",
                  f"- **适用层级**：{_level(ind)}",
                  f"- **评色规则**：{rule_text(ind)}"]
        if target_text(ind):
            lines.append(f"- **{target_text(ind).replace(' ', '**：', 1)}")
        if _checks(ind):
            lines.append(f"- **合理性检查**：{_checks(ind)}")
        if ind.over_reason:
            lines.append(f"- **超过 100% 时**：{ind.over_reason}，标为“数据异常”")
        lines.append("")
    return "\n".join(lines)


def is_current(out: Path = OUT) -> bool:
    """True when the file holds exactly what the registry generates now."""
    return out.exists() and out.read_text(encoding="utf-8") == render()


def main(argv=None) -> int:
    """Write the file (exit 0), or with --check only compare (exit 1 when it is out of date)."""
    parser = ChineseParser(prog="python -m queries.docs",
                           description="根据指标登记表 queries/indicators.yaml 生成 docs/indicators.md。")
    parser.add_argument("--check", action="store_true", help="只检查文件是否与登记表一致，不写入")
    args = parser.parse_args(argv)
    if args.check:
        if not is_current():
            print("docs/indicators.md 与登记表不一致：请运行 python -m queries.docs", file=sys.stderr)
            return 1
        print("docs/indicators.md 与登记表一致。")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    print(f"已写出 docs/indicators.md（{len(load_registry())} 个指标）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
