"""Cell parsers of the import format: each turns one non-blank cell into the stored value or raises CellError."""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from data import ids

BAD_DATE = "不是有效日期（应为 YYYY-MM-DD）"
BAD_MONTH = "不是有效月份（应为 YYYY-MM）"
# Nothing in this domain predates 1950; an earlier date is almost always a misread Excel number.
EARLIEST_YEAR = 1950


class CellError(ValueError):
    """A cell whose content is not a valid value; the argument is the reason in Chinese."""

    @property
    def reason(self) -> str:
        return self.args[0]


class Formula(str):
    """A workbook cell holding a formula whose result was never saved (read.py); its text is "=…".

    Never a value: check.py refuses it before any parser sees it, and nothing evaluates it.
    """


NO_RESULT = ("是公式，但文件中没有保存公式的计算结果（文件不是用 Excel 或 WPS 保存的）；"
             "请在 Excel 中打开后保存，或把公式改为数值后再导入")
# What Excel writes in place of a formula's result when the formula fails (also into a CSV it saves).
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
TEXT_MAX = 200  # characters: the longest real name of a region, station or course is a few dozen
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and line breaks (Alt+Enter) are kept


@dataclass(frozen=True, eq=False)
class Kind:
    """How one kind of column is read, and how the template and its 说明 sheet present it."""

    parse: Callable[[object], object]  # a non-blank cell → stored value, or CellError
    hint: str  # the format in words, for the 说明 sheet
    blank: object = None  # what a blank cell means
    choices: tuple[str, ...] = ()  # the allowed values, offered as a drop-down in the template
    number_format: str | None = None  # the template column's cell format ('@' = text)


def is_blank(raw) -> bool:
    """None or a string of nothing but spaces (full-width spaces included)."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _is_number(raw) -> bool:
    return isinstance(raw, (int, float)) and not isinstance(raw, bool)


def _plain(raw) -> str:
    # A numeric cell holding a whole number reads back without Excel's ".0".
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _today() -> date:
    return date.today()


def _digits(text: str) -> bool:
    """Only 0-9: str.isdigit() also passes full-width (３), superscript (²) and other scripts' digits, which
    int() may refuse and an ID number's hash cannot encode."""
    return text.isascii() and text.isdigit()


# ---------------------------------------------------------------- text and codes

def _text(raw) -> str:
    value = _plain(raw)
    if value in EXCEL_ERRORS:
        raise CellError(f"是 Excel 的错误值 {value}（公式出错的结果），请改正后再导入")
    if len(value) > TEXT_MAX:
        raise CellError(f"文字过长：最多 {TEXT_MAX} 个字，这里有 {len(value):,} 个")
    if _CONTROL.search(value):
        raise CellError("含有不可见的控制字符，请删除后再导入")
    return value


def _code(raw) -> str:
    value = _plain(raw)
    if len(value) == 12 and _digits(value):
        return value
    if _digits(value):
        raise CellError(f"区划代码应为 12 位数字（这里是 {len(value):,} 位）")
    if value.isdigit():
        raise CellError("区划代码应为 12 位半角数字 0-9（这里有全角或其他数字）")
    raise CellError("区划代码应为 12 位数字")


def _id_number(raw) -> str:
    if isinstance(raw, float):
        # Excel keeps 15 significant digits: an ID typed into a number cell has lost its tail.
        raise CellError("身份证号被 Excel 存成了数字，后几位已丢失；请把该列设为文本后重新录入")
    value = "".join(ids.normalise(str(raw)).split())
    if len(value) != 18:
        raise CellError(f"身份证号应为 18 位（这里是 {len(value):,} 位）")
    if not value.isascii() and (value[:17] + value[17].replace("X", "0")).isdigit():
        raise CellError("身份证号应为半角数字 0-9（这里有全角或其他数字）")
    if not _digits(value[:17]) or not (_digits(value[17]) or value[17] == "X"):
        raise CellError("身份证号应为 17 位数字加一位数字或 X")
    if not ids.is_valid(value):
        raise CellError("身份证号校验位不正确（GB 11643-1999），请核对号码")
    return value


# ---------------------------------------------------------------- dates, months, years

_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?")
_DATE_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MONTH = re.compile(r"(\d{4})([-/.])(\d{1,2})")
_MONTH_CN = re.compile(r"(\d{4})年(\d{1,2})月")


