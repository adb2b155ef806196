"""Malformed and hostile files: refused or handled within bounded time and memory, with the loader's own Chinese
message, and the database unchanged.

Bounds (data/load/README.md, "Hostile files"): every file here is refused or loaded by `python -m data.load`
within SECONDS of wall time and PEAK_MB of peak resident memory, measured on the loader's own process.
The cases: a zip bomb disguised as .xlsx (a sheet that inflates to 1.1 GB from about 4 MB), a workbook of
junk elements that packs a thousandfold, a row of 3.5 million cells, 1,000,001 CSV rows (over the row
limit), 1,000,000 CSV rows that are all wrong, formula cells, 100,000-character cells and headers, wrong
encodings (GBK, UTF-16 with and without BOM, binary junk, a workbook named .csv), NUL bytes.
"""

import codecs
import io
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from data import schema
from data.db import get_engine
from data.load import LoadRefused, load_files
from tests.fixtures.contract import CONTRACT_HEADERS
from tests.fixtures.faults import KEY, fingerprint, run_loader, write_visits
from tests.test_load import BASE, TOWN, xlsx

SECONDS = 20  # wall clock, on the shared 2-core machine
PEAK_MB = 512  # peak RSS of the loader process
V3, V4 = "370831100203", "370831100204"  # villages the base database does not hold
REGION = CONTRACT_HEADERS["区划"]


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("WEIBAO_ID_KEY", KEY)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A SQLite database holding the contract's base workbook (every table filled)."""
    folder = tmp_path_factory.mktemp("hostile-base")
    path = folder / "base.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEIBAO_ID_KEY", KEY)
        result = load_files([xlsx(folder / "base.xlsx", BASE)], engine)
    engine.dispose()
    assert result.ok, [str(p) for p in result.errors]
    return path


@pytest.fixture
def db(base, tmp_path) -> str:
    """A scratch copy of the base database, its URL."""
    shutil.copy(base, tmp_path / "db.sqlite")
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def within_bounds(run, code: int = 1) -> None:
    assert run.code == code, run.out[-3000:]
    assert "Traceback" not in run.out
    assert run.seconds <= SECONDS, f"{run.seconds:.1f} s: {run.out[-500:]}"
    assert run.peak_mb <= PEAK_MB, f"{run.peak_mb:.0f} MB"
    for line in run.out.splitlines():
        assert len(line) < 600, line[:200]  # no cell is ever echoed whole


def region_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    lines = [",".join(REGION[:4])] + [",".join(r) for r in rows]
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


# ---------------------------------------------------------------- a zip bomb disguised as .xlsx

def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of already-deflated members (name, raw deflate stream, CRC-32, inflated size)."""
    body, directory = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, len(body)) + encoded
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        body += encoded + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))


def packed_workbook(path: Path, chunk: bytes, copies: int, before: bytes = b"</sheetData>") -> Path:
    """A real 区划 workbook (header row only) with `copies` times `chunk` inserted into its sheet XML.

    The chunk is deflated once and repeated (a full flush resets the compressor, so every copy compresses
    to the same bytes): a gigabyte of sheet costs a few MB of file and a CRC pass. The zip is valid.
    """
    book = Workbook()
    book.active.title = "区划"
    book.active.append(REGION)
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    members = []
    for info in source.infolist():
        data = source.read(info)
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        if info.filename != "xl/worksheets/sheet1.xml":
            members.append((info.filename, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)))
            continue
        at = data.index(before)
        head, tail = data[:at], data[at:]
        start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
        block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
        if copies > 1:
            assert packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH) == block
        end = packer.compress(tail) + packer.flush()
        crc = zlib.crc32(head)
        for _ in range(copies):
            crc = zlib.crc32(chunk, crc)
        members.append((info.filename, start + block * copies + end, zlib.crc32(tail, crc),
                        len(head) + len(chunk) * copies + len(tail)))
    _write_zip(path, members)
    return path


def zip_bomb(path: Path, inflated: int = 1100 * 2**20) -> Path:
    """A 区划 workbook whose sheet holds, after its header row, 1.1 GB of data rows (about 4 MB packed)."""
    row = (f'<row><c t="inlineStr"><is><t>{V3}</t></is></c><c t="inlineStr"><is><t>村</t></is></c>'
           f'<c t="inlineStr"><is><t>村</t></is></c><c t="inlineStr"><is><t>{TOWN}</t></is></c></row>').encode()
    chunk = row * (2**20 // len(row))
    return packed_workbook(path, chunk, inflated // len(chunk) + 1)


def test_the_bomb_is_real(tmp_path):
    """The test's own bomb: a valid zip whose sheet really inflates past 1 GB (read a little of it)."""
    path = zip_bomb(tmp_path / "区划.xlsx")
    assert path.stat().st_size < 8 * 2**20
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size > 2**30
        with archive.open(info) as sheet:
            start = sheet.read(2**20)
    assert b"<sheetData>" in start and start.count(b"<row>") > 5000


