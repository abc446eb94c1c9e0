"""督查台账 (page and .xlsx) and the department's report sheet: download, fill, upload."""

import io
import zipfile
from datetime import date, datetime
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from openpyxl import Workbook

from core.models import Department
from core.roles import Role
from supervision import ledger as sheets
from supervision import reporting
from supervision.choices import ListingLevel, ReportStatus
from supervision.filters import filter_tasks
from supervision.ledger import MAX_UPLOAD_BYTES, REPORT_COLUMNS
from supervision.models import Listing, MonthlyReport, Task, Urging, User
from tests.helpers import (
    as_upload,
    count_queries,
    drain,
    fill,
    make_department,
    make_task,
    make_user,
    sheet_for,
    upload,
    workbook_of,
)

pytestmark = pytest.mark.django_db

LEDGER = "/supervision/ledger/"
LEDGER_XLSX = "/supervision/ledger.xlsx"
MONTH = "2012-07"  # the demo has reports from January to June 2012 (May for task 2.2)


def login(client, username):
    client.force_login(User.objects.get(username=username))


def data_rows(sheet):
    return [row for row in sheet.iter_rows(min_row=3, values_only=True) if any(row)]


def finance():
    return Department.objects.get(name="金融工作办公室")


# --- access ----------------------------------------------------------------------------------


def test_urls_are_the_contract():
    assert reverse("ledger") == LEDGER
    assert reverse("ledger_xlsx") == LEDGER_XLSX
    assert reverse("report_sheet", args=[MONTH]) == "/reports/2012-07/sheet.xlsx"
    assert reverse("report_upload", args=[MONTH]) == "/reports/2012-07/upload/"


@pytest.mark.parametrize("url", [LEDGER, LEDGER_XLSX])
@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("staff1", 403),
        ("head1", 403),
        ("staff2", 403),
        ("leader1", 200),
        ("supervisor1", 200),
        ("admin", 200),
    ],
)
def test_ledger_access(client, demo, url, username, status):
    login(client, username)
    response = client.get(url)
    drain(response)  # a FileResponse closes its temporary file when read through
    assert response.status_code == status
    if status == 403:
        assert "无权访问" in response.content.decode()


