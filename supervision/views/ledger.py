"""督查台账 (page and Excel export) and the department's monthly report sheet (download and
upload). The work is in `ledger.py`; these views check access, parse the request and answer."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.excel import XLSX_CONTENT_TYPE
from core.months import month_or_404

from .. import ledger as sheets
from .. import standing
from ..access import Action, require_action, require_department_reporter
from ..choices import Light, ListingLevel
from ..filters import filter_tasks, ledger_rows, rows_page
from ..lights import LIGHT_CSS
from ..reporting import ReportConflict, ReportLocked, is_future, months_of_plan

PER_PAGE = 50
SPOOL_BYTES = 4 * 1024 * 1024  # files larger than this go to disk while being built


SHEET_REFUSED = "只有承办单位的人员可以下载和上传月度进展报送表。"


def _xlsx_response(write, filename):
    """Build the workbook into a temporary file with `write(file)` and stream it back."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # FileResponse closes it
    try:
        write(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@login_required
@require_GET
def ledger(request):
    """督查台账: every task with its light, listing, 催办 and latest report, filtered."""
    require_action(request.user, Action.LEDGER)
    today = timezone.localdate()
    filterset = filter_tasks(request.GET, today)
    page = rows_page(filterset, request.GET.get("page"), PER_PAGE, today, indicators=True)
    records = standing.records([task.pk for task in page.object_list], today)
    for task in page.object_list:
        task.records = records.get(task.pk, [])
        task.indicator_text = sheets.indicator_text(task.indicators.all())
        light = Light(task.light)
        task.light_label = light.label
        task.light_css = f"bg-{LIGHT_CSS[light]}" + (" text-dark" if light == Light.YELLOW else "")
        task.listing_label = ListingLevel(task.listing_level).label if task.listing_level else ""
    return render(
        request,
        "supervision/ledger.html",
        {"filter": filterset, "page": page, "tasks": page.object_list},
    )


@login_required
@require_GET
def ledger_xlsx(request):
    """The 督查台账 as .xlsx, with the filters of the page."""
    require_action(request.user, Action.LEDGER)
    today = timezone.localdate()
    filterset = filter_tasks(request.GET, today)
    rows = ledger_rows(filterset, today)
    records = standing.records(filterset.qs.values("pk"), today)  # one query, any size
    return _xlsx_response(
        lambda out: sheets.write_ledger(out, rows, today, records),
        sheets.ledger_filename(today),
    )


@login_required
@require_GET
def report_sheet(request, month):
    """The department's tasks with this month's report columns, to fill in and upload."""
    month = month_or_404(month)
    require_department_reporter(request.user, SHEET_REFUSED)
    if is_future(month):
        messages.error(request, f"{month.year}年{month.month}月尚未到来，不能下载该月的报送表。")
        return redirect("report_upload", month=f"{timezone.localdate():%Y-%m}")
    department = request.user.department
    return _xlsx_response(
        lambda out: sheets.write_report_sheet(out, department, month),
        sheets.report_sheet_filename(department, month),
    )


def _submit_upload(request, form, month):
    """Check the rows of a valid upload and submit them; a redirect when done, else None
    (the form or `result.errors` then say what is wrong)."""
    result = sheets.check_rows(request.user, month, form.rows)
    if result.errors:
        return None, result
    if not result.planned:
        messages.info(
            request, f"文件中的 {result.unchanged} 份报告均已提交且没有改动，本次未报送新的报告。"
        )
        return redirect("report_upload", month=f"{month:%Y-%m}"), result
    try:
        count = sheets.submit_rows(request.user, result.planned)
    except (ReportConflict, ReportLocked) as error:
        form.add_error(None, f"{error.message}（本次上传未写入任何内容，请重新上传。）")
        return None, result
    text = f"已报送 {month.year}年{month.month}月进展报告 {count} 份。"
    if result.unchanged:
        text += f"另有 {result.unchanged} 份已提交的报告没有改动。"
    messages.success(request, text)
    return redirect("report_upload", month=f"{month:%Y-%m}"), result


@login_required
@require_http_methods(["GET", "POST"])
def report_upload(request, month):
    """Upload a filled report sheet: all rows are checked, then all are submitted or none."""
    month = month_or_404(month)
    require_department_reporter(request.user, SHEET_REFUSED)
    future = is_future(month)
    result = None
    status = 200
    if request.method == "POST":
        form = sheets.ReportSheetForm(request.POST, request.FILES, month=month)
        if future:
            form.add_error(None, "不能报送未来月份的进展，本次上传未写入任何内容。")
        elif form.is_valid():
            done, result = _submit_upload(request, form, month)
            if done:
                return done
        status = 400
    else:
        form = sheets.ReportSheetForm(month=month)
    return render(
        request,
        "supervision/report_upload.html",
        {
            "form": form,
            "month": month,
            "future": future,
            "result": result,
            "months": [] if future else months_of_plan(month.year),
            "department": request.user.department,
            "sheet_url": reverse("report_sheet", kwargs={"month": f"{month:%Y-%m}"}),
        },
        status=status,
    )
