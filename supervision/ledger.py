"""The 督查台账 as an Excel file, and the department's monthly report sheet read back.

Writing streams (core.excel.write_sheet) from a queryset iterator into a file the caller
provides (a temporary file), so memory stays bounded whatever the number of rows.

Reading checks every row before anything is written (`check_rows`); `submit_rows` then
submits all of them in one transaction through `reporting.save_report`, so an upload is all
or nothing and goes through the same rules and history as the report form.
"""

from dataclasses import dataclass, field

from django import forms
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from core.access import can
from core.excel import (
    Column,
    Highlight,
    SheetError,
    bounded_rows,
    cell_text,
    find_header,
    int_or_none,
    local_date,
    open_workbook,
    write_sheet,
)

from .access import Action
from .choices import Light, ListingLevel, ReportStatus, Source, TaskStatus
from .dashboard import indicator_shown
from .filters import LEDGER_ROW, task_rows, with_indicators
from .models import MonthlyReport, Task
from .reporting import EDITABLE, refusal, report_errors, save_report

LEDGER_SHEET = "督查台账"
REPORT_SHEET = "月度进展报送"
SUBJECT_PREFIX = "月度进展报送表 "  # + YYYY-MM, in the workbook's properties
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 3000
# What the reader looks at at most, whatever the file declares (core.excel.bounded_rows).
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 40
MAX_ID = 2**63 - 1
LIGHT_STYLE = {
    Light.RED: Highlight(fill="#FFC7CE", color="#9C0006"),
    Light.YELLOW: Highlight(fill="#FFEB9C", color="#9C5700"),
    Light.GREEN: Highlight(fill="#C6EFCE", color="#006100"),
    Light.GREY: Highlight(fill="#D9D9D9", color="#404040"),
}
LIGHT_HIGHLIGHTS = {light.label: LIGHT_STYLE[light] for light in Light}


LEDGER_COLUMNS = [
    Column("任务ID", 8, "id"),
    Column("工程", 24, "longtext"),
    Column("编号", 8),
    Column("任务", 36, "longtext"),
    Column("牵头单位", 18, "longtext"),
    Column("责任领导", 10),
    Column("完成时限", 12, "date"),
    Column("最新进展", 50, "longtext"),
    Column("进度（%）", 9, "number"),
    Column("灯号", 8, "highlight"),
    Column("挂牌级别", 12),
    Column("催办次数", 9, "number"),
    Column("自动提醒次数", 11, "number"),
    Column("最近报送", 12, "date"),
    Column("量化指标（最新值）", 40, "longtext"),
    Column("专项工作", 24, "longtext"),
]
REPORT_COLUMNS = [
    *LEDGER_COLUMNS,
    Column("本月报告状态", 12),
    Column("本月进展", 50, "input"),
    Column("存在问题", 30, "input"),
    Column("下步计划", 30, "input"),
    Column("月末进度（%）", 11, "input"),
    Column("进度说明", 24, "input"),
]
# Columns an uploaded sheet must have (matched after normalising brackets and spaces).
REQUIRED_HEADERS = ["任务ID", "本月进展", "存在问题", "下步计划", "月末进度（%）"]
OPTIONAL_HEADERS = ["编号", "进度说明"]
HEADER_KEYS = {
    "任务ID": "task_id",
    "编号": "code",
    "本月进展": "progress",
    "存在问题": "problems",
    "下步计划": "next_steps",
    "月末进度（%）": "percent",
    "进度说明": "percent_note",
}


# --- writing ---------------------------------------------------------------------------------


def indicator_text(indicators):
    """Indicators with their latest reported values: '金融机构 ≥ 10家：4家（2012-06）；…'."""
    parts = []
    for indicator in indicators:
        value = indicator_shown(indicator, indicator.actual)
        when = f"（{indicator.as_of_month:%Y-%m}）" if value and indicator.as_of_month else ""
        parts.append(f"{indicator}：{value or '未报'}{when}")
    return "；".join(parts)


SOURCES = dict(Source.choices)


