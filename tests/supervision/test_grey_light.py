"""Grey is the light of 已办结, 暂停, 终止 and 结转 tasks: their badge names the status (a
terminated task was labelled 已办结), the dashboard's lights add up to its task count with
the grey ones, a stopped task past its date is neither overdue nor red in the trend, and
nobody chases (催办) a task that owes nothing."""

import re
from datetime import date

import pytest

from core.models import Reminder
from supervision import rollups, services
from supervision.choices import STOPPED, Light, TaskStatus
from supervision.dashboard import month_figures
from supervision.models import Plan, Task, Urging, User
from tests.helpers import login

JUNE = date(2012, 6, 1)


@pytest.fixture
def stopped(demo):
    """The demo's 暂停, 终止 and 结转 tasks (at least one of each)."""
    tasks = {s: list(Task.objects.filter(status=s)) for s in STOPPED}
    assert all(tasks.values()), tasks
    return tasks


def test_a_grey_badge_names_the_status(client, stopped):
    login(client, "supervisor1")
    terminated = stopped[TaskStatus.TERMINATED][0]
    page = client.get(f"/tasks/{terminated.pk}/").content.decode()
    badge = re.search(r'<span class="badge[^"]*light-badge" title="([^"]+)">([^<]+)</span>', page)
    assert badge.groups() == ("灰灯", "已终止")
    listing = client.get(f"/tasks/?year=2012&status={TaskStatus.CARRIED}").content.decode()
    assert ">已挂账结转</span>" in listing and ">已办结</span>" not in listing


def test_the_lights_add_up_to_the_tasks(client, stopped):
    plan = Plan.objects.get(year=2012)
    for month in (date(2012, 3, 1), JUNE, date(2012, 12, 1)):
        figures = month_figures(plan, month)
        for row in [figures["headline"], *figures["by_source"], *figures["by_project"]]:
            assert row["tasks"] == sum(row[light] for light in Light.values), (month, row)
        assert figures["headline"][Light.GREY] >= len(sum(stopped.values(), []))
    login(client, "supervisor1")
    page = client.get("/dashboard/?month=2012-06").content.decode()
    assert 'data-figure="grey"' in page
    # the 按来源 links count as of the month shown, like the others
    links = re.findall(r'href="/tasks/\?year=2012(&[^"]*source=[^"]*light=[^"]*)"', page)
    assert links and all("as_of=2012-06" in link for link in links)


def test_a_stopped_task_past_its_date_is_not_overdue(stopped):
    plan = Plan.objects.get(year=2012)
    task = stopped[TaskStatus.TERMINATED][0]
    Task.objects.filter(pk=task.pk).update(due_date=date(2012, 3, 31))
    figures = month_figures(plan, JUNE)
    assert task.pk not in {row["id"] for row in figures["overdue"]}
    # the trend's red, live and from the month rows, is the red of the lights
    june = next(p for p in figures["trend"] if p["month"].startswith("2012-06"))
    rollups.rebuild()
    stored = next(p for p in month_figures(plan, JUNE)["trend"] if p["month"].startswith("2012-06"))
    assert june["red"] == stored["red"]
    assert task.pk not in {row["id"] for row in month_figures(plan, JUNE)["overdue"]}


def test_a_stopped_or_closed_task_is_not_chased(client, stopped):
    """催办 of a task 暂停, 终止 or 结转 (or 已办结) is refused with the reason and sends
    nothing; its page offers no 催办 form; a bulk 催办 skips it, saying why."""
    login(client, "supervisor1")
    terminated = stopped[TaskStatus.TERMINATED][0]
    urged = Urging.objects.count()
    page = client.get(f"/tasks/{terminated.pk}/").content.decode()
    assert 'id="remind-form"' not in page
    response = client.post(f"/tasks/{terminated.pk}/remind/", {"message": "请加快"}, follow=True)
    assert "该任务已终止，无需催办。" in response.content.decode()
    assert Urging.objects.count() == urged and not Reminder.objects.filter(kind="manual").exists()
    suspended = stopped[TaskStatus.SUSPENDED][0]
    with pytest.raises(services.NotChased, match="该任务已暂停"):
        services.urge(suspended, user=User.objects.get(username="supervisor1"))
    going = Task.objects.filter(status=TaskStatus.IN_PROGRESS).exclude(lead_department=None)[0]
    sent, skipped = services.urge_many(
        [going, suspended], user=User.objects.get(username="supervisor1")
    )
    assert [u.task_id for u in sent] == [going.pk]
    assert skipped == [(suspended, "该任务已暂停，无需催办。")]