@pytest.mark.parametrize(
    "url", [LEDGER, LEDGER_XLSX, f"/reports/{MONTH}/sheet.xlsx", f"/reports/{MONTH}/upload/"]
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("username", ["leader1", "supervisor1"])
@pytest.mark.parametrize("url", [f"/reports/{MONTH}/sheet.xlsx", f"/reports/{MONTH}/upload/"])
def test_report_sheet_is_for_departments_staff(client, demo, username, url):
    login(client, username)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("month", ["2012-13", "garbage", "2012-7", "0000-01"])
def test_bad_month_is_404(client, demo, month):
    login(client, "staff1")
    assert client.get(f"/reports/{month}/upload/").status_code == 404
    assert client.get(f"/reports/{month}/sheet.xlsx").status_code == 404


# --- the page --------------------------------------------------------------------------------


def test_ledger_page_shows_every_column(client, demo):
    task = Task.objects.get(code="2.2")
    login(client, "leader1")
    response = client.get(LEDGER)
    body = response.content.decode()
    assert response.status_code == 200
    assert "督查台账" in body
    assert f'href="{reverse("task_detail", args=[task.pk])}"' in body
    assert "2.2 提升融资环境" in body
    assert "金融工作办公室" in body
    assert "王秘书长" in body
    assert "2012-12-31" in body or "2012-06-30" in body
    assert 'class="badge bg-' in body
    assert ListingLevel.OFFICE.label in body  # the demo lists one task
    # the demo's year (its item carried over into 2013 is under 2013)
    assert f"共 {Task.objects.filter(year=2012).count()} 项任务" in body
    assert 'href="/supervision/ledger.xlsx"' in body


def test_ledger_progress_is_truncated_with_full_title(client, demo):
    task = Task.objects.get(code="2.2")
    report = task.reports.order_by("-month").first()
    report.progress = "很长的进展" * 30
    report.save()
    login(client, "supervisor1")
    body = client.get(LEDGER, {"q": "2.2"}).content.decode()
    assert f'title="{report.progress}"' in body
    assert f">{report.progress}<" not in body
    assert f">{report.progress[:20]}" in body


def test_ledger_light_badges(client, demo):
    login(client, "supervisor1")
    with freeze_time("2012-07-10"):
        body = client.get(LEDGER, {"light": "red"}).content.decode()
        count = filter_tasks({"light": "red"}).qs.count()
    assert count > 0
    assert body.count('<span class="badge bg-danger">红灯</span>') == count
    assert "绿灯</span>" not in body


def test_ledger_filters_by_department_and_text(client, demo):
    login(client, "leader1")
    department = finance()
    body = client.get(LEDGER, {"department": department.pk, "role": "lead"}).content.decode()
    assert "提升融资环境" in body
    assert "全面加强食品安全保障" not in body
    assert "共 1 项任务" in body

    body = client.get(LEDGER, {"q": "食品安全"}).content.decode()
    assert "全面加强食品安全保障" in body
    assert "提升融资环境" not in body
    # the export link keeps the filters
    assert 'href="/supervision/ledger.xlsx?q=%E9%A3%9F%E5%93%81%E5%AE%89%E5%85%A8"' in body


def test_ledger_sorts_and_paginates(client, demo):
    department = make_department("测试处")
    for n in range(1, 61):
        make_task(number=n, lead_department=department, percent=n)
    login(client, "supervisor1")
    params = {"department": department.pk, "sort": "-percent"}
    first = client.get(LEDGER, params).content.decode()
    assert "共 60 项任务，第 1 / 2 页" in first
    assert first.index("任务60<") < first.index("任务59<")
    assert "任务10<" not in first
    second = client.get(LEDGER, {**params, "page": 2}).content.decode()
    assert "任务10<" in second and "任务60<" not in second
    assert "page=1" in second  # links keep the filters and replace the page
    assert "sort=-percent" in second


# --- query counts ----------------------------------------------------------------------------


def build_tasks(count):
    """`count` tasks of one department, each listed, urged and reported once."""
    department = make_department("测试处")
    supervisor = User.objects.filter(username="sup-q").first() or make_user(
        "sup-q", Role.SUPERVISOR
    )
    start = Task.objects.count()
    for n in range(start + 1, start + count + 1):
        task = make_task(number=n, lead_department=department, responsible_leader=supervisor)
        MonthlyReport.objects.create(
            task=task,
            month=date(2030, 1, 1),
            progress=f"进展{n}",
            percent=10,
            status=ReportStatus.SUBMITTED,
            submitted_by=supervisor,
            submitted_at=timezone.now(),
        )
        Listing.objects.create(
            task=task,
            level=ListingLevel.CITY,
            reason="滞后",
            deadline=date(2030, 9, 30),
            listed_by=supervisor,
            listed_at=timezone.now(),
        )
        Urging.objects.create(task=task, sent_by=supervisor, message="请加快")
    return supervisor


@pytest.mark.parametrize("url", [LEDGER, LEDGER_XLSX])
def test_query_count_does_not_grow_with_tasks(client, url, django_assert_max_num_queries):
    supervisor = build_tasks(5)
    client.force_login(supervisor)
    # warm: the process's first lookup of the reminders' ContentType is a query, once
    drain(client.get(url))
    small = count_queries(django_assert_max_num_queries, client, url, at_most=12)
    build_tasks(195)
    assert Task.objects.count() == 200
    # new tasks clear the cached filter choices and today's "stored status is current"
    # (supervision/filters.py, standing.task_added): the next request refills them, once
    drain(client.get(url))
    assert count_queries(django_assert_max_num_queries, client, url, at_most=12) == small


def test_ledger_query_count_is_pinned(client, django_assert_max_num_queries):
    supervisor = build_tasks(60)
    client.force_login(supervisor)
    # 1 session, 2 user, 3 the user's groups (roles), 4 count for the paginator,
    # 5 the ids of the page (filter and sort only), 6 the page's tasks with all annotations,
    # 7 the page's indicators (the 量化指标 column), 8 the navbar's unread notices count,
    # 9-11 the filter form's choices (plans, projects, departments), 12 the records other apps
    # keep for the page's tasks (core/task_records.py: one UNION ALL over every source),
    # 13 whether today's stored status is current (supervision/standing.py; then cached)
    with django_assert_max_num_queries(13):
        response = client.get(LEDGER)
    assert response.content.decode().count("进展") >= 50


def test_xlsx_query_count_is_pinned(client, django_assert_max_num_queries):
    supervisor = build_tasks(60)
    client.force_login(supervisor)
    # 1 session, 2 user (with its department), 3 the user's groups (roles), 4 the plan years
    # (the year filter's choices and default), 5 all tasks with all annotations (one
    # iterator query; the other filter choices are not rendered), 6 their indicators (one
    # query per 1,000 rows), 7 the other apps' records of all of them (core/task_records.py:
    # one UNION ALL), 8 the task's ContentType (for the reminder count; cached per process).
    # Warm first: the new tasks cleared the cached filter choices and today's "current".
    drain(client.get(LEDGER_XLSX))
    with django_assert_max_num_queries(8):
        response = client.get(LEDGER_XLSX)
        drain(response)


# --- the Excel export ------------------------------------------------------------------------


@freeze_time("2012-07-10 09:00:00")
def test_xlsx_reads_back(client, demo):
    login(client, "supervisor1")
    response = client.get(LEDGER_XLSX)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('督查台账-20120710.xlsx')}" in disposition
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["督查台账"]
    sheet = workbook["督查台账"]
    assert sheet["A1"].value == "督查台账（2012年7月10日导出）"
    assert "A1:P1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A3"
    header = [c.value for c in sheet[2]]
    assert header[:4] == ["任务ID", "工程", "编号", "任务"]
    assert "完成时限" in header and "灯号" in header and "最近报送" in header
    assert all(c.font.b for c in sheet[2])
    assert sheet.column_dimensions["D"].width > 20
    rows = data_rows(sheet)
    assert len(rows) == Task.objects.filter(year=2012).count()  # the default year's
    task = Task.objects.get(code="2.2")
    row = next(r for r in rows if r[0] == task.pk)
    due = sheet.cell(row=rows.index(row) + 3, column=header.index("完成时限") + 1)
    assert isinstance(due.value, datetime) and due.value.date() == task.due_date
    assert due.number_format == "yyyy-mm-dd"
    assert row[header.index("进度（%）")] == task.percent
    assert isinstance(row[header.index("最近报送")], datetime)
    assert row[header.index("灯号")] in {"红灯", "黄灯", "绿灯", "已办结"}


