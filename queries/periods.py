"""Months as the indicators see them: parsing, month end E, year start Y, and the 30-day cutoff."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from data import settings

_MONTH = re.compile(r"^\s*(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?\s*$")
# Pins "today" for tests and for reproducing a view of a past day; unset in production.
TODAY_ENV = "WEIBAO_TODAY"
# A month no table holds, bound where a period needs no kept month (a real date: PostgreSQL types NULLs badly).
NO_MONTH = date(1, 1, 1)


def today() -> date:
    """The day the product treats as today (data.settings.today: WEIBAO_TODAY when set, else the calendar's)."""
    return settings.today()


@dataclass(frozen=True)
class Period:
    """The window an indicator is computed for: a whole month, or a month up to an as-of day."""

    start: date
    end: date  # E

    @classmethod
    def as_of(cls, day: date) -> "Period":
        """From the first of day's month up to day (month-to-date, for the weekly review)."""
        return cls(day.replace(day=1), day)

    @property
    def year(self) -> int:
        return self.end.year

    @property
    def month_number(self) -> int:
        return self.end.month

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.end.year, self.end.month)[1]

    @property
    def is_partial(self) -> bool:
        """True when the period stops before its month's last day (the month in progress)."""
        return self.end.day < self.days_in_month

    @property
    def months_elapsed(self) -> float:
        """序时进度's numerator: whole months before E's month plus the share of E's month up to E."""
        return self.end.month - 1 + self.end.day / self.days_in_month

    @property
    def month_start(self) -> date:
        return self.end.replace(day=1)

    @property
    def year_start(self) -> date:
        """Y: 1 January of the period's year."""
        return date(self.end.year, 1, 1)

    @property
    def assessment_cutoff(self) -> date:
        """E − 30 days: children enrolled after it are not yet due for assessment."""
        return self.end - timedelta(days=30)

    @property
    def assessment_parts(self) -> tuple[date, date, date]:
        """How the kept measures answer 'enrolled in [Y, E − 30 days]': the month whose year-to-date
        enrolment counts cover the whole months (NO_MONTH: none), and the day window after it read from the
        child table (empty when the cutoff is a month's last day, or falls before Y)."""
        cutoff, year_start = self.assessment_cutoff, self.year_start
        if cutoff < year_start:
            return NO_MONTH, self.end, cutoff  # nothing is due yet this year: an empty window
        cutoff_month = cutoff.replace(day=1)
        last_day = calendar.monthrange(cutoff.year, cutoff.month)[1]
        if cutoff.day == last_day:
            return cutoff_month, self.end, cutoff
        before = NO_MONTH if cutoff.month == 1 else cutoff_month.replace(month=cutoff.month - 1)
        return before, cutoff_month, cutoff


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        """Read YYYY-MM (also YYYY/MM, YYYY年M月); ValueError otherwise."""
        m = _MONTH.match(str(text))
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"月份格式应为 YYYY-MM：{text}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """E: the month's last day."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def period(self) -> Period:
        """The whole month, E = its last day (contract §2)."""
        return Period(self.start, self.end)

    def period_until(self, day: date | None = None) -> Period:
        """The month as far as it has happened: up to `day` (default today) while it is in progress.

        Dates later than today are errors in the import format, so a month in progress has no data after
        today; stopping E at today keeps the 30-day assessment cutoff and 序时进度 honest for it.
        """
        day = day or today()
        return Period(self.start, day) if self.start <= day < self.end else self.period

    def in_progress(self, day: date | None = None) -> bool:
        """True while `day` (default today) falls inside the month, its last day included (still being logged)."""
        day = day or today()
        return self.start <= day <= self.end

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def latest_complete_month(day: date | None = None) -> Month:
    """The month before today's: the default view, since the current month is still being logged."""
    return Month.of(day or today()).shift(-1)


def in_progress(month: str, day: date | None = None) -> bool:
    """True when the month ('YYYY-MM') is the month in progress."""
    return Month.parse(month).in_progress(day)


def as_date(value) -> date | None:
    """A date read back from SQL: SQLite returns MIN/MAX of a date as text, PostgreSQL as a date; a missing one
    is None, NaN or NaT (a unit with no row)."""
    if value is None or value is pd.NaT or (not isinstance(value, (str, date)) and pd.isna(value)):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
