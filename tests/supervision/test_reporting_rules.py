"""The rules of a monthly report, stated once in supervision/reporting.py (report_errors and
refusal), hold on every path that saves one: the report form, the department page and the
Excel upload. One table of rules, run against all three; each refusal shows the rule's message
and writes nothing."""

from datetime import date

import pytest
from freezegun import freeze_time

from supervision.models import MonthlyReport, Task
from supervision.reporting import TEXT_LIMIT
from tests.helpers import fill, login, sheet_for, upload

MONTH = "2012-07"
JULY = date(2012, 7, 1)
GOOD = {"progress": "本月引进金融机构2家。", "problems": "", "next_steps": "继续对接。"}

# (rule, the report's values, the message of reporting.report_errors)
RULES = [
    ("submitting needs 本月进展", {"progress": "  "}, "提交前请填写本月进展"),
    ("月末进度 at most 100", {"percent": 150}, "月末进度 150 超出范围"),
    ("月末进度 at least 0", {"percent": -5}, "月末进度 -5 超出范围"),
    ("a lower percent needs 进度说明", {"percent": "drop"}, "低于上月"),
    ("texts within the limit", {"problems": "问" * (TEXT_LIMIT + 1)}, "存在问题不能超过"),
]


def values(task, change):
    """The report of `task` with `change` applied (percent "drop": below last month's)."""
    last = MonthlyReport.objects.filter(task=task).latest("month").percent
    report = {**GOOD, "percent": last + 5, "percent_note": "", **change}
    if report["percent"] == "drop":
        report["percent"] = last - 5
    return report


def by_form(client, task, report):
    data = {**report, "version": "0", "submit": "1"}
    return client.post(f"/tasks/{task.pk}/report/{MONTH}/", data)


def by_department_page(client, task, report):
    data = {"submit": "1"}
    for other in Task.objects.filter(
        lead_department=task.lead_department, project__plan__year=2012
    ):
        mine = report if other.pk == task.pk else values(other, {})
        for key, value in {**mine, "version": "0"}.items():
            data[f"t{other.pk}-{key}"] = value
    return client.post(f"/reports/{MONTH}/", data)


def by_upload(client, task, report):
    columns = {
        "本月进展": report["progress"],
        "存在问题": report["problems"],
        "下步计划": report["next_steps"],
        "月末进度（%）": report["percent"],
        "进度说明": report["percent_note"],
    }
    return upload(client, fill(sheet_for(client, MONTH), {task.code: columns}), MONTH)


PATHS = {"form": by_form, "department page": by_department_page, "upload": by_upload}


@freeze_time("2012-07-10 09:00:00")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("rule", "change", "message"), RULES, ids=[r[0] for r in RULES])
def test_every_path_applies_every_rule(client, demo, path, rule, change, message):
    login(client, "staff1")
    task = Task.objects.get(code="2.2")
    percent = task.percent
    response = PATHS[path](client, task, values(task, change))
    assert response.status_code == 400, rule
    assert message in response.content.decode(), rule
    assert not MonthlyReport.objects.filter(month=JULY).exists()  # nothing, for any task
    assert Task.objects.get(pk=task.pk).percent == percent


@freeze_time("2012-07-10 09:00:00")
@pytest.mark.parametrize("path", PATHS)
def test_every_path_saves_a_report_that_keeps_the_rules(client, demo, path):
    login(client, "staff1")
    task = Task.objects.get(code="2.2")
    report = values(task, {"percent": "drop", "percent_note": "统计口径调整。"})
    response = PATHS[path](client, task, report)
    assert response.status_code == 302, response.content.decode()[-2000:]
    saved = MonthlyReport.objects.get(task=task, month=JULY)
    assert (saved.percent, saved.percent_note, saved.status) == (
        report["percent"],
        "统计口径调整。",
        "submitted",
    )
    assert Task.objects.get(pk=task.pk).percent == report["percent"]
