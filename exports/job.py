"""What one export is for — region, period, whose scope, which audience, who and when — carried into every file."""

import getpass
import math
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from data import settings
from data.cli import LEVEL_NAMES, minute
from queries import fmt
from queries.catalog import is_demo, region_info
from queries.engine import OutOfScope, Scope
from queries.periods import Month
from queries.weekly import Week

# The kinds of file, with the word their file names carry.
KIND_NAMES = {"meeting": "会议材料", "briefing": "情况通报", "scorecard": "考评", "weekly": "周调度",
              "cockpit": "驾驶舱", "table": "表格"}
AUDIENCES = {"internal": "内部", "external": "对外"}
# Counts from 1 to SMALL_COUNT - 1 are shown as "<SMALL_COUNT" in files for outside readers (对外).
SMALL_COUNT_ENV = "WEIBAO_SMALL_COUNT"
SMALL_COUNT_DEFAULT = settings.declared(SMALL_COUNT_ENV).value
CONFIDENTIAL = "内部资料 注意保密"


class ExportError(ValueError):
    """An export cannot be made as asked; the message is Chinese and shown as it is."""


def small_count_threshold() -> int:
    try:
        return settings.read(SMALL_COUNT_ENV)
    except settings.SettingError as err:
        raise ExportError(str(err)) from None