def test_a_zip_bomb_disguised_as_xlsx_is_refused_at_once(db, tmp_path):
    before = fingerprint(db)
    run = run_loader(zip_bomb(tmp_path / "台账.xlsx"), "--db", db, limit_s=3 * SECONDS)
    within_bounds(run)
    assert re.search(r"台账.xlsx：文件解压后过大：解压后约 1,10\d MB，超过上限 256 MB（文件本身只有 \d MB）。这不是正常的"
                     "台账工作簿，可能已损坏或是恶意的“压缩炸弹”，未读取", run.out), run.out
    assert fingerprint(db) == before


def test_a_workbook_of_junk_that_packs_a_thousandfold_is_refused(db, tmp_path):
    """200 MB of empty elements beside the rows, from 200 KB: under the size limit, refused by the ratio
    (openpyxl kept every such element: gigabytes of memory; read one by one: 40 s)."""
    path = packed_workbook(tmp_path / "台账.xlsx", b"<x/>" * 2**18, 200, before=b"</worksheet>")
    before = fingerprint(db)
    run = run_loader(path, "--db", db, limit_s=3 * SECONDS)
    within_bounds(run)
    assert re.search(r"台账.xlsx：文件解压后过大：其中 xl/worksheets/sheet1.xml 从 \d+ KB 解压为 200 MB（约 [\d,]+ 倍，"
                     r"正常的工作表只有 10 到 30 倍）", run.out), run.out
    assert fingerprint(db) == before


def test_a_row_of_millions_of_cells_is_refused(db, tmp_path):
    """One row of 3,500,000 distinct cells (69 MB of XML, packed 7 times): within the size and ratio limits,
    refused at the 131,073rd element of the row instead of being built in memory (2 GB)."""
    cells = b"".join(b"<c><v>%d</v></c>" % n for n in range(3_500_000))
    path = packed_workbook(tmp_path / "台账.xlsx", b'<row r="2">' + cells + b"</row>", 1)
    before = fingerprint(db)
    run = run_loader(path, "--db", db, limit_s=3 * SECONDS)
    within_bounds(run)
    assert ("台账.xlsx · 区划：第 2 行附近的一行有超过 131,072 个单元格或单元格部件，不是正常的工作表（Excel 最多 16,384 列），"
            "可能已损坏或是恶意文件") in run.out
    assert fingerprint(db) == before


# ---------------------------------------------------------------- a million rows

@pytest.fixture(scope="module")
def million(tmp_path_factory) -> Path:
    """1,000,000 visit rows (50,000 children of 20 visits each, none of them in the database)."""
    return write_visits(tmp_path_factory.mktemp("million") / "走访.csv", 1_000_000, 50_000, 400)


def test_rows_past_the_row_limit_are_refused_before_they_are_parsed(db, million, tmp_path):
    path = tmp_path / "走访.csv"
    shutil.copy(million, path)
    with path.open("a", encoding="utf-8") as f:
        f.write("2025-12-01,370831100000000001,37083120000000000X,电话\n")
    before = fingerprint(db)
    run = run_loader(path, "--db", db, limit_s=3 * SECONDS)
    within_bounds(run)
    assert ("走访.csv · 走访 · 第1000002行：数据行超过一次导入的上限 1,000,000 行，从这一行起未读取：请把台账按月份或乡镇"
            "拆分成几个文件，分几次导入（上限由环境变量 WEIBAO_LOAD_MAX_ROWS 设定）") in run.out
    assert fingerprint(db) == before


