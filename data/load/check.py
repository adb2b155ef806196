"""Row rules (cells, required, date order, duplicates) and cross-table rules (region levels, known people)."""

from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from data import ids
from data.load.cells import NO_RESULT, CellError, Formula, Kind, is_blank
from data.load.read import ReadError, Sheet, read_file
from data.load.result import MAX_LISTED, Problem, Unlisted, show
from data.load.spec import TABLES, Field, TableSpec, derive, header_index, header_key
from data.vocab import LEVEL_LABELS

_MISSING = object()
_BLANK = object()  # a parse memo's entry for an empty cell
ROWS_ENV = "WEIBAO_LOAD_MAX_ROWS"
DEFAULT_MAX_ROWS = 1_000_000  # data rows per invocation (WEIBAO_LOAD_MAX_ROWS); see data/load/README.md

# Region lookups from the database: codes → level, and which of some hashes a table holds.
RegionLevels = Callable[[set[str]], dict[str, str]]
KnownIds = Callable[[TableSpec, set[str]], set[str]]


class Batch:
    """Everything one invocation read: per table the parsed rows by key, and every problem found."""

    def __init__(self, key: bytes, max_rows: int = DEFAULT_MAX_ROWS):
        self.key = key
        self.max_rows = max_rows
        self.rows_read = 0  # data rows of every sheet so far, blank rows not counted
        self.full = False  # past max_rows: nothing more is read, the load is refused
        # table name → {key tuple: stored values in spec.columns order + (sheet number, row)}
        self.rows: dict[str, dict[tuple, tuple]] = {name: {} for name in TABLES}
        self.sources: dict[str, list[str]] = {name: [] for name in TABLES}
        # identities (region code, child or person hash) of rows that failed: rows referring to
        # them are not blamed a second time for the same mistake
        self.broken: dict[str, set] = {name: set() for name in TABLES}
        self.problems: list[Problem] = []  # the first MAX_LISTED found
        # the others, counted per (file, sheet, column): a file of a million bad rows must not list them all
        self.unlisted: Counter = Counter()
        self._example: dict[tuple, str] = {}
        self.warnings: list[str] = []
        self.sheets: list[tuple[str, str | None]] = []  # (file, sheet) by sheet number
        self._caches: dict[Kind, dict] = {}  # memo per field kind: raw cell → value or CellError

    # ------------------------------------------------------------ reading

    def add_file(self, path, table: str | None = None) -> None:
        """Read one file's loadable sheets; a file that cannot be read becomes a problem."""
        name = Path(path).name
        if self.full:
            return  # refused already; reading more would only take time
        try:
            for sheet in read_file(path, table, self.warnings.append):
                self.add_sheet(sheet)
                if self.full:
                    break
        except ReadError as exc:
            number = self._sheet_number(name, exc.sheet)
            self.add_problem(Problem(name, str(exc), sheet=exc.sheet, order=(number, 0, 0)))

    @property
    def listing(self) -> bool:
        """Whether the next problem is listed (else only counted)."""
        return len(self.problems) < MAX_LISTED

    def add_problem(self, problem: Problem) -> None:
        """Keep a problem to list, or past MAX_LISTED count it under its file, sheet and column."""
        if self.listing:
            self.problems.append(problem)
        else:
            self._count((problem.file, problem.sheet, problem.column), problem.reason)

    def _count(self, where: tuple, reason: str, times: int = 1) -> None:
        self.unlisted[where] += times
        if where not in self._example:
            self._example[where] = reason

    def unlisted_summary(self) -> list[Unlisted]:
        return [Unlisted(*where, count, self._example[where]) for where, count in self.unlisted.items()]

    def _sheet_number(self, file: str, sheet: str | None) -> int:
        self.sheets.append((file, sheet))
        return len(self.sheets) - 1

    def _problem(self, number: int, row: int | None, field: Field | None, position: int,
                 reason: str, value: str | None = None) -> None:
        file, sheet = self.sheets[number]
        column = field.header if field else None
        if self.listing:
            self.problems.append(Problem(file, reason, sheet, row, column, value, (number, row or 0, position)))
        else:
            self._count((file, sheet, column), reason)

    def _columns(self, number: int, spec: TableSpec, header: tuple) -> list | None:
        """Cell position of every field (None when absent), or None when the header is unusable."""
        index, found, unknown, usable = header_index(spec), {}, [], True
        for position, text in enumerate(header):
            if is_blank(text):
                continue
            field = index.get(header_key(text))
            if field is None:
                unknown.append(str(text).strip())
            elif field in found:
                self._problem(number, None, field, position,
                              f"列名重复：第 {found[field] + 1} 列和第 {position + 1} 列是同一列")
                usable = False
            else:
                found[field] = position
        file, sheet = self.sheets[number]
        if unknown:
            # Names, phone numbers and addresses must never reach the database: drop, and say so.
            named = "、".join(show(name) for name in unknown[:20])  # a cell each, and not thousands of them
            named += f" 等 {len(unknown):,} 列" if len(unknown) > 20 else ""
            self.warnings.append(f"{file} · {sheet}：列 {named} 不在导入格式中，已忽略（不会保存）")
        for position, field in enumerate(spec.fields):
            if field.required and field not in found:
                self._problem(number, None, field, position, "缺少必填列（列名见导入模板）")
                usable = False
        return [found.get(field) for field in spec.fields] if usable else None

    def add_sheet(self, sheet: Sheet) -> None:
        """Parse and check every row of one sheet, keeping good rows and recording problems."""
        number = self._sheet_number(sheet.file, sheet.name)
        spec = TABLES[sheet.table]
        if all(is_blank(text) for text in sheet.header):
            if any(not _blank_row(cells) for _, cells in sheet.rows):
                self._problem(number, 1, None, 0, "第 1 行应为表头（列名），这里是空行")
            else:
                # A header-only sheet (an unfilled template tab) is skipped; a sheet with nothing at
                # all is more likely a failed export, so it stops the load.
                self._problem(number, None, None, 0, "空表：没有表头也没有数据（不需要的表请删除该工作表）")
            return
        positions = self._columns(number, spec, sheet.header)
        if positions is None:
            return
        store, columns = self.rows[spec.name], spec.columns
        field_columns = [f.column for f in spec.fields]
        key_at = [columns.index(c) for c in spec.key]
        identity_at = field_columns.index(spec.identity) if spec.identity else None
        plan = [(position, field.required, field.kind.blank, field.secret, field.kind.parse,
                 self._caches.setdefault(field.kind, {}), field, index)
                for index, (position, field) in enumerate(zip(positions, spec.fields))]
        has_rules = any(f.not_before or isinstance(f.level, tuple) for f in spec.fields)
        count = same = 0
        room = self.max_rows - self.rows_read
        if sheet.overflow is not None and (past := sheet.overflow(room)) is not None:
            self._over_limit(number, past)  # a CSV counted before parsing: refused in about a second
            return
        for row_number, cells in sheet.rows:
            if _blank_row(cells):
                continue
            count += 1
            if count > room:
                # Bounded time and memory whatever the file: stop here, before holding any more rows.
                count -= 1
                self._over_limit(number, row_number)
                break
            parsed, good = self._parse_row(number, row_number, cells, plan)
            if good and (has_rules or spec.derived):
                row = dict(zip(field_columns, parsed))
                good = not has_rules or self._row_rules(number, row_number, cells, spec, positions, row)
                if good:
                    derive(spec, row)
                    parsed = [row[c] for c in columns]
            if not good:
                if identity_at is not None and parsed[identity_at] is not _MISSING:
                    self.broken[spec.name].add(parsed[identity_at])
                continue
            parsed += (number, row_number)
            values = tuple(parsed)
            key = tuple([values[i] for i in key_at])
            earlier = store.get(key, _MISSING)
            if earlier is _MISSING:
                store[key] = values
            elif earlier[:-2] == values[:-2]:
                same += 1
            else:
                self._duplicate(number, row_number, cells, spec, positions, earlier)
        self.rows_read += count
        if count == 0 and not self.full:
            # An untouched sheet of the template beside filled ones is normal, not an error.
            self.warnings.append(f"{sheet.file} · {sheet.name}：没有数据行，已跳过")
            return
        if same:
            self.warnings.append(f"{sheet.file} · {sheet.name}：{same:,} 行与前面的行完全相同，只导入一次")
        if sheet.file not in self.sources[spec.name]:
            self.sources[spec.name].append(sheet.file)

    def _parse_row(self, number: int, row_number: int, cells, plan) -> tuple[list, bool]:
        """The values of one row in field order (_MISSING where a cell failed), and whether all parsed."""
        parsed, good, width = [], True, len(cells)
        for position, required, blank, secret, parse, cache, field, index in plan:
            raw = cells[position] if position is not None and position < width else None
            # The same date, code or ID recurs thousands of times in a visit ledger: parse once. A text cell
            # (every cell of a CSV) is its own memo key, looked up first, blank ones included.
            memo = raw if raw.__class__ is str else (raw.__class__, raw)
            value = cache.get(memo, _MISSING)
            if value is _MISSING:
                value = cache[memo] = self._parse_cell(raw, parse, secret)
            if value is _BLANK:
                if required:
                    self._problem(number, row_number, field, index, "必填，不能为空", "")
                    good = False
                parsed.append(blank)
                continue
            if value.__class__ is CellError:
                self._problem(number, row_number, field, index, value.reason,
                              show(raw, secret) if self.listing else None)
                good = False
                value = _MISSING
            parsed.append(value)
        return parsed, good

    def _parse_cell(self, raw, parse, secret):
        """One cell's value, _BLANK for an empty one, or the CellError it raised."""
        if raw is None or (raw.__class__ is str and not raw.strip()):
            return _BLANK
        try:
            if raw.__class__ is Formula:  # never evaluated, never stored as its text
                raise CellError(NO_RESULT)
            value = parse(raw)
            return ids.hash_id(value, self.key) if secret else value
        except CellError as exc:
            return exc

    def _over_limit(self, number: int, row_number: int) -> None:
        self.full = True
        self._problem(number, row_number, None, 0,
                      f"数据行超过一次导入的上限 {self.max_rows:,} 行，从这一行起未读取：请把台账按月份或乡镇"
                      f"拆分成几个文件，分几次导入（上限由环境变量 {ROWS_ENV} 设定）")

    def _row_rules(self, number, row_number, cells, spec, positions, row) -> bool:
        """Rules between the columns of one row; False after recording a problem."""
        good = True
        for index, field in enumerate(spec.fields):
            value = row.get(field.column)
            if field.not_before and value is not None:
                earlier = row.get(field.not_before)
                if earlier is not None and value < earlier:
                    other = spec.field(field.not_before).header
                    self._problem(number, row_number, field, index,
                                  f"不能早于{other}（{earlier.isoformat()}）", value.isoformat())
                    good = False
            if isinstance(field.level, tuple):
                # Whether this code may be blank depends on another column (a city has no parent).
                other_column, levels = field.level
                other = spec.field(other_column)
                said = show(_cell(cells, positions[spec.fields.index(other)]))
                if levels.get(row[other_column]) is None and value is not None:
                    self._problem(number, row_number, field, index,
                                  f"{other.header}为“{said}”时应留空", show(value))
                    good = False
                elif levels.get(row[other_column]) is not None and value is None:
                    self._problem(number, row_number, field, index,
                                  f"{other.header}为“{said}”时必填", "")
                    good = False
        return good

    def _duplicate(self, number, row_number, cells, spec, positions, earlier) -> None:
        fields = [spec.field(c) for c in spec.key]
        shown = " / ".join(show(_cell(cells, positions[spec.fields.index(f)]), f.secret) for f in fields)
        file, sheet = self.sheets[earlier[-2]]
        place = " · ".join(p for p in (file, sheet) if p)
        self.add_problem(Problem(
            self.sheets[number][0],
            f"与 {place} · 第{earlier[-1]}行 的键（{'、'.join(f.header for f in fields)}）相同但内容不同；"
            "同一键只能有一行",
            self.sheets[number][1], row_number, "、".join(f.header for f in fields), shown,
            (number, row_number, len(spec.fields)),
        ))

    # ------------------------------------------------------------ cross-table rules

    def total_rows(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def cross_check(self, region_levels: RegionLevels, known_ids: KnownIds) -> None:
        """Region levels and references to children and workers, against this run and the database."""
        if not self.full:  # a load over the row limit is refused whatever the references say
            self._check_levels(region_levels)
            self._check_known(known_ids)
        self.problems.sort(key=lambda p: p.order)

    def _check_levels(self, region_levels: RegionLevels) -> None:
        regions = TABLES["区划"]
        code_at, level_at = regions.columns.index("code"), regions.columns.index("level")
        levels = {v[code_at]: v[level_at] for v in self.rows[regions.name].values()}
        rules = [(spec, index, field) for spec in TABLES.values()
                 for index, field in enumerate(spec.fields) if field.level]
        wanted = {values[spec.columns.index(field.column)]
                  for spec, _, field in rules for values in self.rows[spec.name].values()}
        wanted -= levels.keys() | self.broken[regions.name] | {None}
        levels.update(region_levels(wanted))
        for spec, index, field in rules:
            at = spec.columns.index(field.column)
            if isinstance(field.level, str):
                expected_at, by = None, None
            else:
                expected_at, by = spec.columns.index(field.level[0]), field.level[1]
            for values in self.rows[spec.name].values():
                code = values[at]
                expected = field.level if by is None else by.get(values[expected_at])
                if code is None or expected is None or code in self.broken[regions.name]:
                    continue
                actual = levels.get(code)
                if actual is None:
                    reason = "区划代码不存在：数据库和本次导入的区划表中都没有这个代码"
                elif actual != expected:
                    reason = f"应为{LEVEL_LABELS[expected]}级区划（这个代码是{LEVEL_LABELS[actual]}级）"
                else:
                    continue
                self._problem(values[-2], values[-1], field, index, reason, code)

    def _check_known(self, known_ids: KnownIds) -> None:
        for spec in TABLES.values():
            for index, field in enumerate(spec.fields):
                if not field.known:
                    continue
                target = TABLES[field.known]
                at, own = spec.columns.index(field.column), target.columns.index(target.identity)
                present = {v[own] for v in self.rows[target.name].values()}
                wanted = {v[at] for v in self.rows[spec.name].values()} - present - self.broken[target.name]
                missing = wanted - known_ids(target, wanted) if wanted else set()
                if not missing:
                    continue
                clear = self._clear_ids(field, missing)
                reason = f"不是已导入的{field.known}：数据库和本次导入的{field.known}表中都没有这个身份证号"
                unlisted = {}  # sheet number → problems past MAX_LISTED, counted without being made
                for values in self.rows[spec.name].values():
                    if values[at] in missing:
                        if len(self.problems) < MAX_LISTED:
                            self._problem(values[-2], values[-1], field, index, reason,
                                          ids.mask(clear.get(values[at], "")))
                        else:
                            unlisted[values[-2]] = unlisted.get(values[-2], 0) + 1
                for number, times in unlisted.items():
                    self._count((*self.sheets[number], field.header), reason, times)

    def _clear_ids(self, field: Field, hashes: set[str]) -> dict[str, str]:
        """hash → the ID number as read (from the parse memo), for masked messages only."""
        found = {}
        for memo, value in self._caches.get(field.kind, {}).items():
            if value in hashes:
                found[value] = memo if isinstance(memo, str) else str(memo[1])
        return found


def _cell(cells, position):
    return cells[position] if position is not None and position < len(cells) else None


def _blank_row(cells: Iterable) -> bool:
    try:
        return not "".join(cells).strip()  # a CSV row: all text, decided in one C call
    except TypeError:
        return all(c is None or (c.__class__ is str and not c.strip()) for c in cells)