@freeze_time("2012-07-10 09:00:00")
def test_a_remind_shows_in_the_ledgers_urging_column(client, demo):
    task = Task.objects.get(code="2.2")
    login(client, "supervisor1")

    def urged():
        sheet = workbook_of(client.get(LEDGER_XLSX)).active
        header = [c.value for c in sheet[2]]
        row = next(r for r in data_rows(sheet) if r[0] == task.pk)
        return row[header.index("催办次数")]

    before = urged()
    assert before == Urging.objects.filter(task=task).count()
    response = client.post(f"/tasks/{task.pk}/remind/", {"message": "请于本周内报送。"})
    assert response.status_code == 302
    urging = Urging.objects.filter(task=task).latest("pk")
    assert urging.message == "请于本周内报送。" and urging.sent_by.username == "supervisor1"
    assert urged() == before + 1
    login(client, "staff1")  # staff may not urge: nothing is added
    assert client.post(f"/tasks/{task.pk}/remind/", {"message": "x"}).status_code == 403
    login(client, "supervisor1")
    assert urged() == before + 1


def test_xlsx_respects_filters(client, demo):
    login(client, "leader1")
    params = {"q": "食品安全"}
    sheet = workbook_of(client.get(LEDGER_XLSX, params)).active
    rows = data_rows(sheet)
    assert len(rows) == filter_tasks(params).qs.count() >= 1
    assert all("食品安全" in (r[3] + Task.objects.get(pk=r[0]).text) for r in rows)
    params = {"department": finance().pk, "role": "lead"}
    rows = data_rows(workbook_of(client.get(LEDGER_XLSX, params)).active)
    assert [r[2] for r in rows] == ["2.2"]