def _calendar_date(raw, reason: str) -> date:
    """A real date cell, or text in one of the accepted date forms."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if _is_number(raw):
        # A number in a date column is an unformatted Excel serial or a typo: never guess.
        raise CellError(reason)
    text = str(raw).strip()
    match = _DATE.fullmatch(text)
    parts = (match.group(1), match.group(3), match.group(4)) if match else None
    if parts is None and (match := _DATE_CN.fullmatch(text)):
        parts = match.groups()
    if parts is None:
        raise CellError(reason)
    try:
        return date(*(int(p) for p in parts))
    except ValueError:
        raise CellError(reason) from None


def _date(raw) -> date:
    value = _calendar_date(raw, BAD_DATE)
    if value.year < EARLIEST_YEAR:
        raise CellError(f"日期早于 {EARLIEST_YEAR} 年，请核对")
    if value > _today():
        raise CellError("日期晚于今天")
    return value


def _month(raw) -> date:
    if isinstance(raw, (date, datetime)) or (isinstance(raw, str) and (
            _DATE.fullmatch(raw.strip()) or _DATE_CN.fullmatch(raw.strip()))):
        # Excel turns a typed "2024-05" into the date 2024-05-01: a date means its month.
        day = _calendar_date(raw, BAD_MONTH)
        year, month = day.year, day.month
    elif _is_number(raw):
        # "2024.10" typed into a number cell is 2024.1: the month cannot be recovered.
        raise CellError(BAD_MONTH)
    else:
        text = str(raw).strip()
        match = _MONTH.fullmatch(text)
        parts = (match.group(1), match.group(3)) if match else None
        if parts is None and (match := _MONTH_CN.fullmatch(text)):
            parts = match.groups()
        if parts is None:
            raise CellError(BAD_MONTH)
        year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise CellError(BAD_MONTH)
    if year < EARLIEST_YEAR:
        raise CellError(f"月份早于 {EARLIEST_YEAR} 年，请核对")
    value = date(year, month, 1)
    if value > _today().replace(day=1):
        raise CellError("月份晚于本月")
    return value


def _year(raw) -> int:
    text = _plain(raw).removesuffix("年") if not isinstance(raw, bool) else ""
    if len(text) != 4 or not _digits(text):
        raise CellError("应为四位年份，如 2024")
    value = int(text)
    # A budget is adopted before its year starts, so next year is allowed; later is a typo.
    if not EARLIEST_YEAR <= value <= _today().year + 1:
        raise CellError(f"年度应在 {EARLIEST_YEAR} 年至明年之间")
    return value


# ---------------------------------------------------------------- yes/no, numbers, choices

_YES = {"是", "y", "yes", "1", "true"}
_NO = {"否", "n", "no", "0", "false"}


def _yes_no(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _plain(raw).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("应为 是 或 否（空白视为 否）")


def _number_text(raw) -> float:
    if isinstance(raw, bool):
        raise CellError("不是有效数字")
    if _is_number(raw):
        try:
            value = float(raw)
        except OverflowError:  # a workbook integer of hundreds of digits
            raise CellError("数值过大") from None
    else:
        # Thousands separators are common in hand-kept ledgers: "1,234.50".
        text = "".join(str(raw).split()).replace(",", "").replace("，", "")
        try:
            value = float(text)
        except ValueError:
            raise CellError("不是有效数字") from None
    if not math.isfinite(value):
        raise CellError("不是有效数字")
    if value < 0:
        raise CellError("不能为负数")
    return value


def _number(raw) -> float:
    return _number_text(raw)


INTEGER_MAX = 2**31 - 1  # the stored integer column (PostgreSQL integer)


def _integer(raw) -> int:
    value = _number_text(raw)
    if not value.is_integer():
        raise CellError("应为整数")
    if value > INTEGER_MAX:
        raise CellError(f"数值过大（最大 {INTEGER_MAX:,}）")
    return int(value)


def choice(mapping: dict, aliases: dict | None = None, default=None) -> Kind:
    """A column whose Chinese values map to stored codes; aliases are accepted but not offered."""
    accepted = {**(aliases or {}), **mapping}
    allowed = "、".join(mapping)

    def parse(raw):
        value = accepted.get("".join(_plain(raw).split()))
        if value is None:
            raise CellError(f"不是允许的值（应为 {allowed}）")
        return value

    hint = "、".join(mapping)
    if default is not None:
        label = next(k for k, v in mapping.items() if v == default)
        hint += f"；空白视为 {label}"
    return Kind(parse, hint, blank=default, choices=tuple(mapping))


TEXT = Kind(_text, "文字")
CODE = Kind(_code, "12 位统计用区划代码（文本格式）", number_format="@")
ID_NUMBER = Kind(_id_number, "18 位身份证号（文本格式，末位可为 X）", number_format="@")
DATE = Kind(_date, "日期，如 2024-05-01（也可 2024/05/01、2024.05.01 或 Excel 日期），不得晚于今天",
            number_format="yyyy-mm-dd")
MONTH = Kind(_month, "月份，如 2024-05（也可 2024/05、2024年5月），不得晚于本月", number_format="@")
YEAR = Kind(_year, "四位年份，如 2024")
YES_NO = Kind(_yes_no, "是 或 否（也可 Y/N、1/0）；空白视为 否", blank=False, choices=("是", "否"))
NUMBER = Kind(_number, "数字，≥ 0")
INTEGER = Kind(_integer, "整数，≥ 0")
