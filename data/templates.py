"""python -m data.templates OUT_DIR: the blank import workbook, built from the loader's own column specs."""

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from data.cli import ChineseParser
from data.load.cells import CODE, ID_NUMBER
from data.load.spec import TABLES, Field, TableSpec

FILE_NAME = "导入模板.xlsx"
GUIDE_SHEET = "说明"
LAST_ROW = 1048576  # validations and formats cover the whole column, however long the ledger
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)

RULES = (
    "每个工作表对应一张表，工作表名（区划、儿童、工作人员、阵地、走访、培训、资金预算、资金支出）不要改；"
    "用不到的表留空即可（导入时跳过并提示），也可以删除。本“说明”表导入时会被忽略。",
    "第 1 行是表头，不要改动；从第 2 行起每行一条记录。下表中带 * 的列必须填写（表头中橙色的列）。"
    "完全空白的行会被跳过。",
    "日期：YYYY-MM-DD（也可 YYYY/MM/DD、YYYY.MM.DD 或 Excel 日期格式），不得晚于导入当天。"
    "月份：YYYY-MM（也可 YYYY/MM、YYYY年M月）。年度：四位数字。",
    "区划代码：12 位统计用区划代码，请按文本录入（模板中这些列已设为文本格式）。"
    "区划层级须衔接：县的上级是市，乡镇的上级是县，村的上级是乡镇。",
    "身份证号：18 位，末位可为 X，导入时核对校验位；请按文本录入，否则 Excel 会丢失后几位。"
    "身份证号只以密钥哈希保存，不保存明文，报错时也只显示 370831********123X 的形式。",
    "是/否列：填 是 或 否（也可 Y/N、1/0）；空白视为 否。有下拉选项的列请从下拉中选择。",
    "全部或全不：一次导入中任何一个文件的任何一行有错，就什么都不写入，并列出全部错误"
    "（文件、工作表、Excel 行号、列、值、原因）。改正后把全部文件重新导入即可。",
    "按键更新：键相同的行再次导入会替换原有记录（用来登记退出日期、离任日期、撤销日期等）；"
    "重复导入同一文件不会产生重复数据。同一次导入中键相同而内容不同的两行会报错。",
    "同一次导入按 区划 → 儿童、工作人员、阵地 → 走访、培训 → 资金预算、资金支出 的顺序写入，"
    "所以一个工作簿可以同时包含全部表。",
    "不要填写姓名、联系电话、家庭住址等个人信息：这些列不在导入格式中，导入时会被忽略，不会保存。",
    "导入命令：python -m data.load 导入模板.xlsx（CSV 文件以表名命名，如 走访.csv，可用 UTF-8 或 GBK 编码）。",
)


def _describe(field: Field) -> str:
    return "；".join(part for part in (field.kind.hint, field.note) if part)


def _validations(field: Field, column: str) -> list[DataValidation]:
    cells = f"{column}2:{column}{LAST_ROW}"
    found = []
    if field.kind.choices:
        allowed = "、".join(field.kind.choices)
        found.append(DataValidation(
            type="list", formula1='"' + ",".join(field.kind.choices) + '"', allow_blank=True,
            showErrorMessage=True, errorTitle="不是允许的值", error=f"{field.header}应为：{allowed}",
            sqref=cells))
    elif field.kind in (CODE, ID_NUMBER):
        length = 12 if field.kind is CODE else 18
        found.append(DataValidation(
            type="textLength", operator="equal", formula1=str(length), allow_blank=True,
            showErrorMessage=True, errorTitle="位数不对", error=f"{field.header}应为 {length} 位",
            sqref=cells))
    return found


def _table_sheet(book: Workbook, spec: TableSpec) -> None:
    ws = book.create_sheet(spec.name)
    for number, field in enumerate(spec.fields, start=1):
        column = get_column_letter(number)
        cell = ws.cell(row=1, column=number, value=field.header)
        cell.font = BOLD
        cell.fill = REQUIRED_FILL if field.required else OPTIONAL_FILL
        cell.comment = Comment(("必填。" if field.required else "") + _describe(field), "导入模板")
        dimension = ws.column_dimensions[column]
        dimension.width = max(14, 2 * len(field.header) + 4)
        if field.kind.number_format:
            # Text format keeps codes and ID numbers as typed (no 3.7E+11, no lost digits).
            dimension.number_format = field.kind.number_format
        for validation in _validations(field, column):
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"


def _guide_sheet(book: Workbook) -> None:
    ws = book.create_sheet(GUIDE_SHEET, 0)
    ws.append(["未保驾驶舱 导入模板 说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    for number, rule in enumerate(RULES, start=1):
        ws.append([f"{number}.", rule])
    for spec in TABLES.values():
        ws.append([])
        ws.append([f"表：{spec.name}", "键：" + " + ".join(spec.field(c).header for c in spec.key)])
        ws.cell(ws.max_row, 1).font = BOLD
        ws.append(["列", "格式 / 取值 / 规则"])
        for cell in ws[ws.max_row]:
            cell.font = BOLD
        for field in spec.fields:
            ws.append([field.header + (" *" if field.required else ""), _describe(field)])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 110
    for row in ws.iter_rows(min_row=3):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def build_workbook() -> Workbook:
    """The blank template: a 说明 sheet, then one sheet per table with headers and drop-downs."""
    book = Workbook()
    book.remove(book.active)
    _guide_sheet(book)
    for spec in TABLES.values():
        _table_sheet(book, spec)
    book.active = 0
    return book


def write_template(out_dir) -> Path:
    """Write 导入模板.xlsx into out_dir (created if needed); returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILE_NAME
    build_workbook().save(path)
    return path


def main(argv=None) -> int:
    parser = ChineseParser(prog="python -m data.templates",
                           description="写出空白导入模板 导入模板.xlsx（每张表一个工作表，含说明和下拉选项）")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="输出文件夹")
    args = parser.parse_args(argv)
    try:
        path = write_template(args.out_dir)
    except OSError as exc:
        print(f"无法写出模板：{exc.filename or args.out_dir}（{exc.strerror or exc}）", file=sys.stderr)
        return 2
    print(f"已写出 {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
