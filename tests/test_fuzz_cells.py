"""Fuzzing the loader's cell parsers (data/load/cells.py) with hypothesis.

Every kind of column the import format has (dates, months, years, region codes, ID numbers, counts, money,
yes/no, text and every enumeration) gets cells of the types the readers hand over (CSV: text; a workbook:
text, int of any size, float with nan and inf, bool, datetime, time, timedelta), random and shaped like the
real thing (digits of every script, separators, 年月日, full-width digits). A parser must either return a
value fit for its stored column, or raise CellError with a Chinese reason; anything else would end a load
in “意外错误” (exit 3) or reach the database as a value it cannot hold. `show()`, which puts the offending
cell into the message, must cope with all of them and stay short.

Bounded: 150 examples per kind, each under a deadline, derandomized (the same examples on every run), so the
file runs in a few seconds; the @example cases are defects this fuzzing found, kept as regressions.
"""

import math
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from data import ids
from data.load import cells
from data.load.result import show
from data.load.spec import TABLES

CJK = re.compile(r"[\u4e00-\u9fff]")
INT4 = 2**31 - 1  # PostgreSQL integer: region.minor_population

# Every distinct kind of column in the format, by the first header that uses it.
KINDS: dict[str, cells.Kind] = {}
for _spec in TABLES.values():
    for _field in _spec.fields:
        KINDS.setdefault(_field.kind, f"{_spec.table.name}.{_field.column}")
KINDS = {label: kind for kind, label in KINDS.items()}


def _fits(kind: cells.Kind, value) -> bool:
    """Whether a parsed value is one its stored column can hold and the rest of the loader can use."""
    today = date.today()
    if kind is cells.TEXT:
        return (isinstance(value, str) and 0 < len(value) <= cells.TEXT_MAX and value == value.strip()
                and value not in cells.EXCEL_ERRORS and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value))
    if kind is cells.CODE:
        return isinstance(value, str) and re.fullmatch(r"[0-9]{12}", value) is not None
    if kind is cells.ID_NUMBER:
        # The loader hashes it next: an ID that cannot be hashed would stop the whole load.
        return (isinstance(value, str) and re.fullmatch(r"[0-9]{17}[0-9X]", value) is not None
                and ids.is_valid(value) and len(ids.hash_id(value, b"k")) == 64)
    if kind is cells.DATE:
        return type(value) is date and date(cells.EARLIEST_YEAR, 1, 1) <= value <= today
    if kind is cells.MONTH:
        return (type(value) is date and value.day == 1 and date(cells.EARLIEST_YEAR, 1, 1) <= value
                <= today.replace(day=1))
    if kind is cells.YEAR:
        return type(value) is int and cells.EARLIEST_YEAR <= value <= today.year + 1
    if kind is cells.YES_NO:
        return type(value) is bool
    if kind is cells.NUMBER:
        return type(value) is float and math.isfinite(value) and value >= 0
    if kind is cells.INTEGER:
        return type(value) is int and 0 <= value <= INT4
    assert kind.choices, f"no check for {kind}"
    return value in {kind.parse(choice) for choice in kind.choices}


DIGITS = "0123456789０１２３４５６７８９²³¹٠١٢٣४५𝟎𝟗"  # ASCII, full-width, superscript, Arabic-Indic, Devanagari, maths
SHAPED = st.text(alphabet=DIGITS + "Xx-/.年月日 :T,，+e_∞", max_size=24)
WORDS = st.sampled_from(
    [c for k in KINDS.values() for c in k.choices] + ["是", "否", "Y", "n", "TRUE", "false", "1", "0", "inf", "nan",
                                                      "-0", "1e400", "#REF!", "#N/A", "=cmd|' /C calc'!A0", "\x00"])
CELLS = st.one_of(
    st.text(max_size=40),
    SHAPED,
    WORDS,
    st.builds(lambda w, pad: pad + w + pad, WORDS, st.sampled_from(["", " ", "\u3000", "\t", "\n"])),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.from_regex(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}( 00:00(:00)?)?", fullmatch=True),
    st.from_regex(r"[0-9]{4}年[0-9]{1,2}月([0-9]{1,2}日)?", fullmatch=True),
    st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True),
    st.from_regex(r"[0-9]{1,3}(,[0-9]{3}){0,4}(\.[0-9]{1,3})?", fullmatch=True),
    st.text(alphabet="a文", min_size=cells.TEXT_MAX - 2, max_size=cells.TEXT_MAX + 2),
)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
@settings(max_examples=150, deadline=timedelta(milliseconds=500), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(raw=CELLS)
# Defects this test found (they crashed the load or stored what the column cannot hold), kept as regressions:
@example(raw="３７０８３１２０１４０３０１００２0")  # full-width digits: an ID that could not be hashed (exit 3)
@example(raw="3708312014030100²0")  # a superscript passes str.isdigit() but not int()
@example(raw="20²4")  # 年度: ValueError from int()
@example(raw="３７０８３１１００２０１")  # a region code of full-width digits was stored as it was
@example(raw=10**400)  # a workbook number too large for a float: OverflowError
@example(raw=1e300)  # 未成年人口 beyond PostgreSQL's integer: the database refused the whole load
@example(raw="南\x00村")  # a NUL in a name: PostgreSQL cannot store it
@example(raw="#N/A")  # Excel's failed-formula marker was stored as a name
@example(raw="长" * 100_000)  # a 100,000-character cell
def test_a_parser_returns_a_storable_value_or_a_chinese_cell_error(kind, raw):
    if cells.is_blank(raw):
        return  # blank cells never reach a parser (check.py gives them the column's blank value)
    try:
        value = kind.parse(raw)
    except cells.CellError as err:
        assert isinstance(err.reason, str) and CJK.search(err.reason), (raw, err.reason)
        assert len(err.reason) < 200, err.reason  # the reason is a sentence, not the cell again
    else:
        assert _fits(kind, value), (raw, value)


@settings(max_examples=300, deadline=timedelta(milliseconds=500), derandomize=True, database=None)
@given(raw=CELLS, secret=st.booleans())
@example(raw="3" * 100_000, secret=True)  # a 100,000-character ID cell was masked to 100,000 characters
def test_the_value_shown_in_a_message_is_short_and_masks_id_numbers(raw, secret):
    text = show(raw, secret)
    assert isinstance(text, str) and len(text) <= 60, len(text)
    if isinstance(raw, str) and re.fullmatch(r"[0-9]{17}[0-9Xx]", raw.strip()):
        assert raw.strip() not in text
