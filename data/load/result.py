"""What a load reports: problems located as a clerk finds them in Excel, warnings and row counts."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from data import ids
from data.cli import minute

# Anything shaped like an ID number is masked wherever it appears, even in the wrong column.
_ID_LIKE = re.compile(r"\d{15,17}[\dXx]")
# Errors listed one by one; past this many they are counted per file, sheet and column (a file of a million
# bad rows, e.g. visits loaded before their children, would otherwise print millions of lines).
MAX_LISTED = 1_000


class LoadRefused(Exception):
    """The database may not be loaded at all (demo data, another hashing key); the message is Chinese."""


def mask_text(text: str) -> str:
    """The text with every ID-number-shaped run masked."""
    return _ID_LIKE.sub(lambda m: ids.mask(m.group()), text)


def show(raw, secret: bool = False) -> str:
    """A cell value as the clerk would recognise it, ID numbers masked."""
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        # Excel date-times carry float noise in the seconds: shown to the minute, as Excel shows them.
        text = raw.date().isoformat() if raw.time() == datetime.min.time() else minute(raw)
    elif isinstance(raw, date):
        text = raw.isoformat()
    elif isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    else:
        text = str(raw).strip()
    text = ids.mask(text) if secret and text else mask_text(text)
    return text if len(text) <= 60 else text[:57] + "…"


@dataclass(frozen=True)
class Problem:
    """One error, located by file, sheet, Excel row number and column header."""

    file: str
    reason: str
    sheet: str | None = None
    row: int | None = None  # as Excel shows it: the header is row 1
    column: str | None = None
    value: str | None = None  # already masked / shortened by show()
    order: tuple = ()  # (sheet sequence, row, column position): the order errors are listed in

    def __str__(self) -> str:
        where = [self.file] + [p for p in (self.sheet,) if p]
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column is not None:
            where.append(f"{self.column} = “{self.value or ''}”" if self.row is not None
                         else f"列“{self.column}”")
        return " · ".join(where) + "：" + self.reason


@dataclass(frozen=True)
class Unlisted:
    """Errors past MAX_LISTED in one column of one sheet: how many, and the reason of the first."""

    file: str
    sheet: str | None
    column: str | None
    count: int
    example: str

    def __str__(self) -> str:
        where = [self.file] + [p for p in (self.sheet,) if p]
        if self.column is not None:
            where.append(f"列“{self.column}”")
        return f"{' · '.join(where)}：另有 {self.count:,} 处（如：{self.example}）"


@dataclass
class LoadResult:
    """The outcome of load_files: nothing was written unless errors is empty."""

    errors: list[Problem] = field(default_factory=list)  # the first MAX_LISTED errors found, in file order
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # sheet name → rows written
    unlisted: list[Unlisted] = field(default_factory=list)  # the errors beyond those, counted

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(u.count for u in self.unlisted)
