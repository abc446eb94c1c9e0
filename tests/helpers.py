"""What the tests share: builders for users, departments and tasks, signing in, reading a
response, counting queries, skipping (under CI failing) a test that needs what is missing,
and the reminder-test office (a department with its staff and head, a supervisor, a leader,
an outsider and one task) with its scan helper."""

import csv
import io
import os
import socket
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time
from openpyxl import Workbook, load_workbook

from core.models import Department
from core.reminders import scan
from core.roles import Role
from supervision.choices import ListingLevel, ReportStatus, TaskStatus
from supervision.dashboard import close_month
from supervision.models import (
    Instruction,
    Listing,
    Milestone,
    MonthlyReport,
    Plan,
    Project,
    Task,
    User,
)
from supervision.roles import ensure_roles, group_for

TZ = ZoneInfo("Asia/Shanghai")
DUE = date(2030, 6, 30)  # the office task's due date


def skip_or_fail(reason):
    """Skip a test that needs what is missing here (../shared/samples, PostgreSQL, Redis,
    chromium); under CI (CI=true), which provides all of them, fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"must run under CI, but: {reason}", pytrace=False)
    pytest.skip(reason)


def make_user(username, role, department=None, **extra):
    ensure_roles()
    user = User.objects.create_user(username=username, password="pw-12345-test", **extra)
    user.department = department
    user.save()
    user.groups.add(group_for(role))
    return user


def make_department(name="测试处"):
    return Department.objects.get_or_create(name=name)[0]


def make_task(number=1, year=2030, **values):
    plan, _ = Plan.objects.get_or_create(year=year, defaults={"title": f"{year}年工作计划"})
    project, _ = Project.objects.get_or_create(plan=plan, number=1, defaults={"title": "测试工程"})
    values.setdefault("title", f"任务{number}")
    values.setdefault("text", f"任务{number}的原文。")
    values.setdefault("due_date", date(year, 12, 31))
    return Task.objects.create(project=project, number=number, **values)


def make_office():
    """The reminder tests' office (see the module docstring)."""
    dept = make_department("金融工作办公室")
    other = make_department("文电处")
    users = {
        "staff": make_user("staff", Role.STAFF, dept, email="staff@example.gov.cn"),
        "head": make_user("head", Role.HEAD, dept, email="head@example.gov.cn"),
        "sup": make_user("sup", Role.SUPERVISOR, email="sup@example.gov.cn"),
        "leader": make_user("leader", Role.LEADER, email="leader@example.gov.cn"),
        "outsider": make_user("outsider", Role.STAFF, other, email="o@example.gov.cn"),
    }
    task = make_task(
        1,
        year=2030,
        title="提升融资环境",
        lead_department=dept,
        responsible_leader=users["leader"],
        start_date=date(2030, 1, 1),
        due_date=DUE,
    )
    return {"dept": dept, "other": other, "task": task, **users}


def run_on(day, django_capture_on_commit_callbacks, **kwargs):
    """The scan of `day` at 08:30, with the after-commit deliveries run."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(hours=8, minutes=30)
    with freeze_time(at), django_capture_on_commit_callbacks(execute=True):
        return scan(day, **kwargs)


def sent(result):
    """{(username, kind, event)} of the items a scan stored."""
    return {(i.recipient.username, i.kind, i.event) for i in result.items}


def only(settings, *rules):
    settings.REMINDER_RULES = list(rules)


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def drain(response):
    """Read a response to its end. A streamed file (FileResponse) closes its temporary file
    when read through; never call response.close() in tests: it sends request_finished,
    which closes the test's database connection on PostgreSQL."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def count_queries(assert_max_num_queries, client, url, at_most=30, status=200):
    """The queries of GET `url` (read to its end), under pytest-django's
    `django_assert_max_num_queries(at_most)`, which prints every statement when it fails."""
    with assert_max_num_queries(at_most) as captured:
        response = client.get(url)
        drain(response)
    assert response.status_code == status
    return len(captured.captured_queries)


# --- the department's report sheet (supervision/ledger.py) ------------------------------------

SHEET_MONTH = "2012-07"  # the demo has reports from January to June 2012


def workbook_of(response):
    content = drain(response)
    return load_workbook(io.BytesIO(content))


def sheet_for(client, month=SHEET_MONTH):
    response = client.get(f"/reports/{month}/sheet.xlsx")
    assert response.status_code == 200, response
    return workbook_of(response)


def fill(workbook, values_by_code):
    """Set report columns by task code; returns the .xlsx as an upload."""
    sheet = workbook.active
    header = [c.value for c in sheet[2]]
    col = {name: header.index(name) + 1 for name in header}
    for row in range(3, sheet.max_row + 1):
        code = sheet.cell(row=row, column=col["编号"]).value
        for name, value in values_by_code.get(code, {}).items():
            sheet.cell(row=row, column=col[name], value=value)
    return as_upload(workbook)


