"""The whole daily flow in a real browser, as its users do it."""

import pytest
from openpyxl import load_workbook

from supervision.choices import ReportStatus
from supervision.demo import load_demo
from supervision.models import Instruction, Listing, MonthlyReport, Plan, Task

pytestmark = pytest.mark.django_db(transaction=True)

SMALL_PLAN = """2031年督查工作要点
一、加强重点工作督查
1. 建立重点工作督查台账（督查处牵头），按月通报进展。
2. 年内开展专项督查不少于3次。
二、提升服务效率
1. 12345热线工单48小时内办结率达到90%以上。
"""


@pytest.fixture
def demo_data(transactional_db):
    load_demo(year=2012, out=lambda *a: None)


def test_report_review_listing_ledger_instruction_and_import(
    signed_in, live_server, demo_data, tmp_path
):
    task = Task.objects.get(title="提升融资环境")

    # staff1 signs in and submits the month's report from the task page
    staff = signed_in("staff1")
    staff.goto(f"{live_server.url}/tasks/{task.pk}/")
    staff.get_by_role("link", name="填报").first.click()
    month_url = staff.url
    staff.fill("#id_progress", "本月召开银企对接会，新引进金融机构2家。")
    staff.fill("#id_percent", "65")
    staff.get_by_role("button", name="提交审核").click()
    assert "已提交，等待处室负责人审核" in staff.content()
    report = MonthlyReport.objects.get(task=task, status=ReportStatus.SUBMITTED, percent=65)

    # head1 returns it with a reason
    head = signed_in("head1")
    head.goto(month_url)
    head.fill("#id_reason", "请补充引进机构名称。")
    head.get_by_role("button", name="退回修改").click()
    assert "报告已退回" in head.content()
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED

    # staff1 sees the reason and resubmits
    staff.goto(month_url)
    assert "请补充引进机构名称" in staff.content()
    staff.fill("#id_progress", "新引进甲银行、乙证券2家金融机构。")
    staff.get_by_role("button", name="提交审核").click()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert "甲银行" in report.progress

    # supervisor1 lists the task and downloads the ledger
    supervisor = signed_in("supervisor1")
    supervisor.goto(f"{live_server.url}/tasks/{task.pk}/listing/")
    supervisor.select_option("#id_level", "city")
    supervisor.fill("#id_reason", "融资环境指标滞后于序时进度。")
    supervisor.fill("#id_deadline", "2099-12-31")
    supervisor.get_by_role("button", name="挂牌督办").click()
    assert Listing.objects.filter(task=task, lifted_at=None).exists()
    supervisor.goto(f"{live_server.url}/supervision/ledger/")
    with supervisor.expect_download() as download:
        supervisor.get_by_role("link", name="导出 Excel").click()
    path = tmp_path / "ledger.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert any("提升融资环境" in str(v) for row in rows for v in row)

    # leader1 writes a 批示
    leader = signed_in("leader1")
    leader.goto(f"{live_server.url}/tasks/{task.pk}/")
    leader.fill("#id_text", "要加快引进进度，确保年内完成目标。")
    leader.get_by_role("button", name="发送批示").click()
    assert Instruction.objects.filter(task=task, text__startswith="要加快引进进度").exists()

    # staff2 may not open staff1's report form
    other = signed_in("staff2")
    response = other.goto(month_url)
    assert response.status == 403
    assert "无权访问" in other.content()

    # admin imports a small plan through /plans/import/
    admin = signed_in("admin")
    admin.goto(f"{live_server.url}/plans/import/")
    admin.fill("#id_year", "2031")
    admin.fill("#id_text", SMALL_PLAN)
    admin.get_by_role("button", name="解析并预览").click()
    assert "加强重点工作督查" in admin.content()
    assert not Plan.objects.filter(year=2031).exists()
    admin.get_by_role("button", name="确认导入").click()
    plan = Plan.objects.get(year=2031)
    assert Task.objects.filter(project__plan=plan).count() == 3