def ledger_values(row):
    """The ledger columns (in LEDGER_COLUMNS order) of a `filters.ledger_rows` row, a dict
    with "indicators" and "records" added: the columns of the web ledger
    (templates/supervision/ledger.html)."""
    listing = row["listing_level"]
    return [
        row["pk"],
        row["project__title"] or SOURCES.get(row["source"], row["source"]),  # Task.group_title
        row["code"],
        row["title"],
        row["lead_department__name"] or "",
        row["responsible_leader__full_name"] or row["responsible_leader__username"] or "",
        row["due_date"],
        row["last_progress"] or "",
        row["percent_shown"],
        Light(row["light"]).label,
        ListingLevel(listing).label if listing else "",
        row["urging_count"] or 0,
        row["reminder_count"] or 0,
        local_date(row["last_submitted_at"]),
        indicator_text(row["indicators"]),
        records_text(row.get("records", ())),
    ]


def records_text(records):
    """The other apps' records of a task (core/task_records.py summaries), as the web ledger's
    专项工作 column says them: '食品安全检查 2（逾期1）；应急演练 1'."""
    return "；".join(
        f"{s.source.label} {s.total}" + (f"（逾期{s.late}）" if s.late else "") for s in records
    )


def write_ledger(fileobj, rows, today, records=None):
    """The 督查台账 of `rows` (an iterable of `filters.ledger_rows` rows) as .xlsx into
    `fileobj`; `records` is {task id: [Summary]} of the other apps' records
    (core/task_records.py)."""
    records = records or {}

    def values():
        for row in rows:
            row["records"] = records.get(row["pk"], ())
            yield ledger_values(row)

    return write_sheet(
        fileobj,
        title=f"督查台账（{today.year}年{today.month}月{today.day}日导出）",
        sheet_title=LEDGER_SHEET,
        columns=LEDGER_COLUMNS,
        rows=values(),
        highlights=LIGHT_HIGHLIGHTS,
    )


def ledger_filename(today):
    return f"督查台账-{today:%Y%m%d}.xlsx"


# --- the department's report sheet -----------------------------------------------------------


#: the last non-draft report before the month, as `reporting.report_for` prefills from it
PREVIOUS = ("prev_progress", "prev_problems", "prev_next_steps", "prev_percent")


def department_tasks(department, month, today=None):
    """The tasks `department` leads in `month`'s plan year (not closed), as `ledger_rows`
    rows with the task's percent and the PREVIOUS columns (what `reporting.report_for`
    prefills from), in plan order."""
    previous = (
        MonthlyReport.objects.filter(task=OuterRef("pk"), month__lt=month)
        .exclude(status=ReportStatus.DRAFT)
        .order_by("-month")
    )
    rows = (
        task_rows(today)
        .filter(lead_department=department, year=month.year)
        .exclude(status=TaskStatus.CLOSED)
        .annotate(
            **{name: Subquery(previous.values(name.removeprefix("prev_"))[:1]) for name in PREVIOUS}
        )
        .order_by("path")
        .values(*LEDGER_ROW, "percent", *PREVIOUS)
    )
    return with_indicators(rows.iterator(chunk_size=1000))


def prefill(row, report):
    """(status, progress, problems, next_steps, percent, percent_note) as `report_for` would
    fill the form: the stored report of the month, else the last report, else the task."""
    if report is not None:
        return (
            report.get_status_display(),
            report.progress,
            report.problems,
            report.next_steps,
            report.percent,
            report.percent_note,
        )
    if row["prev_percent"] is not None:
        return (
            "未填报",
            row["prev_progress"],
            row["prev_problems"],
            row["prev_next_steps"],
            row["prev_percent"],
            "",
        )
    return ("未填报", "", "", "", row["percent"], "")


def write_report_sheet(fileobj, department, month, today=None):
    """The department's sheet for `month`: ledger columns plus this month's report columns."""
    today = today or timezone.localdate()
    reports = {
        r.task_id: r
        for r in MonthlyReport.objects.filter(task__lead_department=department, month=month)
    }
    rows = (
        [*ledger_values(row), *prefill(row, reports.get(row["pk"]))]
        for row in department_tasks(department, month, today)
    )
    return write_sheet(
        fileobj,
        title=f"{department.name} {month.year}年{month.month}月工作进展报送表"
        f"（{today.year}年{today.month}月{today.day}日导出）",
        sheet_title=REPORT_SHEET,
        columns=REPORT_COLUMNS,
        rows=rows,
        subject=f"{SUBJECT_PREFIX}{month:%Y-%m}",
    )


