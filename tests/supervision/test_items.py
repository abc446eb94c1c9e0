"""督办事项 beyond the plan (issue 10): 立项 from every source and an item's whole life
(节点 proposed and approved, monthly reports with 佐证材料, 申请办结 → 销号), 交办 of a 批示,
the 节点 changes, the 办结 trail, the files' limits and who may download them, and the
filters and counts by source."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from core.choices import ReminderKind
from core.models import Attachment, Reminder
from core.reminders import find_items
from supervision.choices import ClosureStatus, Light, MilestoneStatus, Source, TaskStatus
from supervision.dashboard import month_figures
from supervision.demo import load_demo
from supervision.filters import task_rows
from supervision.models import Closure, Instruction, Milestone, MonthlyReport, Plan, Task, User
from tests.helpers import count_queries, drain

pytestmark = pytest.mark.django_db
NOW = "2012-07-10 10:00:00+08:00"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def users(demo):
    names = ["admin", "leader1", "supervisor1", "head1", "staff1", "staff2"]
    return {u.username: u for u in User.objects.filter(username__in=names)}


def as_user(client, users, name):
    client.force_login(users[name])
    return client


def pdf(name="材料.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def item_data(users, **extra):
    data = {
        "source": Source.MEETING,
        "doc_number": "市政府常务会议纪要〔2012〕第20号",
        "doc_date": "2012-07-05",
        "title": "推进港口物流园区建设",
        "text": "市政府常务会议议定：由金融工作办公室牵头，9月底前完成园区融资方案。",
        "lead_department": str(users["head1"].department_id),
        "partner_departments": [str(users["staff2"].department_id)],
        "responsible_leader": str(users["leader1"].pk),
        "due_date": "2012-09-30",
        "rhythm": "monthly",
        "linked_project": "",
    }
    data.update(extra)
    return data


def create(client, users, **extra):
    as_user(client, users, "supervisor1")
    response = client.post("/tasks/new/", item_data(users, **extra))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Task.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))


# --- 立项 ------------------------------------------------------------------------------------


@freeze_time(NOW)
def test_supervisor_creates_an_item_from_each_source(client, users):
    for source in [s for s in Source.values if s != Source.PLAN]:
        check_item_from(client, users, source)


def check_item_from(client, users, source):
    before = Task.objects.filter(source=Source.PLAN).count()
    task = create(client, users, source=source, title=f"事项：{source}")
    assert task.source == source and task.year == 2012 and task.project is None
    assert task.code.startswith("督2012-") and task.start_date == date(2012, 7, 10)
    assert task.lead_department == users["head1"].department
    assert list(task.partner_departments.all()) == [users["staff2"].department]
    assert Task.objects.filter(source=Source.PLAN).count() == before  # the plan is untouched
    # the lead department is told to plan its 节点
    told = Reminder.objects.filter(kind=ReminderKind.WORKFLOW, recipient=users["staff1"])
    assert told.filter(subject__contains=task.title).exists()
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert Source(source).label in page and "市政府常务会议纪要〔2012〕第20号" in page


@freeze_time(NOW)
def test_items_are_numbered_per_year_after_the_demo_ones(client, users):
    first, second = create(client, users), create(client, users, title="第二项")
    assert second.number == first.number + 1
    # after the demo's items of the year: its three and the 建议提案 of services/ demo
    demo_items = Task.objects.filter(year=first.year).exclude(source=Source.PLAN).count()
    assert first.number == demo_items - 1


BAD_ITEMS = [
    ({"title": ""}, "title", "请填写事项标题"),
    ({"title": "   "}, "title", "请填写事项标题"),
    ({"title": "长" * 201}, "title", ""),
    ({"text": "x" * 20001}, "text", "不能超过"),
    ({"source": "plan"}, "source", "请选择有效的来源"),
    ({"source": "<script>"}, "source", "请选择有效的来源"),
    ({"lead_department": ""}, "lead_department", "请选择牵头单位"),
    ({"lead_department": "999999"}, "lead_department", ""),
    ({"due_date": ""}, "due_date", "请填写完成时限"),
    ({"due_date": "2012-07-01"}, "due_date", "不能早于今天"),
    ({"due_date": "9999-12-31"}, "due_date", "日期应在"),
    ({"doc_date": "2013-01-01"}, "doc_date", "不能晚于今天"),
    ({"rhythm": "daily"}, "rhythm", "请选择有效的报送节奏"),
    ({"responsible_leader": "1; DROP TABLE"}, "responsible_leader", ""),
]


@freeze_time(NOW)
def test_bad_item_input_is_refused_and_writes_nothing(client, users):
    as_user(client, users, "supervisor1")
    count = Task.objects.count()
    for change, field, message in BAD_ITEMS:
        response = client.post("/tasks/new/", item_data(users, **change))
        assert response.status_code == 400, change
        form = response.context["form"]
        assert field in form.errors, change
        assert message in " ".join(form.errors[field]), change
    assert Task.objects.count() == count


@freeze_time(NOW)
def test_hostile_text_is_stored_as_text_and_shown_escaped(client, users):
    task = create(client, users, title="<script>alert(1)</script>")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@freeze_time(NOW)
def test_an_item_with_a_file_over_the_limit_is_refused(client, users, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    as_user(client, users, "supervisor1")
    count = Task.objects.count()
    data = item_data(users, files=[pdf(content=PDF + b"0" * 2048)])
    response = client.post("/tasks/new/", data)
    assert response.status_code == 400
    assert "超过 0 MB" in " ".join(response.context["form"].errors["files"]) or (
        "大小限制" in " ".join(response.context["form"].errors["files"])
    )
    assert Task.objects.count() == count and not Attachment.objects.exists()


# --- the whole life of an item --------------------------------------------------------------


@freeze_time(NOW)
def test_whole_life_of_an_item(client, users):
    task = create(client, users, source=Source.INSTRUCTION)
    # head1's department proposes two 节点; they count for nothing yet
    as_user(client, users, "head1")
    for title, day in [("完成调研", "2012-07-31"), ("形成方案", "2012-08-31")]:
        response = client.post(
            f"/tasks/{task.pk}/milestones/",
            {"action": "propose", "title": title, "due_date": day, "deliverable": "调研报告"},
        )
        assert response.status_code == 302
    proposed = list(task.milestones.all())
    assert [m.status for m in proposed] == [MilestoneStatus.PROPOSED] * 2
    assert proposed[0].proposed_by == users["head1"]
    # supervisor1 approves both
    as_user(client, users, "supervisor1")
    response = client.post(
        f"/tasks/{task.pk}/milestones/",
        {"action": "approve", "milestones": [str(m.pk) for m in proposed]},
    )
    assert response.status_code == 302
    assert set(task.milestones.values_list("status", flat=True)) == {MilestoneStatus.APPROVED}
    # staff1 reports July with a PDF attached
    as_user(client, users, "staff1")
    data = {
        "progress": "完成调研。",
        "problems": "",
        "next_steps": "形成方案。",
        "percent": "50",
        "percent_note": "",
        "version": "0",
        "submit": "1",
        "files": [pdf("调研报告.pdf")],
    }
    response = client.post(f"/tasks/{task.pk}/report/2012-07/", data)
    assert response.status_code == 302
    report = MonthlyReport.objects.get(task=task, month=date(2012, 7, 1))
    assert report.status == "submitted"
    (attachment,) = Attachment.objects.of(report)
    assert attachment.original_name == "调研报告.pdf" and attachment.size == len(PDF)
    assert "调研报告" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    download = client.get(f"/files/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    # head1 applies for 办结 with a summary and a file
    as_user(client, users, "head1")
    response = client.post(
        f"/tasks/{task.pk}/close/",
        {"action": "apply", "summary": "调研和方案均已完成。", "files": [pdf("总结.pdf")]},
    )
    assert response.status_code == 302
    closure = task.closures.get()
    assert closure.status == ClosureStatus.PENDING
    assert [a.original_name for a in Attachment.objects.of(closure)] == ["总结.pdf"]
    assert Reminder.objects.filter(
        recipient=users["supervisor1"], subject__startswith="办结申请"
    ).exists()
    task.refresh_from_db()
    assert task.status != TaskStatus.CLOSED
    # supervisor1 confirms: 销号
    as_user(client, users, "supervisor1")
    response = client.post(f"/tasks/{task.pk}/close/", {"action": "confirm"})
    assert response.status_code == 302
    task.refresh_from_db()
    closure.refresh_from_db()
    assert task.status == TaskStatus.CLOSED and closure.status == ClosureStatus.CONFIRMED
    assert closure.decided_by == users["supervisor1"]
    # every step is in the history
    history = client.get(f"/tasks/{task.pk}/history/").content.decode()
    for words in ["办结申请", "已销号", "节点：完成调研", "已确认", "佐证材料：调研报告.pdf"]:
        assert words in history, words


@freeze_time(NOW)
def test_a_returned_application_can_be_made_again(client, users):
    task = create(client, users)
    as_user(client, users, "staff1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "apply", "summary": "已完成。"})
    again = client.post(f"/tasks/{task.pk}/close/", {"action": "apply", "summary": "再次。"})
    assert again.status_code == 409 and task.closures.count() == 1
    as_user(client, users, "supervisor1")
    no_reason = client.post(f"/tasks/{task.pk}/close/", {"action": "return", "reason": ""})
    assert no_reason.status_code == 400
    assert "退回时请填写原因" in no_reason.content.decode()
    client.post(f"/tasks/{task.pk}/close/", {"action": "return", "reason": "缺少佐证材料。"})
    assert task.closures.get().status == ClosureStatus.RETURNED
    as_user(client, users, "staff1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "apply", "summary": "补充材料。"})
    assert task.closures.filter(status=ClosureStatus.PENDING).count() == 1
    task.refresh_from_db()
    assert task.status != TaskStatus.CLOSED


@freeze_time(NOW)
def test_there_is_no_one_click_close(client, users):
    task = Task.objects.get(title="提升融资环境")
    as_user(client, users, "supervisor1")
    assert client.post(f"/tasks/{task.pk}/close/").status_code == 403
    confirm = client.post(f"/tasks/{task.pk}/close/", {"action": "confirm"})
    assert confirm.status_code == 409 and "没有待确认的办结申请" in confirm.content.decode()
    task.refresh_from_db()
    assert task.status != TaskStatus.CLOSED
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "确认办结" not in page


@freeze_time(NOW)
def test_a_plan_task_goes_through_the_same_close(client, users):
    task = Task.objects.get(title="提升融资环境")
    as_user(client, users, "staff1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "apply", "summary": "全年目标完成。"})
    as_user(client, users, "supervisor1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "confirm"})
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    client.post(f"/tasks/{task.pk}/close/", {"action": "reopen"})
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS


# --- 交办 of a 批示 -------------------------------------------------------------------------


@freeze_time(NOW)
def test_an_instruction_becomes_an_item_in_one_step(client, users):
    instruction = Instruction.objects.get(response="")
    as_user(client, users, "supervisor1")
    page = client.get(f"/tasks/{instruction.task_id}/").content.decode()
    assert f"/tasks/new/?instruction={instruction.pk}" in page
    form = client.get(f"/tasks/new/?instruction={instruction.pk}")
    initial = form.context["form"].initial
    assert initial["source"] == Source.INSTRUCTION
    assert instruction.text in initial["text"]
    assert initial["lead_department"] == instruction.task.lead_department_id
    task = create(
        client,
        users,
        source=Source.INSTRUCTION,
        instruction=str(instruction.pk),
        lead_department=str(instruction.task.lead_department_id),
        partner_departments=[],
    )
    assert task.origin_instruction == instruction
    page = client.get(f"/tasks/{instruction.task_id}/").content.decode()
    assert f'已交办：<a href="/tasks/{task.pk}/">' in page
    assert "来源批示" in client.get(f"/tasks/{task.pk}/").content.decode()


@freeze_time(NOW)
def test_an_unknown_instruction_is_a_404(client, users):
    as_user(client, users, "supervisor1")
    assert client.get("/tasks/new/?instruction=999999").status_code == 404
    assert client.get("/tasks/new/?instruction=abc").status_code == 200  # ignored


# --- 节点 ----------------------------------------------------------------------------------


@freeze_time(NOW)
def test_changing_an_approved_date_needs_a_reason_and_a_new_approval(client, users):
    task = create(client, users)
    milestone = Milestone.objects.create(task=task, title="完成方案", due_date=date(2012, 8, 1))
    url = f"/tasks/{task.pk}/milestones/"
    as_user(client, users, "staff1")
    no_reason = client.post(
        url, {"action": "change", "milestone": milestone.pk, "new_due_date": "2012-08-20"}
    )
    assert no_reason.status_code == 400 and "请填写调整原因" in no_reason.content.decode()
    late = client.post(
        url,
        {
            "action": "change",
            "milestone": milestone.pk,
            "new_due_date": "2012-12-31",
            "change_reason": "x",
        },
    )
    assert late.status_code == 400 and "不能晚于任务完成时限" in late.content.decode()
    client.post(
        url,
        {
            "action": "change",
            "milestone": milestone.pk,
            "new_due_date": "2012-08-20",
            "change_reason": "配合单位材料延后。",
        },
    )
    milestone.refresh_from_db()
    # the approved date still counts until the change is approved
    assert milestone.status == MilestoneStatus.CHANGE_PENDING
    assert milestone.due_date == date(2012, 8, 1) and milestone.new_due_date == date(2012, 8, 20)
    as_user(client, users, "supervisor1")
    client.post(url, {"action": "approve", "milestones": [milestone.pk]})
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.APPROVED
    assert milestone.due_date == date(2012, 8, 20)
    assert milestone.previous_due_date == date(2012, 8, 1)
    page = client.get(url).content.decode()
    assert "<s>2012-08-01</s>" in page and "配合单位材料延后。" in page


@freeze_time(NOW)
def test_returned_milestones_need_a_reason_and_can_be_corrected(client, users):
    task = create(client, users)
    url = f"/tasks/{task.pk}/milestones/"
    as_user(client, users, "staff1")
    client.post(url, {"action": "propose", "title": "节点一", "due_date": "2012-08-01"})
    milestone = task.milestones.get()
    as_user(client, users, "supervisor1")
    refused = client.post(url, {"action": "return", "milestones": [milestone.pk]})
    assert refused.status_code == 400
    client.post(url, {"action": "return", "milestones": [milestone.pk], "reason": "太笼统。"})
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.RETURNED and milestone.return_reason == "太笼统。"
    as_user(client, users, "staff1")
    client.post(
        url,
        {
            "action": "propose",
            "milestone": milestone.pk,
            "title": "完成10家调研",
            "due_date": "2012-08-01",
        },
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PROPOSED and milestone.title == "完成10家调研"
    assert task.milestones.count() == 1


BAD_MILESTONES = [
    ({"title": "", "due_date": "2012-08-01"}, "请填写节点名称"),
    ({"title": "节点", "due_date": ""}, "请填写计划完成日期"),
    ({"title": "节点", "due_date": "not-a-date"}, "请填写正确的日期"),
    ({"title": "节点", "due_date": "2013-01-01"}, "不能晚于任务完成时限"),
    ({"title": "长" * 201, "due_date": "2012-08-01"}, "200"),
    ({"title": "节点", "due_date": "2012-08-01", "milestone": "abc"}, ""),
]


@freeze_time(NOW)
def test_bad_milestones_are_refused(client, users):
    task = create(client, users)
    as_user(client, users, "staff1")
    for data, message in BAD_MILESTONES:
        response = client.post(f"/tasks/{task.pk}/milestones/", {"action": "propose", **data})
        assert response.status_code in (400, 404) and message in response.content.decode()
    assert not task.milestones.exists()


@freeze_time(NOW)
def test_only_approved_milestones_count_for_lights_and_reminders(client, users):
    task = create(client, users, due_date="2012-12-31")
    late = Milestone.objects.create(
        task=task, title="逾期节点", due_date=date(2012, 7, 1), status=MilestoneStatus.PROPOSED
    )

    def light():
        return task_rows().get(pk=task.pk).light

    def reminded():
        return any("逾期节点" in item.reason for item in find_items(date(2012, 7, 10)))

    assert light() == Light.GREEN and not reminded()
    late.status = MilestoneStatus.APPROVED
    late.save()
    assert light() == Light.YELLOW and reminded()


# --- files ---------------------------------------------------------------------------------


def report_with_file(client, users, name="报告.pdf", content=PDF):
    task = Task.objects.get(title="提升融资环境")  # led by staff1's department
    as_user(client, users, "staff1")
    data = {
        "progress": "本月进展。",
        "problems": "",
        "next_steps": "",
        "percent": "60",
        "percent_note": "",
        "version": "0",
        "save": "1",
        "files": [SimpleUploadedFile(name, content)],
    }
    return task, client.post(f"/tasks/{task.pk}/report/2012-07/", data)


@freeze_time(NOW)
def test_downloads_are_refused_across_departments(client, users):
    task, response = report_with_file(client, users)
    assert response.status_code == 302
    (attachment,) = Attachment.objects.all()
    url = f"/files/{attachment.pk}/"
    expected = {
        "admin": 200,
        "leader1": 200,
        "supervisor1": 200,
        "head1": 200,
        "staff1": 200,
        "staff2": 403,  # another department, not a partner of this task
    }
    for name, status in expected.items():
        as_user(client, users, name)
        response = client.get(url)
        drain(response)
        assert response.status_code == status, name
    client.logout()
    assert client.get(url).status_code == 302
    assert client.get("/files/999999/").status_code == 302
    as_user(client, users, "staff2")
    assert client.get("/files/999999/").status_code == 404


WRONG_FILES = [
    ("setup.pdf", EXE, "内容与扩展名 .pdf 不符"),
    ("报告.docx", PDF, "内容与扩展名 .docx 不符"),
    ("photo.png", b"GIF89a" + b"\x00" * 20, "内容与扩展名 .png 不符"),
    ("setup.exe", EXE, "类型不允许"),
    ("脚本.html", b"<script>", "类型不允许"),
    ("空.pdf", b"", "空文件"),
]


@freeze_time(NOW)
def test_files_whose_content_or_type_is_wrong_are_refused(client, users):
    for name, content, message in WRONG_FILES:
        task, response = report_with_file(client, users, name, content)
        assert response.status_code == 400, name
        assert message in response.content.decode(), name
        assert not Attachment.objects.exists()
        assert not MonthlyReport.objects.filter(task=task, month=date(2012, 7, 1)).exists()


@freeze_time(NOW)
def test_a_file_over_the_limit_is_refused(client, users, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    task, response = report_with_file(client, users, content=PDF + b"0" * (1024 * 1024))
    assert response.status_code == 400
    assert "超过 1 MB 的大小限制" in response.content.decode()
    assert not Attachment.objects.exists()


@freeze_time(NOW)
def test_allowed_types_are_accepted(client, users):
    as_user(client, users, "staff1")
    task = Task.objects.get(title="提升融资环境")
    milestone = task.milestones.first()
    files = [
        SimpleUploadedFile("照片.PNG", PNG),
        SimpleUploadedFile("表.xlsx", b"PK\x03\x04" + b"\x00" * 30),
        SimpleUploadedFile("文.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30),
        SimpleUploadedFile("件.ofd", b"PK\x03\x04" + b"\x00" * 30),
    ]
    response = client.post(
        f"/tasks/{task.pk}/milestones/{milestone.pk}/",
        {"completed_on": "2012-07-09", "note": "已完成", "files": files},
    )
    assert response.status_code == 302
    names = sorted(a.original_name for a in Attachment.objects.of(milestone))
    assert names == sorted(["照片.PNG", "表.xlsx", "文.doc", "件.ofd"])
    assert all(a.file.name.startswith("attachments/2012/07/") for a in Attachment.objects.all())


@freeze_time(NOW)
def test_deleting_a_report_file_keeps_it_in_the_history(client, users):
    task, _ = report_with_file(client, users)
    (attachment,) = Attachment.objects.all()
    as_user(client, users, "staff2")
    assert client.post(f"/files/{attachment.pk}/delete/").status_code == 403
    as_user(client, users, "staff1")
    response = client.post(
        f"/files/{attachment.pk}/delete/", {"next": f"/tasks/{task.pk}/report/2012-07/"}
    )
    assert response.status_code == 302 and response["Location"].endswith("/report/2012-07/")
    attachment.refresh_from_db()
    assert attachment.deleted_at is not None and attachment.deleted_by == users["staff1"]
    report = MonthlyReport.objects.get(task=task, month=date(2012, 7, 1))
    assert not Attachment.objects.of(report).exists()
    assert attachment.file.storage.exists(attachment.file.name)
    history = client.get(f"/tasks/{task.pk}/history/").content.decode()
    assert "佐证材料：报告.pdf" in history and "删除时间" in history
    # a submitted report's files are no longer the department's to delete
    report.status = "submitted"
    report.save()
    other = Attachment.objects.create(
        target=report, original_name="b.pdf", size=1, uploaded_by=users["staff1"], file="x.pdf"
    )
    assert client.post(f"/files/{other.pk}/delete/").status_code == 403


@freeze_time(NOW)
def test_files_live_under_media_root_which_the_backup_copies(client, users, media):
    """`make backup` archives MEDIA_ROOT (tests/core/test_backup.py restores a file from it)."""
    report_with_file(client, users)
    (attachment,) = Attachment.objects.all()
    assert (media / attachment.file.name).read_bytes() == PDF
    assert attachment.file.name.startswith("attachments/")


# --- who may do what -----------------------------------------------------------------------

ROLES = ["anonymous", "admin", "leader1", "supervisor1", "head1", "staff1", "staff2"]


MATRIX = [
    ("get", "/tasks/new/", {}, [302, 200, 403, 200, 403, 403, 403]),
    ("post", "/tasks/new/", {"title": ""}, [302, 400, 403, 400, 403, 403, 403]),
    ("get", "/tasks/{item}/milestones/", {}, [302, 200, 200, 200, 200, 200, 200]),
    (
        "post",
        "/tasks/{item}/milestones/",
        {"action": "propose", "title": "节点", "due_date": "2012-08-01"},
        [302, 302, 403, 403, 302, 302, 403],
    ),
    (
        "post",
        "/tasks/{item}/milestones/",
        {"action": "approve", "milestones": ["{milestone}"]},
        [302, 302, 403, 302, 403, 403, 403],
    ),
    ("get", "/tasks/{item}/close/", {}, [302, 200, 200, 200, 200, 200, 200]),
    (
        "post",
        "/tasks/{item}/close/",
        {"action": "apply", "summary": "完成。"},
        [302, 302, 403, 403, 302, 302, 403],
    ),
    (
        "post",
        "/tasks/{item}/close/",
        {"action": "confirm"},
        [302, 409, 403, 409, 403, 403, 403],
    ),
    ("get", "/files/{file}/", {}, [302, 200, 200, 200, 200, 200, 403]),
    ("post", "/files/{file}/delete/", {}, [302, 302, 403, 403, 302, 302, 403]),
]


@freeze_time(NOW)
def test_permission_matrix_of_the_new_pages(client, users):
    task = create(client, users, partner_departments=[])  # staff2's department: no part in it
    Milestone.objects.create(
        task=task, title="节点", due_date=date(2012, 8, 1), status=MilestoneStatus.PROPOSED
    )
    MonthlyReport.objects.create(task=task, month=date(2012, 7, 1), progress="草稿")
    for method, url, data, expected in MATRIX:
        check_matrix_row(client, users, method, url, data, expected)
    assert Task.objects.filter(title="").count() == 0


def check_matrix_row(client, users, method, url, data, expected):
    task = Task.objects.get(title="推进港口物流园区建设")  # led by head1's and staff1's department
    milestone = task.milestones.filter(status=MilestoneStatus.PROPOSED).first()
    report = task.reports.first()
    Attachment.objects.all().delete()
    file = Attachment.objects.create(
        target=report,
        original_name="a.pdf",
        size=len(PDF),
        uploaded_by=users["staff1"],
        file=SimpleUploadedFile("a.pdf", PDF),
    )
    values = {"item": task.pk, "milestone": milestone.pk, "file": file.pk}
    target = url.format(**values)
    data = {
        k: [v.format(**values) for v in d] if isinstance(d, list) else d for k, d in data.items()
    }
    for name, status in zip(ROLES, expected, strict=True):
        client.logout()
        if name != "anonymous":
            as_user(client, users, name)
        response = getattr(client, method)(target, data)
        drain(response)
        assert response.status_code == status, (name, target)
        if method == "post" and status == 302 and "delete" in target:
            Attachment.objects.filter(pk=file.pk).update(deleted_at=None)
        if method == "post" and status == 302 and data.get("action") == "apply":
            Closure.objects.filter(task=task).delete()
        if method == "post" and status == 302 and data.get("action") == "approve":
            Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.PROPOSED)


# --- lists, ledger and dashboard by source ------------------------------------------------


@freeze_time(NOW)
def test_task_list_ledger_and_dashboard_filter_and_count_by_source(client, users):
    as_user(client, users, "supervisor1")
    page = client.get("/tasks/?year=2012&source=meeting")
    rows = list(page.context["page"].object_list)
    assert [t["source"] for t in rows] == [Source.MEETING]  # the rows are values (list_page)
    assert "小微企业融资服务平台建设" in page.content.decode()
    ledger = client.get("/supervision/ledger/?year=2012&source=gov_report").content.decode()
    assert "社会消费品零售总额增长15%" in ledger and "提升融资环境" not in ledger
    everything = client.get("/tasks/?year=2012").context["page"].paginator.count
    assert everything == Task.objects.filter(year=2012).count()
    figures = month_figures(Plan.objects.get(year=2012), date(2012, 6, 1))
    by_source = {row["source"]: row["tasks"] for row in figures["by_source"]}
    assert by_source == {
        Source.PLAN: Task.objects.filter(source=Source.PLAN).count(),
        Source.INSTRUCTION: 1,
        Source.MEETING: 1,
        Source.GOV_REPORT: 1,
        # the demo's 建议提案 (services/), each an item of its source
        Source.NPC: Task.objects.filter(source=Source.NPC).count(),
        Source.CPPCC: Task.objects.filter(source=Source.CPPCC).count(),
    }
    assert figures["headline"]["tasks"] == Task.objects.filter(year=2012).count()
    dashboard = client.get("/dashboard/?month=2012-06").content.decode()
    assert 'id="by-source"' in dashboard and "?year=2012&source=meeting" in dashboard


@freeze_time(NOW)
def test_task_list_queries_stay_constant_with_items(client, users, django_assert_max_num_queries):
    as_user(client, users, "supervisor1")
    count_queries(django_assert_max_num_queries, client, "/tasks/?year=2012&source=meeting")
    for number in range(5):
        create(client, users, title=f"事项{number}")
    count_queries(django_assert_max_num_queries, client, "/tasks/?year=2012&source=meeting")
    count_queries(django_assert_max_num_queries, client, "/supervision/ledger/?source=meeting")


@freeze_time(NOW)
def test_load_demo_adds_the_three_items_once(demo):
    load_demo(out=lambda *a: None)
    # (the 建议提案 of services/ demo are items of their own sources)
    # (and the plan task the demo carries over into next year: 挂账结转, issue 12)
    items = Task.objects.exclude(source__in=[Source.PLAN, Source.NPC, Source.CPPCC]).filter(
        carried_from=None
    )
    assert sorted(items.values_list("source", flat=True)) == sorted(
        [Source.INSTRUCTION, Source.MEETING, Source.GOV_REPORT]
    )
    ordered = items.get(source=Source.INSTRUCTION)
    assert ordered.origin_instruction is not None
    assert ordered.milestones.filter(status=MilestoneStatus.PROPOSED).exists()


@freeze_time(NOW)
def test_the_department_page_takes_files(client, users):
    as_user(client, users, "staff1")
    rows = [r for r in client.get("/reports/2012-07/").context["rows"] if r["editable"]]
    data = {"save": "1"}
    for row in rows:
        prefix, initial = row["form"].prefix, row["form"].initial
        data.update(
            {
                f"{prefix}-progress": "本月进展。",
                f"{prefix}-percent": str(initial.get("percent") or 0),
                f"{prefix}-version": str(initial.get("version") or 0),
            }
        )
    first = rows[0]["task"]
    data[f"{rows[0]['form'].prefix}-files"] = [pdf("月报附件.pdf")]
    response = client.post("/reports/2012-07/", data)
    assert response.status_code == 302
    report = MonthlyReport.objects.get(task=first, month=date(2012, 7, 1))
    assert [a.original_name for a in Attachment.objects.of(report)] == ["月报附件.pdf"]
