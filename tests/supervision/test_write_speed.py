"""Writes return quickly (issue 11, item 15): a plan import makes its plan's dashboard figures
stale once, not once per row, and looks up nothing under a task it has just created."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from core.roles import Role
from supervision import reporting, signals
from supervision.choices import ReportStatus
from supervision.models import Indicator, MonthlyReport, Plan, Task
from supervision.planio import apply_plan, read_plan
from tests.helpers import make_department, make_task, make_user

pytestmark = pytest.mark.django_db

PLAN = """2031年督查工作要点
一、加强重点工作督查
1. 建立重点工作督查台账（督查处牵头），按月通报进展。
2. 年内开展专项督查不少于3次。
二、提升服务效率
1. 12345热线工单48小时内办结率达到90%以上。
"""


@pytest.fixture
def bumps(monkeypatch):
    calls = []
    monkeypatch.setattr(signals, "bump_version", calls.append)
    return calls


def test_an_import_bumps_its_plan_once(bumps):
    result = apply_plan(read_plan(PLAN, 2031))
    plan = Plan.objects.get(year=2031)
    assert Task.objects.filter(project__plan=plan).count() == 3
    assert bumps == [plan.pk] == [result.plan.pk]
    # a second, unchanged run writes nothing but still says the plan may have changed once
    apply_plan(read_plan(PLAN, 2031))
    assert bumps == [plan.pk, plan.pk]


def test_a_single_change_still_bumps_its_plan_at_once(bumps):
    task = make_task(1)
    task.title = "改名"
    task.save()
    assert bumps and set(bumps) == {task.project.plan_id}


def test_an_import_that_fails_leaves_the_signal_on(bumps, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("supervision.planio._sync_tasks", broken)
    with pytest.raises(RuntimeError):
        apply_plan(read_plan(PLAN, 2031))
    assert not Plan.objects.filter(year=2031).exists()
    monkeypatch.undo()
    calls = []
    monkeypatch.setattr(signals, "bump_version", calls.append)
    task = make_task(1)
    assert calls and set(calls) == {task.project.plan_id}  # not left quiet


def test_new_tasks_are_not_searched_for_what_they_hold():
    with CaptureQueriesContext(connection) as captured:
        apply_plan(read_plan(PLAN, 2031))
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    for table in ("supervision_measure", "supervision_indicator"):
        assert not [s for s in selects if f'FROM "{table}"' in s], table


@freeze_time("2030-06-10 10:00:00+08:00")
def test_a_draft_bumps_no_plan_and_a_submission_does(bumps):
    """The dashboard counts submitted and approved reports only: a draft saved (with an
    indicator value) leaves the cached figures alone; submitting it makes them stale."""
    department = make_department("金融工作办公室")
    staff = make_user("staff", Role.STAFF, department)
    task = make_task(1, lead_department=department, start_date=date(2030, 1, 1))
    indicator = Indicator.objects.create(task=task, number=1, name="指标", target=Decimal(10))
    bumps.clear()
    month = date(2030, 6, 1)
    data = {"progress": "进展", "problems": "", "next_steps": "", "percent": 10}
    report = reporting.save_report(
        MonthlyReport(task=task, month=month),
        user=staff,
        data=data,
        indicator_values={indicator: Decimal(3)},
        version=0,
    )
    assert report.pk and report.status == ReportStatus.DRAFT
    assert report.indicator_values.count() == 1
    assert bumps == []
    reporting.save_report(report, user=staff, data=data, version=report.version, submit=True)
    assert set(bumps) == {task.project.plan_id}


@freeze_time("2030-07-10 10:00:00+08:00")
def test_a_draft_saved_from_its_form_reads_the_previous_report_once(client):
    """The form's page has read the previous report (for its 上月进度): the save uses it
    instead of asking again, and a redirect after saving reads no indicator values."""
    department = make_department("金融工作办公室")
    staff = make_user("staff", Role.STAFF, department)
    task = make_task(1, lead_department=department, start_date=date(2030, 1, 1))
    indicator = Indicator.objects.create(task=task, number=1, name="指标", target=Decimal(10))
    MonthlyReport.objects.create(
        task=task, month=date(2030, 5, 1), progress="五月", percent=40, status="approved"
    )
    draft = MonthlyReport.objects.create(task=task, month=date(2030, 6, 1), progress="六月")
    client.force_login(staff)
    data = {
        "version": draft.version,
        "progress": "六月进展",
        "problems": "",
        "next_steps": "",
        "percent": "30",  # below May's 40: the rule needs the previous report
        "percent_note": "口径调整",
        f"indicator_{indicator.pk}": "3",
        "save": "1",
    }
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/tasks/{task.pk}/report/2030-06/", data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.progress, draft.percent, draft.status) == ("六月进展", 30, ReportStatus.DRAFT)
    assert draft.indicator_values.get().value == Decimal(3)
    sql = [q["sql"] for q in captured.captured_queries]
    previous = [s for s in sql if '"month" <' in s and "supervision_monthlyreport" in s]
    assert len(previous) == 1
    # one read of the draft's value of the indicator, by the save; none by the page
    values = [s for s in sql if s.startswith("SELECT") and "supervision_indicatorvalue" in s]
    assert len(values) == 1
    # and without its 进度说明 the same save is refused by the rule, with the previous at hand
    data["percent_note"] = ""
    data["version"] = draft.version
    response = client.post(f"/tasks/{task.pk}/report/2030-06/", data)
    assert response.status_code == 400
    assert "低于上月（40%）" in response.content.decode()
