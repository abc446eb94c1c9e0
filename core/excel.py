"""Safe Excel in and out, for every app's sheets.

Writing streams: an openpyxl write-only workbook fed from an iterator, into a file the caller
provides (a temporary file), so memory stays bounded whatever the number of rows. Text is
always written as text, never as a formula, and without the control characters Excel refuses.

Reading refuses what is not a readable .xlsx, zip bombs (by the unzipped size, before openpyxl
reads anything) and oversized sheets, with a message for the user (SheetError).
"""

import re
import time
import zipfile
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024  # refuses zip bombs before openpyxl reads them
EXCEL_CELL_LIMIT = 32767

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the columns the user fills in
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
ID_FONT = Font(color="808080")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text | longtext | number | date | id | highlight | input


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


def _style_of(ws, column, highlight=None):
    """A cell styled for `column` (and a highlight), whose style array the data cells copy:
    assigning fonts and fills cell by cell costs most of the time of a large sheet."""
    cell = WriteOnlyCell(ws)
    if column.kind == "date":
        cell.number_format = "yyyy-mm-dd"
    if column.kind == "id":
        cell.font = ID_FONT
    cell.alignment = WRAP if column.kind in ("longtext", "input") else TOP
    if column.kind == "input":
        cell.fill = INPUT_FILL
    if highlight is not None:
        cell.fill, cell.font = highlight
    return cell._style


class _Styles:
    def __init__(self, ws, columns, highlights):
        self.ws = ws
        self.plain = [_style_of(ws, column) for column in columns]
        self.highlights = {
            value: _style_of(ws, Column("", 0), style) for value, style in highlights.items()
        }

    def cell(self, index, column, value):
        cell = WriteOnlyCell(self.ws)
        if value is None or value == "":
            cell.value = None
        elif column.kind in ("date", "number", "id") or isinstance(value, int):
            cell.value = value
        else:
            cell.value = clean_text(value)
            cell.data_type = "s"  # never a formula, even when the text starts with "="
        style = self.highlights.get(value) if column.kind == "highlight" else None
        cell._style = copy(style or self.plain[index])
        return cell


def write_sheet(fileobj, *, title, sheet_title, columns, rows, subject="", highlights=None):
    """Stream `rows` (lists of values in `columns` order) into an .xlsx written to `fileobj`:
    a merged title row, a bold frozen header row with a filter, then the rows. A cell of a
    "highlight" column whose value is a key of `highlights` gets that (fill, font).
    Returns the number of data rows written."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "督查督办系统"
    wb.properties.title = title
    wb.properties.subject = subject
    ws = wb.create_sheet(sheet_title)
    last = get_column_letter(len(columns))
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A3"
    ws.row_dimensions[1].height = 26
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "2:2"

    title_cell = WriteOnlyCell(ws, clean_text(title))
    title_cell.font = TITLE_FONT
    title_cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.append([title_cell])
    ws.merged_cells.add(f"A1:{last}1")
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, column.header)
        cell.font = HEADER_FONT
        cell.fill = INPUT_FILL if column.kind == "input" else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    styles = _Styles(ws, columns, highlights or {})
    count = 0
    for values in rows:
        ws.append(
            [
                styles.cell(index, column, value)
                for index, (value, column) in enumerate(zip(values, columns, strict=True))
            ]
        )
        count += 1
    ws.auto_filter.ref = f"A2:{last}{count + 2}"
    wb.save(fileobj)
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