def test_the_row_limit_is_configured_and_counts_rows_across_files(db, tmp_path):
    (tmp_path / "a").mkdir()
    first = region_csv(tmp_path / "a" / "区划.csv", [[V3, "三村", "村", TOWN]])
    second = region_csv(tmp_path / "区划.csv", [[V4, "四村", "村", TOWN], ["370831100205", "五村", "村", TOWN]])
    engine = get_engine(db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEIBAO_LOAD_MAX_ROWS", "2")
        result = load_files([first, second], engine)
        assert [str(p) for p in result.errors] == [
            "区划.csv · 区划 · 第3行：数据行超过一次导入的上限 2 行，从这一行起未读取：请把台账按月份或乡镇"
            "拆分成几个文件，分几次导入（上限由环境变量 WEIBAO_LOAD_MAX_ROWS 设定）"]
        # A workbook is counted as it is read; blank rows do not count.
        book = xlsx(tmp_path / "区划.xlsx", {"区划": [[V3, "三村", "村", TOWN, "", ""], [], [V4, "四村", "村", TOWN, "", ""],
                                                   ["370831100205", "五村", "村", TOWN, "", ""]]})
        assert [str(p) for p in load_files([book], engine).errors] == [
            "区划.xlsx · 区划 · 第5行：数据行超过一次导入的上限 2 行，从这一行起未读取：请把台账按月份或乡镇"
            "拆分成几个文件，分几次导入（上限由环境变量 WEIBAO_LOAD_MAX_ROWS 设定）"]
        patch.setenv("WEIBAO_LOAD_MAX_ROWS", "3")
        assert load_files([first, second], engine).ok
        patch.setenv("WEIBAO_LOAD_MAX_ROWS", "many")
        with pytest.raises(LoadRefused, match="环境变量 WEIBAO_LOAD_MAX_ROWS 应为正整数"):
            load_files([first], engine)
    engine.dispose()


def test_a_million_wrong_rows_are_counted_not_all_listed(db, million):
    """Visits loaded before their children: every row is wrong twice. Listed: the first 1,000; counted: all."""
    before = fingerprint(db)
    run = run_loader(million, "--db", db, limit_s=3 * SECONDS)
    within_bounds(run)
    lines = run.out.splitlines()
    listed = [line for line in lines if line.startswith("走访.csv · 走访 · 第")]
    assert len(listed) == 1_000
    assert listed[0] == ("走访.csv · 走访 · 第2行 · 儿童身份证号 = “370831********0001”：不是已导入的儿童："
                         "数据库和本次导入的儿童表中都没有这个身份证号")
    assert "另有 1,999,000 处错误未逐条列出（最多逐条列出 1,000 处），按列汇总：" in lines
    assert "  走访.csv · 走访 · 列“走访人身份证号”：另有 1,000,000 处（如：不是已导入的工作人员：数据库和本次导入的工作人员表中都没有这个身份证号）" in lines
    assert lines[-1] == "共发现 2,000,000 处错误，未写入任何数据。"
    assert fingerprint(db) == before


# ---------------------------------------------------------------- formula cells

def _xlsx_cells(path: Path, rows: list[list], xml: dict[str, str]) -> Path:
    """A 区划 workbook; a cell whose value is a key of `xml` is replaced by that raw cell XML (its inner part)."""
    book = Workbook()
    ws = book.active
    ws.title = "区划"
    ws.append(REGION)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("'="):
                cell.value = cell.value[1:]
                cell.data_type = "s"  # text that merely looks like a formula
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for placeholder, replacement in xml.items():
        sheet, found = re.subn(rf'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>{placeholder}</t></is></c>',
                               rf'<c r="\1" {replacement}</c>', sheet)
        assert found == 1, placeholder
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


DDE = "cmd|' /C calc'!A0"


def test_formula_cells_are_never_evaluated_nor_stored_as_formulas(db, tmp_path):
    path = _xlsx_cells(tmp_path / "区划.xlsx", [
        [V3, f"={DDE}", "村", TOWN],  # a formula as openpyxl writes it: no saved result
        [V4, "ERROR", "村", TOWN],  # Excel's result of a failed formula
        ["370831100205", "CACHED", "村", TOWN, "", f"=SUM({DDE})"],  # a result saved, and one not
    ], {"ERROR": f't="e"><f>VLOOKUP(A3,{DDE},2,0)</f><v>#N/A</v>', "CACHED": f't="str"><f>{DDE}</f><v>五村</v>'})
    before = fingerprint(db)
    run = run_loader(path, "--db", db)
    within_bounds(run)
    assert ("区划.xlsx · 区划 · 第2行 · 名称 = “=cmd|' /C calc'!A0”：是公式，但文件中没有保存公式的计算结果（文件不是用"
            " Excel 或 WPS 保存的）；请在 Excel 中打开后保存，或把公式改为数值后再导入") in run.out
    assert "区划.xlsx · 区划 · 第3行 · 名称 = “#N/A”：是 Excel 的错误值 #N/A（公式出错的结果），请改正后再导入" in run.out
    assert "区划.xlsx · 区划 · 第4行 · 未成年人口 = “=SUM(cmd|' /C calc'!A0)”：是公式，但文件中没有保存" in run.out
    assert "共发现 3 处错误" in run.out
    assert fingerprint(db) == before


def test_text_that_looks_like_a_formula_is_stored_as_text_and_a_saved_result_as_its_value(db, tmp_path):
    path = _xlsx_cells(tmp_path / "区划.xlsx", [
        [V3, f"'={DDE}", "村", TOWN],  # a text cell: stored as the text it is
        [V4, "CACHED", "村", TOWN, "", "NUMBER"],  # formulas with their results saved by Excel
    ], {"CACHED": f't="str"><f>{DDE}</f><v>四村</v>', "NUMBER": "><f>1+1</f><v>150</v>"})
    engine = get_engine(db)
    result = load_files([path], engine)
    assert result.ok, [str(p) for p in result.errors]
    with engine.connect() as conn:
        stored = dict(conn.execute(select(schema.region.c.code, schema.region.c.name).where(
            schema.region.c.code.in_([V3, V4]))).all())
        population = conn.execute(select(schema.region.c.minor_population).where(
            schema.region.c.code == V4)).scalar_one()
    engine.dispose()
    assert stored == {V3: f"={DDE}", V4: "四村"} and population == 150


# ---------------------------------------------------------------- long cells, encodings, NUL bytes

LONG = "长" * 100_000


def _long_xlsx(path: Path) -> Path:
    return xlsx(path, {"区划": [[V3, LONG, "村", TOWN, "", ""]]})


def _text(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def _bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _junk(path: Path) -> Path:
    return _bytes(path, bytes(range(256)) * 64 + zlib.compress(b"binary junk" * 1000))


def _utf16_no_bom(path: Path) -> Path:
    region_csv(path, [[V3, "三村", "村", TOWN]], encoding="utf-16-le")
    return path


def _utf16(path: Path) -> Path:
    path.write_bytes(codecs.BOM_UTF16_LE + region_csv(path, [[V3, "三村", "村", TOWN]], "utf-16-le").read_bytes())
    return path


# name → (file maker, expected Chinese message): each refused, nothing written
HOSTILE = {
    "long-name": (lambda p: region_csv(p / "区划.csv", [[V3, LONG, "村", TOWN]]),
                  "区划.csv · 区划 · 第2行 · 名称 = “" + "长" * 57 + "…”：文字过长：最多 200 个字，这里有 100,000 个"),
    "long-name-xlsx": (lambda p: _long_xlsx(p / "长.xlsx"), "长.xlsx · 区划 · 第2行 · 名称 = “长"),
    "long-header": (lambda p: _text(p / "区划.csv", ",".join(REGION[:4]) + "," + "备注" * 50_000 + ","
                                    + ",".join(f"列{n}" for n in range(5_000)) + "\n" + f"{V3},{LONG},村,{TOWN}\n"),
                    "区划.csv · 区划 · 第2行 · 名称 = “长"),
    "long-id": (lambda p: _text(p / "儿童.csv", ",".join(CONTRACT_HEADERS["儿童"][:4]) + "\n"
                                + "3" * 100_000 + ",孤儿," + V3 + ",2024-01-01\n"),
        "儿童.csv · 儿童 · 第2行 · 身份证号 = “333333" + "*" * 51 + "…”：身份证号应为 18 位（这里是 100,000 位）"),
    "field-limit": (lambda p: region_csv(p / "区划.csv", [[V3, '"三村', "村", TOWN]] + [[V4, "x" * 1000, "村", TOWN]] * 200),
                    "区划.csv · 区划：有一个单元格超过 131,072 个字符，不是正常的台账内容；常见原因是某个单元格里有不配对的英文双引号"),
    "utf-16": (lambda p: _utf16(p / "区划.csv"), "区划.csv：文件是 UTF-16 编码（Excel 另存为“Unicode 文本”时的编码），不能按 CSV 导入"),
    "utf-16-no-bom": (lambda p: _utf16_no_bom(p / "区划.csv"), "区划.csv：文件中含有空字符（NUL，字节 0x00），不是正常的文本 CSV"),
    "nul": (lambda p: region_csv(p / "区划.csv", [[V3, "三\x00村", "村", TOWN]]),
            "区划.csv：文件中含有空字符（NUL，字节 0x00），不是正常的文本 CSV，可能是 UTF-16 编码或二进制文件；"
            "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入"),
    "junk": (lambda p: _junk(p / "区划.csv"), "区划.csv：文件中含有空字符（NUL，字节 0x00）"),
    "junk-no-nul": (lambda p: _bytes(p / "区划.csv", bytes(range(1, 256)) * 64),
                    "区划.csv：无法识别文件编码（应为 UTF-8 或 GB18030/GBK），也可能不是文本文件"),
    "xlsx-named-csv": (lambda p: xlsx(p / "区划.csv", {"区划": [[V3, "三村", "村", TOWN, "", ""]]}),
                       "区划.csv：这不是 CSV 文件，而是 Excel 工作簿（.xlsx）或其他压缩文件：若是工作簿，请把扩展名改为 .xlsx"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_chinese_message_and_nothing_written(db, tmp_path, case):
    make, expected = HOSTILE[case]
    (tmp_path / case).mkdir()
    path = make(tmp_path / case)
    before = fingerprint(db)
    engine = get_engine(db)
    result = load_files([path], engine)
    engine.dispose()
    shown = [str(p) for p in result.errors]
    assert not result.ok and any(line.startswith(expected) for line in shown), shown
    assert all(len(line) < 600 for line in shown + result.warnings)
    assert fingerprint(db) == before


def test_all_hostile_files_in_one_command_within_bounds(db, tmp_path):
    paths = []
    for case, (make, _) in HOSTILE.items():
        (tmp_path / case).mkdir()
        paths.append(make(tmp_path / case))
    before = fingerprint(db)
    run = run_loader(*paths, "--db", db)
    within_bounds(run)
    for case, (_, expected) in HOSTILE.items():
        assert expected in run.out, case
    assert fingerprint(db) == before


def test_a_gbk_csv_is_read_as_chinese(db, tmp_path):
    path = region_csv(tmp_path / "区划.csv", [[V3, "泗张镇三村", "村", TOWN]], encoding="gbk")
    run = run_loader(path, "--db", db)
    within_bounds(run, code=0)
    engine = get_engine(db)
    with engine.connect() as conn:
        assert conn.execute(select(schema.region.c.name).where(schema.region.c.code == V3)).scalar_one() == "泗张镇三村"
    engine.dispose()


def test_nul_bytes_are_refused_on_every_database(db_url, tmp_path):
    """A NUL once reached PostgreSQL, which refused the whole load as a database failure (exit 2)."""
    engine = get_engine(db_url)
    assert load_files([xlsx(tmp_path / "base.xlsx", {"区划": BASE["区划"]})], engine).ok
    before = fingerprint(db_url)
    result = load_files([region_csv(tmp_path / "区划.csv", [[V3, "三\x00村", "村", TOWN]])], engine)
    engine.dispose()
    assert [str(p) for p in result.errors] == [
        "区划.csv：文件中含有空字符（NUL，字节 0x00），不是正常的文本 CSV，可能是 UTF-16 编码或二进制文件；"
        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入"]
    assert fingerprint(db_url) == before
