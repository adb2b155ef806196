"""Files to raw rows: workbook sheets and CSV files, each row with the number Excel shows for it."""

import codecs
import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from data.load.cells import Formula
from data.load.spec import TABLES

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
TABLE_NAMES = "、".join(TABLES)

# Bounds on what a file may make the loader read (data/load/README.md, "Hostile files"). A city's year of
# visits is inside them: as a 700,000-row 走访 sheet it unpacks to 100-200 MB (shared or inline strings), as
# a CSV it is 40 MB; a ledger near the row limit (check.py) is better a CSV anyway, read ten times faster.
# A zip bomb disguised as .xlsx is refused from its central directory before a byte is inflated; Python's
# zipfile never inflates a member past the size declared there.
MAX_BYTES = 256 * 2**20  # a CSV file's size; the sum of a workbook's unpacked members
MAX_SHARED_STRINGS = 64 * 2**20  # unpacked sharedStrings.xml: openpyxl keeps all of it in memory
MAX_ZIP_ENTRIES = 10_000  # a workbook has a few dozen parts; the central directory is read whole
MAX_ROW_PARTS = 16_384 * 8  # XML elements in one sheet row (a cell is 1-5): Excel has 16,384 columns
# A part that unpacks to more than 16 MB at more than 100 times its packed size: real sheets pack 10-30 times
# (every row and cell carries its own number); repeated junk packs a thousand times.
MAX_RATIO, RATIO_FROM = 100, 16 * 2**20
REPACK = "真实的大台账请按月份或乡镇拆分成几个文件，或另存为 CSV 后导入"


class ReadError(Exception):
    """A file or sheet that cannot be read at all; the message is Chinese."""

    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.sheet = sheet


@dataclass
class Sheet:
    """One table's worth of raw cells from a workbook sheet or a CSV file."""

    file: str  # the file's name, as messages show it
    name: str  # the sheet's name; for a CSV file, the table's
    table: str  # which TABLES entry the rows are for
    header: tuple
    rows: Iterator[tuple[int, tuple]]  # (row number as Excel shows it, cells)
    # For a CSV file: given how many more data rows the load may take, the number of the first row past
    # them (None if the file has no more), found without parsing; the row limit then costs no parse.
    overflow: Callable[[int], int | None] | None = None