def test_xlsx_keeps_formulas_and_control_characters_out(client, demo):
    task = Task.objects.get(code="2.2")
    task.title = '=HYPERLINK("http://evil")'
    task.save()
    report = task.reports.order_by("-month").first()
    report.progress = "进展\x07带控制字符"
    report.save()
    login(client, "leader1")
    response = client.get(LEDGER_XLSX, {"q": "2.2"})
    sheet = workbook_of(response).active
    row = data_rows(sheet)[0]
    assert row[3] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=3, column=4).data_type == "s"
    assert row[7] == "进展带控制字符"


# --- the report sheet: download, fill, upload ------------------------------------------------


def second_finance_task():
    return make_task(
        number=90,
        year=2012,
        title="金融测试任务",
        lead_department=finance(),
        start_date=date(2012, 1, 1),
    )


@freeze_time("2012-07-10 09:00:00")
def test_report_sheet_lists_own_tasks_prefilled(client, demo):
    second_finance_task()
    login(client, "staff1")
    response = client.get(f"/reports/{MONTH}/sheet.xlsx")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    workbook = workbook_of(response)
    sheet = workbook.active
    assert sheet["A1"].value.startswith("金融工作办公室 2012年7月工作进展报送表")
    assert sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]] == [c.header for c in REPORT_COLUMNS]
    rows = {r[2]: r for r in data_rows(sheet)}
    assert set(rows) == {"2.2", "1.90"}
    may = Task.objects.get(code="2.2").reports.get(month=date(2012, 5, 1))
    header = [c.value for c in sheet[2]]
    row = rows["2.2"]
    assert row[header.index("本月报告状态")] == "未填报"
    assert row[header.index("本月进展")] == may.progress
    assert row[header.index("月末进度（%）")] == may.percent
    assert rows["1.90"][header.index("月末进度（%）")] == 0


@freeze_time("2012-07-10 09:00:00")
def test_round_trip_submits_all_rows(client, demo):
    other = second_finance_task()
    task = Task.objects.get(code="2.2")
    login(client, "staff1")
    file = fill(
        sheet_for(client),
        {
            "2.2": {
                "本月进展": "七月完成融资对接会 <script>alert(1)</script>",
                "月末进度（%）": 55,
            },
            "1.90": {"本月进展": "启动", "下步计划": "推进", "月末进度（%）": "20%"},
        },
    )
    response = upload(client, file)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"]).content.decode()
    assert "已报送 2012年7月进展报告 2 份" in page
    staff1 = User.objects.get(username="staff1")
    reports = MonthlyReport.objects.filter(month=date(2012, 7, 1)).order_by("task__path")
    assert {r.task_id for r in reports} == {task.pk, other.pk}
    for report in reports:
        assert report.status == ReportStatus.SUBMITTED
        assert report.submitted_by == staff1
        assert report.version == 1
    assert reports.get(task=task).progress.endswith("<script>alert(1)</script>")
    task.refresh_from_db()
    other.refresh_from_db()
    assert (task.percent, other.percent) == (55, 20)
    assert reports.get(task=task).history.filter(history_user=staff1).exists()

    # the same file again: already submitted and unchanged, nothing is written
    file.seek(0)
    response = upload(client, file)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert "均已提交且没有改动" in client.get(response["Location"]).content.decode()
    assert MonthlyReport.objects.filter(month=date(2012, 7, 1)).count() == 2


