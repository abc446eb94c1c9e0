"""Safe Excel in and out, for every app's sheets.

Writing streams: XlsxWriter in `constant_memory` mode, fed from an iterator, writes each row
to a temporary file as it comes and zips the workbook into a file the caller provides (a
temporary file), so memory stays flat whatever the number of rows. XlsxWriter rather than
openpyxl's write-only mode because it is built for this and writes a 5,000-row ledger about
three times faster: one Format object per column (and per highlight), not a style per cell.
Text is always written as text, never as a formula, and without the control characters Excel
refuses.

Reading (openpyxl) refuses what is not a readable .xlsx, zip bombs (by the unzipped size,
before openpyxl reads anything) and oversized sheets, with a message for the user
(SheetError).
"""

import re
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024  # refuses zip bombs before openpyxl reads them
EXCEL_CELL_LIMIT = 32767

TITLE = {"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}
HEADER = {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
HEADER_FILL = "#DDEBF7"
INPUT_FILL = "#FFF2CC"  # the columns the user fills in
ID_COLOR = "#808080"


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text | longtext | number | date | id | highlight | input


@dataclass(frozen=True)
class Highlight:
    """The look of a "highlight" cell with a given value: background and text colours."""

    fill: str  # "#RRGGBB"
    color: str


# --- writing ---------------------------------------------------------------------------------


def local_date(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def clean_text(value):
    """A string Excel accepts: no control characters, within the cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:EXCEL_CELL_LIMIT]


def _column_format(workbook, column):
    """The one Format of a column's data cells."""
    style = {"valign": "top"}
    if column.kind in ("longtext", "input"):
        style["text_wrap"] = True
    if column.kind == "date":
        style["num_format"] = "yyyy-mm-dd"
    if column.kind == "id":
        style["font_color"] = ID_COLOR
    if column.kind == "input":
        style["bg_color"] = INPUT_FILL
    return workbook.add_format(style)


def _write_cell(ws, row, col, value, fmt):
    if value is None or value == "":
        if fmt is not None:  # else the column's format shows (write_sheet)
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, date):  # and datetime
        ws.write_datetime(row, col, value, fmt)
    else:  # never a formula, even when the text starts with "="
        ws.write_string(row, col, clean_text(value), fmt)


def write_sheet(fileobj, *, title, sheet_title, columns, rows, subject="", highlights=None):
    """Stream `rows` (lists of values in `columns` order) into an .xlsx written to `fileobj`:
    a merged title row, a bold frozen header row with a filter, then the rows. A cell of a
    "highlight" column whose value is a key of `highlights` gets that Highlight.
    Returns the number of data rows written."""
    wb = xlsxwriter.Workbook(fileobj, {"constant_memory": True})
    wb.set_properties({"author": "督查督办系统", "title": title, "subject": subject})
    ws = wb.add_worksheet(sheet_title)
    last = len(columns) - 1
    # Per-column formats: a cell written without one, or not written at all (a blank), shows
    # its column's. Not for "input" columns, whose fill would run down the whole sheet:
    # their cells, blanks included, carry the format themselves.
    formats = [_column_format(wb, column) for column in columns]
    cell_formats = [
        fmt if column.kind == "input" else None
        for column, fmt in zip(columns, formats, strict=True)
    ]
    for index, column in enumerate(columns):
        ws.set_column(index, index, column.width, None if cell_formats[index] else formats[index])
    ws.freeze_panes(2, 0)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)

    ws.set_row(0, 26)
    ws.merge_range(0, 0, 0, last, clean_text(title), wb.add_format(TITLE))
    header = wb.add_format({**HEADER, "bg_color": HEADER_FILL})
    input_header = wb.add_format({**HEADER, "bg_color": INPUT_FILL})
    for index, column in enumerate(columns):
        ws.write_string(1, index, column.header, input_header if column.kind == "input" else header)
    marked = {
        value: wb.add_format({"valign": "top", "bg_color": look.fill, "font_color": look.color})
        for value, look in (highlights or {}).items()
    }
    kinds = [column.kind for column in columns]
    count = 0
    for count, values in enumerate(rows, start=1):
        row = count + 1
        if len(values) != len(columns):
            raise ValueError(f"第 {count} 行有 {len(values)} 列，应为 {len(columns)} 列。")
        for col, value in enumerate(values):
            fmt = cell_formats[col]
            if kinds[col] == "highlight":
                fmt = marked.get(value, fmt)
            _write_cell(ws, row, col, value, fmt)
    ws.autofilter(1, 0, count + 1, last)
    wb.close()
    return count


# --- reading ---------------------------------------------------------------------------------


class SheetError(Exception):
    """The file as a whole cannot be read; the message is for the user."""


@contextmanager
def open_workbook(fileobj, max_unzipped=MAX_UNZIPPED_BYTES):
    """The workbook in the uploaded `fileobj`, read-only with values (not formulas); closed
    on exit. Raises SheetError for a file that is not a readable .xlsx or unzips too large;
    an error while reading the sheet inside the block becomes a SheetError too."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetError("文件无法读取：请上传 Excel（.xlsx）格式的文件。") from None
    if unzipped > max_unzipped:
        raise SheetError("文件内容过大，请只保留需要报送的内容后再上传。")
    fileobj.seek(0)
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error on a corrupt file
        raise SheetError("文件已损坏或不是 Excel（.xlsx）文件，无法读取。") from None
    try:
        yield workbook
    except SheetError:
        raise
    except Exception:  # noqa: BLE001 - malformed sheet XML surfaces while iterating
        raise SheetError("文件已损坏，无法读取其中的表格。") from None
    finally:
        workbook.close()


def bounded_rows(sheet, *, max_rows, max_cols, blank_stretch=100, seconds=5.0):
    """The value tuples of `sheet`, at most `max_cols` wide, read within bounds whatever the
    file declares: its `<dimension ref="A1:G1000000">` is ignored (openpyxl would otherwise
    pad to it), reading stops at the first `blank_stretch` consecutive blank rows, and more
    than `max_rows` rows or more than `seconds` of parsing is a SheetError for the user."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    started = time.monotonic()
    blank = 0
    for number, values in enumerate(sheet.iter_rows(max_col=max_cols, values_only=True), 1):
        if number > max_rows:
            raise SheetError(f"文件行数过多（超过 {max_rows} 行），请只保留需要报送的内容。")
        if time.monotonic() - started > seconds:
            raise SheetError("文件内容过多，无法在限定时间内读取，请只保留需要报送的内容。")
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            blank += 1
            if blank >= blank_stretch:
                return
        else:
            blank = 0
        yield values  # blank rows too, so that the caller's row numbers stay Excel's


def find_header(rows, marker, scan=10):
    """({normalised header: column index}, header row number) of the first row among the
    first `scan` of the `rows` iterator that has the column `marker`; (None, None) if none."""
    for number, values in enumerate(rows, start=1):
        names = [normalise_header(v) for v in values]
        if marker in names:
            return {name: i for i, name in reversed(list(enumerate(names))) if name}, number
        if number >= scan:
            break
    return None, None


def normalise_header(value):
    text = re.sub(r"\s+", "", str(value or ""))
    return text.replace("(", "（").replace(")", "）").replace("％", "%")


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def int_or_none(value):
    """An int from a cell value (45, 45.0, "45", "45%"), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip().rstrip("%％").strip()
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else None
