"""Uploads are bounded before they are read (issue 9, item 3): the request body, anonymous
multipart, the spreadsheet reader (declared dimension ignored, blank stretch, row cap, time
budget) and the size of a plan the import page confirms."""

import io
import re
import time
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time
from openpyxl import Workbook

from core.excel import SheetError, bounded_rows
from supervision.forms import MAX_TASKS
from supervision.ledger import SheetRow, check_rows, read_report_sheet
from supervision.models import MonthlyReport, Plan, Task, User
from tests.helpers import login, make_user

pytestmark = pytest.mark.django_db
CN = "一二三四五六七八九十"


def inflated_sheet(blank_rows, *, data_after=False):
    """A report sheet whose XML claims A1:G1000000 and holds `blank_rows` empty rows after
    its one data row (the 3 MB file that held a gunicorn worker for 80 s)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["督查督办 报送表"])
    sheet.append(["任务ID", "编号", "本月进展", "存在问题", "下步计划", "月末进度（%）"])
    sheet.append([1, "1.1", "进展", "", "计划", 50])
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:G1000000"', xml)
                blanks = "".join(f'<row r="{n}"/>' for n in range(4, 4 + blank_rows))
                if data_after:
                    n = 4 + blank_rows
                    blanks += f'<row r="{n}"><c r="A{n}"><v>2</v></c></row>'
                xml = xml.replace("</sheetData>", blanks + "</sheetData>")
                data = xml.encode()
            target.writestr(item, data)
    result.seek(0)
    return result


def test_a_sheet_claiming_a_million_rows_is_read_in_a_moment():
    started = time.monotonic()
    rows = read_report_sheet(inflated_sheet(300_000, data_after=True), month=None)
    assert time.monotonic() - started < 3
    assert [(r.excel_row, r.task_id) for r in rows] == [(3, 1)]  # stopped at the blank stretch


def test_row_cap_and_time_budget_are_messages():
    class Sheet:
        def __init__(self, rows):
            self.rows = rows

        def iter_rows(self, max_col, values_only):
            return iter(self.rows)

    with pytest.raises(SheetError, match="行数过多"):
        list(bounded_rows(Sheet([(1,)] * 11), max_rows=10, max_cols=5))
    with freeze_time("2030-01-01", auto_tick_seconds=1):
        with pytest.raises(SheetError, match="限定时间"):
            list(bounded_rows(Sheet([(1,)] * 11), max_rows=100, max_cols=5, seconds=3))
    # blank rows inside the stretch are kept, so Excel's row numbers stay right
    rows = list(bounded_rows(Sheet([(1,), (None,), ("  ",), (2,)]), max_rows=10, max_cols=5))
    assert rows == [(1,), (None,), ("  ",), (2,)]


def test_anonymous_multipart_is_refused_before_it_is_read(client, demo):
    upload = SimpleUploadedFile("报送表.xlsx", b"x" * 100 * 1024)
    response = client.post("/reports/2012-07/upload/", {"file": upload})
    assert response.status_code == 403
    assert "请先登录" in response.content.decode()


def test_an_oversize_body_is_refused_by_its_declared_length(client, demo, settings):
    login(client, "staff1")
    response = client.generic(
        "POST",
        "/reports/2012-07/upload/",
        b"tiny",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
    assert "请求内容过大" in response.content.decode()
    assert not MonthlyReport.objects.filter(month__year=2012, month__month=7).exists()


def test_the_import_page_refuses_a_plan_it_could_not_confirm_in_time(client, db):
    client.force_login(make_user("root", "admin", is_superuser=True, is_staff=True))
    lines = ["2030年工作要点。"]
    for p in range(1, MAX_TASKS // 20 + 2):
        lines.append(f"{CN[p - 1] if p <= 10 else '十' + CN[p - 11]}、推进第{p}项工程")
        lines += [f"{t}. 做好第{p}-{t}项任务。（市商务局牵头）" for t in range(1, 21)]
    response = client.post("/plans/import/", {"year": 2030, "text": "\n".join(lines)})
    assert response.status_code in (200, 400)
    assert f"网页导入一次不超过 {MAX_TASKS} 项" in response.content.decode()
    assert not Plan.objects.exists() and not Task.objects.exists()


def test_a_task_id_beyond_the_integer_range_is_a_message(demo):
    staff1 = User.objects.get(username="staff1")
    rows = [SheetRow(excel_row=3, task_id=9.223372036854776e18, progress="x", percent=50)]
    result = check_rows(staff1, date(2012, 7, 1), rows)
    assert [e.text for e in result.errors] == ["任务ID 9223372036854775808 不存在"]
