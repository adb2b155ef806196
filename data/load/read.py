"""Files to raw rows: workbook sheets and CSV files, each row with the number Excel shows for it."""

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from data.load.spec import TABLES

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
TABLE_NAMES = "、".join(TABLES)


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

def _workbook_sheets(path: Path, warn) -> Iterator[Sheet]:
    from openpyxl import load_workbook  # only workbook loads pay for importing openpyxl

    try:
        # read_only streams rows; data_only takes the values Excel computed for formulas.
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except PermissionError:
        raise ReadError("没有读取这个文件的权限") from None
    except Exception:
        raise ReadError("不是有效的 Excel 工作簿（.xlsx），无法打开；若是 .xls、WPS 格式或设置了密码，"
                        "请在 Excel 中取消密码并另存为 .xlsx") from None
    try:
        found = False
        for ws in book.worksheets:
            name = ws.title.strip()
            if name not in TABLES:
                warn(f"{path.name} · {ws.title}：不是数据表（可导入的表：{TABLE_NAMES}），已忽略")
                continue
            found = True
            # Some exporters write a wrong sheet size; without this, rows past it are cut off.
            ws.reset_dimensions()
            rows = _guarded(ws.iter_rows(values_only=True), ws.title)
            header = next(rows, None) or ()
            yield Sheet(path.name, ws.title, name, tuple(header), enumerate(rows, start=2))
        if not found:
            raise ReadError(f"工作簿中没有可导入的工作表：工作表名应为 {TABLE_NAMES} 之一")
    finally:
        book.close()


# ---------------------------------------------------------------- CSV

def _encoding(path: Path) -> str:
    """utf-8-sig (with or without BOM) if the whole file decodes so, else GB18030 (covers GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        except PermissionError:
            raise ReadError("没有读取这个文件的权限") from None
    raise ReadError("无法识别文件编码（应为 UTF-8 或 GB18030/GBK）；请在 Excel 中另存为“CSV UTF-8”")


def _csv_sheet(path: Path, table: str | None) -> Sheet:
    name = (table or path.stem).strip()
    if name not in TABLES:
        if table is not None:
            raise ReadError(f"--table {table} 不是表名（应为 {TABLE_NAMES} 之一）")
        raise ReadError(f"无法确定要导入哪张表：文件名“{path.stem}”不是表名；请把文件命名为表名"
                        f"（如 走访.csv），或用 --table 指定（{TABLE_NAMES}）")
    encoding = _encoding(path)

    def records() -> Iterator[list[str]]:
        with path.open(encoding=encoding, newline="") as f:
            # Each record is one Excel row, even when a quoted cell spans several lines.
            yield from csv.reader(f)

    rows = _guarded(records(), name)
    header = next(rows, None) or []
    return Sheet(path.name, name, name, tuple(header), enumerate(rows, start=2))