def report_sheet_filename(department, month):
    return f"{department.name}-{month:%Y年%m月}进展报送表.xlsx"


# --- reading ---------------------------------------------------------------------------------


@dataclass
class SheetRow:
    excel_row: int
    task_id: object = None
    code: str = ""
    progress: str = ""
    problems: str = ""
    next_steps: str = ""
    percent: object = None
    percent_note: str | None = None  # None when the sheet has no 进度说明 column

    def is_blank(self):
        return not any(
            [
                self.task_id not in (None, ""),
                self.progress,
                self.problems,
                self.next_steps,
                self.percent not in (None, ""),
                self.percent_note,
            ]
        )


def read_report_sheet(fileobj, month):
    """The data rows of an uploaded report sheet. Raises SheetError for a file that is not a
    readable .xlsx, is too large, lacks the header, or belongs to another month."""
    with open_workbook(fileobj) as workbook:
        subject = workbook.properties.subject or ""
        if subject.startswith(SUBJECT_PREFIX) and subject != f"{SUBJECT_PREFIX}{month:%Y-%m}":
            other = subject[len(SUBJECT_PREFIX) :]
            raise SheetError(
                f"该文件是 {other} 的报送表，与本页月份（{month:%Y-%m}）不符，"
                "请下载本月的报送表填写。"
            )
        sheet = workbook[REPORT_SHEET] if REPORT_SHEET in workbook.sheetnames else workbook.active
        return _read_rows(sheet)


def _read_rows(sheet):
    rows = bounded_rows(sheet, max_rows=MAX_SHEET_ROWS, max_cols=MAX_COLUMNS)
    columns, header_row = find_header(rows, "任务ID")
    if columns is None:
        raise SheetError("未找到表头行（含“任务ID”列）。请使用系统下载的报送表，不要删除表头。")
    missing = [h for h in REQUIRED_HEADERS if h not in columns]
    if missing:
        raise SheetError("表头缺少以下列：" + "、".join(missing) + "。请使用系统下载的报送表。")
    index = {
        HEADER_KEYS[h]: columns[h] for h in REQUIRED_HEADERS + OPTIONAL_HEADERS if h in columns
    }
    result = []
    for number, values in enumerate(rows, start=header_row + 1):
        cells = {key: values[i] if i < len(values) else None for key, i in index.items()}
        row = SheetRow(
            excel_row=number,
            task_id=cells["task_id"],
            code=cell_text(cells.get("code")),
            progress=cell_text(cells["progress"]),
            problems=cell_text(cells["problems"]),
            next_steps=cell_text(cells["next_steps"]),
            percent=cells["percent"],
            percent_note=cell_text(cells["percent_note"]) if "percent_note" in cells else None,
        )
        if row.is_blank():
            continue
        result.append(row)
        if len(result) > MAX_ROWS:
            raise SheetError(f"文件行数过多（超过 {MAX_ROWS} 行），请只保留本单位的任务。")
    return result


# --- checking and submitting -----------------------------------------------------------------


@dataclass
class RowError:
    excel_row: int
    code: str
    messages: list = field(default_factory=list)

    @property
    def text(self):
        return "；".join(self.messages)


@dataclass
class PlannedReport:
    row: SheetRow
    task: Task
    report: MonthlyReport
    data: dict


@dataclass
class CheckResult:
    planned: list = field(default_factory=list)
    unchanged: int = 0  # rows of already submitted reports, left as they are
    errors: list = field(default_factory=list)


