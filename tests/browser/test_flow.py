"""The whole daily flow in a real browser, as its users do it."""

from functools import partial

import pytest
from openpyxl import load_workbook

from supervision.choices import ReportStatus
from supervision.models import Instruction, Listing, MonthlyReport, Plan, Task
from tests import demo_snapshot
from tests.browser.pages import html

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
    demo_snapshot.demo(2012)


def fits(page):
    """No page scrolls sideways (issue 11: at 390 px the dashboard was 543 px wide). Waits
    for the page a click opened: measured mid-navigation, the document has no element."""
    page.wait_for_load_state()
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} is {width} px wide in a {inner} px window"
    return page


def open_nav(page):
    """On a phone the navigation is folded behind its toggler."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.locator("#mainnav.show").wait_for()


@pytest.mark.parametrize("width", [1366, 390], ids=["desktop", "phone"])
def test_report_review_listing_ledger_instruction_and_import(
    signed_in, live_server, demo_data, tmp_path, width
):
    task = Task.objects.get(title="提升融资环境")
    signed_in = partial(signed_in, width=width)

    # staff1 signs in and submits the month's report from the task page
    staff = signed_in("staff1")
    fits(staff)
    staff.goto(f"{live_server.url}/tasks/{task.pk}/")
    fits(staff)
    if width < 600:  # 本月进展 keeps a readable width; the table scrolls inside its box
        cell = staff.locator("#reports td:nth-child(4)").first.bounding_box()
        assert cell["width"] > 150
    staff.get_by_role("link", name="填报").first.click()
    month_url = staff.url
    fits(staff)
    # the form is prefilled with last month's text: submitting it unchanged asks first
    asked = []
    staff.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    staff.get_by_role("button", name="提交审核").click()
    assert asked and "与上月报告相同" in asked[0]
    assert staff.url == month_url and staff.locator("#copy-warning").count() == 1
    staff.fill("#id_progress", "本月召开银企对接会，新引进金融机构2家。")
    staff.fill("#id_percent", "65")
    staff.get_by_role("button", name="提交审核").click()
    assert "已提交，等待处室负责人审核" in html(staff)
    report = MonthlyReport.objects.get(task=task, status=ReportStatus.SUBMITTED, percent=65)

    # head1 returns it with a reason
    head = signed_in("head1")
    head.goto(month_url)
    head.fill("#id_reason", "请补充引进机构名称。")
    head.get_by_role("button", name="退回修改").click()
    assert "报告已退回" in html(head)
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED

    # staff1 sees the reason and resubmits
    staff.goto(month_url)
    assert "请补充引进机构名称" in html(staff)
    staff.fill("#id_progress", "新引进甲银行、乙证券2家金融机构。")
    staff.get_by_role("button", name="提交审核").click()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert "甲银行" in report.progress

    # head1 sees the 待审核 count, and approves from the queue without opening the report
    head.goto(f"{live_server.url}/tasks/")
    assert head.locator("#review-count").inner_text() == str(
        MonthlyReport.objects.filter(
            status=ReportStatus.SUBMITTED, task__lead_department=task.lead_department
        ).count()
    )
    open_nav(head)
    head.locator("#nav-reviews").click()
    fits(head)
    row = head.locator(f"#review-{report.pk}")
    assert "甲银行" in row.inner_text()
    head.once("dialog", lambda dialog: dialog.accept())  # approving asks once
    row.get_by_role("button", name="审核通过").click()
    assert "已审核通过 1 份报告" in html(head)
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert head.locator(f"#review-{report.pk}").count() == 0

    # a leader opens the report read-only from the task page's 月度进展
    reader = signed_in("leader1")
    reader.goto(f"{live_server.url}/tasks/{task.pk}/")
    reader.locator("#reports a", has_text="查看").first.click()
    fits(reader)
    assert "甲银行" in html(reader)
    assert reader.locator("#report-form").count() == 0
    reader.goto(f"{live_server.url}/dashboard/")
    fits(reader)

    # supervisor1 lists the task and downloads the ledger
    supervisor = signed_in("supervisor1")
    supervisor.goto(f"{live_server.url}/tasks/{task.pk}/listing/")
    supervisor.select_option("#id_level", "city")
    supervisor.fill("#id_reason", "融资环境指标滞后于序时进度。")
    supervisor.fill("#id_deadline", "2099-12-31")
    supervisor.get_by_role("button", name="挂牌督办").click()
    assert Listing.objects.filter(task=task, lifted_at=None).exists()
    supervisor.goto(f"{live_server.url}/supervision/ledger/")
    fits(supervisor)
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

    # staff2 reads staff1's report but may not write it; a refusal says why
    other = signed_in("staff2")
    response = other.goto(month_url)
    assert response.status == 200
    assert other.locator("#report-form").count() == 0
    response = other.goto(f"{live_server.url}/tasks/{task.pk}/listing/")
    assert response.status == 403
    assert "只有督查人员可以挂牌督办" in html(other)

    # admin imports a small plan through /plans/import/
    admin = signed_in("admin")
    if width > 600:  # every link of the navigation on one line (13 of them wrapped in 2026)
        height = admin.evaluate("document.querySelector('nav.navbar').offsetHeight")
        assert height < 70, f"the navigation is {height} px high"
    open_nav(admin)
    admin.click("#nav-system")  # the 系统 menu
    admin.get_by_role("link", name="导入计划").click()
    assert admin.url.endswith("/plans/import/")
    fits(admin)
    admin.fill("#id_year", "2031")
    admin.fill("#id_text", SMALL_PLAN)
    admin.get_by_role("button", name="解析并预览").click()
    assert "加强重点工作督查" in html(admin)
    assert not Plan.objects.filter(year=2031).exists()
    admin.get_by_role("button", name="确认导入").click()
    plan = Plan.objects.get(year=2031)
    assert Task.objects.filter(project__plan=plan).count() == 3