def read_file(path, table: str | None, warn: Callable[[str], None]) -> Iterator[Sheet]:
    """The loadable sheets of one file, in order; ReadError when the file cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError("找不到这个文件")
    if path.is_dir():
        raise ReadError("这是一个文件夹，不是文件")
    if suffix == ".csv":
        yield _csv_sheet(path, table)
    elif suffix in WORKBOOK_SUFFIXES:
        if table is not None:
            warn(f"{path.name}：--table 只用于 CSV 文件，工作簿按工作表名导入")
        yield from _workbook_sheets(path, warn)
    elif suffix in {".xls", ".et", ".wps"}:
        raise ReadError("不支持旧版 Excel（.xls）或 WPS 格式，请在 Excel/WPS 中另存为 .xlsx 后再导入")
    else:
        raise ReadError("不支持的文件类型（应为 .xlsx 工作簿或 .csv 文件）")


def _guarded(rows: Iterator, sheet: str) -> Iterator:
    # A sheet can be damaged past its first row; that must read as a message, not a traceback.
    try:
        yield from rows
    except ReadError:
        raise
    except Exception as exc:  # openpyxl and csv raise many unrelated types on damaged input
        raise ReadError(f"读取过程中文件内容损坏或格式异常（{type(exc).__name__}: {exc}）", sheet) from exc


# ---------------------------------------------------------------- workbooks

NOT_A_WORKBOOK = ("不是有效的 Excel 工作簿（.xlsx），无法打开；若是 .xls、WPS 格式或设置了密码，"
                  "请在 Excel 中取消密码并另存为 .xlsx")


def _megabytes(size: int) -> str:
    if size < 2**20:
        return f"{max(size // 2**10, 1):,} KB"
    return f"{size / 2**20:,.0f} MB"


def _check_zip(path: Path) -> None:
    """Refuse a workbook whose parts would unpack past the bounds, from its central directory alone."""
    try:
        with path.open("rb") as f:
            end = zipfile._EndRecData(f)  # the end record only: how many entries, before reading them
        if end is None:
            raise ReadError(NOT_A_WORKBOOK)
        if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_ZIP_ENTRIES:
            raise ReadError(f"工作簿内的文件条目过多（{end[zipfile._ECD_ENTRIES_TOTAL]:,} 个），"
                            "不是正常的 Excel 工作簿，可能已损坏或是恶意文件")
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except PermissionError:
        raise ReadError("没有读取这个文件的权限") from None
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        raise ReadError(NOT_A_WORKBOOK) from None
    total = sum(m.file_size for m in members)
    strings = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if total > MAX_BYTES or strings > MAX_SHARED_STRINGS:
        what, size, limit = (("其中的共享字符串表", strings, MAX_SHARED_STRINGS) if strings > MAX_SHARED_STRINGS
                             else ("", total, MAX_BYTES))
        raise ReadError(f"文件解压后过大：{what}解压后约 {_megabytes(size)}，超过上限 {_megabytes(limit)}"
                        f"（文件本身只有 {_megabytes(path.stat().st_size)}）。这不是正常的台账工作簿，可能已损坏"
                        f"或是恶意的“压缩炸弹”，未读取；{REPACK}")
    for member in members:
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ReadError(f"文件解压后过大：其中 {member.filename} 从 {_megabytes(member.compress_size)} 解压为 "
                            f"{_megabytes(member.file_size)}（约 {member.file_size // max(member.compress_size, 1):,} 倍，"
                            "正常的工作表只有 10 到 30 倍）。这不是正常的台账工作簿，可能已损坏或是恶意的“压缩炸弹”，未读取")


def _sheet_rows(book, ws) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of every row the sheet stores; a formula without a saved result is a Formula.

    Like openpyxl's read-only iter_rows(values_only=True) (its own cell parser reads the cells), but with
    at most one row's elements in memory: openpyxl keeps every element outside the rows, and every row
    emptied but attached, so a sheet of a few MB packed can hold millions of elements. A row of more than
    MAX_ROW_PARTS elements is refused. Rows are numbered by their own r attribute.
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            # Excel saves every formula's result (<v>); a formula of type n with none was never calculated
            # (a file written by a program). A string formula with an empty result (t="str") is blank.
            if cell["value"] is None and cell["data_type"] == "n":
                formula = element.find(FORMULA_TAG)
                if formula is not None:
                    cell["value"] = Formula("=" + (formula.text or ""))
            return cell

    last = 0
    with ws._get_source() as src:
        parser = Parser(src, ws._shared_strings, data_only=True, epoch=book.epoch,
                        date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        open_elements, row, parts = [], None, 0
        for event, element in iterparse(src, events=("start", "end")):
            if event == "start":
                open_elements.append(element)
                if row is not None:
                    parts += 1
                    if parts > MAX_ROW_PARTS:
                        raise ReadError(f"第 {parser.row_counter + 1:,} 行附近的一行有超过 {MAX_ROW_PARTS:,} 个单元格"
                                        "或单元格部件，不是正常的工作表（Excel 最多 16,384 列），可能已损坏或是恶意文件",
                                        ws.title)
                elif element.tag == ROW_TAG:
                    row, parts = element, 0
                continue
            open_elements.pop()
            if row is not None and element is not row:
                continue  # a cell or a part of one, read with its row
            if element is row:
                row = None
                number = element.get("r")
                parser.row_counter = parser.row_counter + 1 if number is None else _row_number(number)
                parser.col_counter = 0
                cells = [parser.parse_cell(cell) for cell in element]
                if parser.row_counter > last:  # a row stored twice or out of order: openpyxl skips it too
                    last = parser.row_counter
                    yield last, ws._get_row(cells, values_only=True)
            element.clear()
            if open_elements:
                del open_elements[-1][-1]  # an element that has just ended is its parent's last child


def _row_number(text: str) -> int:
    value = float(text)  # "12" or "12.0", as openpyxl accepts
    if not value.is_integer() or value < 1:
        raise ValueError(f"{text} is not a valid row number")
    return int(value)


def _workbook_sheets(path: Path, warn) -> Iterator[Sheet]:
    from openpyxl import load_workbook  # only workbook loads pay for importing openpyxl

    _check_zip(path)
    try:
        # read_only streams rows; data_only takes the values Excel computed for formulas (never evaluated
        # here: a formula's own text is never read as a value).
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except PermissionError:
        raise ReadError("没有读取这个文件的权限") from None
    except Exception:
        raise ReadError(NOT_A_WORKBOOK) from None
    try:
        found = False
        for ws in book.worksheets:
            name = ws.title.strip()
            if name not in TABLES:
                warn(f"{path.name} · {ws.title}：不是数据表（可导入的表：{TABLE_NAMES}），已忽略")
                continue
            found = True
            # The sheet's own size record is ignored: some exporters write a wrong one.
            rows = _guarded(_sheet_rows(book, ws), ws.title)
            first = next(rows, None)
            header = ()
            if first is not None and first[0] == 1:
                header, first = first[1], None
            data = rows if first is None else _chain(first, rows)
            yield Sheet(path.name, ws.title, name, tuple(header), data)
        if not found:
            raise ReadError(f"工作簿中没有可导入的工作表：工作表名应为 {TABLE_NAMES} 之一")
    finally:
        book.close()


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


# ---------------------------------------------------------------- CSV

SAVE_AS_CSV = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入"
_FIELD_LIMIT = csv.field_size_limit()


def _encoding(path: Path) -> tuple[str, int]:
    """utf-8-sig (with or without BOM) if the whole file decodes so, else GB18030 (covers GBK); and how many
    records the file can hold at most: its line ends (LF, CR or CR LF), one more if it does not end with one.

    Refused before decoding: a file over MAX_BYTES, a workbook or other zip named .csv, UTF-16 (its BOM),
    and NUL bytes (UTF-16 without a BOM, or binary): GB18030 would decode those to junk, and a NUL cannot
    be stored in PostgreSQL.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            start = f.read(4)
    except PermissionError:
        raise ReadError("没有读取这个文件的权限") from None
    if size > MAX_BYTES:
        raise ReadError(f"文件过大：约 {_megabytes(size)}，超过 CSV 文件的上限 {_megabytes(MAX_BYTES)}，未读取；{REPACK}")
    if start.startswith(b"PK\x03\x04"):
        raise ReadError("这不是 CSV 文件，而是 Excel 工作簿（.xlsx）或其他压缩文件：若是工作簿，请把扩展名改为 .xlsx")
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError(f"文件是 UTF-16 编码（Excel 另存为“Unicode 文本”时的编码），不能按 CSV 导入；{SAVE_AS_CSV}")
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        ends, after_cr, last = 0, False, b""  # neither encoding has \n or \r inside a multi-byte character
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    if b"\x00" in chunk:  # valid UTF-8, so looked for on the first pass
                        raise ReadError("文件中含有空字符（NUL，字节 0x00），不是正常的文本 CSV，可能是 UTF-16 编码"
                                        f"或二进制文件；{SAVE_AS_CSV}")
                    ends += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
                    ends -= after_cr and chunk.startswith(b"\n")
                    after_cr = chunk.endswith(b"\r")
                    last = chunk[-1:]
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding, ends + (last not in (b"\n", b"\r", b""))
        except UnicodeDecodeError:
            continue
    raise ReadError(f"无法识别文件编码（应为 UTF-8 或 GB18030/GBK），也可能不是文本文件；{SAVE_AS_CSV}")


