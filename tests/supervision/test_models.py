"""The database backs the rules, and every change users make is in the history."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from core.roles import Role
from supervision.choices import ListingLevel
from supervision.models import Listing, MonthlyReport, Task
from tests.helpers import make_department, make_task, make_user

pytestmark = pytest.mark.django_db


def assert_refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_percent_must_be_0_to_100():
    task = make_task()
    task.percent = 101
    assert_refused(task.save)
    report = MonthlyReport(task=task, month=date(2030, 1, 1), percent=150)
    assert_refused(report.save)


def test_due_date_not_before_start_date():
    assert_refused(lambda: make_task(start_date=date(2030, 6, 1), due_date=date(2030, 5, 31)))
    task = make_task(number=2, start_date=date(2030, 6, 1), due_date=date(2030, 6, 1))
    assert task.pk


def test_one_report_per_task_and_month():
    task = make_task()
    MonthlyReport.objects.create(task=task, month=date(2030, 3, 1))
    assert_refused(lambda: MonthlyReport.objects.create(task=task, month=date(2030, 3, 1)))
    MonthlyReport.objects.create(task=task, month=date(2030, 4, 1))
    assert task.reports.count() == 2


def test_one_active_listing_per_task():
    task = make_task()
    supervisor = make_user("sup", Role.SUPERVISOR)
    values = {
        "task": task,
        "level": ListingLevel.CITY,
        "reason": "滞后",
        "deadline": date(2030, 9, 30),
        "listed_by": supervisor,
        "listed_at": "2030-07-01T09:00+08:00",
    }
    first = Listing.objects.create(**values)
    assert_refused(lambda: Listing.objects.create(**values))
    first.lifted_at = first.listed_at
    first.save()
    Listing.objects.create(**values)  # a lifted listing does not block a new one
    assert task.listings.count() == 2


def test_task_numbering_and_child_uniqueness():
    parent = make_task(number=2)
    child = Task.objects.create(
        project=parent.project, parent=parent, number=10, title="子", text="子"
    )
    assert (parent.code, child.code) == ("1.2", "1.2.10")
    assert child.path == "001.002.010"
    assert_refused(
        lambda: Task.objects.create(
            project=parent.project, parent=parent, number=10, title="x", text="x"
        )
    )


def test_changes_are_in_the_history_with_who_and_what():
    task = make_task()
    department = make_department("金融工作办公室")
    task.percent = 40
    task.lead_department = department
    task.save()
    task.partner_departments.add(make_department("市财政局"))
    records = list(task.history.order_by("history_id"))
    assert [r.history_type for r in records[:2]] == ["+", "~"]
    delta = records[1].diff_against(records[0])
    assert {c.field for c in delta.changes} >= {"percent", "lead_department"}
    # partner departments are tracked too (m2m history)
    assert task.history.latest().partner_departments.count() == 1
