"""The daily work on the demo: reports and their review, 挂牌督办, 催办, 批示, history,
notifications; who may do what; what bad input gets."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from freezegun import freeze_time

from core.choices import ReminderKind
from core.models import Reminder
from core.notify import pointer
from supervision.choices import ReportStatus, TaskStatus
from supervision.dashboard import month_figures
from supervision.models import (
    Closure,
    Indicator,
    IndicatorValue,
    Instruction,
    Listing,
    MonthlyReport,
    PartnerNote,
    Task,
    Urging,
    User,
)
from tests.helpers import count_queries, drain, make_task

pytestmark = pytest.mark.django_db
NOW = "2012-07-10 10:00:00+08:00"
MONTH = "2012-07"


@pytest.fixture
def world(demo):
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["admin", "leader1", "supervisor1", "head1", "staff1", "staff2"]
        )
    }
    finance = Task.objects.get(title="提升融资环境")  # led by staff1's department
    food = Task.objects.get(title="全面加强食品安全保障")  # led by staff2's department
    return {"users": users, "finance": finance, "food": food}


def login(client, world, name):
    client.force_login(world["users"][name])
    return client


def report_data(**extra):
    data = {
        "progress": "本月引进金融机构2家。",
        "problems": "",
        "next_steps": "继续对接。",
        "percent": "60",
        "percent_note": "",
        "version": "0",
    }
    data.update(extra)
    return data


def report_url(task, month=MONTH):
    return f"/tasks/{task.pk}/report/{month}/"


# --- the report flow ---------------------------------------------------------------------


@freeze_time(NOW)
def test_report_is_prefilled_from_last_month(client, world):
    login(client, world, "staff1")
    june = MonthlyReport.objects.filter(task=world["finance"]).latest("month")
    body = client.get(report_url(world["finance"])).content.decode()
    assert june.next_steps in body
    assert f'value="{june.percent}"' in body
    assert "已按上月报告预填" in body


@freeze_time(NOW)
def test_the_copy_warning_follows_the_text_posted(client, world):
    """A form that comes back with an error warns of a copy of the previous report only if
    the 本月进展 posted is still that copy (the stored draft may be one, the text not)."""
    task = world["finance"]
    june = MonthlyReport.objects.filter(task=task).latest("month")
    login(client, world, "staff1")
    copy = report_data(save="1", progress=june.progress)
    assert client.post(report_url(task), copy).status_code == 302  # a draft, still the copy
    version = str(MonthlyReport.objects.get(task=task, month=date(2012, 7, 1)).version)
    rewritten = report_data(save="1", version=version, percent="150")
    response = client.post(report_url(task), rewritten)
    assert response.status_code == 400 and "超出范围" in response.content.decode()
    assert 'id="copy-warning"' not in response.content.decode()
    unchanged = report_data(save="1", version=version, percent="150", progress=june.progress)
    assert 'id="copy-warning"' in client.post(report_url(task), unchanged).content.decode()


@freeze_time(NOW)
def test_draft_submit_return_resubmit_approve(client, world):
    task = world["finance"]
    url = report_url(task)
    login(client, world, "staff1")
    assert client.post(url, report_data(save="1")).status_code == 302
    report = MonthlyReport.objects.get(task=task, month=date(2012, 7, 1))
    assert report.status == ReportStatus.DRAFT and report.version == 1

    assert client.post(url, report_data(submit="1", version="1")).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == world["users"]["staff1"]
    task.refresh_from_db()
    assert task.percent == 60

    # a submitted report is read-only for staff
    assert client.post(url, report_data(save="1", version="2", progress="改写")).status_code == 403
    report.refresh_from_db()
    assert (report.status, report.version, report.progress) == (
        ReportStatus.SUBMITTED,
        2,
        "本月引进金融机构2家。",
    )
    assert "审核通过" not in client.get(url).content.decode()  # staff cannot review

    login(client, world, "head1")
    assert "退回修改" in client.get(url).content.decode()
    response = client.post(url + "review/", {"action": "return", "reason": "请补充引进机构名单。"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert report.return_reason == "请补充引进机构名单。"
    notice = Reminder.objects.get(kind=ReminderKind.RETURNED, channel="in_app")
    assert notice.recipient == world["users"]["staff1"]

    login(client, world, "staff1")
    assert "请补充引进机构名单" in client.get(url).content.decode()
    data = report_data(submit="1", version=str(report.version), progress="引进了甲银行、乙证券。")
    assert client.post(url, data).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    login(client, world, "head1")
    assert client.post(url + "review/", {"action": "approve"}).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert report.reviewed_by == world["users"]["head1"]


@freeze_time(NOW)
def test_return_needs_a_reason(client, world):
    task = world["finance"]
    login(client, world, "staff1")
    client.post(report_url(task), report_data(submit="1"))
    login(client, world, "head1")
    client.post(report_url(task) + "review/", {"action": "return", "reason": ""})
    assert MonthlyReport.objects.get(task=task, month=date(2012, 7, 1)).status == "submitted"


@freeze_time(NOW)
def test_future_month_is_refused(client, world):
    login(client, world, "staff1")
    response = client.get(report_url(world["finance"], "2012-08"))
    assert response.status_code == 400
    assert "不能填报未来月份" in response.content.decode()
    response = client.post(report_url(world["finance"], "2012-08"), report_data(submit="1"))
    assert response.status_code == 400
    assert not MonthlyReport.objects.filter(month=date(2012, 8, 1)).exists()


@freeze_time(NOW)
def test_percent_may_not_drop_without_an_explanation(client, world):
    task = world["finance"]
    june = MonthlyReport.objects.filter(task=task).latest("month")
    login(client, world, "staff1")
    lower = str(june.percent - 5)
    response = client.post(report_url(task), report_data(submit="1", percent=lower))
    assert response.status_code == 400
    assert "低于上月" in response.content.decode()
    assert not MonthlyReport.objects.filter(task=task, month=date(2012, 7, 1)).exists()
    data = report_data(submit="1", percent=lower, percent_note="统计口径调整。")
    assert client.post(report_url(task), data).status_code == 302


@freeze_time(NOW)
def test_indicator_values_are_validated_by_unit_and_saved(client, world):
    task = world["finance"]
    indicator = task.indicators.get(name="金融机构")  # ≥ 10 家
    field = f"indicator_{indicator.pk}"
    login(client, world, "staff1")
    for bad, message in [("abc", "请填写数字"), ("2.5", "请填写整数"), ("-1", "不能为负数")]:
        response = client.post(report_url(task), report_data(submit="1", **{field: bad}))
        assert response.status_code == 400, bad
        assert message in response.content.decode()
    july = IndicatorValue.objects.filter(report__month=date(2012, 7, 1))
    assert not july.exists()
    assert client.post(report_url(task), report_data(submit="1", **{field: "7"})).status_code == 302
    assert july.get().value == 7
    indicator.refresh_from_db()
    assert (indicator.actual, indicator.as_of_month) == (7, date(2012, 7, 1))


@freeze_time(NOW)
def test_relative_indicator_reports_its_margin_over_the_reference(client, world):
    """The seed's 贷款增速 comparison: no target value, a named reference; the report asks for
    the margin over the reference (negative when below), and it is met only above it."""
    task = world["finance"]
    indicator = task.indicators.get(reference="各项贷款平均增速")
    assert (indicator.name, indicator.comparison, indicator.target) == (
        "小微企业、涉农贷款增速",
        ">",
        None,
    )
    assert str(indicator) == "小微企业、涉农贷款增速 高于 各项贷款平均增速"
    field = f"indicator_{indicator.pk}"
    login(client, world, "staff1")
    page = client.get(report_url(task)).content.decode()
    assert "目标 高于 各项贷款平均增速" in page and "低于时填负数" in page
    response = client.post(report_url(task), report_data(save="1", **{field: "abc"}))
    assert response.status_code == 400 and "请填写数字" in response.content.decode()
    assert (
        client.post(report_url(task), report_data(submit="1", **{field: "-0.5"})).status_code == 302
    )
    indicator.refresh_from_db()
    assert indicator.actual == Decimal("-0.5") and not indicator.is_met
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "较各项贷款平均增速 -0.5" in page and "未达成" in page  # names what it compares to
    indicator.actual = Decimal("1.2")
    assert indicator.is_met
    # the dashboard: below target while the margin is not positive, met once it is
    figures = month_figures(task.project.plan, date(2012, 7, 1), today=date(2012, 7, 10))
    below = {i["name"]: i for i in figures["indicators_below"]}
    assert below["小微企业、涉农贷款增速"]["target"] == "高于 各项贷款平均增速"
    assert below["小微企业、涉农贷款增速"]["value"] == "较各项贷款平均增速 -0.5"
    IndicatorValue.objects.filter(indicator=indicator).update(value=Decimal("1.2"))
    figures = month_figures(task.project.plan, date(2012, 7, 1), today=date(2012, 7, 10))
    assert "小微企业、涉农贷款增速" not in {i["name"] for i in figures["indicators_below"]}


def test_relative_indicator_needs_its_reference():
    indicator = Indicator(name="贷款增速", comparison=">", target=None)
    with pytest.raises(ValidationError) as error:
        indicator.clean()
    assert "须填写比较对象" in str(error.value)
    indicator = Indicator(name="金融机构", comparison=">=", target=None)
    with pytest.raises(ValidationError) as error:
        indicator.clean()
    assert "请填写目标值" in str(error.value)


@freeze_time(NOW)
def test_second_concurrent_save_is_refused_and_overwrites_nothing(client, world):
    task = world["finance"]
    url = report_url(task)
    login(client, world, "staff1")
    client.post(url, report_data(save="1", progress="初稿"))  # version 1
    # two people open the draft at version 1; the first saves, the second is refused
    first = client.post(url, report_data(save="1", version="1", progress="甲的修改"))
    assert first.status_code == 302
    second = client.post(url, report_data(save="1", version="1", progress="乙的修改"))
    assert second.status_code == 409
    assert "已被他人修改" in second.content.decode()
    report = MonthlyReport.objects.get(task=task, month=date(2012, 7, 1))
    assert report.progress == "甲的修改"
    assert report.version == 2


@freeze_time(NOW)
def test_department_page_saves_all_or_nothing(client, world):
    login(client, world, "staff1")
    url = f"/reports/{MONTH}/"
    page = client.get(url)
    assert page.status_code == 200
    tasks = list(Task.objects.filter(lead_department=world["users"]["staff1"].department))
    assert all(t.title in page.content.decode() for t in tasks)
    data = {}
    for t in tasks:
        for key, value in report_data(percent="70").items():
            data[f"t{t.pk}-{key}"] = value
    bad = dict(data, **{f"t{tasks[0].pk}-percent": "150"})
    response = client.post(url, dict(bad, submit="1"))
    assert response.status_code == 400
    assert "月末进度 150 超出范围" in response.content.decode()  # reporting.report_errors
    assert not MonthlyReport.objects.filter(month=date(2012, 7, 1)).exists()
    assert client.post(url, dict(data, submit="1")).status_code == 302
    assert MonthlyReport.objects.filter(
        month=date(2012, 7, 1), status=ReportStatus.SUBMITTED
    ).count() == len(tasks)


# --- 挂牌督办, 催办, 办结, 批示 ---------------------------------------------------------------


@freeze_time(NOW)
def test_list_change_and_lift(client, world):
    task = world["finance"]
    url = f"/tasks/{task.pk}/listing/"
    login(client, world, "supervisor1")
    data = {
        "level": "city",
        "reason": "融资环境指标滞后",
        "deadline": "2012-09-30",
        "is_public": "on",
    }
    assert client.post(url, data).status_code == 302
    listing = Listing.objects.get(task=task, lifted_at=None)
    assert listing.listed_by == world["users"]["supervisor1"] and listing.is_public
    version = listing.updated_at.isoformat()  # the version the edit form was shown
    assert client.post(url, dict(data, deadline="2012-10-31", version=version)).status_code == 302
    listing.refresh_from_db()
    assert listing.deadline == date(2012, 10, 31)
    assert client.post(url, {"action": "lift", "lift_reason": ""}).status_code == 400
    assert client.post(url, {"action": "lift", "lift_reason": "已完成整改"}).status_code == 302
    listing.refresh_from_db()
    assert listing.lifted_at and listing.lift_reason == "已完成整改"
    assert listing.history.count() == 3


@freeze_time(NOW)
def test_listing_form_rejects_bad_input(client, world):
    login(client, world, "supervisor1")
    url = f"/tasks/{world['finance'].pk}/listing/"
    for data in [
        {},
        {"level": "x", "reason": "r", "deadline": "2012-09-30"},
        {"level": "city", "reason": "r", "deadline": "not a date"},
        {"level": "city", "reason": "r", "deadline": "2012-01-01"},
        {"level": "city", "reason": "x" * 5000, "deadline": "2012-09-30"},
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, data
    assert not Listing.objects.filter(task=world["finance"]).exists()


@freeze_time(NOW)
def test_remind_notifies_lead_department_in_app_and_by_email(
    client, world, django_capture_on_commit_callbacks
):
    task = world["finance"]
    login(client, world, "supervisor1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/tasks/{task.pk}/remind/", {"message": "请于本周内报送。"})
    assert response.status_code == 302
    urging = Urging.objects.get(task=task)
    recipients = {world["users"]["staff1"], world["users"]["head1"]}
    in_app = Reminder.objects.filter(kind=ReminderKind.MANUAL, channel="in_app")
    assert {r.recipient for r in in_app} == recipients
    assert urging.recipient_count == 2
    assert {tuple(m.to) for m in mail.outbox} == {(u.email,) for u in recipients}
    message = mail.outbox[0]
    assert "请于本周内报送" in message.body
    html = message.alternatives[0][0]
    assert f"/tasks/{task.pk}/" in html and "请于本周内报送" in html
    assert Reminder.objects.filter(channel="email", sent_at__isnull=False).count() == 2
    # the unread badge shows for staff1
    login(client, world, "staff1")
    assert 'id="unread-count">1<' in client.get("/notifications/").content.decode()


@freeze_time(NOW)
def test_close_and_reopen(client, world):
    task = world["finance"]
    login(client, world, "staff1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "apply", "summary": "已完成。"})
    login(client, world, "supervisor1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "confirm"})
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    client.post(f"/tasks/{task.pk}/close/", {"action": "reopen"})
    task.refresh_from_db()
    assert task.status != TaskStatus.CLOSED


@freeze_time(NOW)
def test_leader_instruction_notifies_and_staff_answers(client, world):
    task = world["food"]
    login(client, world, "leader1")
    response = client.post(f"/tasks/{task.pk}/instructions/", {"text": "暑期前完成学校食堂检查。"})
    assert response.status_code == 302
    instruction = Instruction.objects.get(task=task, text="暑期前完成学校食堂检查。")
    notified = Reminder.objects.filter(kind=ReminderKind.INSTRUCTION, channel="in_app")
    assert world["users"]["staff2"] in {r.recipient for r in notified}
    login(client, world, "staff2")
    url = f"/tasks/{task.pk}/instructions/{instruction.pk}/answer/"
    assert client.post(url, {"response": "已完成全部学校食堂检查。"}).status_code == 302
    instruction.refresh_from_db()
    assert instruction.responded_by == world["users"]["staff2"]


@freeze_time(NOW)
def test_milestone_tick(client, world):
    task = world["finance"]
    milestone = task.milestones.filter(completed_on=None).first()
    login(client, world, "staff1")
    url = f"/tasks/{task.pk}/milestones/{milestone.pk}/"
    client.post(url, {"completed_on": "2012-07-09", "note": "提前完成"})
    milestone.refresh_from_db()
    assert milestone.completed_on == date(2012, 7, 9)
    client.post(url, {"completed_on": "2012-08-09", "note": ""})  # in the future
    milestone.refresh_from_db()
    assert milestone.completed_on == date(2012, 7, 9)


@freeze_time(NOW)
def test_partner_department_writes_its_part_and_nobody_else(client, world):
    food, finance = world["food"], world["finance"]
    finance_dept = world["users"]["staff1"].department
    food.partner_departments.add(finance_dept)  # 金融工作办公室 partners on food safety
    url = f"/tasks/{food.pk}/partner/{MONTH}/"
    notes = PartnerNote.objects.filter(task=food, month=date(2012, 7, 1))
    for name in ["staff2", "supervisor1", "leader1"]:  # the lead unit and the office
        login(client, world, name)
        assert client.post(url, {"text": f"{name}冒名填写"}).status_code == 403, name
    assert not notes.exists() and not PartnerNote.history.exists()

    login(client, world, "staff1")
    response = client.post(url, {"text": "配合开展金融支持食品企业调研。"})
    assert response.status_code == 302
    note = notes.get()
    assert (note.department, note.author, note.text) == (
        finance_dept,
        world["users"]["staff1"],
        "配合开展金融支持食品企业调研。",
    )
    assert "配合开展金融支持食品企业调研" in client.get(f"/tasks/{food.pk}/").content.decode()
    login(client, world, "head1")  # the partner's head corrects the same note
    assert client.post(url, {"text": "已完成调研。"}).status_code == 302
    note.refresh_from_db()
    assert (note.text, note.author) == ("已完成调研。", world["users"]["head1"])
    assert note.history.count() == 2
    # a lead unit is not its own partner
    login(client, world, "staff1")
    own = f"/tasks/{finance.pk}/partner/{MONTH}/"
    assert client.post(own, {"text": "自己配合自己"}).status_code == 403
    assert PartnerNote.objects.count() == 1


# --- history -------------------------------------------------------------------------------


@freeze_time(NOW)
def test_history_shows_who_when_and_old_to_new_with_chinese_labels(client, world):
    task = world["finance"]
    login(client, world, "staff1")
    client.post(report_url(task), report_data(submit="1", percent="61"))
    client.post(f"/tasks/{task.pk}/close/", {"action": "apply", "summary": "已完成。"})
    login(client, world, "supervisor1")
    client.post(f"/tasks/{task.pk}/close/", {"action": "confirm"})
    body = client.get(f"/tasks/{task.pk}/history/").content.decode()
    assert "完成进度（%）" in body
    assert "→ 61" in body
    assert "状态" in body and "已办结" in body
    assert "刘科员" in body and "李督查" in body
    assert "2012年7月月度进展报告" in body


# --- who may do what -----------------------------------------------------------------------

ROLES = ["anonymous", "admin", "leader1", "supervisor1", "head1", "staff1", "staff2"]
# (method, url template, expected statuses by role in ROLES order). In the matrix, staff1's
# and head1's department (金融工作办公室) partners on the food task.
MATRIX = [
    ("get", "/tasks/", [302, 200, 200, 200, 200, 200, 200]),
    ("get", "/tasks/{finance}/", [302, 200, 200, 200, 200, 200, 200]),
    ("get", "/tasks/{finance}/history/", [302, 200, 200, 200, 200, 200, 200]),
    # whoever reads the task reads its reports (read-only unless they file or review them)
    ("get", "/tasks/{finance}/report/2012-07/", [302, 200, 200, 200, 200, 200, 200]),
    ("get", "/tasks/{food}/report/2012-07/", [302, 200, 200, 200, 200, 200, 200]),
    ("post", "/tasks/{finance}/report/2012-07/", [302, 302, 403, 403, 302, 302, 403]),
    ("post", "/tasks/{finance}/report/{last}/review/", [302, 302, 403, 403, 302, 403, 403]),
    ("get", "/tasks/{finance}/listing/", [302, 200, 403, 200, 403, 403, 403]),
    ("post", "/tasks/{finance}/listing/", [302, 302, 403, 302, 403, 403, 403]),
    ("post", "/tasks/{finance}/remind/", [302, 302, 403, 302, 403, 403, 403]),
    ("post", "/tasks/{finance}/close/", [302, 302, 403, 403, 302, 302, 403]),
    ("post", "/tasks/{finance}/instructions/", [302, 302, 302, 403, 403, 403, 403]),
    (
        "post",
        "/tasks/{finance}/instructions/{instruction}/answer/",
        [302, 302, 403, 403, 302, 302, 403],
    ),
    ("get", "/reports/2012-07/", [302, 200, 403, 403, 200, 200, 200]),
    ("get", "/reports/2012-07/sheet.xlsx", [302, 200, 403, 403, 200, 200, 200]),
    ("get", "/reports/2012-07/upload/", [302, 200, 403, 403, 200, 200, 200]),
    ("get", "/reviews/", [302, 200, 403, 403, 200, 403, 403]),
    ("post", "/reviews/", [302, 302, 403, 403, 302, 403, 403]),
    ("get", "/supervision/ledger/", [302, 200, 200, 200, 403, 403, 403]),
    ("get", "/supervision/ledger.xlsx", [302, 200, 200, 200, 403, 403, 403]),
    ("get", "/plans/import/", [302, 200, 403, 403, 403, 403, 403]),
    ("post", "/tasks/{food}/partner/2012-07/", [302, 302, 403, 403, 302, 302, 403]),
    ("post", "/tasks/{finance}/milestones/{milestone}/", [302, 302, 403, 403, 302, 302, 403]),
    ("get", "/notifications/", [302, 200, 200, 200, 200, 200, 200]),
    ("get", "/admin/", [302, 200, 302, 302, 302, 302, 302]),
]
# What each write posts, and what it changes: probe(world) before != after when allowed.
WRITES = {
    "/tasks/{finance}/report/2012-07/": (
        {**report_data(), "save": "1"},
        lambda w: list(MonthlyReport.objects.filter(month=date(2012, 7, 1)).values()),
    ),
    "/tasks/{finance}/report/{last}/review/": (
        {"action": "approve"},
        lambda w: w["finance"].reports.latest("month").status,
    ),
    "/reviews/": (
        lambda w: {"report": [w["finance"].reports.latest("month").pk], "bulk": "1"},
        lambda w: w["finance"].reports.latest("month").status,
    ),
    "/tasks/{finance}/listing/": (
        {"level": "city", "reason": "滞后", "deadline": "2012-09-30"},
        lambda w: list(Listing.objects.values()),
    ),
    "/tasks/{finance}/remind/": (
        {"message": "请于本周内报送。"},
        lambda w: list(Urging.objects.values()),
    ),
    "/tasks/{finance}/close/": (
        {"action": "apply", "summary": "全年目标已完成。"},
        lambda w: list(Closure.objects.values()),
    ),
    "/tasks/{finance}/instructions/": (
        {"text": "请抓紧推进。"},
        lambda w: list(Instruction.objects.values()),
    ),
    "/tasks/{finance}/instructions/{instruction}/answer/": (
        {"response": "已落实。"},
        lambda w: list(Instruction.objects.values("response", "responded_by")),
    ),
    "/tasks/{food}/partner/2012-07/": (
        {"text": "配合开展调研。"},
        lambda w: list(PartnerNote.objects.values()),
    ),
    "/tasks/{finance}/milestones/{milestone}/": (
        {"completed_on": "2012-07-09", "note": "提前完成"},
        lambda w: list(w["finance"].milestones.values("completed_on", "note")),
    ),
}


def footprint():
    """How many rows of history there are, and of the records a request may add."""
    history = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    counted = [Reminder, Urging, Instruction, Listing, PartnerNote, MonthlyReport, Task]
    return {m.__name__: m.objects.count() for m in history + counted}


@freeze_time(NOW)
@pytest.mark.parametrize("method,template,expected", MATRIX, ids=[m[1] for m in MATRIX])
def test_permission_matrix(client, world, method, template, expected):
    """Each role's request runs in a transaction rolled back afterwards: a refused one (403,
    or the login page) wrote nothing, not even history; an allowed write did its change."""
    world["food"].partner_departments.add(world["users"]["staff1"].department)
    instruction = Instruction.objects.create(
        task=world["finance"], leader=world["users"]["leader1"], text="批示"
    )
    last = MonthlyReport.objects.filter(task=world["finance"]).latest("month")
    last.status = ReportStatus.SUBMITTED
    last.save()
    url = template.format(
        finance=world["finance"].pk,
        food=world["food"].pk,
        last=f"{last.month:%Y-%m}",
        milestone=world["finance"].milestones.filter(completed_on=None).first().pk,
        instruction=instruction.pk,
    )
    data, probe = WRITES.get(template, (None, lambda w: None)) if method == "post" else (None, None)
    data = data(world) if callable(data) else data
    for role, status in zip(ROLES, expected, strict=True):
        with transaction.atomic():
            client.logout()
            if role != "anonymous":
                login(client, world, role)
            before, state = footprint(), probe and probe(world)
            response = getattr(client, method)(url, data)
            drain(response)
            where = f"{role} {method.upper()} {url}"
            assert response.status_code == status, where
            refused = status == 403 or response.get("Location", "").startswith("/accounts/login/")
            if status == 403:
                assert "无权访问" in response.content.decode()
            if refused or method == "get":
                assert footprint() == before, where
                assert probe is None or probe(world) == state, where
            else:
                assert probe(world) != state, f"{where} changed nothing"
                assert sum(footprint().values()) > sum(before.values()), f"{where}: no history"
            transaction.set_rollback(True)


# --- bad input never gives a 500 ------------------------------------------------------------

NASTY = ["", "x" * 100_000, "<script>alert(1)</script>", "abc", "-1", "1e999", "１２"]


@freeze_time(NOW)
@pytest.mark.parametrize(
    "value", NASTY, ids=["empty", "huge", "script", "text", "neg", "inf", "wide"]
)
def test_forms_survive_nasty_values(client, world, value):
    task = world["finance"]
    indicator = task.indicators.get(name="金融机构")
    instruction = Instruction.objects.create(task=task, leader=world["users"]["leader1"], text="x")
    task.partner_departments.add(world["users"]["staff2"].department)  # staff2 partners
    posts = [
        ("staff1", report_url(task), {**{k: value for k in report_data()}, "submit": "1"}),
        ("staff1", report_url(task), report_data(save="1", **{f"indicator_{indicator.pk}": value})),
        ("staff1", f"/reports/{MONTH}/", {f"t{task.pk}-percent": value, "submit": "1"}),
        ("head1", report_url(task, "2012-06") + "review/", {"action": "return", "reason": value}),
        (
            "supervisor1",
            f"/tasks/{task.pk}/listing/",
            {"level": value, "reason": value, "deadline": value},
        ),
        ("supervisor1", f"/tasks/{task.pk}/listing/", {"action": "lift", "lift_reason": value}),
        ("supervisor1", f"/tasks/{task.pk}/remind/", {"message": value}),
        ("leader1", f"/tasks/{task.pk}/instructions/", {"text": value}),
        (
            "staff1",
            f"/tasks/{task.pk}/milestones/{task.milestones.first().pk}/",
            {"completed_on": value, "note": value},
        ),
        ("staff1", "/tasks/?" + "month=" + value[:50], None),
        ("staff1", f"/tasks/{task.pk}/instructions/{instruction.pk}/answer/", {"response": value}),
        ("staff2", f"/tasks/{task.pk}/partner/{MONTH}/", {"text": value}),
    ]
    for user, url, data in posts:
        login(client, world, user)
        response = client.post(url, data) if data is not None else client.get(url)
        assert response.status_code < 500, (user, url)
        if "<script>" in value:
            assert b"<script>alert(1)</script>" not in response.content


def test_garbage_month_in_url_is_404(client, world):
    login(client, world, "staff1")
    assert client.get(f"/tasks/{world['finance'].pk}/report/2012-13/").status_code == 404
    assert client.get(f"/tasks/{world['finance'].pk}/report/abc/").status_code == 404
    assert client.get("/tasks/999999/").status_code == 404


# --- list pages keep a constant number of queries ---------------------------------------------


def test_task_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    count = partial(count_queries, django_assert_max_num_queries, client, at_most=7)
    login(client, world, "leader1")
    for n in range(1, 6):
        make_task(number=n, year=2030)
    # warm: the first request also asks whether today's stored status is current (then cached)
    drain(client.get("/tasks/?year="))
    small = count("/tasks/?year=")
    for n in range(6, 201):
        make_task(number=n, year=2030)
    drain(client.get("/tasks/?year="))  # the filter choices again: tasks were saved
    # session, user (with its department), groups (roles), tasks count, the page's ids, the
    # page's rows, unread count (the filter choices are cached until a task changes)
    assert count("/tasks/?year=") == small


def test_detail_notifications_and_history_queries_do_not_grow(
    client, world, django_assert_max_num_queries
):
    count = partial(count_queries, django_assert_max_num_queries, client, at_most=25)
    login(client, world, "staff1")
    task = world["finance"]
    Reminder.objects.create(key="k", kind="manual", recipient=world["users"]["staff1"], subject="s")
    # one of each kind of row first: the task page skips the query of an empty section
    # (core.related), so the count is the same for one row as for many
    Reminder.objects.create(
        key="k-first",
        kind="manual",
        recipient=world["users"]["staff1"],
        subject="s",
        **pointer(task),
    )
    pages = [f"/tasks/{task.pk}/", "/notifications/", f"/tasks/{task.pk}/history/"]
    # warm: the first request also asks whether today's stored status is current (then cached)
    for url in pages:
        drain(client.get(url))
    before = [count(url) for url in pages]
    for month in range(7, 13):
        MonthlyReport.objects.create(task=task, month=date(2012, month, 1), progress="x")
    for _ in range(30):
        client.post(f"/tasks/{task.pk}/milestones/{task.milestones.first().pk}/", {"note": "n"})
    Reminder.objects.bulk_create(
        Reminder(
            key=f"k-{i}",
            kind="manual",
            recipient=world["users"]["staff1"],
            subject="s",
            **pointer(task),
        )
        for i in range(40)
    )
    assert [count(url) for url in pages] == before