@freeze_time("2012-07-10 09:00:00")
def test_draft_and_returned_reports_are_updated(client, demo):
    task = Task.objects.get(code="2.2")
    draft = MonthlyReport.objects.create(
        task=task, month=date(2012, 7, 1), progress="草稿", percent=40, version=3
    )
    login(client, "head1")
    file = fill(sheet_for(client), {"2.2": {"本月进展": "正式", "月末进度（%）": 45}})
    assert upload(client, file).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.progress, draft.version) == (ReportStatus.SUBMITTED, "正式", 4)
    assert draft.submitted_by.username == "head1"


@freeze_time("2012-07-10 09:00:00")
def test_one_bad_row_writes_nothing_and_names_rows(client, demo):
    second_finance_task()
    login(client, "staff1")
    file = fill(
        sheet_for(client),
        {
            "2.2": {"本月进展": "<script>x</script>", "月末进度（%）": 150},
            "1.90": {"本月进展": "启动", "月末进度（%）": "abc"},
        },
    )
    response = upload(client, file)
    body = response.content.decode()
    assert response.status_code == 400
    assert "本次上传未写入任何内容" in body
    assert "第 3 行" in body and "第 4 行" in body
    assert "2.2" in body and "1.90" in body
    assert "月末进度 150 超出范围" in body
    assert "月末进度“abc”不是整数" in body
    assert "<script>x</script>" not in body
    assert not MonthlyReport.objects.filter(month=date(2012, 7, 1)).exists()


@freeze_time("2012-07-10 09:00:00")
def test_one_bad_row_among_good_ones_writes_nothing(client, demo):
    second_finance_task()
    before = Task.objects.get(code="2.2").percent
    login(client, "staff1")
    file = fill(
        sheet_for(client),
        {
            "2.2": {"本月进展": "好", "月末进度（%）": 60},
            "1.90": {"本月进展": "", "存在问题": "无", "月末进度（%）": 10},
        },
    )
    response = upload(client, file)
    assert response.status_code == 400
    assert "请填写本月进展" in response.content.decode()
    assert not MonthlyReport.objects.filter(month=date(2012, 7, 1)).exists()
    assert Task.objects.get(code="2.2").percent == before


@freeze_time("2012-07-10 09:00:00")
def test_other_departments_rows_are_refused(client, demo):
    login(client, "staff1")
    workbook = sheet_for(client)
    login(client, "staff2")
    file = fill(workbook, {"2.2": {"本月进展": "冒名报送", "月末进度（%）": 80}})
    response = upload(client, file)
    body = response.content.decode()
    assert response.status_code == 400
    assert "第 3 行" in body and "该任务不由本单位牵头，不能报送" in body
    assert not MonthlyReport.objects.filter(month=date(2012, 7, 1)).exists()


@freeze_time("2012-07-10 09:00:00")
def test_unknown_and_duplicate_task_ids(client, demo):
    login(client, "staff1")
    workbook = sheet_for(client)
    sheet = workbook.active
    sheet.append(list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))[0])
    sheet.append(
        [
            999999,
            None,
            "9.9",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "进展",
            None,
            None,
            10,
        ]
    )
    response = upload(client, as_upload(workbook))
    body = response.content.decode()
    assert "与第 3 行是同一任务" in body
    assert "任务ID 999999 不存在" in body
    assert not MonthlyReport.objects.filter(month=date(2012, 7, 1)).exists()


@freeze_time("2012-07-10 09:00:00")
def test_percent_below_last_month_needs_a_reason(client, demo):
    last = MonthlyReport.objects.filter(task__code="2.2").latest("month").percent
    lower = last - 5
    login(client, "staff1")
    workbook = sheet_for(client)
    row = {"本月进展": "回落", "月末进度（%）": lower, "存在问题": "", "进度说明": ""}
    response = upload(client, fill(workbook, {"2.2": row}))
    assert response.status_code == 400
    assert f"月末进度（{lower}%）低于上月（{last}%）" in response.content.decode()
    # 存在问题 alone does not explain the drop: the rule is the report form's (reporting.py)
    row = {"本月进展": "回落", "月末进度（%）": lower, "存在问题": "统计口径调整", "进度说明": ""}
    assert upload(client, fill(workbook, {"2.2": row})).status_code == 400
    assert Task.objects.get(code="2.2").percent == last
    row["进度说明"] = "统计口径调整"
    assert upload(client, fill(workbook, {"2.2": row})).status_code == 302
    assert Task.objects.get(code="2.2").percent == lower


