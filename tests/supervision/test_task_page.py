"""The task page asks first which of its sections have rows (core.related.has_rows) and
queries only those: what it says agrees with the ORM for every relation, the page is the
same as when every section is queried, and a bare task's page runs fewer queries."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Reminder
from core.notify import pointer
from core.related import has_rows
from supervision.choices import ListingLevel
from supervision.models import Instruction, Listing, Measure, PartnerNote, Task, Urging, User
from supervision.views import tasks as task_views
from tests.helpers import login, make_task

LISTED = task_views.LISTED


def test_has_rows_agrees_with_the_orm_for_every_relation_of_every_demo_task(demo):
    tasks = list(Task.objects.order_by("pk"))
    seen = {name: set() for name in LISTED}
    for task in tasks:
        present = has_rows(task, LISTED)
        expected = {name: getattr(task, name).exists() for name in LISTED}
        assert present == expected, task.code
        for name, value in present.items():
            seen[name].add(value)
    # the demo has tasks with and without reports, milestones, indicators, measures
    for name in ("reports", "milestones", "indicators", "measures"):
        assert seen[name] == {True, False}, name


def test_generic_relations_count_only_the_task_they_point_at(db):
    user = User.objects.create_user("watcher")
    task, other = make_task(1), make_task(2)
    Reminder.objects.create(key="r1", kind="manual", recipient=user, subject="s", **pointer(other))
    assert has_rows(task, ["reminders", "reminder_items"]) == {
        "reminders": False,
        "reminder_items": False,
    }
    assert has_rows(other, ["reminders", "reminder_items"]) == {
        "reminders": True,
        "reminder_items": False,
    }


def test_has_rows_refuses_what_is_not_a_reverse_relation(db):
    with pytest.raises(ValueError, match="not a reverse foreign key"):
        has_rows(make_task(1), ["lead_department"])


# a form's CSRF token is masked afresh on each render; the dossier prints the minute
VOLATILE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|打印于 [0-9: -]+')


def page(client, task):
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    return VOLATILE.sub("", response.content.decode())


@pytest.mark.parametrize("username", ["staff1", "head1", "supervisor1", "leader1"])
def test_the_page_is_the_one_every_section_queried_gives(demo, client, monkeypatch, username):
    login(client, username)
    task = Task.objects.get(title="提升融资环境")
    leader = User.objects.get(username="leader1")
    supervisor = User.objects.get(username="supervisor1")
    # rows in the sections the demo leaves empty for this task
    Instruction.objects.create(task=task, leader=leader, text="抓紧推进。")
    Listing.objects.create(
        task=task,
        level=ListingLevel.OFFICE,
        reason="滞后",
        deadline=date(2012, 12, 31),
        listed_by=supervisor,
        listed_at=timezone.now(),
    )
    Urging.objects.create(task=task, sent_by=supervisor, message="请加快。", recipient_count=2)
    Reminder.objects.create(key="t", kind="manual", recipient=leader, subject="s", **pointer(task))
    tasks = [task, *Task.objects.exclude(pk=task.pk).order_by("pk")[:12]]
    fast = [page(client, t) for t in tasks]
    monkeypatch.setattr(task_views, "has_rows", lambda task, names: dict.fromkeys(names, True))
    every = [page(client, t) for t in tasks]
    assert fast == every
    assert "抓紧推进" in fast[0] and "请加快" in fast[0] and "督办中" in fast[0]


def test_a_bare_task_runs_fewer_queries_than_a_full_one(demo, client):
    login(client, "supervisor1")
    bare = make_task(99, year=2012)
    full = Task.objects.get(title="提升融资环境")
    supervisor = User.objects.get(username="supervisor1")
    Measure.objects.create(task=full, number=9, text="措施")
    Urging.objects.create(task=full, sent_by=supervisor, message="请加快。", recipient_count=1)
    PartnerNote.objects.create(
        task=full,
        department=full.lead_department,
        author=supervisor,
        month=full.reports.first().month,
        text="配合",
    )

    def count(task):
        client.get(f"/tasks/{task.pk}/")  # warm: today's stored status, the navbar
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/tasks/{task.pk}/").status_code == 200
        return len(captured.captured_queries)

    assert count(bare) + 5 <= count(full)
