"""Reading the spreadsheets offices keep (CSV in UTF-8 or GBK, or .xlsx): rows of stripped
text, the header matched against each column's usual names, and the all-or-nothing import of
small registers (建议提案, 网络问政) whose rows each become one record. The 12345 export, a
million rows, has its own fast path (services.hotline) over the same reading."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from core.excel import SheetError, bounded_rows, cell_text, normalise_header, open_workbook

XLSX_MAX_ROWS = 1_048_576
MAX_ERRORS = 100  # the problems named to the user; the counts cover them all


class ImportRefused(Exception):
    """The file as a whole is unusable (wrong format, missing columns); for the user."""


@dataclass
class Checked:
    """What reading a file found: clean rows, or the bad ones (row number, message)."""

    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    problems: int = 0
    bad_rows: int = 0
    units: set = field(default_factory=set)
    months: set = field(default_factory=set)

    def add_error(self, number, message):
        self.problems += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((number, message))


class RowsInvalid(Exception):
    def __init__(self, checked):
        super().__init__(f"{checked.bad_rows} 行有误")
        self.checked = checked


def _decoded(raw):
    """The text of an uploaded CSV: UTF-8 (with or without BOM) or GB18030, as exports of
    Chinese systems come."""
    head = raw.read(1 << 16)
    raw.seek(0)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            if error.start >= len(head) - 4:  # a character cut at the end of the sample
                return io.TextIOWrapper(raw, encoding=encoding, newline="")
            continue
        return io.TextIOWrapper(raw, encoding=encoding, newline="")
    raise ImportRefused("文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV 文件。")


def _csv_rows(fileobj):
    text = _decoded(getattr(fileobj, "file", fileobj))
    try:
        yield from csv.reader(text)
    except (csv.Error, UnicodeDecodeError):
        raise ImportRefused("CSV 文件格式有误或编码不一致，无法读取。") from None
    finally:
        text.detach()  # the caller's file stays open, and is the caller's to close


def raw_rows(fileobj, name):
    """The rows of the file (lists of cell values), by its extension."""
    lower = name.lower()
    if lower.endswith(".csv"):
        yield from _csv_rows(fileobj)
    elif lower.endswith(".xlsx"):
        try:
            with open_workbook(fileobj) as workbook:
                sheet = workbook.worksheets[0]
                yield from bounded_rows(sheet, max_rows=XLSX_MAX_ROWS, max_cols=40, seconds=600.0)
        except SheetError as error:
            raise ImportRefused(str(error)) from None
    else:
        raise ImportRefused("只能导入 CSV（.csv）或 Excel（.xlsx）格式的文件。")


def texts(values):
    """A row's cells as stripped text (a CSV row already is; an .xlsx row's dates and numbers
    are written the way an export prints them)."""
    return [value.strip() if isinstance(value, str) else cell_text(value) for value in values]


def header(values, columns, required, what):
    """{field: column index} from the header row, each field found under any of its names in
    `columns` ({field: (name, alias…)}); ImportRefused naming the missing required ones."""
    names = [normalise_header(v) for v in values]
    found = {}
    for key, aliases in columns.items():
        for alias in aliases:
            if alias in names:
                found[key] = names.index(alias)
                break
    missing = [columns[key][0] for key in required if key not in found]
    if missing:
        labels = "、".join(aliases[0] for aliases in columns.values())
        raise ImportRefused(
            f"文件第一行缺少列：{'、'.join(missing)}。请使用{what}，第一行为列名（{labels}）。"
        )
    return found


def rows_by_field(fileobj, name, columns, required, what):
    """(row number, {field: text}) of every non-blank row after the header."""
    found = None
    for number, values in enumerate(raw_rows(fileobj, name), start=1):
        cells = texts(values)
        if not any(cells):
            continue
        if found is None:
            found = header(cells, columns, required, what)
            continue
        yield (
            number,
            {key: cells[index] if index < len(cells) else "" for key, index in found.items()},
        )
    if found is None:
        raise ImportRefused("文件是空的：没有找到列名。")


def parse_date(text):
    """A date from "2026-03-05", "2026/3/5", "2026年3月5日" or a datetime's text; ValueError."""
    normal = text.replace("/", "-").replace("年", "-").replace("月", "-").rstrip("日").strip()
    try:
        return date.fromisoformat(normal)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(normal).date()
    except ValueError:
        parts = normal.split("-")
        if len(parts) == 3 and all(p.strip().isdigit() for p in parts):
            return date(*(int(p) for p in parts))
        raise


def import_register(fileobj, name, *, columns, required, what, check_row, create):
    """The all-or-nothing import of a register: `check_row(number, cells, checked)` returns a
    clean value or None after `checked.add_error`; when every row is clean, `create(values)`
    writes them in one transaction. Returns the number of records written."""
    checked = Checked()
    for number, cells in rows_by_field(fileobj, name, columns, required, what):
        problems = checked.problems
        value = check_row(number, cells, checked)
        if checked.problems != problems or value is None:
            checked.bad_rows += 1
        else:
            checked.rows.append(value)
    if checked.bad_rows:
        raise RowsInvalid(checked)
    if not checked.rows:
        raise ImportRefused("文件只有列名，没有内容。")
    with transaction.atomic():
        create(checked.rows)
    return len(checked.rows)