@freeze_time("2012-07-10 09:00:00")
def test_submitted_report_cannot_be_changed_by_upload(client, demo):
    login(client, "staff1")
    workbook = sheet_for(client, "2012-05")
    response = upload(
        client, fill(workbook, {"2.2": {"本月进展": "改写", "月末进度（%）": 45}}), "2012-05"
    )
    assert response.status_code == 400
    assert "本月报告已提交，不能再修改" in response.content.decode()
    assert Task.objects.get(code="2.2").reports.get(month=date(2012, 5, 1)).progress != "改写"


def someone_else_saves(task, month=date(2012, 7, 1), **data):
    """head1 saves a draft of `task`'s report in the meantime (between check and submit)."""
    report = reporting.report_for(task, month)
    values = {"progress": "负责人的草稿", "percent": report.percent, **data}
    head1 = User.objects.get(username="head1")
    return reporting.save_report(report, user=head1, data=values, version=report.version)


def history_rows():
    return MonthlyReport.history.count(), Task.history.count()


@freeze_time("2012-07-10 09:00:00")
def test_a_conflict_in_the_middle_of_an_upload_writes_nothing(client, demo, monkeypatch):
    """The second row's report is created by someone else after the check: the first row,
    already saved by then, is rolled back with it (the submit is one transaction)."""
    second_finance_task()
    login(client, "staff1")
    file = fill(
        sheet_for(client),
        {
            "2.2": {"本月进展": "七月进展", "月末进度（%）": 70},
            "1.90": {"本月进展": "启动", "月末进度（%）": 20},
        },
    )
    check_rows = sheets.check_rows
    planned = []

    def check_then_conflict(user, month, rows):
        result = check_rows(user, month, rows)
        planned.extend(item.task for item in result.planned)
        someone_else_saves(result.planned[-1].task)
        return result

    monkeypatch.setattr(sheets, "check_rows", check_then_conflict)
    percents = {t.pk: t.percent for t in Task.objects.all()}
    before = history_rows()
    response = upload(client, file)
    assert response.status_code == 400
    body = response.content.decode()
    assert "已被他人修改" in body and "本次上传未写入任何内容" in body
    first, last = planned
    july = MonthlyReport.objects.filter(month=date(2012, 7, 1))
    assert not july.filter(task=first).exists()
    assert july.get().task == last and july.get().progress == "负责人的草稿"
    assert {t.pk: t.percent for t in Task.objects.all()} == percents
    assert history_rows() == (before[0] + 1, before[1])  # only head1's draft


@freeze_time("2012-07-10 09:00:00")
@pytest.mark.parametrize("meanwhile", ["saved", "submitted"])
def test_submit_rows_is_all_or_nothing(demo, meanwhile):
    """A stale version (ReportConflict) or a report submitted meanwhile (ReportLocked) on the
    last row rolls back the rows before it."""
    other = second_finance_task()
    drafts = [someone_else_saves(t) for t in (Task.objects.get(code="2.2"), other)]
    staff1 = User.objects.get(username="staff1")
    rows = [
        sheets.SheetRow(excel_row=3 + n, task_id=d.task_id, progress="报送", percent=80)
        for n, d in enumerate(drafts)
    ]
    result = sheets.check_rows(staff1, date(2012, 7, 1), rows)
    assert not result.errors and len(result.planned) == 2
    last = MonthlyReport.objects.get(pk=result.planned[-1].report.pk)
    if meanwhile == "saved":
        someone_else_saves(last.task)
        expected = reporting.ReportConflict
    else:  # e.g. set in the admin, which keeps the version
        last.status = ReportStatus.SUBMITTED
        last.save()
        expected = reporting.ReportLocked
    first = MonthlyReport.objects.get(pk=result.planned[0].report.pk)
    before = history_rows()
    with pytest.raises(expected):
        sheets.submit_rows(staff1, result.planned)
    after = MonthlyReport.objects.get(pk=first.pk)
    assert (after.status, after.version, after.progress) == (
        ReportStatus.DRAFT,
        first.version,
        "负责人的草稿",
    )
    assert history_rows() == before