def _csv_sheet(path: Path, table: str | None) -> Sheet:
    name = (table or path.stem).strip()
    if name not in TABLES:
        if table is not None:
            raise ReadError(f"--table {table} 不是表名（应为 {TABLE_NAMES} 之一）")
        raise ReadError(f"无法确定要导入哪张表：文件名“{path.stem}”不是表名；请把文件命名为表名"
                        f"（如 走访.csv），或用 --table 指定（{TABLE_NAMES}）")
    encoding, most = _encoding(path)

    def overflow(room: int) -> int | None:
        if most - 1 <= room:  # a header and at most room data rows (quoted line breaks only make fewer)
            return None
        with path.open(encoding=encoding, newline="") as f:
            try:
                for number, record in enumerate(csv.reader(f), start=1):
                    if number > 1 and "".join(record).strip():
                        room -= 1
                        if room < 0:
                            return number
            except csv.Error:
                return None  # reading the rows reports it
        return None

    def records() -> Iterator[list[str]]:
        with path.open(encoding=encoding, newline="") as f:
            # Each record is one Excel row, even when a quoted cell spans several lines.
            try:
                yield from csv.reader(f)
            except csv.Error as exc:
                if "field limit" not in str(exc):
                    raise
                # Almost always a lone " that makes the rest of the file one quoted cell.
                raise ReadError(f"有一个单元格超过 {_FIELD_LIMIT:,} 个字符，不是正常的台账内容；常见原因是某个单元格里"
                                "有不配对的英文双引号（\"），使后面的内容都并进了这一格，请检查后重新导出", name) from None

    rows = _guarded(records(), name)
    header = next(rows, None) or []
    return Sheet(path.name, name, name, tuple(header), enumerate(rows, start=2), overflow)
