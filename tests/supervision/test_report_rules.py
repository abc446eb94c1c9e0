"""Rules that were missing (issue 9, item 5): nobody approves their own report; a 办结 task
takes no more reports on any path; /public/ publishes only approved reports and withdraws a
returned one."""

from datetime import date

import pytest
from freezegun import freeze_time

from supervision import reporting
from supervision.choices import ReportStatus, TaskStatus
from supervision.ledger import SheetRow, check_rows
from supervision.models import MonthClose, MonthlyReport, Task, User
from tests.helpers import login

pytestmark = pytest.mark.django_db
NOW = "2012-07-10 10:00:00+08:00"
REPORT = {
    "progress": "本月完成对接。",
    "problems": "",
    "next_steps": "继续。",
    "percent": "70",
    "percent_note": "",
    "version": "0",
    "submit": "1",
}


@pytest.fixture
def finance(demo):
    return Task.objects.get(title="提升融资环境")


@freeze_time(NOW)
def test_a_head_cannot_approve_their_own_report(client, finance):
    url = f"/tasks/{finance.pk}/report/2012-07/"
    login(client, "head1")
    assert client.post(url, REPORT).status_code == 302
    response = client.post(url + "review/", {"action": "approve"}, follow=True)
    assert "不能审核通过自己报送的报告" in response.content.decode()
    report = MonthlyReport.objects.get(task=finance, month=date(2012, 7, 1))
    assert report.status == ReportStatus.SUBMITTED and report.reviewed_by is None
    with pytest.raises(reporting.OwnReport):
        reporting.approve_report(report, user=User.objects.get(username="head1"))


@freeze_time(NOW)
def test_reports_on_a_closed_task_are_refused_on_every_path(client, finance):
    finance.status = TaskStatus.CLOSED
    finance.save()
    percent = finance.percent
    login(client, "staff1")
    response = client.post(f"/tasks/{finance.pk}/report/2012-07/", REPORT)
    assert "该任务已办结" in response.content.decode()
    staff1 = User.objects.get(username="staff1")
    report = reporting.new_report(finance, date(2012, 7, 1), None)
    data = {k: REPORT[k] for k in ("progress", "problems", "next_steps", "percent_note")}
    with pytest.raises(reporting.ReportInvalid):
        reporting.save_report(
            report, user=staff1, data=dict(data, percent=80), version=0, submit=True
        )
    rows = [SheetRow(excel_row=3, task_id=finance.pk, code=finance.code, progress="x", percent=80)]
    result = check_rows(staff1, date(2012, 7, 1), rows)
    assert any("该任务已办结" in e.text for e in result.errors)
    assert not MonthlyReport.objects.filter(task=finance, month=date(2012, 7, 1)).exists()
    finance.refresh_from_db()
    assert finance.percent == percent


@freeze_time(NOW)
def test_public_shows_only_approved_reports_and_withdraws_a_returned_one(client, finance):
    finance.is_public = True
    finance.save()
    june = MonthlyReport.objects.filter(task=finance).latest("month")  # closed in the demo
    url = f"/public/{june.month:%Y-%m}/"
    MonthlyReport.objects.filter(pk=june.pk).update(
        status=ReportStatus.SUBMITTED, progress="六月未审核的进展"
    )
    approved = (
        MonthlyReport.objects.filter(
            task=finance, status=ReportStatus.APPROVED, month__lt=june.month
        )
        .order_by("-month")
        .first()
    )
    assert MonthClose.objects.filter(month=june.month, is_closed=True).exists()
    page = client.get(url).content.decode()
    assert "六月未审核的进展" not in page
    assert approved.progress[:20] in page  # the last approved one instead

    MonthlyReport.objects.filter(pk=june.pk).update(
        status=ReportStatus.APPROVED, progress="六月审核通过的进展"
    )
    assert "六月审核通过的进展" in client.get(url).content.decode()
    login(client, "head1")
    MonthlyReport.objects.filter(pk=june.pk).update(status=ReportStatus.SUBMITTED)
    reporting.return_report(june, user=User.objects.get(username="head1"), reason="请补充")
    client.logout()
    assert "六月审核通过的进展" not in client.get(url).content.decode()