@freeze_time("2012-07-10 09:00:00")
def test_future_month_is_refused(client, demo):
    login(client, "staff1")
    page = client.get("/reports/2012-08/upload/").content.decode()
    assert "尚未到来" in page
    workbook = Workbook()
    response = upload(client, as_upload(workbook), "2012-08")
    assert response.status_code == 400
    assert "不能报送未来月份的进展" in response.content.decode()
    response = client.get("/reports/2012-08/sheet.xlsx")
    assert response.status_code == 302


@freeze_time("2012-07-10 09:00:00")
def test_sheet_of_another_month_is_refused(client, demo):
    login(client, "staff1")
    file = fill(sheet_for(client, "2012-06"), {"2.2": {"本月进展": "六月", "月末进度（%）": 45}})
    response = upload(client, file)
    assert response.status_code == 400
    assert "该文件是 2012-06 的报送表，与本页月份（2012-07）不符" in response.content.decode()


def bad_file_cases():
    no_header = Workbook()
    no_header.active.append(["随便", "一个", "表格"])
    missing = Workbook()
    missing.active.append(["任务ID", "本月进展"])
    return [
        (SimpleUploadedFile("报送表.txt", b"hello"), "只能上传 Excel 2007 及以上格式"),
        (SimpleUploadedFile("报送表.xls", b"\xd0\xcf\x11\xe0"), "只能上传 Excel 2007 及以上格式"),
        (SimpleUploadedFile("报送表.xlsx", b"not a zip at all"), "文件无法读取"),
        (SimpleUploadedFile("报送表.xlsx", zip_without_workbook()), "文件已损坏"),
        (
            SimpleUploadedFile("报送表.xlsx", b"0" * (MAX_UPLOAD_BYTES + 1)),
            "文件过大（5.0 MB），不能超过 5 MB",
        ),
        (as_upload(no_header), "未找到表头行"),
        (as_upload(missing), "表头缺少以下列：存在问题、下步计划、月末进度（%）"),
        (as_upload(Workbook()), "未找到表头行"),
        (SimpleUploadedFile("报送表.xlsx", b""), "上传的文件是空的"),
    ]


def zip_without_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "不是 Excel")
    return out.getvalue()


@freeze_time("2012-07-10 09:00:00")
def test_bad_files_get_a_message_not_a_500(client, demo):
    login(client, "staff1")
    for file, message in bad_file_cases():
        response = upload(client, file)
        assert response.status_code == 400, message
        body = response.content.decode()
        assert message in body, (message, body[-3000:])
        assert "invalid-feedback" in body  # beside the file field
    assert client.post(f"/reports/{MONTH}/upload/", {}).status_code == 400
    assert not MonthlyReport.objects.filter(month=date(2012, 7, 1)).exists()


@freeze_time("2012-07-10 09:00:00")
def test_upload_page_renders(client, demo):
    login(client, "staff1")
    response = client.get(f"/reports/{MONTH}/upload/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "金融工作办公室 · 2012年7月工作进展批量报送" in body
    assert 'href="/reports/2012-07/sheet.xlsx"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'type="file"' in body


def test_ledger_bad_filter_value_is_shown_not_a_500(client, demo):
    login(client, "supervisor1")
    response = client.get(LEDGER, {"month": "garbage", "light": "purple", "page": "x"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "请按“年-月”格式填写" in body
    response = client.get(LEDGER_XLSX, {"month": "garbage"})
    drain(response)
    assert response.status_code == 200
