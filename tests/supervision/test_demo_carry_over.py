"""The demo shows a 挂账结转 (issue 12): one plan task carried over into the next year, linked
both ways, while the pages still open on the demo's own year (a year holding only carried
items is never the default), and a 暂停 application waiting in the supervisors' queue."""

import re

import pytest
from freezegun import freeze_time

from supervision.choices import (
    AssignmentStatus,
    ExtensionStatus,
    LadderAction,
    StateRequestStatus,
    TaskStatus,
)
from supervision.demo import load_demo
from supervision.models import Assignment, Extension, LadderRecord, StateRequest, Task
from tests.helpers import login

pytestmark = pytest.mark.django_db


def selected_year(body):
    select = body[body.index('name="year"') :].split("</select>", 1)[0]
    return re.search(r'<option value="(\w+)" selected', select).group(1)


@freeze_time("2026-11-30 10:00:00+08:00")
def test_the_demo_carries_one_item_into_next_year_linked_both_ways(client, demo):
    new = Task.objects.get(carried_from__isnull=False)
    old = new.carried_from
    assert (old.year, new.year) == (2012, 2013)
    assert old.status == TaskStatus.CARRIED and old.state_reason
    assert new.status == TaskStatus.IN_PROGRESS and new.title == old.title
    assert Task.objects.filter(year=2013).count() == 1  # the carried item alone
    login(client, "supervisor1")
    old_page = client.get(f"/tasks/{old.pk}/").content.decode()
    assert f'href="/tasks/{new.pk}/"' in old_page and "已结转为 <a" in old_page
    new_page = client.get(f"/tasks/{new.pk}/").content.decode()
    assert f'href="/tasks/{old.pk}/"' in new_page and "挂账结转" in new_page


@freeze_time("2026-11-30 10:00:00+08:00")
def test_the_pages_still_open_on_the_demo_year(client, demo):
    login(client, "supervisor1")
    body = client.get("/tasks/").content.decode()
    assert selected_year(body) == "2012"
    assert '<option value="2013">2013年</option>' in body  # listed, not the default
    assert "2012年" in client.get("/dashboard/").content.decode()
    # the carried item is found under its own year
    carried = Task.objects.get(carried_from__isnull=False)
    assert carried.title in client.get("/tasks/?year=2013").content.decode()
    login(client, "staff1")
    body = client.get("/tasks/").content.decode()
    assert selected_year(body) == "2012"


@freeze_time("2026-11-30 10:00:00+08:00")
def test_a_year_with_items_of_its_own_is_the_default_again(client, demo):
    carried = Task.objects.get(carried_from__isnull=False)
    Task.objects.create(
        year=2013, number=carried.number + 1, title="2013年新立项事项", source="meeting"
    )
    login(client, "supervisor1")
    assert selected_year(client.get("/tasks/").content.decode()) == "2013"


@freeze_time("2026-11-30 10:00:00+08:00")
def test_the_demo_has_a_pause_application_in_the_queue(client, demo):
    waiting = StateRequest.objects.get(status=StateRequestStatus.PENDING)
    login(client, "supervisor1")
    body = client.get("/supervision/requests/").content.decode()
    assert f'id="queue-state-{waiting.pk}"' in body and waiting.task.title in body


def test_the_demo_shows_each_step_of_the_procedure_once_at_least(demo):
    signed = Assignment.objects.filter(status=AssignmentStatus.SIGNED)
    assert any(a.late for a in signed) and any(not a.late for a in signed)
    assert Assignment.objects.filter(status=AssignmentStatus.REASSIGNED).exists()
    assert set(Extension.objects.values_list("status", flat=True)) >= {
        ExtensionStatus.APPROVED,
        ExtensionStatus.REFUSED,
        ExtensionStatus.PENDING,
    }
    records = LadderRecord.objects.all()
    assert records.filter(action=LadderAction.LETTER, signed_at__isnull=False).exists()
    assert records.filter(action=LadderAction.NOTICE, signed_at=None).exists()
    assert records.filter(action=LadderAction.INTERVIEW).exclude(minutes="").exists()
    assert records.filter(action=LadderAction.CRITICISM).exists()
    statuses = set(Task.objects.values_list("status", flat=True))
    assert {TaskStatus.SUSPENDED, TaskStatus.TERMINATED, TaskStatus.CARRIED} <= statuses
    # run twice: nothing more
    counts = (Assignment.objects.count(), LadderRecord.objects.count(), Task.objects.count())
    load_demo(year=2012, out=lambda *a: None)
    assert (
        Assignment.objects.count(),
        LadderRecord.objects.count(),
        Task.objects.count(),
    ) == counts