def os_user() -> str:
    """The operating-system account running the command (the files name it when no --user is given)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


@dataclass(frozen=True)
class Job:
    """One export. `scope` is what the file may show: a county's file is built in that county's own scope
    (its rank among the city's counties as numbers, the city's aggregate, no other county), whoever made it."""

    kind: str
    region: str
    region_name: str
    level: str
    month: str | None
    week: str | None
    user: str
    audience: str
    made_at: datetime
    scope: Scope
    demo: bool = False
    threshold: int = SMALL_COUNT_DEFAULT
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def external(self) -> bool:
        return self.audience == "external"

    @property
    def is_county(self) -> bool:
        return self.level == "county"

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, self.level)

    @property
    def period_text(self) -> str:
        """'2026年11月', or for a week '2026年第48周（11月23日—11月29日）'."""
        if self.week:
            wk = Week.parse(self.week)
            year, number, _ = wk.monday.isocalendar()
            a, b = wk.monday, wk.sunday
            return f"{year}年第{number}周（{a.month}月{a.day}日—{b.month}月{b.day}日）"
        return fmt.month_text(self.month)

    @property
    def period_short(self) -> str:
        """The period as file names carry it: '2026年11月', '2026年第48周'."""
        if self.week:
            year, number, _ = Week.parse(self.week).monday.isocalendar()
            return f"{year}年第{number}周"
        return fmt.month_text(self.month)

    @property
    def as_of(self) -> str:
        """'截至 2026年11月末' (for a week: to its Sunday)."""
        if self.week:
            s = Week.parse(self.week).sunday
            return f"截至 {s.year}年{s.month}月{s.day}日"
        return fmt.as_of(self.month)

    @property
    def made_text(self) -> str:
        return minute(self.made_at)

    @property
    def footer(self) -> str:
        """On every page or slide: who made the file, when, and that it is confidential."""
        return f"{CONFIDENTIAL} · {self.user} 导出于 {self.made_text}"

    @property
    def filters(self) -> list[tuple[str, str]]:
        """The filters the file was made with, as (label, value) rows."""
        period = ("周", self.period_text) if self.week else ("月份", self.period_text)
        rows = [("区域", f"{self.region_name}（{self.region}）"), period,
                ("口径", "对外（1–%d 的人数显示为 <%d）" % (self.threshold - 1, self.threshold)
                 if self.external else "内部"),
                ("数据", self.as_of + ("（演示数据）" if self.demo else "")),
                ("导出", f"{self.user} · {self.made_text}")]
        return rows

    @property
    def filters_text(self) -> str:
        return " · ".join(f"{k}：{v}" for k, v in self.filters)

    def file_name(self, ext: str, kind: str | None = None) -> str:
        """'泗水县_2026年11月_会议材料.pptx'."""
        word = KIND_NAMES[kind or self.kind]
        name = re.sub(r'[\\/:*?"<>|\s]+', "", self.region_name) or self.region
        return f"{name}_{self.period_short}_{word}.{ext}"

    # Small counts: for outside readers a count from 1 to threshold-1 is shown as "<threshold".
    def hides(self, value) -> bool:
        """True when this count must not be shown as it is in this file."""
        if not self.external or fmt.is_null(value):
            return False
        v = float(value)
        return 0 < v < self.threshold

    def count(self, value) -> str:
        """A count as the file writes it: '1,234', '—', or '<5' for outside readers."""
        return f"<{self.threshold}" if self.hides(value) else fmt.count(value)

    def count_value(self, value):
        """A count for a chart or a cell: None where it is hidden (draw the label with count())."""
        if fmt.is_null(value):
            return None
        return None if self.hides(value) else value

    def with_kind(self, kind: str) -> "Job":
        return replace(self, kind=kind)


def content_scope(conn, viewer: Scope, region: str) -> tuple[Scope, dict]:
    """The scope a file about `region` is built in, after checking the viewer may see the region.

    A county's file uses the county's own scope whoever asks (a city user's pack for 泗水县 is the pack 泗水县
    would make); any other region's file uses that region as its root. OutOfScope when the viewer may not see it.
    """
    info = region_info(conn, region, viewer)
    if info is None:
        raise OutOfScope(region, viewer.roots)
    if info["level"] == "county":
        return Scope.for_viewer(conn, "county", region), info
    return Scope((region,)), info


def prepare(conn, kind: str, region: str, *, month: str | None = None, week: str | None = None,
            user: str | None = None, audience: str = "internal", viewer: Scope | None = None,
            now: datetime | None = None) -> Job:
    """Check what was asked and describe the export; ExportError (Chinese) for a bad region, month or week,
    or a bad WEIBAO_* setting."""
    try:
        # Every tunable before any file is begun: a bad weekly threshold read half-way through a build
        # would otherwise be one more 未能生成 line instead of the variable named.
        settings.check()
    except settings.SettingError as err:
        raise ExportError(str(err)) from None
    if kind not in KIND_NAMES:
        raise ExportError(f"未知的导出类型：{kind}（可用：{'、'.join(KIND_NAMES)}）")
    if audience not in AUDIENCES:
        raise ExportError(f"--audience 应为 internal（内部）或 external（对外）：{audience}")
    if week is not None:
        try:
            wk = Week.parse(week)
        except ValueError as err:
            raise ExportError(str(err)) from None
        week = wk.key
    elif month is not None:
        try:
            month = str(Month.parse(month))
        except ValueError as err:
            raise ExportError(str(err)) from None
    else:
        raise ExportError("请用 --month YYYY-MM 指定月份（周调度用 --week YYYY-Www）。")
    code = str(region).strip()
    if not re.fullmatch(r"\d{12}", code):
        raise ExportError(f"--region 应为 12 位区划代码：{region}")
    viewer = viewer or Scope.everything()
    if region_info(conn, code, Scope.everything()) is None:
        raise ExportError(f"区划代码 {code} 不存在。")
    scope, info = content_scope(conn, viewer, code)  # OutOfScope: the caller refuses and audits it
    if kind != "table" and info["level"] not in ("city", "county"):
        raise ExportError(f"{info['region_name']}（{code}）是{LEVEL_NAMES.get(info['level'], info['level'])}；"
                          "导出按市或县级区划制作，请指定其所属的县级或市级区划。")
    return Job(kind=kind, region=code, region_name=info["region_name"], level=info["level"], month=month, week=week,
               user=user or os_user(), audience=audience, made_at=now or datetime.now(timezone.utc),
               scope=scope, demo=is_demo(conn), threshold=small_count_threshold())


def pct_or_none(value) -> float | None:
    """A rate as a plain float for a chart or a cell, None when missing."""
    if fmt.is_null(value):
        return None
    v = float(value)
    return None if math.isnan(v) else v
