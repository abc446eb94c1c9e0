"""Issue 12 in a real browser: an item is assigned, its head 拒签 it, the supervisor 改派 it,
the new head 签收, staff apply for 延期, the supervisor approves; the item then stays red for
the configured months, the ladder issues a 督办函 and the head signs for it. Then staff apply
for 暂停 and the supervisor approves it from the queue of applications."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone
from docx import Document

from core.roles import Role
from supervision import derived
from supervision.choices import (
    AssignmentStatus,
    ExtensionStatus,
    LadderPattern,
    StateRequestStatus,
    TaskStatus,
)
from supervision.models import LadderRecord, LadderRule, StateRequest, Task, User
from tests import demo_snapshot
from tests.browser.pages import html

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_data(transactional_db):
    demo_snapshot.demo()


def test_assign_refuse_reassign_sign_extend_and_a_letter(signed_in, live_server, demo_data):
    finance = User.objects.get(username="head1").department
    food = User.objects.get(username="staff2").department
    food_head = User.objects.filter(department=food, groups__name=Role.HEAD.label).first()

    # supervisor1 opens an item for the food office; the form proposes its deadline
    sup = signed_in("supervisor1")
    sup.goto(f"{live_server.url}/tasks/new/")
    sup.select_option("#id_source", "meeting")
    proposed = sup.input_value("#id_due_date")
    assert proposed > timezone.localdate().isoformat()
    sup.fill("#id_title", "小微企业转贷应急资金（会议议定）")
    sup.fill("#id_text", "市政府常务会议议定：设立小微企业转贷应急资金。")
    sup.select_option("#id_lead_department", str(food.pk))
    sup.select_option("#id_rhythm", "monthly")
    sup.get_by_role("button", name="立项").click()
    assert "已立项" in html(sup)
    task = Task.objects.get(title="小微企业转贷应急资金（会议议定）")
    assert task.due_date.isoformat() == proposed

    # the food office's head refuses it, suggesting the finance office
    head = signed_in(food_head.username)
    head.goto(f"{live_server.url}/tasks/{task.pk}/sign/")
    head.fill("#id_reason", "转贷资金属金融工作办公室职责。")
    head.select_option("#id_suggested_department", str(finance.pk))
    head.get_by_role("button", name="拒签").click()
    assert "已拒签" in html(head)

    # the supervisor re-assigns it to the finance office
    sup.goto(f"{live_server.url}/tasks/{task.pk}/sign/")
    sup.select_option("#id_department", str(finance.pk))
    sup.get_by_role("button", name="改派").click()
    assert "已改派" in html(sup)
    task.refresh_from_db()
    assert task.lead_department == finance

    # head1 signs for it
    head1 = signed_in("head1")
    head1.goto(f"{live_server.url}/tasks/{task.pk}/")
    head1.click("#sign-link")
    head1.get_by_role("button", name="签收").click()
    assert "已签收" in html(head1)
    assert task.assignments.get(department=finance).status == AssignmentStatus.SIGNED

    # staff1 applies for an extension, the supervisor approves it; both dates are shown
    new_date = date(task.due_date.year + 1, 3, 31).isoformat()
    staff = signed_in("staff1")
    staff.goto(f"{live_server.url}/tasks/{task.pk}/extension/")
    staff.fill("#id_new_date", new_date)
    staff.fill("#id_reason", "需等待人民银行配套政策。")
    staff.get_by_role("button", name="提交延期申请").click()
    assert "延期申请已提交" in html(staff)
    sup.goto(f"{live_server.url}/tasks/{task.pk}/extension/")
    sup.select_option("#id_decision", "approve")
    sup.get_by_role("button", name="提交").click()
    assert "已批准" in html(sup)
    task.refresh_from_db()
    assert task.extensions.get().status == ExtensionStatus.APPROVED
    sup.goto(f"{live_server.url}/tasks/{task.pk}/")
    assert new_date in html(sup) and proposed in sup.inner_text("#both-dates")

    # time passes: the item has been red (overdue) for the configured months, and the daily
    # ladder run issues a 督办函
    LadderRule.objects.update(is_active=False)  # the admin keeps one rule active
    LadderRule.objects.create(
        name="连续两个月红灯发督办函",
        pattern=LadderPattern.RED_MONTHS,
        threshold=2,
        action="letter",
    )
    today = timezone.localdate()
    Task.objects.filter(pk=task.pk).update(
        start_date=date(today.year - 1, 1, 1), due_date=date(today.year - 1, 6, 30)
    )
    derived.changed([task.pk])  # as the task's edit would (the month roll-ups, issue 17)
    call_command("run_ladder", stdout=io.StringIO())
    letter = LadderRecord.objects.get(task=task)
    assert letter.department == finance and letter.action == "letter"

    # head1 finds it, downloads it and signs for it
    head1.goto(f"{live_server.url}/supervision/letters/")
    head1.get_by_role("link", name=letter.doc_number).click()
    with head1.expect_download() as download:
        head1.click("#letter-docx")
    text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
    assert letter.doc_number in text and "小微企业转贷应急资金" in text
    head1.click("#sign-letter")
    assert "张处长 于" in head1.inner_text("#letter-signed")
    letter.refresh_from_db()
    assert letter.signed_by.username == "head1"


def test_staff_apply_to_pause_and_the_supervisor_approves_from_the_queue(
    signed_in, live_server, demo_data
):
    finance = User.objects.get(username="staff1").department
    task = (
        Task.objects.filter(lead_department=finance, status=TaskStatus.IN_PROGRESS, parent=None)
        .exclude(state_requests__status=StateRequestStatus.PENDING)
        .order_by("pk")
        .first()
    )

    # staff1 applies on the task page, with the reason
    staff = signed_in("staff1")
    staff.goto(f"{live_server.url}/tasks/{task.pk}/")
    staff.select_option("#state-apply-form select[name=kind]", "suspended")
    staff.fill("#state-apply-form textarea[name=reason]", "上级部门调整建设方案，暂停至批复。")
    staff.get_by_role("button", name="提交申请").click()
    assert "暂停申请已提交" in html(staff)
    application = StateRequest.objects.get(task=task)
    assert "待督查处审批" in staff.inner_text(f"#state-request-{application.pk}")

    # supervisor1 finds it in the queue and approves it there
    sup = signed_in("supervisor1")
    sup.goto(f"{live_server.url}/")
    sup.click("#nav-requests")
    row = sup.locator(f"#queue-state-{application.pk}")
    assert "上级部门调整建设方案" in row.inner_text()
    row.get_by_role("button", name="审批").click()
    assert "已批准暂停申请" in html(sup)
    assert sup.locator(f"#queue-state-{application.pk}").count() == 0

    # the item is paused, and the department sees the decision on the task page
    task.refresh_from_db()
    assert task.status == TaskStatus.SUSPENDED
    staff.reload()
    assert "已批准" in staff.inner_text(f"#state-request-{application.pk}")
