"""The demo's calendar: 24 months up to today's, the last complete month, Spring Festival dips."""

from datetime import date, timedelta

import numpy as np

HISTORY_MONTHS = 24

# 春节 (first day of the lunar year). The month around it has fewer home visits.
SPRING_FESTIVAL = {
    2015: date(2015, 2, 19), 2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


def d64(value) -> np.datetime64:
    return np.datetime64(value, "D")


class Timeline:
    """Months 0 … 23 (oldest first); month 23 is today's (still being logged), 22 the last complete one."""

    def __init__(self, today: date):
        self.today = today
        self.t = d64(today)
        first = np.datetime64(f"{today.year:04d}-{today.month:02d}", "M") - (HISTORY_MONTHS - 1)
        months = first + np.arange(HISTORY_MONTHS + 1)
        self.starts = months[:-1].astype("M8[D]")
        self.ends = months[1:].astype("M8[D]") - 1
        self.days = (self.ends - self.starts).astype(int) + 1
        self.h = self.starts[0]                    # history start
        self.last = HISTORY_MONTHS - 2             # index of the last complete month
        self.e_last = self.ends[self.last]         # its last day: where published figures hold
        self.cur_start = self.starts[-1]
        self.cur_fraction = float(((self.t - self.cur_start).astype(int) + 1) / self.days[-1])
        self.month_numbers = (months[:-1].astype(int) % 12) + 1
        self.years = months[:-1].astype(int) // 12 + 1970

    @property
    def last_complete(self) -> str:
        return str(self.starts[self.last])[:7]

    def month_index(self, days: np.ndarray) -> np.ndarray:
        """Index in 0 … 23 of each date's month (negative before the history)."""
        return (days.astype("M8[M]") - self.h.astype("M8[M]")).astype(int)

    def spring_factor(self, depth: float = 0.16) -> np.ndarray:
        """Per month, 1 minus the visit dip for the days it shares with [春节 − 10, 春节 + 15]."""
        out = np.ones(HISTORY_MONTHS)
        for i, (start, end) in enumerate(zip(self.starts, self.ends)):
            year = int(str(start)[:4])
            for y in (year, year + 1):
                sf = SPRING_FESTIVAL.get(y, date(y, 2, 1))
                lo, hi = d64(sf - timedelta(days=10)), d64(sf + timedelta(days=15))
                overlap = (min(hi, end) - max(lo, start)).astype(int) + 1
                if overlap > 0:
                    out[i] -= depth * overlap / 26
        return out

    def spring_window(self, days: np.ndarray) -> np.ndarray:
        """True for dates within [春节 − 10, 春节 + 15] of their year."""
        if not len(days):
            return np.zeros(0, dtype=bool)
        years = days.astype("M8[Y]").astype(int) + 1970
        first = int(years.min())
        festival = np.array([d64(SPRING_FESTIVAL.get(y, date(y, 2, 1))) for y in range(first, int(years.max()) + 1)])
        offset = (days - festival[years - first]).astype(int)
        return (offset >= -10) & (offset <= 15)
