"""催办 several tasks at once from the ledger, with one message (issue 11, item 6)."""

import pytest
from freezegun import freeze_time

from core.choices import ReminderKind
from core.models import Reminder
from core.roles import Role
from supervision.models import Urging
from tests.helpers import count_queries, make_department, make_task, make_user

pytestmark = pytest.mark.django_db
NOW = "2030-07-20 10:00:00+08:00"


@pytest.fixture
def office():
    a, b = make_department("甲处"), make_department("乙处")
    people = {
        "sup": make_user("sup", Role.SUPERVISOR),
        "leader": make_user("leader", Role.LEADER),
        "staff_a": make_user("staff_a", Role.STAFF, a),
        "staff_b": make_user("staff_b", Role.STAFF, b),
    }
    tasks = [
        make_task(1, lead_department=a),
        make_task(2, lead_department=b),
        make_task(3, lead_department=a),
        make_task(4),  # no lead department yet: nobody to chase
    ]
    return {"tasks": tasks, **people}


@freeze_time(NOW)
def test_the_ticked_tasks_are_chased_with_one_message(client, office):
    t1, t2, t3, orphan = office["tasks"]
    client.force_login(office["sup"])
    back = "/supervision/ledger/?light=red"
    data = {"task": [t1.pk, t2.pk, orphan.pk], "message": "请本周内报送进展。", "next": back}
    response = client.post("/supervision/remind/", data, follow=True)
    assert response.redirect_chain[-1][0] == back
    body = response.content.decode()
    assert "已对 2 项任务发出催办（共 2 人）" in body
    assert "无法催办" in body  # the task without a lead department, named
    assert {u.task_id for u in Urging.objects.all()} == {t1.pk, t2.pk}
    assert set(Urging.objects.values_list("message", flat=True)) == {"请本周内报送进展。"}
    notices = Reminder.objects.filter(kind=ReminderKind.MANUAL, channel="in_app")
    assert {(n.recipient.username, n.object_id) for n in notices} == {
        ("staff_a", t1.pk),
        ("staff_b", t2.pk),
    }
    # the same again at once is a double submit: nothing sent twice
    body = client.post("/supervision/remind/", data, follow=True).content.decode()
    assert "未重复发送" in body
    assert Urging.objects.count() == 2


@freeze_time(NOW)
def test_nothing_ticked_or_a_foreign_return_address(client, office):
    client.force_login(office["sup"])
    response = client.post("/supervision/remind/", {"message": "x"}, follow=True)
    assert "请先勾选要催办的任务" in response.content.decode()
    data = {"task": [office["tasks"][0].pk], "next": "https://evil.example/"}
    response = client.post("/supervision/remind/", data)
    assert response["Location"] == "/supervision/ledger/"
    assert Urging.objects.count() == 1


@freeze_time(NOW)
def test_only_supervisors_chase_and_see_the_checkboxes(
    client, office, django_assert_max_num_queries
):
    task = office["tasks"][0]
    for name in ("leader", "staff_a"):
        client.force_login(office[name])
        response = client.post("/supervision/remind/", {"task": [task.pk]})
        assert response.status_code == 403
        assert "只有督查人员可以催办" in response.content.decode()
    assert not Urging.objects.exists()
    client.force_login(office["leader"])
    assert 'form="bulk-remind"' not in client.get("/supervision/ledger/").content.decode()
    client.force_login(office["sup"])
    body = client.get("/supervision/ledger/").content.decode()
    assert body.count('form="bulk-remind"') == 4
    few = count_queries(django_assert_max_num_queries, client, "/supervision/ledger/", 30)
    for n in range(5, 15):
        make_task(n, lead_department=task.lead_department)
    client.get("/supervision/ledger/")  # new tasks cleared the cached filter choices: refill once
    assert count_queries(django_assert_max_num_queries, client, "/supervision/ledger/", 30) == few