def check_rows(user, month, rows):
    """Check every row of an uploaded sheet for `month`; nothing is written here."""
    result = CheckResult()
    # An id beyond the database's integer range (Hypothesis found 9.2e18 in a cell) is simply
    # not a task, never an overflow in the query.
    ids = {i for i in (int_or_none(r.task_id) for r in rows) if i and 0 < i <= MAX_ID}
    previous = (
        MonthlyReport.objects.filter(task=OuterRef("pk"), month__lt=month)
        .exclude(status=ReportStatus.DRAFT)
        .order_by("-month")
    )
    tasks = {
        t.pk: t
        for t in Task.objects.filter(pk__in=ids)
        .select_related("project__plan", "lead_department")
        .annotate(prev_percent=Subquery(previous.values("percent")[:1]))
    }
    reports = {r.task_id: r for r in MonthlyReport.objects.filter(task__in=ids, month=month)}
    seen = {}
    for row in rows:
        messages = []
        task_id = int_or_none(row.task_id)
        task = tasks.get(task_id)
        code = task.code if task else row.code
        if task_id is None:
            messages.append("任务ID缺失或无效")
        elif task is None:
            messages.append(f"任务ID {task_id} 不存在")
        elif not can(user, Action.REPORT, task):
            messages.append("该任务不由本单位牵头，不能报送")
        elif task_id in seen:
            messages.append(f"与第 {seen[task_id]} 行是同一任务")
        elif task.year != month.year:
            messages.append(f"该任务属于{task.year}年计划，不能报送{month:%Y-%m}的进展")
        elif refused := refusal(task, month):  # the rules every report path shares (办结 …)
            messages.append(refused.rstrip("。"))
        if task_id is not None:
            seen.setdefault(task_id, row.excel_row)
        percent = int_or_none(row.percent) if row.percent not in (None, "") else None
        if row.percent in (None, ""):
            messages.append("请填写月末进度")
        elif percent is None:
            messages.append(
                f"月末进度“{cell_text(row.percent)[:20]}”不是整数，请填写 0 到 100 之间的整数"
            )
        data = {
            "progress": row.progress,
            "problems": row.problems,
            "next_steps": row.next_steps,
            "percent": percent,
        }
        if row.percent_note is not None:
            data["percent_note"] = row.percent_note
        report = reports.get(task.pk) if task else None
        if task is not None and percent is not None:
            stored_note = report.percent_note if report else ""
            rules = report_errors(
                {"percent_note": stored_note, **data},
                previous_percent=task.prev_percent,
                submit=True,
            )
            messages += [m.rstrip("。") for errors in rules.values() for m in errors]
        if messages or task is None:
            result.errors.append(RowError(row.excel_row, code, messages))
            continue
        if report is not None and report.status not in EDITABLE:
            if all(getattr(report, key) == value for key, value in data.items()):
                result.unchanged += 1
                continue
            result.errors.append(
                RowError(
                    row.excel_row,
                    code,
                    [
                        f"本月报告{report.get_status_display()}，不能再修改；"
                        "如需修改，请由处室负责人退回（或删去此行）"
                    ],
                )
            )
            continue
        if report is None:
            report = MonthlyReport(task=task, month=month, version=0)
        result.planned.append(PlannedReport(row, task, report, data))
    return result


@transaction.atomic
def submit_rows(user, planned):
    """Submit every planned report, all or nothing. ReportConflict / ReportLocked from
    `save_report` (someone changed a report since the check) roll everything back."""
    for item in planned:
        save_report(
            item.report, user=user, data=item.data, version=item.report.version, submit=True
        )
    return len(planned)


# --- the upload form -------------------------------------------------------------------------


class ReportSheetForm(forms.Form):
    """The upload of a filled report sheet; `clean_file` reads it into `self.rows`."""

    file = forms.FileField(
        label="填好的报送表（.xlsx）",
        help_text="请使用本页下载的报送表填写；文件不超过 5 MB。",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, month, **kwargs):
        super().__init__(*args, **kwargs)
        self.month = month
        self.rows = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件过大（{upload.size / 1024 / 1024:.1f} MB），不能超过 5 MB。"
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                "只能上传 Excel 2007 及以上格式（.xlsx）的文件；.xls、.csv 等请先另存为 .xlsx。"
            )
        try:
            self.rows = read_report_sheet(upload, self.month)
        except SheetError as error:
            raise forms.ValidationError(str(error)) from None
        if not self.rows:
            raise forms.ValidationError("文件中没有任务行。")
        return upload