def as_upload(workbook, name="报送表.xlsx"):
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def upload(client, file, month=SHEET_MONTH):
    return client.post(f"/reports/{month}/upload/", {"file": file})


#: a regulation: 第一章/第一条 articles, with （一） items inside one of them; not a plan
REGULATION = """青岛市政务服务管理办法
第一章 总则
第一条 为了规范政务服务工作，根据有关法律、法规，结合本市实际，制定本办法。
第二条 政务服务应当遵循下列原则：
（一）依法依规；
（二）便民高效；
（三）公开透明。
第二章 服务事项
第三条 市政务服务管理部门负责政务服务事项目录的编制和公布。
第三章 附则
第四条 本办法自2024年1月1日起施行。
"""
NOT_A_PLAN = "没有找到章节标题：计划正文应按“一、二、三、……”分章节，每个章节标题单独成行。"


def closed_port():
    """A loopback port nothing listens on: connecting is refused at once (Redis down)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class HangingServer:
    """A loopback socket that accepts connections and never answers (Redis hanging)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.server.close()
        for conn in self.held:
            conn.close()


# --- imports of records (core/imports.py) -------------------------------------------------------


def table_upload(rows, name="导入.xlsx"):
    """`rows` (lists of cell values, the header first) as an uploaded .xlsx or .csv (by the
    name's suffix)."""
    if name.endswith(".csv"):
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"))
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    return as_upload(workbook, name)


# --- a closed month with known figures (督查通报 and 目标绩效考核, issue 14) ---------------------

JUNE = date(2030, 6, 1)


def _june_report(task, percent, submitted_day, problems=""):
    return MonthlyReport.objects.create(
        task=task,
        month=JUNE,
        percent=percent,
        problems=problems,
        progress="6月进展",
        status=ReportStatus.SUBMITTED,
        submitted_at=datetime(2030, 7, submitted_day, 9, tzinfo=TZ),
    )


def make_month_office():
    """June 2030 of a small plan, not yet closed. 甲处 leads t1 (60%, on time, a 节点 met, a
    批示 answered in 3 days) and t2 (overdue since 5-31, 40%, reason 资金未到位); 乙处 leads t3
    (completed, reported late, a 节点 met late) and t4 (no June report, 挂牌督办 past its
    6-25 deadline, a 批示 unanswered). Heads of both, a supervisor, a leader, staff of 甲处."""
    a, b = make_department("甲处"), make_department("乙处")
    users = {
        "sup": make_user("sup", Role.SUPERVISOR),
        "leader": make_user("leader", Role.LEADER),
        "head_a": make_user("head_a", Role.HEAD, a),
        "head_b": make_user("head_b", Role.HEAD, b),
        "staff_a": make_user("staff_a", Role.STAFF, a),
    }
    start = {"start_date": date(2030, 1, 1)}
    t1 = make_task(1, title="建设金融中心", lead_department=a, **start)
    t2 = make_task(2, title="引进金融机构", lead_department=a, due_date=date(2030, 5, 31), **start)
    t3 = make_task(3, title="改造食品市场", lead_department=b, status=TaskStatus.COMPLETED, **start)
    t4 = make_task(4, title="整治校园周边", lead_department=b, **start)
    _june_report(t1, 60, 2)
    _june_report(t2, 40, 3, problems="资金未到位")
    _june_report(t3, 100, 15)
    Milestone.objects.create(
        task=t1, title="方案", due_date=date(2030, 6, 15), completed_on=date(2030, 6, 14)
    )
    Milestone.objects.create(
        task=t3, title="验收", due_date=date(2030, 6, 20), completed_on=date(2030, 6, 25)
    )
    Listing.objects.create(
        task=t4,
        level=ListingLevel.OFFICE,
        reason="进度滞后",
        deadline=date(2030, 6, 25),
        listed_by=users["sup"],
        listed_at=datetime(2030, 6, 2, 9, tzinfo=TZ),
    )
    answered = Instruction.objects.create(
        task=t1,
        leader=users["leader"],
        text="抓紧推进",
        response="已落实",
        responded_by=users["head_a"],
        responded_at=datetime(2030, 6, 8, 9, tzinfo=TZ),
    )
    open_one = Instruction.objects.create(task=t4, leader=users["leader"], text="限期整改校园周边")
    Instruction.objects.filter(pk=answered.pk).update(created_at=datetime(2030, 6, 5, 9, tzinfo=TZ))
    Instruction.objects.filter(pk=open_one.pk).update(
        created_at=datetime(2030, 6, 10, 9, tzinfo=TZ)
    )
    return {"a": a, "b": b, "tasks": [t1, t2, t3, t4], "plan": t1.project.plan, **users}


def close_june(office):
    """Close June 2030 as of 2030-07-20 (every June report's deadline has passed)."""
    with freeze_time(datetime(2030, 7, 20, 10, tzinfo=TZ)):
        return close_month(office["plan"], JUNE, office["sup"])
