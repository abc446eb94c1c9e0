"""supervision/reporting.py's refusals, each leaving the database as it was: a stale version
and a report created by someone else in the meantime (ReportConflict), a report submitted
meanwhile (ReportLocked), reviewing what is not submitted, and the department page's 409."""

from datetime import date

import pytest
from freezegun import freeze_time

from supervision import reporting
from supervision.choices import ReportStatus
from supervision.models import MonthlyReport, Task, User

pytestmark = pytest.mark.django_db
NOW = "2012-07-10 10:00:00+08:00"
JULY = date(2012, 7, 1)
DATA = {"progress": "本月进展", "problems": "", "next_steps": "下步", "percent": 70}


@pytest.fixture
def finance(demo):
    return Task.objects.get(title="提升融资环境")


def user(name):
    return User.objects.get(username=name)


def history():
    return MonthlyReport.history.count(), Task.history.count()


@freeze_time(NOW)
def test_a_report_created_meanwhile_is_a_conflict_not_a_500(finance):
    """Two people open the empty July form (version 0); the second save hits the unique
    (task, month) constraint: ReportConflict, and the first one's report stays."""
    mine = reporting.report_for(finance, JULY)
    theirs = reporting.report_for(finance, JULY)
    reporting.save_report(theirs, user=user("head1"), data={**DATA, "progress": "甲"}, version=0)
    before, percent = history(), Task.objects.get(pk=finance.pk).percent
    with pytest.raises(reporting.ReportConflict):
        reporting.save_report(mine, user=user("staff1"), data=DATA, version=0, submit=True)
    report = MonthlyReport.objects.get(task=finance, month=JULY)
    assert (report.progress, report.status, report.version) == ("甲", ReportStatus.DRAFT, 1)
    assert history() == before
    assert Task.objects.get(pk=finance.pk).percent == percent
    assert MonthlyReport.objects.count() > 1  # and the transaction is still usable


@freeze_time(NOW)
def test_a_stale_version_and_an_unsaved_form_of_an_existing_report_conflict(finance):
    report = reporting.save_report(
        reporting.report_for(finance, JULY), user=user("staff1"), data=DATA, version=0
    )
    before = history()
    for version in (0, 2):  # opened before it existed; a version it never had
        with pytest.raises(reporting.ReportConflict):
            reporting.save_report(report, user=user("staff1"), data=DATA, version=version)
    unsaved = MonthlyReport(task=finance, month=date(2012, 6, 1), version=0)
    with pytest.raises(reporting.ReportConflict):  # a new report claimed at version 1
        reporting.save_report(unsaved, user=user("staff1"), data=DATA, version=1)
    assert history() == before


@freeze_time(NOW)
def test_a_submitted_report_is_locked(finance):
    report = reporting.save_report(
        reporting.report_for(finance, JULY), user=user("staff1"), data=DATA, version=0, submit=True
    )
    before = history()
    with pytest.raises(reporting.ReportLocked):
        reporting.save_report(
            report, user=user("staff1"), data={**DATA, "progress": "改写"}, version=report.version
        )
    report.refresh_from_db()
    assert (report.progress, report.status) == ("本月进展", ReportStatus.SUBMITTED)
    assert history() == before
    reporting.approve_report(report, user=user("head1"))
    for review in (
        lambda: reporting.approve_report(report, user=user("head1")),
        lambda: reporting.return_report(report, user=user("head1"), reason="重写"),
    ):
        with pytest.raises(reporting.ReportLocked):
            review()
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (ReportStatus.APPROVED, "")


@freeze_time(NOW)
def test_reviewing_a_draft_is_refused_and_changes_nothing(client, finance):
    reporting.save_report(
        reporting.report_for(finance, JULY), user=user("staff1"), data=DATA, version=0
    )
    client.force_login(user("head1"))
    url = f"/tasks/{finance.pk}/report/2012-07/review/"
    before = history()
    for data in ({"action": "approve"}, {"action": "return", "reason": "请补充。"}):
        response = client.post(url, data, follow=True)
        assert "只能审核已提交的报告" in response.content.decode()
    report = MonthlyReport.objects.get(task=finance, month=JULY)
    assert (report.status, report.reviewed_by) == (ReportStatus.DRAFT, None)
    assert history() == before


@freeze_time(NOW)
def test_department_page_with_a_stale_version_is_a_409_and_saves_nothing(client, finance):
    staff1 = user("staff1")
    tasks = list(Task.objects.filter(lead_department=staff1.department, project__plan__year=2012))
    client.force_login(staff1)
    data = {"submit": "1"}
    for task in tasks:
        for key, value in {**DATA, "percent_note": "", "version": 0}.items():
            data[f"t{task.pk}-{key}"] = value
    # meanwhile head1 saves a draft of the first task: the page's version 0 is stale
    reporting.save_report(
        reporting.report_for(tasks[0], JULY), user=user("head1"), data=DATA, version=0
    )
    before = history()
    response = client.post("/reports/2012-07/", data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "未保存任何报告" in body and "已被他人修改" in body
    july = MonthlyReport.objects.filter(month=JULY)
    assert list(july.values_list("task", "status")) == [(tasks[0].pk, ReportStatus.DRAFT)]
    assert history() == before
