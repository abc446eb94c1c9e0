"""The reminder scan at a province's scale (issue 17): the rules read the stored status
(TaskStanding) while it is current for the scan's day and compute live otherwise, and both
paths find the same items; the items point at their task without loading it, exactly as
they did with the task itself; the queries do not grow with the number of tasks."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import reminders
from core.models import ReminderItem
from core.notify import pointer
from supervision import standing
from supervision.choices import ReportStatus, Rhythm, TaskStatus
from supervision.models import Milestone, MonthlyReport, StandingRun, Task, TaskStanding
from tests.helpers import DUE, make_task, run_on

pytestmark = pytest.mark.django_db

REPORTING_DAY = date(2030, 9, 26)  # September's report is due: "report_missing ... :due"
LATE_DAY = date(2030, 10, 3)  # September's report is late: "report_missing ... :late"


def report(task, month, status=ReportStatus.APPROVED):
    return MonthlyReport.objects.create(
        task=task,
        month=month,
        status=status,
        progress="进展",
        submitted_at=timezone.now() if status != ReportStatus.DRAFT else None,
    )


def tasks_of_every_kind(office, day):
    """Open tasks overdue by 1, 9 and 40 days, one due in 3 days, a 节点 overdue, and tasks
    whose September report is submitted, returned, missing, or missing while a later month
    was reported; a quarterly, a one-off and a closed task. Returns {name: task}."""
    dept, leader = office["dept"], office["leader"]
    made = {}

    def task(name, number, **values):
        values.setdefault("due_date", date(2030, 12, 31))
        values.setdefault("start_date", date(2030, 1, 1))
        made[name] = make_task(
            number, title=name, lead_department=dept, responsible_leader=leader, **values
        )
        return made[name]

    task("late1", 11, due_date=day - timedelta(days=1))
    task("late9", 12, due_date=day - timedelta(days=9))
    task("late40", 13, due_date=day - timedelta(days=40))
    task("soon", 14, due_date=day + timedelta(days=3))
    Milestone.objects.create(task=task("node", 15), title="签约", due_date=day - timedelta(5))
    report(task("reported", 16), date(2030, 9, 1))
    report(task("returned", 17), date(2030, 9, 1), ReportStatus.RETURNED)
    report(task("earlier", 18), date(2030, 8, 1))
    report(task("later", 19), date(2030, 11, 1))
    report(made["later"], date(2030, 8, 1))
    task("quarterly", 20, rhythm=Rhythm.QUARTERLY)
    task("once", 21, rhythm=Rhythm.ONCE)
    task("closed", 22, due_date=day - timedelta(days=3), status=TaskStatus.CLOSED)
    return made


def items_of(day):
    """What a dry run finds, in full: key, kind, reason, link, due date and record."""
    return [
        (i.key, i.kind, i.reason, i.url, i.due, str(i.about), i.recipient.pk)
        for i in reminders.find_items(day)
    ]


@pytest.mark.parametrize("day", [REPORTING_DAY, LATE_DAY])
def test_stored_and_live_paths_find_the_same_items(office, day):
    made = tasks_of_every_kind(office, day)
    assert not standing.is_current(day)
    live = items_of(day)

    standing.refresh_all(day)
    # behind the services: a task with no stored row, and one whose row is of another day
    Task.objects.bulk_create(
        [
            Task(
                project=made["late1"].project,
                number=30,
                code="1.30",
                path="001.030",
                year=2030,
                title="后补任务",
                text="后补任务的原文。",
                lead_department=office["dept"],
                start_date=date(2030, 1, 1),
                due_date=day - timedelta(days=2),
            )
        ]
    )
    TaskStanding.objects.filter(task=made["earlier"]).update(
        computed_on=day - timedelta(days=1), last_report_month=date(2030, 9, 1)
    )
    assert standing.is_current(day)
    stored = items_of(day)

    StandingRun.objects.all().delete()
    cache.clear()
    assert not standing.is_current(day)
    assert stored == items_of(day)
    assert stored != live  # the task added behind the services is found on both paths

    events = {key.rsplit(":u", 1)[0] for key, *_ in stored}
    pk = {name: task.pk for name, task in made.items()}
    month, phase = ("2030-09", "due") if day == REPORTING_DAY else ("2030-09", "late")
    expected = {
        f"overdue:task:{pk['late1']}:step:0",
        f"overdue:task:{pk['late9']}:step:2",
        f"overdue:task:{pk['late40']}:step:13",
        f"due_soon:task:{pk['soon']}:3",
        *(f"report_missing:task:{pk[n]}:{month}:{phase}" for n in ["returned", "earlier", "later"]),
    }
    assert expected <= events
    assert f"report_missing:task:{pk['reported']}:{month}:{phase}" not in events
    assert not any(f"task:{pk['closed']}:" in e or f"task:{pk['once']}:" in e for e in events)
    added = Task.objects.get(title="后补任务").pk
    assert f"overdue:task:{added}:step:0" in events
    assert any(kind == "escalation" for _, kind, *_ in stored)


def test_the_stored_path_reads_the_stored_columns(office):
    """Proof that the stored path is taken: rows changed by hand (for that day) change what
    the scan finds, while the live path ignores them."""
    made = tasks_of_every_kind(office, REPORTING_DAY)
    standing.refresh_all(REPORTING_DAY)
    TaskStanding.objects.filter(task=made["late9"]).update(overdue_days=20)
    TaskStanding.objects.filter(task=made["earlier"]).update(last_report_month=date(2030, 9, 1))
    events = {key.rsplit(":u", 1)[0] for key, *_ in items_of(REPORTING_DAY)}
    assert f"overdue:task:{made['late9'].pk}:step:6" in events  # (20 - 1) // 3
    assert f"report_missing:task:{made['earlier'].pk}:2030-09:due" not in events


def test_records_point_like_the_task_itself(office, django_capture_on_commit_callbacks):
    """A stored item about a task (found as a Record) has the pointer of the task."""
    task = office["task"]
    result = run_on(DUE + timedelta(days=1), django_capture_on_commit_callbacks)
    rows = ReminderItem.objects.filter(object_id=task.pk)
    assert {r.key for r in rows} == {r.key for r in result.items}
    assert {r.recipient.username for r in rows} == {"staff", "head"}  # overdue by one day
    expected = pointer(task)
    for row in rows:
        assert (row.content_type, row.object_id, row.url, row.label) == (
            expected["content_type"],
            expected["object_id"],
            expected["url"],
            expected["label"],
        )


def test_context_link_is_reverse(office):
    ctx = reminders.Context.load(DUE)
    for pk in [1, 42, 123456789]:
        assert ctx.link("task_detail", pk) == reverse("task_detail", args=[pk])
        assert ctx.link("task_sign", pk) == reverse("task_sign", args=[pk])


def test_the_queries_do_not_grow_with_the_tasks(office):
    """A few tasks or many, each in every rule's reach: the same queries, stored path or
    live. And the command prints every item once."""
    day = REPORTING_DAY

    def queries():
        with CaptureQueriesContext(connection) as captured:
            found = reminders.find_items(day)
            reminders.stored_keys(i.key for i in found)
        return len(captured), len(found)

    tasks_of_every_kind(office, day)
    queries()  # standing.is_current(day) is remembered from here on
    few = queries()
    for n in range(40, 80):
        task = make_task(
            n, title=f"任务{n}", lead_department=office["dept"], due_date=day - timedelta(n)
        )
        Milestone.objects.create(task=task, title="节点", due_date=day - timedelta(days=2))
    many = queries()
    assert many[0] == few[0] and many[1] > few[1] + 100
    standing.refresh_all(day)
    assert queries() == many
    out = StringIO()
    call_command("send_reminders", "--dry-run", "--date", f"{day}", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == many[1] + 1
    assert lines[-1] == f"would send: {many[1]} reminders to 4 recipients"
