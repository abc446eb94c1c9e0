"""A 领导批示 item's whole life in a real browser (issue 10): supervisor1 creates it, head1's
department proposes two 节点, supervisor1 approves them, staff1 reports with a PDF, head1
applies for 办结, supervisor1 confirms (销号)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Attachment
from supervision.choices import ClosureStatus, MilestoneStatus, ReportStatus, TaskStatus
from supervision.models import MonthlyReport, Task, User
from tests import demo_snapshot
from tests.browser.pages import html

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def demo_data(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    demo_snapshot.demo()


def test_instruction_item_from_creation_to_close(signed_in, live_server, demo_data, tmp_path):
    today = timezone.localdate()
    due = today + timedelta(days=60)
    department = User.objects.get(username="head1").department

    # supervisor1 creates a 领导批示 item
    supervisor = signed_in("supervisor1")
    supervisor.goto(f"{live_server.url}/tasks/")
    supervisor.get_by_role("link", name="立项督办事项").click()
    supervisor.select_option("#id_source", "instruction")
    supervisor.fill("#id_doc_number", "市政府领导批示〔2026〕第8号")
    supervisor.fill("#id_title", "落实小微企业贷款贴息批示")
    supervisor.fill("#id_text", "王秘书长批示：请金融办牵头，两个月内落实小微企业贷款贴息政策。")
    supervisor.select_option("#id_lead_department", str(department.pk))
    supervisor.fill("#id_due_date", f"{due:%Y-%m-%d}")
    supervisor.select_option("#id_rhythm", "monthly")
    supervisor.get_by_role("button", name="立项").click()
    assert "已立项" in html(supervisor)
    task = Task.objects.get(title="落实小微企业贷款贴息批示")
    assert task.source == "instruction" and task.lead_department == department

    # head1's department proposes two 节点
    head = signed_in("head1")
    head.goto(f"{live_server.url}/tasks/{task.pk}/")
    head.click("#milestones-link")
    for title, days in [("出台贴息实施细则", 20), ("首批贴息资金拨付", 50)]:
        head.fill("#id_title", title)
        head.fill("#id_due_date", f"{today + timedelta(days=days):%Y-%m-%d}")
        head.fill("#id_deliverable", "文件")
        head.get_by_role("button", name="报送节点").click()
        assert "等待督查处确认" in html(head)
    assert task.milestones.filter(status=MilestoneStatus.PROPOSED).count() == 2

    # supervisor1 approves them
    supervisor.goto(f"{live_server.url}/tasks/{task.pk}/milestones/")
    supervisor.get_by_role("button", name="确认所选节点").click()
    assert "已确认 2 个节点" in html(supervisor)
    assert task.milestones.filter(status=MilestoneStatus.APPROVED).count() == 2

    # staff1 reports the month with a PDF attached
    pdf = tmp_path / "贴息细则.pdf"
    pdf.write_bytes(PDF)
    staff = signed_in("staff1")
    staff.goto(f"{live_server.url}/tasks/{task.pk}/report/{today:%Y-%m}/")
    staff.fill("#id_progress", "已起草贴息实施细则，征求财政局意见。")
    staff.fill("#id_percent", "40")
    staff.set_input_files("#id_files", str(pdf))
    staff.get_by_role("button", name="提交审核").click()
    assert "已提交" in html(staff)
    report = MonthlyReport.objects.get(task=task)
    assert report.status == ReportStatus.SUBMITTED
    assert [a.original_name for a in Attachment.objects.of(report)] == ["贴息细则.pdf"]
    assert "贴息细则.pdf" in html(staff)

    # head1 applies for 办结
    head.goto(f"{live_server.url}/tasks/{task.pk}/")
    head.click("#close-link")
    head.fill("#id_summary", "贴息细则已印发，首批资金已拨付。")
    head.get_by_role("button", name="提交办结申请").click()
    assert "等待督查处确认" in html(head)
    assert task.closures.get().status == ClosureStatus.PENDING

    # supervisor1 confirms: 销号
    supervisor.goto(f"{live_server.url}/tasks/{task.pk}/close/")
    assert "贴息细则已印发" in html(supervisor)
    supervisor.get_by_role("button", name="确认办结（销号）").click()
    assert "已确认办结" in html(supervisor)
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert task.closures.get().status == ClosureStatus.CONFIRMED
